// SPDX-License-Identifier: MIT
/* Buffered writes to a file descriptor, one write() per buffer. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out/wbuf.h"

int tt_wbuf_init(struct tt_wbuf *w, int fd, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->fd = fd;
	w->buf = malloc(cap);
	if (!w->buf)
		return -ENOMEM;
	w->cap = cap;
	return 0;
}

void tt_wbuf_free(struct tt_wbuf *w)
{
	free(w->buf);
	w->buf = NULL;
	w->cap = w->len = 0;
}

/* After n bytes written from p: where the file's last whole line ends. */
static void note_line_end(struct tt_wbuf *w, const uint8_t *p, size_t n)
{
	const uint8_t *nl = memrchr(p, '\n', n);

	if (nl)
		w->line_end = w->bytes - n + (uint64_t)(nl - p) + 1;
}

/* A failed write of lines: cut the file back to its last whole line. */
static void cut_to_line(struct tt_wbuf *w)
{
	struct stat st;

	if (w->bytes == w->line_end || fstat(w->fd, &st) || !S_ISREG(st.st_mode) ||
	    ftruncate(w->fd, (off_t)w->line_end))
		return;
	w->bytes = w->line_end;
}

int tt_wbuf_flush(struct tt_wbuf *w)
{
	size_t done = 0;

	if (w->len && w->before_write && !w->err) {
		int (*hook)(void *) = w->before_write;

		w->before_write = NULL;
		w->err = hook(w->before_ctx);
	}
	while (!w->err && done < w->len) {
		ssize_t n = write(w->fd, w->buf + done, w->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->err = n < 0 ? errno : EIO;
			break;
		}
		w->bytes += (uint64_t)n;
		if (w->whole_lines)
			note_line_end(w, w->buf + done, (size_t)n);
		done += (size_t)n;
	}
	if (w->err && w->whole_lines)
		cut_to_line(w);
	w->len = 0;
	return w->err ? -w->err : 0;
}

uint8_t *tt_wbuf_reserve_slow(struct tt_wbuf *w, size_t n)
{
	if (w->err || !w->buf)
		return NULL;
	if (w->len && tt_wbuf_flush(w))
		return NULL;
	if (n > w->cap) {
		uint8_t *b = realloc(w->buf, n);

		if (!b) {
			w->err = ENOMEM;
			return NULL;
		}
		w->buf = b;
		w->cap = n;
	}
	return w->buf + w->len;
}

void tt_wbuf_printf(struct tt_wbuf *w, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		tt_wbuf_put(w, tmp, (size_t)n);
		return;
	}
	/* Longer than the stack buffer: format again into the buffer itself. */
	uint8_t *d = tt_wbuf_reserve(w, (size_t)n + 1);

	if (!d)
		return;
	va_start(ap, fmt);
	vsnprintf((char *)d, (size_t)n + 1, fmt, ap);
	va_end(ap);
	w->len += (size_t)n;
}

/* tt_fmt_field, the space kept as it is when keep_space. */
static size_t fmt_field(char *dst, const char *src, size_t len, bool keep_space)
{
	static const char hex[] = "0123456789abcdef";
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		unsigned char b = (unsigned char)src[i];

		if ((b > 0x20 || (keep_space && b == 0x20)) && b < 0x7f && b != '\\') {
			dst[n++] = (char)b;
			continue;
		}
		dst[n++] = '\\';
		dst[n++] = 'x';
		dst[n++] = hex[b >> 4];
		dst[n++] = hex[b & 15];
	}
	dst[n] = '\0';
	return n;
}

size_t tt_fmt_field(char *dst, const char *src, size_t len)
{
	return fmt_field(dst, src, len, false);
}

void tt_wbuf_field(struct tt_wbuf *w, const char *src, size_t len, bool keep_space)
{
	uint8_t *d = tt_wbuf_reserve(w, 4 * len + 1);

	if (!d)
		return;
	w->len += fmt_field((char *)d, src, len, keep_space);
}

char *tt_fmt_name(char *dst, const char *comm)
{
	tt_fmt_field(dst, comm, strnlen(comm, 16));
	return dst;
}

size_t tt_fmt_u64(char *d, uint64_t v)
{
	char tmp[20];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (size_t i = 0; i < n; i++)
		d[i] = tmp[n - 1 - i];
	return n;
}
