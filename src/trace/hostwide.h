/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_HOSTWIDE_H
#define TLSTAP_TRACE_HOSTWIDE_H

/*
 * What host-wide tracing (--all) needs besides the attach manager: the
 * processes of the host, the executables already seen (so that a new
 * process running one is not held), the in-kernel filters, and the
 * latency from a process's exec to its probes being live.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tlstap/config.h"
#include "tlstap/error.h"
#include "trace/tracer.h"

/* Every process of the host (numeric /proc entries) but the caller and
 * kernel threads; *pids is malloc'ed. */
int tt_host_pids(int **pids, size_t *n, struct tt_error *err);

/* The kernel's dev_t (s_dev) of a user-space st_dev. */
uint64_t tt_kernel_dev(dev_t dev);

/*
 * The host's own TLS libraries (libssl, libgnutls in the usual library
 * directories), attached for every process before any maps them: a program
 * started later that links them is traced from its first call, held or
 * not.  Libraries in containers are attached when a process maps them.
 * Returns how many files were attached.
 */
int tt_host_attach_libraries(struct tt_tracer *t);

/* A host library attached at start whose path names another file now (an
 * upgrade replaced it): the new one is attached, the old one goes once
 * unused (tt_host_release_unused). */
void tt_host_refresh_libraries(struct tt_tracer *t);

/* Mark an executable as seen: its next processes are not held at exec. */
int tt_host_known_exe(struct tt_tracer *t, uint64_t kdev, uint64_t ino);
/* The same for the executable of a running process (from /proc/PID/exe). */
int tt_host_known_exe_of(struct tt_tracer *t, int pid);

/*
 * Detach the files attached for every process that no process has mapped
 * for idle_s seconds (a program that ran once, a container image gone): a
 * tracer left running would otherwise keep a probe, and the file itself,
 * for each one ever seen.  Unused means no reference (targets hold them on
 * what they map) and, read before a file goes, no process's maps (one
 * forked without exec holds no reference).  A file detached is forgotten as
 * an executable seen, so that its next process is held (--hold-new) and
 * attached anew.  A detach waits for the kernel (tens of ms a file here):
 * after budget_s of them the rest waits for the next call (*more), so that
 * the caller, which attaches new programs, is not held up for long.
 * Returns how many were detached.
 */
size_t tt_host_release_unused(struct tt_tracer *t, double now, double idle_s, double budget_s,
			      bool *more);

/* The in-kernel filters (settings, before the tracer loads). */
int tt_filter_comm(struct tt_trace_settings *s, const char *comm, struct tt_error *err);
int tt_filter_exe(struct tt_trace_settings *s, const char *path, struct tt_error *err);
int tt_filter_port(struct tt_trace_settings *s, long port, struct tt_error *err);
/* --cgroup PATH (before load): a cgroup v2 directory, absolute or relative
 * to the cgroup v2 mount ("/kubepods.slice/..."); its absolute path goes
 * to abs for tt_filter_cgroup. */
int tt_filter_cgroup_path(struct tt_trace_settings *s, const char *path, char *abs,
			  size_t len, struct tt_error *err);
/* --cgroup PATH (after load): processes in that cgroup v2 directory or below. */
int tt_filter_cgroup(struct tt_tracer *t, const char *path, struct tt_error *err);

/*
 * Latencies, in ns, and their percentiles: a log-linear histogram (16
 * buckets per power of two, a percentile within 1/16 above the truth) of
 * fixed size, however long the tracer runs.
 */
#define TT_LATENCY_SUB_BITS 4
#define TT_LATENCY_SUB (1u << TT_LATENCY_SUB_BITS)
struct tt_latency {
	uint64_t count[(64 - TT_LATENCY_SUB_BITS + 1) << TT_LATENCY_SUB_BITS];
	uint64_t n;
};

void tt_latency_add(struct tt_latency *l, uint64_t ns);
uint64_t tt_latency_pct(const struct tt_latency *l, double p); /* 0 if none */

#endif
