/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_OUT_SUMMARY_H
#define TLSTAP_OUT_SUMMARY_H

/*
 * `--summary`: an endpoint table, per process, role, server address and
 * port, method and path (without its query string): count, errors (HTTP
 * status >= 500, gRPC status != 0), exchanges without a response, and
 * p50/p99 latency.  Percentiles are nearest-rank: exact while an endpoint
 * has at most TT_SUMMARY_EXACT latencies, then from a log-linear histogram
 * (32 buckets per power of two: within 1.6%).  Counts are cumulative since
 * the start.
 */

#include <stdbool.h>
#include <stdint.h>

#include "out/raw.h"
#include "out/wbuf.h"
#include "proto/http.h"

#define TT_SUMMARY_EXACT 256
#define TT_SUMMARY_MAX_ENDPOINTS 10000

struct tt_endpoint;

struct tt_summary {
	struct tt_endpoint **buckets;
	size_t n_buckets, n;
	uint64_t overflow; /* exchanges of endpoints past the cap, not in the table */
};

int tt_summary_init(struct tt_summary *s);
void tt_summary_free(struct tt_summary *s);
void tt_summary_add(struct tt_summary *s, const struct tt_exchange *x);
/* The table at time now_ns: text (aligned columns) or one JSON object line. */
void tt_summary_write(const struct tt_summary *s, struct tt_wbuf *o, enum tt_raw_format format,
		      int64_t now_ns);

/* Nearest-rank percentile (0 < p <= 1) of n sorted values. */
uint64_t tt_percentile_sorted(const uint64_t *v, size_t n, double p);

#endif
