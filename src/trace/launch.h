/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_LAUNCH_H
#define TLSTAP_LAUNCH_H

#include <sys/types.h>

#include "tlstap/error.h"

/*
 * Start argv[0] (searched in PATH) stopped right after its execve, before its
 * first instruction runs: the tracer attaches, then calls tt_launch_resume().
 * Returns the child's pid, or a negative errno (message set; an exec failure
 * is reported with the child's errno).
 */
pid_t tt_launch_stopped(char *const argv[], struct tt_error *err);
/*
 * Whether file can be executed as tt_launch_stopped() would find it (with a
 * slash: that path; else each directory of PATH): 0, -ENOENT (nothing by
 * that name) or -EACCES (found, none executable), message set.  A check
 * before anything is opened; the exec itself still decides.
 */
int tt_launch_find(const char *file, struct tt_error *err);
/* The shell's exit status for a command that could not run: 127 when it
 * was not found, 126 when it could not be executed, else 1. */
int tt_launch_failure_status(int neg_errno);
int tt_launch_resume(pid_t pid, struct tt_error *err);


#endif
