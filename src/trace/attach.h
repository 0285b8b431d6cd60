/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_ATTACH_H
#define TLSTAP_TRACE_ATTACH_H

/*
 * Attaching objects: a uprobe on a file fires in every process that maps
 * it, so each file is resolved once (the object cache) and attached once
 * per scope, a process (the kernel then filters by process) or every
 * process (-1).  Targets take references on what they use.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/tracer.h"

struct tt_attached {
	uint64_t dev, ino;
	char build_id[65];
	int scope;    /* a pid, or -1: every process that maps the file */
	unsigned refs;
	bool loader;  /* the dynamic loader's _dl_debug_state probe */
	bool lazy;    /* the plan's on-demand sites (memory BIO), not its main ones */
	bool said;    /* -v has told of it (an attach for every process is told once) */
	bool pinned;  /* --all: a host library attached at start, referenced for the host
		       * while its path still names this file */
	char *path;   /* as the process that first mapped it names it */
	char *reason; /* what the plan attached ("openssl entry points: ...") */
	struct bpf_link **links;
	size_t n_links;
	uint32_t go_obj; /* key in go_objects, 0 when not Go */
	size_t n_go_probes;
	size_t n_native_probes;
	double unused_since; /* scope -1, no reference: since when (CLOCK_MONOTONIC s) */
};

/*
 * Attach what the plan of the object open at fd says, for scope, or take a
 * reference on the attach that covers it already.  An object without TLS
 * code gives 0 with *out NULL and the reason in why; TLS code that cannot be
 * attached (the plan says why) gives -ENOTSUP.  On error nothing is left
 * behind (no link, no map entry), so a later try starts afresh.
 */
int tt_attach_object(struct tt_tracer *t, int fd, const char *path, int scope,
		     struct tt_attached **out, char *why, size_t why_len, struct tt_error *err);

/* Does the object's plan have on-demand sites (resolved once, cached)? */
bool tt_object_has_lazy(struct tt_tracer *t, int fd, const char *path);

/* The plan's on-demand sites (memory-BIO ciphertext probes) of the object;
 * *out NULL when it has none. */
int tt_attach_lazy(struct tt_tracer *t, int fd, const char *path, int scope,
		   struct tt_attached **out, struct tt_error *err);

/* Probe the dynamic loader's _dl_debug_state() (libraries loaded later). */
int tt_attach_loader(struct tt_tracer *t, int fd, const char *path, int scope,
		     struct tt_attached **out, struct tt_error *err);

/* Drop a reference; the last one detaches an attach for one process (one
 * for every process stays, unused, until released). */
void tt_attach_put(struct tt_tracer *t, struct tt_attached *a);
/* The attaches for every process that no reference has held since before
 * now - idle_s: a new array of *n (NULL when none). */
int tt_attach_unused(struct tt_tracer *t, double now, double idle_s, struct tt_attached ***out,
		     size_t *n);
/* Detach and free an unused attach. */
void tt_attach_release(struct tt_tracer *t, struct tt_attached *a);
/* The same for n of them, their links destroyed concurrently (each destroy
 * waits for the kernel; concurrent ones wait together). */
void tt_attach_release_many(struct tt_tracer *t, struct tt_attached **v, size_t n);
/* Detach everything (at exit). */
void tt_attach_release_all(struct tt_tracer *t);

#endif
