/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_NDJSON_H
#define TLSTAP_TRACE_NDJSON_H

/*
 * The replay event source: reads a capture written by `tlstap trace -f json`
 * (docs/ndjson.md) and gives back the chunks, connection ends and process
 * exits the live source gave.
 *
 * A purpose-built parser rather than a JSON library: the schema is flat
 * (one object per line, scalar values), and a replay must keep up with
 * hundreds of MB/s of captured plaintext; the library parsers build a tree
 * and allocate per value, this one parses a line in place, decodes base64
 * straight into one buffer, and checks every value against the schema.
 * Malformed input ends the replay with "LINE: why", never a crash (a fuzz
 * harness, tests/fuzz/fuzz_ndjson.c, holds it to that).
 */

#include <stddef.h>
#include <stdint.h>

#include "tlstap/error.h"
#include "trace/chunk.h"

#define TT_NDJSON_LINE_MAX (64u << 20)

enum tt_ndjson_kind {
	TT_ND_CHUNK = 1,
	TT_ND_CONN_END,
	TT_ND_EXIT,
};

struct tt_ndjson_event {
	enum tt_ndjson_kind kind;
	struct tt_chunk chunk;	/* TT_ND_CHUNK: data and origin point into the reader */
	struct tt_conn_end end; /* TT_ND_CONN_END */
	uint32_t pid;		/* TT_ND_EXIT */
	int64_t time_ns;	/* TT_ND_EXIT */
};

struct tt_ndjson_reader {
	int fd;
	uint8_t *buf;
	size_t cap, len, pos;
	int eof;
	uint64_t line;
	uint8_t *data; /* decoded plaintext of the last chunk */
	size_t data_cap;
	char *strs; /* unescaped strings of the last line */
	size_t strs_cap, strs_len;
	uint64_t bytes; /* read from fd */
};

/* path "-" is stdin.  0 or -errno. */
int tt_ndjson_open(struct tt_ndjson_reader *r, const char *path, struct tt_error *err);
void tt_ndjson_close(struct tt_ndjson_reader *r);
/* 1: an event, 0: end of input, <0: error ("LINE N: why" in err). */
int tt_ndjson_next(struct tt_ndjson_reader *r, struct tt_ndjson_event *ev, struct tt_error *err);
/* Parse one line (without its newline) on its own; what _next does. */
int tt_ndjson_parse(struct tt_ndjson_reader *r, const char *line, size_t n,
		    struct tt_ndjson_event *ev, struct tt_error *err);

#endif
