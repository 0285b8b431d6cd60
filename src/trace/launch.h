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
int tt_launch_resume(pid_t pid, struct tt_error *err);


#endif
