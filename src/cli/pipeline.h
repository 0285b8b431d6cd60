/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_CLI_PIPELINE_H
#define TLSTAP_CLI_PIPELINE_H

/*
 * Everything after an event source: chunks, connection ends and process
 * exits go to the raw writer, or through the streams stage and the HTTP
 * decoders to the exchange writer and the endpoint summary; with a pcapng
 * output (-w) the streams also go to the pcapng writer, next to any of
 * those.  `trace` (live) and `replay` (NDJSON) drive the same object.
 *
 * Driven from ONE thread.  Per chunk it allocates nothing in the steady
 * state (a connection's state is allocated when it opens), and it never
 * blocks on anything but the output: an event the source hands over is
 * never dropped here (a connection evicted by the LRU cap ends early and is
 * counted).  Call tt_pipeline_tick() now and then (say every 100 ms) so that
 * idle connections end and periodic summaries come out when no event does.
 */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "out/exchange.h"
#include "out/pcapng.h"
#include "out/raw.h"
#include "out/summary.h"
#include "out/wbuf.h"
#include "proto/http.h"
#include "stream/stream.h"
#include "tlstap/error.h"
#include "trace/chunk.h"
#include "trace/listen.h"

struct tt_pipeline_opts {
	enum tt_raw_format format; /* text or NDJSON, for every view */
	bool http;		   /* exchanges instead of raw events */
	bool summary;		   /* the endpoint table at the end */
	unsigned summary_every_s;  /* ... and every N seconds (0: at the end only) */
	/* Live: a connection's role from the listening sockets of its netns
	 * (/proc/PID/net/tcp{,6}) until the protocol says. */
	bool role_from_proc;
	struct tt_stream_limits limits; /* zero fields: defaults */
	/* -w: TCP segments in pcapng written here; NULL: none.  The streams
	 * stage and the HTTP decoders (which tell a connection's role) then
	 * run whatever the other output is. */
	struct tt_wbuf *pcapng;
	/* The raw events, exchanges or summary are not written at all (-w -
	 * alone: stdout is the pcapng's). */
	bool no_out;
};

struct tt_pipeline {
	struct tt_pipeline_opts o;
	bool raw;     /* raw events written: neither --http nor --summary */
	bool streams; /* the streams stage runs */
	bool pcap;    /* the pcapng writer runs */
	struct tt_wbuf *out;
	struct tt_raw_writer raww;
	struct tt_exchange_writer xw;
	struct tt_streams st;
	struct tt_http http;
	struct tt_summary sum;
	struct tt_listen listen;
	struct tt_pcapng pcapng;
	int64_t now_ns, next_tick_ns, next_summary_ns;
	uint64_t chunks;
	uint64_t enomem; /* chunks the streams stage had no memory for */
};

/* "--summary" / "--summary=N": N seconds in 1..86400; 0 or -EINVAL. */
int tt_pipeline_parse_summary(const char *arg, unsigned *every_s);

/* out: where every view writes (the caller flushes and frees it; NULL with
 * no_out).  The pcapng header is written into o->pcapng here. */
int tt_pipeline_init(struct tt_pipeline *p, const struct tt_pipeline_opts *o, struct tt_wbuf *out,
		     struct tt_error *err);
void tt_pipeline_chunk(struct tt_pipeline *p, const struct tt_chunk *c);
void tt_pipeline_conn_end(struct tt_pipeline *p, const struct tt_conn_end *e);
void tt_pipeline_proc_exit(struct tt_pipeline *p, uint32_t pid, int64_t time_ns);
/* Wall-clock now (ns; replay: the capture's time). */
void tt_pipeline_tick(struct tt_pipeline *p, int64_t now_ns);
/* The end of the capture: every connection ends (what is pending is
 * reported), the last summary is written. */
void tt_pipeline_finish(struct tt_pipeline *p, int64_t now_ns);
void tt_pipeline_free(struct tt_pipeline *p);
/* One line "prefix name=value ..." of the streams, HTTP and pcapng counters
 * (nothing when the streams stage does not run). */
void tt_pipeline_print_counters(const struct tt_pipeline *p, FILE *f, const char *prefix);

#endif
