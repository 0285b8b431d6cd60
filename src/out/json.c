// SPDX-License-Identifier: MIT
#include <string.h>

#include "out/json.h"
#include "out/wbuf.h"

void tt_json_init(struct tt_json *j, FILE *f)
{
	j->f = f;
	j->depth = 0;
	j->first[0] = true;
	j->after_key = false;
}

/* Separator before a value or key at the current depth. */
static void sep(struct tt_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->f);
	j->first[j->depth] = false;
}

static void open(struct tt_json *j, char c)
{
	sep(j);
	fputc(c, j->f);
	if (j->depth + 1 < TT_JSON_MAX_DEPTH)
		j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct tt_json *j, char c)
{
	fputc(c, j->f);
	if (j->depth > 0)
		j->depth--;
}

void tt_json_object_begin(struct tt_json *j) { open(j, '{'); }
void tt_json_object_end(struct tt_json *j) { close_(j, '}'); }
void tt_json_array_begin(struct tt_json *j) { open(j, '['); }
void tt_json_array_end(struct tt_json *j) { close_(j, ']'); }

static void put_escaped(FILE *f, const unsigned char *s, size_t len)
{
	fputc('"', f);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = s[i];
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\r': fputs("\\r", f); break;
		case '\t': fputs("\\t", f); break;
		default:
			if (c < 0x20 || c >= 0x7f)
				fprintf(f, "\\u%04x", c);
			else
				fputc(c, f);
		}
	}
	fputc('"', f);
}

void tt_json_key(struct tt_json *j, const char *key)
{
	sep(j);
	put_escaped(j->f, (const unsigned char *)key, __builtin_strlen(key));
	fputc(':', j->f);
	j->after_key = true;
}

void tt_json_string(struct tt_json *j, const char *s)
{
	if (!s) {
		tt_json_null(j);
		return;
	}
	sep(j);
	put_escaped(j->f, (const unsigned char *)s, __builtin_strlen(s));
}

void tt_json_int(struct tt_json *j, int64_t v)
{
	sep(j);
	fprintf(j->f, "%lld", (long long)v);
}

void tt_json_uint(struct tt_json *j, uint64_t v)
{
	sep(j);
	fprintf(j->f, "%llu", (unsigned long long)v);
}

void tt_json_double(struct tt_json *j, double v, int decimals)
{
	sep(j);
	/* JSON has no NaN or infinity. */
	if (v != v || v > 1e300 || v < -1e300)
		fputs("null", j->f);
	else
		fprintf(j->f, "%.*f", decimals, v);
}

void tt_json_bool(struct tt_json *j, bool v)
{
	sep(j);
	fputs(v ? "true" : "false", j->f);
}

void tt_json_null(struct tt_json *j)
{
	sep(j);
	fputs("null", j->f);
}

void tt_json_kv_string(struct tt_json *j, const char *key, const char *v)
{
	tt_json_key(j, key);
	tt_json_string(j, v);
}

void tt_json_kv_int(struct tt_json *j, const char *key, int64_t v)
{
	tt_json_key(j, key);
	tt_json_int(j, v);
}

void tt_json_kv_uint(struct tt_json *j, const char *key, uint64_t v)
{
	tt_json_key(j, key);
	tt_json_uint(j, v);
}

void tt_json_kv_bool(struct tt_json *j, const char *key, bool v)
{
	tt_json_key(j, key);
	tt_json_bool(j, v);
}

void tt_json_newline(struct tt_json *j)
{
	fputc('\n', j->f);
	j->first[0] = true;
}

/* --- straight into a write buffer ---------------------------------------- */

/* Bytes that go out as they are in a JSON string: printable ASCII but the
 * quote and the backslash. */
static const uint8_t json_plain[256] = {
	[0x20 ... 0x21] = 1, /* '"' is 0x22 */
	[0x23 ... 0x5b] = 1, /* '\\' is 0x5c */
	[0x5d ... 0x7e] = 1,
};

void tt_jsonb_string(struct tt_wbuf *w, const void *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const uint8_t *p = s;
	/* Worst case: every byte \u00XX. */
	uint8_t *d = tt_wbuf_reserve(w, len * 6 + 2);
	size_t n = 0;

	if (!d)
		return;
	d[n++] = '"';
	for (size_t i = 0; i < len; i++) {
		uint8_t c = p[i];

		if (json_plain[c]) {
			d[n++] = c;
			continue;
		}
		d[n++] = '\\';
		switch (c) {
		case '"': d[n++] = '"'; break;
		case '\\': d[n++] = '\\'; break;
		case '\n': d[n++] = 'n'; break;
		case '\r': d[n++] = 'r'; break;
		case '\t': d[n++] = 't'; break;
		default:
			memcpy(d + n, "u00", 3);
			d[n + 3] = (uint8_t)hex[c >> 4];
			d[n + 4] = (uint8_t)hex[c & 15];
			n += 5;
		}
	}
	d[n++] = '"';
	tt_wbuf_commit(w, n);
}

void tt_jsonb_base64(struct tt_wbuf *w, const void *data, size_t len)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const uint8_t *p = data;
	uint8_t *d = tt_wbuf_reserve(w, (len + 2) / 3 * 4 + 2);
	size_t i = 0, n = 0;

	if (!d)
		return;
	d[n++] = '"';
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];

		d[n] = (uint8_t)b64[v >> 18];
		d[n + 1] = (uint8_t)b64[(v >> 12) & 63];
		d[n + 2] = (uint8_t)b64[(v >> 6) & 63];
		d[n + 3] = (uint8_t)b64[v & 63];
		n += 4;
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0);

		d[n++] = (uint8_t)b64[v >> 18];
		d[n++] = (uint8_t)b64[(v >> 12) & 63];
		d[n++] = i + 1 < len ? (uint8_t)b64[(v >> 6) & 63] : '=';
		d[n++] = '=';
	}
	d[n++] = '"';
	tt_wbuf_commit(w, n);
}
