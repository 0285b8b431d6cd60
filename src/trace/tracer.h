/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_TRACER_H
#define TLSTAP_TRACE_TRACER_H

/*
 * The trace engine: the loaded BPF programs (one skeleton), the objects
 * attached (each file once per scope: a process, or every process), the
 * processes traced, and the ring buffer whose records it decodes for a
 * sink.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlstap/config.h"
#include "tlstap/counters.h"
#include "tlstap/error.h"
#include "tlstap/resolve.h"
#include "tlstap/state.h"
#include "trace/guardian.h"
#include "trace/chunk.h"

struct tlstap_bpf;
struct ring_buffer;
struct bpf_link;
struct tt_attached;

/* Where the records the BPF programs send are delivered, decoded. */
struct tt_sink {
	void (*chunk)(void *ctx, const struct tt_chunk *c);
	void (*conn_end)(void *ctx, const struct tt_conn_end *e);
	/* A process record (TT_PROC_*): exec, loader activity, exit. */
	void (*proc)(void *ctx, int tgid, unsigned kind, bool stopped);
	void *ctx;
};

/* A process traced (-p, -- CMD, or any with --all). */
struct tt_target {
	int pid;
	int scope;           /* its attaches: its pid, or -1 (--all: every process) */
	bool attached;
	bool gone;
	bool exited;         /* its exit was seen (it may linger as a zombie) */
	/* Held at its exec/dlopen until attached: the launched command, a
	 * process forked in its tree, a new process under --hold-new. */
	bool stop_on_dlopen;
	bool forked;         /* in a followed tree (forgotten once gone) */
	int64_t since_ns;    /* CLOCK_BOOTTIME when it became a target */
	char exe[4096];
	struct tt_attached **objs; /* attached for it (references) */
	size_t n_objs;
	struct tt_seen {
		uint64_t dev, ino;
		bool done;      /* attached, or nothing to attach */
		bool lazy;      /* it has on-demand (memory BIO) probes */
		unsigned fails; /* attach failures: tried again a few times */
	} *seen;
	size_t n_seen;
	size_t n_go_probes;
	size_t n_native_probes;
	size_t n_native_objects;
	bool dl_watched; /* the loader's _dl_debug_state is probed */
	bool membio;     /* its ciphertext probes are attached (memory BIO) */
};

struct tt_tracer_opts {
	struct tt_trace_settings settings;
	const char *assume_go_version; /* for Go binaries without build info */
	uint32_t buffer_size; /* ring buffer bytes: a power of two, >= page size */
	bool all;             /* every process of the host (settings.all too) */
	bool follow;          /* -- CMD, -p --children: the processes they fork too */
	bool verbose;
};

struct tt_tracer {
	struct tlstap_bpf *skel;
	bool multi;   /* uprobe programs attach as uprobe_multi links (>= 6.6) */
	bool sock_tp; /* socket tracepoints; else the raw syscall fallback */
	bool kfunc_cast; /* bpf_rdonly_cast (settings.kfunc_cast) */
	struct bpf_link *tp_links[6]; /* exec, exit, socket close, socket I/O, fork */
	struct tt_obj_cache *cache; /* each object resolved once */
	struct tt_reaper *reaper;   /* destroys per-process links off the control thread */
	struct tt_origins *origins; /* cgroup ids (delivery thread only) */
	struct tt_guardian guardian; /* releases held processes if we die */
	struct tt_resolve_opts ropts;
	struct tt_attached **objects; /* every attach, each file once per scope */
	size_t n_objects;
	uint32_t next_go_obj; /* go_objects keys */
	int64_t boot_to_real_ns; /* CLOCK_BOOTTIME + this = CLOCK_REALTIME */
	uint64_t swept; /* state-map entries of exited or re-executed processes deleted */
	bool verbose;
	bool all; /* --all: attaches for every process; -v tells new ones only */
	bool follow; /* the fork hook follows the targets' trees */
};

int tt_tracer_open(struct tt_tracer *t, const struct tt_tracer_opts *opts, struct tt_error *err);
void tt_tracer_close(struct tt_tracer *t);
/* Decode one ring-buffer record (the event source's) for sink. */
void tt_tracer_decode(const struct tt_tracer *t, const void *rec, size_t len,
		      const struct tt_sink *sink);

/* Sums of the per-CPU counters: what the programs counted, and the failed
 * updates of each state map. */
void tt_tracer_counters(const struct tt_tracer *t, uint64_t out[TT_C_COUNT]);
void tt_tracer_map_full(const struct tt_tracer *t, uint64_t out[TT_M_COUNT]);
/* Entries and max_entries of each state map, counted (batched walks: about
 * a millisecond for the empty maps, more as they fill), and whether it is an
 * LRU map (it evicts rather than fails when full). */
void tt_tracer_map_pressure(const struct tt_tracer *t, size_t entries[TT_M_COUNT],
			    uint32_t max[TT_M_COUNT], bool lru[TT_M_COUNT]);
const char *tt_counter_name(enum tt_counter c);
const char *tt_state_map_name(enum tt_state_map m);
/* What a state map's key holds (TT_STATE_MAPS); TT_KEY_KIND_COUNT for none. */
enum tt_key_kind tt_state_map_kind(enum tt_state_map m);
/* The loaded state map m, NULL before the tracer is open. */
struct bpf_map;
struct bpf_map *tt_tracer_state_map(const struct tt_tracer *t, enum tt_state_map m);

/* Resolve the process and attach every probe it needs; message on error. */
int tt_tracer_attach(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err);
/* Look at the process's mappings again and attach libraries loaded since
 * (dlopen); returns how many new objects were attached. */
int tt_tracer_rescan(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err);
/* The process executed a new program: drop the old probes, attach anew. */
int tt_tracer_reexec(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err);
/* The process drives TLS through memory BIOs: attach its ciphertext probes
 * (once). */
int tt_tracer_membio(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err);
/* Remove the process's probes and state (it exited, or we are done).  The
 * links of a per-process attach are destroyed by the reaper, soon: a process
 * that may still run (we are done) is first unprobed, then
 * tt_tracer_flush_links(), then detached. */
void tt_tracer_detach(struct tt_tracer *t, struct tt_target *tg);
void tt_tracer_unprobe(struct tt_tracer *t, struct tt_target *tg);
/* Wait until the links given to the reaper are destroyed. */
void tt_tracer_flush_links(struct tt_tracer *t);
/* From now on no process is held (the session is ending). */
void tt_tracer_stop_holding(struct tt_tracer *t);
/* Let a process held at exec, dlopen or its first memory-BIO call run. */
void tt_tracer_release(struct tt_tracer *t, int pid);
/* The state and watch of a process that was never a target (--all: one
 * forked without exec, now gone). */
void tt_tracer_forget(struct tt_tracer *t, int pid);

#endif
