/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_SESSION_INT_H
#define TLSTAP_TRACE_SESSION_INT_H

/*
 * The control thread's session, shared by its files: session.c (targets,
 * records, the loop) and follow.c (the process trees it follows).  Not for
 * anything outside src/trace.
 */

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "trace/hostwide.h"
#include "trace/session.h"
#include "trace/source.h"
#include "trace/tracer.h"

/* What the control loop knows and has said about the state maps. */
struct maps_seen {
	uint64_t failed[TT_M_COUNT];  /* failed updates (map_full) reported */
	double failed_said[TT_M_COUNT];
	size_t entries[TT_M_COUNT], peak[TT_M_COUNT];
	uint32_t max[TT_M_COUNT];
	bool lru[TT_M_COUNT];
	bool full[TT_M_COUNT]; /* said to be full */
	bool counted;
};

struct session {
	const struct tt_session_opts *o;
	volatile sig_atomic_t *stop;
	struct tt_tracer t;
	struct tt_source *src;
	struct tt_target **targets; /* each allocated: pointers stay valid */
	size_t n_targets, cap_targets;
	pid_t child;
	int child_status;
	bool child_exited;
	/* --all */
	uint64_t procs_seen;      /* processes traced, present at start or started since */
	uint64_t new_exes;        /* processes of executables not seen before */
	uint64_t procs_held;      /* of them, held at exec until attached (--hold-new) */
	uint64_t released;        /* files detached, no process having mapped them a while */
	double last_release;      /* when they were last looked for */
	bool release_more;        /* more were found than the time allowed to detach */
	bool closing;             /* targets detached: records only release the held */
	struct tt_latency attach_ns; /* exec to probes live, of those held */
	struct maps_seen maps;
};

/* A new target for pid (NULL: out of memory); its pointer stays valid. */
struct tt_target *session_add_target(struct session *s, int pid);
/* The live target of pid, NULL if none. */
struct tt_target *session_find_target(struct session *s, int pid);
/* -v: what is attached to the process now. */
void session_say_probes(const struct session *s, const struct tt_target *tg, const char *what);

/* follow.c: a process a followed tree forked (its TT_PROC_FORK, or its
 * first record), traced under its own pid; NULL if it could not be. */
struct tt_target *session_follow_child(struct session *s, const struct tt_proc_rec *r);
/* -p --children: the descendants the -p processes have at start. */
void session_follow_descendants(struct session *s);

#endif
