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
/* Bytes as a JSON string: UTF-8 is not assumed, bytes >= 0x80 become \u00XX. */
void tt_json_string_bytes(struct tt_json *j, const void *s, size_t len);
void tt_json_int(struct tt_json *j, int64_t v);
void tt_json_uint(struct tt_json *j, uint64_t v);
void tt_json_bool(struct tt_json *j, bool v);
void tt_json_null(struct tt_json *j);
/* Base64 of raw bytes, as a JSON string. */
void tt_json_base64(struct tt_json *j, const void *data, size_t len);

/* Convenience: key + value. */
void tt_json_kv_string(struct tt_json *j, const char *key, const char *v);
void tt_json_kv_int(struct tt_json *j, const char *key, int64_t v);
void tt_json_kv_uint(struct tt_json *j, const char *key, uint64_t v);
void tt_json_kv_bool(struct tt_json *j, const char *key, bool v);
/* Ends the current top-level value with a newline (NDJSON). */
void tt_json_newline(struct tt_json *j);

#endif
