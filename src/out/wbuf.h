/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_OUT_WBUF_H
#define TLSTAP_OUT_WBUF_H

/*
 * A write buffer over a file descriptor: writers format straight into it and
 * it reaches the file in large write()s.  The first error sticks (a full
 * disk, a closed pipe) and is reported by tt_wbuf_flush(); later writes are
 * dropped.  A writer that must never leave a partial unit (a pcapng block,
 * an NDJSON line) in the file reserves the whole unit before writing it.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tlstap/compiler.h"

struct tt_wbuf {
	int fd;
	uint8_t *buf;
	size_t len, cap;
	int err;        /* first errno, 0 while all is well */
	uint64_t bytes; /* written to fd */
	/* Called once, before the first write() (NULL: none): an errno it
	 * returns becomes the sticky error and nothing is written. */
	int (*before_write)(void *ctx);
	void *before_ctx;
	/* A text of lines (NDJSON, text): a write that fails part way is cut
	 * back to the end of its last whole line, in a regular file. */
	bool whole_lines;
	uint64_t line_end; /* bytes of fd up to the last '\n' written */
};

/* cap bytes of buffer (>= 64 KiB is sensible); 0 or -ENOMEM. */
int tt_wbuf_init(struct tt_wbuf *w, int fd, size_t cap);
void tt_wbuf_free(struct tt_wbuf *w);
/* Write out what is buffered; 0 or -errno (sticky).  The buffer is emptied
 * but its bytes stay in place until the next write into it: after a failed
 * flush a writer can see what had been written (w->bytes counts it). */
int tt_wbuf_flush(struct tt_wbuf *w);
/* Slow path of tt_wbuf_reserve: flush, grow if n > cap. */
uint8_t *tt_wbuf_reserve_slow(struct tt_wbuf *w, size_t n);

/* Room for n bytes at the end of the buffer (NULL after an error or on
 * ENOMEM); tt_wbuf_commit() says how many were used. */
static inline uint8_t *tt_wbuf_reserve(struct tt_wbuf *w, size_t n)
{
	if (tt_likely(w->cap - w->len >= n))
		return w->buf + w->len;
	return tt_wbuf_reserve_slow(w, n);
}

static inline void tt_wbuf_commit(struct tt_wbuf *w, size_t n)
{
	w->len += n;
}

static inline void tt_wbuf_put(struct tt_wbuf *w, const void *p, size_t n)
{
	uint8_t *d = tt_wbuf_reserve(w, n);

	if (d) {
		memcpy(d, p, n);
		w->len += n;
	}
}

static inline void tt_wbuf_puts(struct tt_wbuf *w, const char *s)
{
	tt_wbuf_put(w, s, strlen(s));
}

static inline void tt_wbuf_putc(struct tt_wbuf *w, char c)
{
	uint8_t *d = tt_wbuf_reserve(w, 1);

	if (d)
		d[0] = (uint8_t)c, w->len++;
}

/* printf into the buffer (for the rare, short, formatted parts). */
void tt_wbuf_printf(struct tt_wbuf *w, const char *fmt, ...) TT_PRINTF(2, 3);
/* Decimal of v; returns digits written (at most 20) into d. */
size_t tt_fmt_u64(char *d, uint64_t v);

/*
 * A field of a text line from bytes someone else chose (an HTTP path, a
 * process name): printable ASCII as it is; the space, the backslash and
 * every other byte as \xNN, so that the field can neither split the line
 * nor send a terminal control codes.  dst holds 4 * len + 1 bytes; returns
 * the length written (NUL-terminated).
 */
size_t tt_fmt_field(char *dst, const char *src, size_t len);
/* The same, into the buffer; with keep_space, for the last field of a
 * line, the space stays as it is. */
void tt_wbuf_field(struct tt_wbuf *w, const char *src, size_t len, bool keep_space);

/* Bytes tt_fmt_name() needs for a process name (comm, 16 bytes). */
#define TT_NAME_TEXT_MAX (16 * 4 + 1)
/* A process's name (comm: the process sets it, any bytes) as a field,
 * up to its NUL or 16 bytes.  dst holds TT_NAME_TEXT_MAX bytes; returns dst. */
char *tt_fmt_name(char *dst, const char *comm);
static inline void tt_wbuf_u64(struct tt_wbuf *w, uint64_t v)
{
	uint8_t *d = tt_wbuf_reserve(w, 20);

	if (d)
		w->len += tt_fmt_u64((char *)d, v);
}

#endif
