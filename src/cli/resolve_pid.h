/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_RESOLVE_PID_H
#define TLSTAP_RESOLVE_PID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "tlstap/resolve.h"

/*
 * `tlstap resolve -p PID...`: resolve each process's executable and every
 * mapped TLS library (each distinct object once), print what the tracer
 * would attach to and why anything else is skipped.  Errors go to stderr as
 * one line each.  Returns the number of processes that failed.
 */
int tt_resolve_pids(const int *pids, size_t n_pids, const struct tt_resolve_opts *opts,
		    bool json, FILE *out);

#endif
