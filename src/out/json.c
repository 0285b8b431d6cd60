// SPDX-License-Identifier: MIT
#include "out/json.h"

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

void tt_json_string_bytes(struct tt_json *j, const void *s, size_t len)
{
	sep(j);
	put_escaped(j->f, s, len);
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

void tt_json_base64(struct tt_json *j, const void *data, size_t len)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = data;
	size_t i;

	sep(j);
	fputc('"', j->f);
	for (i = 0; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		fputc(tbl[v >> 18], j->f);
		fputc(tbl[(v >> 12) & 63], j->f);
		fputc(tbl[(v >> 6) & 63], j->f);
		fputc(tbl[v & 63], j->f);
	}
	if (i < len) {
		uint32_t v = (uint32_t)p[i] << 16;
		if (i + 1 < len)
			v |= (uint32_t)p[i + 1] << 8;
		fputc(tbl[v >> 18], j->f);
		fputc(tbl[(v >> 12) & 63], j->f);
		fputc(i + 1 < len ? tbl[(v >> 6) & 63] : '=', j->f);
		fputc('=', j->f);
	}
	fputc('"', j->f);
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
