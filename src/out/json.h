/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_JSON_H
#define TLSTAP_JSON_H

/* A small streaming JSON writer: compact output, commas handled for you. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define TT_JSON_MAX_DEPTH 32

struct tt_json {
	FILE *f;
	int depth;
	bool first[TT_JSON_MAX_DEPTH]; /* no element written yet at this depth */
	bool after_key;
};

void tt_json_init(struct tt_json *j, FILE *f);
void tt_json_object_begin(struct tt_json *j);
void tt_json_object_end(struct tt_json *j);
void tt_json_array_begin(struct tt_json *j);
void tt_json_array_end(struct tt_json *j);
void tt_json_key(struct tt_json *j, const char *key);
void tt_json_string(struct tt_json *j, const char *s);
void tt_json_int(struct tt_json *j, int64_t v);
void tt_json_uint(struct tt_json *j, uint64_t v);
/* A number with that many decimals (null for NaN and infinities). */
void tt_json_double(struct tt_json *j, double v, int decimals);
void tt_json_bool(struct tt_json *j, bool v);
void tt_json_null(struct tt_json *j);

/* Convenience: key + value. */
void tt_json_kv_string(struct tt_json *j, const char *key, const char *v);
void tt_json_kv_int(struct tt_json *j, const char *key, int64_t v);
void tt_json_kv_uint(struct tt_json *j, const char *key, uint64_t v);
void tt_json_kv_bool(struct tt_json *j, const char *key, bool v);
/* Ends the current top-level value with a newline (NDJSON). */
void tt_json_newline(struct tt_json *j);

/*
 * The fast path for writers of many small objects (NDJSON events, HTTP
 * exchanges): values appended straight to a write buffer.  The caller
 * writes the punctuation.
 */
struct tt_wbuf;
/* A JSON string of len bytes: UTF-8 is not assumed, bytes >= 0x80 and
 * control characters become \u00XX. */
void tt_jsonb_string(struct tt_wbuf *w, const void *s, size_t len);
/* A JSON string holding the base64 of len bytes. */
void tt_jsonb_base64(struct tt_wbuf *w, const void *data, size_t len);

#endif
