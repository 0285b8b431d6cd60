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

#include <stddef.h>
#include <stdio.h>

#include "tlstap/compiler.h"

/* Sets err->msg (if err is non-NULL) and returns -errnum; always negative:
 * an errnum of 0 (errno left unset by a failing call) becomes -EIO. */
int tt_error_set(struct tt_error *err, int errnum, const char *fmt, ...) TT_PRINTF(3, 4);

/*
 * Terminal-safe text.  tlstap's messages carry names a traced process chose
 * (its files, its comm): they must not drive the user's terminal.  For a
 * UTF-8 terminal, every byte it would act on is written as \xNN: C0
 * controls but the newline and the tab, DEL, C1 controls (U+0080-U+009F),
 * bidirectional controls (U+202A-U+202E, U+2066-U+2069) and bytes of no
 * well-formed UTF-8 sequence; other UTF-8 stays as it is.  The newline is
 * kept, since messages have lines: a name can start a line of its own, but
 * not send a control code.  Backslashes are kept too.
 */
/* The safe text of src[0, len) into dst (cap bytes, cap >= 1), always
 * NUL-terminated; cut at a whole byte or escape when dst is short.
 * Returns the bytes written, without the NUL. */
size_t tt_text_safe(char *dst, size_t cap, const char *src, size_t len);

/* The safe text of s[0, len) written to out in one write; 0 or -ENOMEM. */
int tt_text_safe_write(FILE *out, const char *s, size_t len);

/* A message on stderr: fmt formatted, made terminal-safe, one write. */
void tt_diag(const char *fmt, ...) TT_PRINTF(1, 2);

#endif
