/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_GUARDIAN_H
#define TLSTAP_TRACE_GUARDIAN_H

/*
 * A tracer holds processes stopped (SIGSTOP) while it attaches to what they
 * are about to run.  If it died then (SIGKILL, a crash, the OOM killer),
 * they would stay stopped.  The guardian is a small process forked before
 * any thread starts: it waits for the tracer's end (the write end of a pipe
 * closing, however the tracer ends) and then sends SIGCONT to every process
 * still in the map of held processes.
 */

#include <sys/types.h>

struct tt_guardian {
	pid_t pid; /* 0: none */
	int fd;    /* the pipe's write end, -1: none */
};

/* Fork the guardian of held_map_fd (map "held", key tgid). */
int tt_guardian_start(struct tt_guardian *g, int held_map_fd);
/* Release what is left, and reap it. */
void tt_guardian_stop(struct tt_guardian *g);

/* Send SIGCONT to a held process and forget it. */
void tt_release_held(int held_map_fd, int pid);

#endif
