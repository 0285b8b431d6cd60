/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_OUT_RAW_H
#define TLSTAP_OUT_RAW_H

/*
 * The raw event writers: one entry per chunk, as text for people (a header
 * line, then the plaintext with non-printable bytes escaped) or as NDJSON
 * (docs/ndjson.md).
 */

#include <stddef.h>

#include "out/wbuf.h"
#include "trace/chunk.h"

enum tt_raw_format {
	TT_RAW_TEXT = 0,
	TT_RAW_JSON,
};

struct tt_raw_writer {
	enum tt_raw_format format;
	struct tt_wbuf *out;
	/* Text: the "HH:MM:SS" of the last second printed, local time. */
	int64_t text_sec;
	char text_hms[16];
};

void tt_raw_init(struct tt_raw_writer *w, enum tt_raw_format format, struct tt_wbuf *out);
void tt_raw_chunk(struct tt_raw_writer *w, const struct tt_chunk *c);
/* A TCP connection of a process closed; a process exited (NDJSON: objects
 * with an "event" key, docs/ndjson.md). */
void tt_raw_conn_end(struct tt_raw_writer *w, const struct tt_conn_end *e);
void tt_raw_proc_exit(struct tt_raw_writer *w, uint32_t pid, int64_t time_ns);

/* "1.2.3.4" / "::1" into buf (INET6_ADDRSTRLEN); "" for no tuple. */
void tt_format_addr(const struct tt_tuple *t, int remote, char *buf, size_t len);

#endif
