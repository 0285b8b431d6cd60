/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACER_H
#define TLSTAP_TRACER_H

/*
 * The loaded BPF side of `tlstap trace`: the skeletons, the shared ring
 * buffer and counters, and the per-process targets with their probes.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/chunk.h"
#include "tlstap/error.h"
#include "tlstap/resolve.h"
#include "tlstap/trace.h"

struct gotls_bpf;
struct nativetls_bpf;
struct procwatch_bpf;
struct ring_buffer;
struct bpf_link;
struct tt_obj_cache;

struct tt_target {
	int pid;
	bool attached;
	bool gone;
	char exe[4096];
	struct bpf_link **links;
	size_t n_links;
	int *link_fds;        /* uprobe_multi links */
	size_t n_link_fds;
	size_t n_go_probes;
	size_t n_native_probes;
	size_t n_native_objects;
	bool stop_on_dlopen;  /* launched by us: hold it at exec/dlopen until attached */
	bool exited;          /* its exit was seen (it may linger as a zombie) */
	bool dl_watched;      /* the loader's _dl_debug_state is probed */
	struct tt_target_object *objects; /* objects already handled (dev, ino) */
	size_t n_objects;
};

struct tt_target_object {
	uint64_t dev, ino;
};

/* Where the tracer delivers what the BPF programs report. */
struct tt_sink {
	void (*chunk)(void *ctx, const struct tt_chunk *c);
	void (*conn_end)(void *ctx, const struct tt_conn_end *e);
	/* A process record (TT_PROC_*): exec, loader activity, exit. */
	void (*proc)(void *ctx, int tgid, unsigned kind, bool stopped);
	void *ctx;
};

struct tt_tracer {
	struct gotls_bpf *go;
	struct nativetls_bpf *native;
	struct procwatch_bpf *watch;
	bool multi;                      /* uprobe programs attach as uprobe_multi */
	struct bpf_link *sys_enter_link; /* attached with the first native target */
	struct tt_obj_cache *cache;      /* each object resolved once */
	struct ring_buffer *rb;
	struct tt_sink sink;
	int64_t boot_to_real_ns; /* CLOCK_BOOTTIME + this = CLOCK_REALTIME */
	struct tt_resolve_opts ropts;
	bool verbose;
	uint64_t events_seen;
};

int tt_tracer_open(struct tt_tracer *t, const struct tt_trace_settings *settings,
		   const struct tt_sink *sink, struct tt_error *err);
void tt_tracer_close(struct tt_tracer *t);
/* Consume events for up to timeout_ms; returns events handled or -errno. */
int tt_tracer_poll(struct tt_tracer *t, int timeout_ms);
/* Sum of the per-CPU counters. */
void tt_tracer_counters(const struct tt_tracer *t, uint64_t out[TT_C_COUNT]);
const char *tt_counter_name(enum tt_counter c);

/* Resolve the process and attach every probe it needs; message on error. */
int tt_tracer_attach(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err);
/* Look at the process's mappings again and attach libraries loaded since
 * (dlopen); returns how many new objects were attached. */
int tt_tracer_rescan(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err);
/* The process executed a new program: drop the old probes, attach anew. */
int tt_tracer_reexec(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err);
/* Remove the process's probes and state (it exited, or we are done). */
void tt_tracer_detach(struct tt_tracer *t, struct tt_target *tg);

#endif
