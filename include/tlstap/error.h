/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_ERROR_H
#define TLSTAP_ERROR_H

/*
 * Error reporting convention: a function that can fail returns a negative
 * errno and, when given a non-NULL struct tt_error, leaves a one-line
 * human-readable reason in it (no trailing newline, no "tlstap:" prefix).
 * The CLI prints "tlstap: <what>: <msg>".
 */
struct tt_error {
	char msg[512];
};

#include "tlstap/compiler.h"

/* Sets err->msg (if err is non-NULL) and returns -errnum; always negative:
 * an errnum of 0 (errno left unset by a failing call) becomes -EIO. */
int tt_error_set(struct tt_error *err, int errnum, const char *fmt, ...) TT_PRINTF(3, 4);

#endif
