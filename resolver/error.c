// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlstap/error.h"

int tt_error_set(struct tt_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	/* Callers pass errno, which a library may leave at 0 on failure: a
	 * failure must never read as success. */
	if (errnum > 0)
		return -errnum;
	return errnum < 0 ? errnum : -EIO;
}

/*
 * Length of the well-formed UTF-8 sequence at s (n bytes left) that is
 * neither a C1 control, a bidirectional control, an overlong form nor a
 * surrogate; 0 when none.
 */
static size_t utf8_safe_len(const unsigned char *s, size_t n)
{
	unsigned char b = s[0];
	size_t want;
	unsigned char lo = 0x80, hi = 0xbf; /* bounds of the second byte */

	if (b >= 0xc2 && b <= 0xdf) {
		want = 2;
		if (b == 0xc2)
			lo = 0xa0; /* U+0080-U+009F: C1 controls */
	} else if (b >= 0xe0 && b <= 0xef) {
		want = 3;
		if (b == 0xe0)
			lo = 0xa0; /* overlong */
		else if (b == 0xed)
			hi = 0x9f; /* surrogates */
	} else if (b >= 0xf0 && b <= 0xf4) {
		want = 4;
		if (b == 0xf0)
			lo = 0x90; /* overlong */
		else if (b == 0xf4)
			hi = 0x8f; /* beyond U+10FFFF */
	} else {
		return 0;
	}
	if (n < want || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < want; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	/* Bidirectional embeddings, overrides and isolates (U+202A-U+202E,
	 * U+2066-U+2069) reorder what follows on screen. */
	if (want == 3 && b == 0xe2 &&
	    ((s[1] == 0x80 && s[2] >= 0xaa && s[2] <= 0xae) ||
	     (s[1] == 0x81 && s[2] >= 0xa6 && s[2] <= 0xa9)))
		return 0;
	return want;
}

size_t tt_text_safe(char *dst, size_t cap, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)src;
	size_t n = 0, i = 0;

	while (i < len) {
		unsigned char b = s[i];
		size_t run = 1;

		if (b >= 0x80)
			run = utf8_safe_len(s + i, len - i);
		else if ((b >= 0x20 && b != 0x7f) || b == '\n' || b == '\t')
			run = 1;
		else
			run = 0;
		if (run) {
			if (n + run >= cap)
				break;
			memcpy(dst + n, s + i, run);
			n += run;
			i += run;
			continue;
		}
		if (n + 4 >= cap)
			break;
		dst[n++] = '\\';
		dst[n++] = 'x';
		dst[n++] = hex[b >> 4];
		dst[n++] = hex[b & 15];
		i++;
	}
	dst[n] = '\0';
	return n;
}

int tt_text_safe_write(FILE *out, const char *s, size_t len)
{
	/* At worst every byte becomes four. */
	char *safe = malloc(4 * len + 1);

	if (!safe)
		return -ENOMEM;
	fwrite(safe, 1, tt_text_safe(safe, 4 * len + 1, s, len), out);
	free(safe);
	return 0;
}

void tt_diag(const char *fmt, ...)
{
	char *msg;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (len < 0) {
		fputs("tlstap: out of memory\n", stderr);
		return; /* msg is undefined after a failure */
	}
	if (tt_text_safe_write(stderr, msg, (size_t)len))
		fputs("tlstap: out of memory\n", stderr);
	free(msg);
}
