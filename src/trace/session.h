/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_SESSION_H
#define TLSTAP_TRACE_SESSION_H

/*
 * One run of `tlstap trace`: load the tracer, attach to the processes given
 * (-p) or launched (-- CMD), follow what they load, execute and when they
 * exit, and deliver what they send to a sink until every target is gone, the
 * duration has passed, a signal arrives or the output fails.  The caller
 * (src/cli) owns the options and the writers; everything about processes
 * and probes is here.
 */

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "trace/tracer.h"

struct tt_session_opts {
	struct tt_tracer_opts tracer;
	const int *pids; /* -p */
	size_t n_pids;
	char *const *cmd; /* -- CMD, NULL-terminated; NULL for -p */
	bool all;         /* --all: every process of the host, present and future */
	bool children;    /* -p --children: their descendants too, present and future */
	double detach_idle; /* --all: a file no process has mapped this long is
			     * detached (seconds; 0: never) */
	const char *cgroup; /* --cgroup: processes in that cgroup v2 directory or below */
	double duration;  /* seconds, 0: until the targets are gone */
	bool stats;       /* counters to stderr every second */
	size_t queue_max; /* bytes of records queued between reader and writers */
	/* The delivery thread's side: records, and a flush when idle. */
	struct tt_sink sink;
	void (*flush)(void *ctx);
	/* The control thread's side (may be NULL): has the output failed (then
	 * the session ends), and the writers' own counters for --stats and
	 * the exit line. */
	bool (*failed)(void *ctx);
	void (*print_stats)(void *ctx, FILE *f);
	/* Called once every record is delivered, before the last counters. */
	void (*finish)(void *ctx);
	void *ctx;
	/* Set (atomically: the delivery thread may read it) once the targets
	 * are traced and the run goes on; may be NULL. */
	bool *started;
};

/*
 * Run until done.  Returns the exit status: the launched command's, 0 for
 * -p, 1 when nothing could be traced (the reason printed); *stop is the
 * signal number when one asked to stop.
 */
int tt_session_run(const struct tt_session_opts *o, volatile sig_atomic_t *stop);

#endif
