/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_CAPS_H
#define TLSTAP_TRACE_CAPS_H

/*
 * The capabilities tracing needs, so that a tracer without one says which
 * at start instead of failing half-way (or, without CAP_KILL, leaving a
 * process it held at exec stopped).  Root has them all.
 */

#include <stdbool.h>
#include <stddef.h>

/*
 * The capabilities missing for tracing ("CAP_BPF, CAP_KILL") into buf, ""
 * when none; hold: the tracer holds processes it did not start (--all),
 * which it must be allowed to release.
 */
void tt_caps_missing(bool hold, char *buf, size_t len);

#endif
