/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_OUT_EXCHANGE_H
#define TLSTAP_OUT_EXCHANGE_H

/*
 * The HTTP exchange writer (`--http`): one line per exchange as text, or one
 * NDJSON object per exchange (docs/ndjson.md, "HTTP exchanges").
 */

#include "out/raw.h"
#include "out/wbuf.h"
#include "proto/http.h"

struct tt_exchange_writer {
	enum tt_raw_format format;
	struct tt_wbuf *out;
	int64_t text_sec; /* the last second formatted as text, local time */
	char text_hms[16];
};

void tt_exchange_writer_init(struct tt_exchange_writer *w, enum tt_raw_format format,
			     struct tt_wbuf *out);
void tt_exchange_write(struct tt_exchange_writer *w, const struct tt_exchange *x);

/* "hpack,gap" style list of partial reasons into the wbuf, as JSON array
 * (json) or comma-separated (text). */
void tt_partial_write(struct tt_wbuf *o, uint32_t partial, bool json);
/* A duration: "12.3us", "4.567ms", "1.234s", right-aligned in width. */
void tt_fmt_duration(struct tt_wbuf *o, int64_t ns, int width);
/* "HH:MM:SS.uuuuuu" local time of a wall-clock ns, cached per second. */
void tt_fmt_clock(struct tt_wbuf *o, int64_t ns, int64_t *sec, char hms[16]);

#endif
