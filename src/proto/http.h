/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_PROTO_HTTP_H
#define TLSTAP_PROTO_HTTP_H

/*
 * HTTP decoders on the streams stage: HTTP/1.1 (llhttp) and HTTP/2 (our
 * frame parser, nghttp2's HPACK inflater) with gRPC.  Each connection's
 * protocol is found from its first bytes; each request is paired with its
 * response and reported as one exchange.
 *
 * Like Wireshark's dissectors: partial data is decoded as far as it goes,
 * nothing is invented, and what is unknown is said so.  A field that could
 * not be known is null (never a guess) and the exchange says why in
 * partial (TT_PARTIAL_*).
 */

#include <stdbool.h>
#include <stdint.h>

#include "stream/stream.h"

enum tt_http_proto {
	TT_PROTO_NONE = 0,
	TT_PROTO_HTTP1, /* "http/1.1" (HTTP/1.0 too) */
	TT_PROTO_H2,	/* "h2" */
};

/* Why an exchange is incomplete, one list: X(ENUM, bit, "name"). */
#define TT_PARTIALS(X)                                                                             \
	X(HPACK, 0, "hpack")	       /* a header referred to an HPACK entry never seen */        \
	X(GAP, 1, "gap")	       /* bytes of it were lost (ring buffer, hole) */             \
	X(TRUNCATED, 2, "truncated")   /* bytes of it were cut at --max-bytes */                   \
	X(MID_STREAM, 3, "mid-stream") /* its start came before tlstap saw the connection,         \
					  or it was found by resynchronising */                    \
	X(UNFINISHED, 4, "unfinished") /* a side of it had not ended when it did: the stream was   \
					  reset, or the server answered before the request's end;  \
					  its byte count is what came until then */

#define TT_PARTIAL_ENUM(e, b, n) TT_PARTIAL_##e = 1u << (b),
enum { TT_PARTIALS(TT_PARTIAL_ENUM) };
#undef TT_PARTIAL_ENUM

/* A string that may be absent (p == NULL: null). */
struct tt_strv {
	const char *p;
	uint32_t len;
};

struct tt_exchange {
	const struct tt_conn *conn; /* pid, lib, tuple, origin, role */
	int64_t time_ns;	    /* request start; of the response if no request */
	uint32_t tid;		    /* thread of the request's first call */
	char comm[17];
	uint8_t attribution; /* of the request's first call */
	uint8_t proto;	     /* enum tt_http_proto */
	uint8_t role;	     /* enum tt_role */
	bool grpc;
	struct tt_strv method, authority, path;
	bool has_response; /* a response was seen (its status may be unknown) */
	int status;	   /* -1: none, or not known */
	int grpc_status;   /* -1: none */
	struct tt_strv grpc_message;
	int64_t latency_ns;		/* request start to response end; -1 unknown */
	uint64_t req_bytes, resp_bytes; /* bodies */
	uint32_t partial;		/* TT_PARTIAL_* */
	uint32_t stream_id;		/* h2 */
};

/* "pkg.Service" and "Method" of a gRPC path "/pkg.Service/Method"; false
 * if the path has another shape. */
bool tt_grpc_split(struct tt_strv path, struct tt_strv *service, struct tt_strv *method);

#define TT_HTTP_COUNTERS(X)                                                                        \
	X(EXCHANGES, "http_exchanges")                                                             \
	X(H1_CONNS, "http1_conns")                                                                 \
	X(H2_CONNS, "h2_conns")                                                                    \
	X(OTHER_CONNS, "http_other_conns")	 /* neither HTTP/1.x nor h2 */                     \
	X(RESYNCS, "http_resyncs")		 /* found a message start by scanning */           \
	X(PARSE_ERRORS, "http_parse_errors")	 /* llhttp / frame errors */                       \
	X(NO_RESPONSE, "http_no_response")	 /* requests that got no response */               \
	X(NO_REQUEST, "http_no_request")	 /* responses without a known request */           \
	X(UPGRADES, "http_upgrades")		 /* 101 / CONNECT: parsing stopped */              \
	X(HPACK_UNKNOWN, "hpack_unknown_fields") /* fields that referred to unseen entries */      \
	X(HPACK_RESETS, "hpack_resets")		 /* inflaters started over */                      \
	X(DROPPED, "http_dropped")		 /* requests or streams over the caps */

#define TT_HTTP_ENUM(e, n) TT_HC_##e,
enum tt_http_counter { TT_HTTP_COUNTERS(TT_HTTP_ENUM) TT_HC_COUNT };
#undef TT_HTTP_ENUM
const char *tt_http_counter_name(enum tt_http_counter c);

typedef void (*tt_exchange_fn)(void *ctx, const struct tt_exchange *x);

struct tt_http {
	tt_exchange_fn emit;
	void *ctx;
	uint64_t counters[TT_HC_COUNT];
};

void tt_http_init(struct tt_http *h, tt_exchange_fn emit, void *ctx);

/* The streams stage's events for a connection, in order. */
void tt_http_data(struct tt_http *h, struct tt_conn *c, const struct tt_chunk *ch, uint64_t off,
		  const uint8_t *p, uint32_t n);
void tt_http_gap(struct tt_http *h, struct tt_conn *c, unsigned dir, uint64_t len,
		 enum tt_gap_why why, int64_t time_ns);
/* Reports what is pending and frees the connection's decoder. */
void tt_http_end(struct tt_http *h, struct tt_conn *c, enum tt_end_reason why, int64_t time_ns);

#endif
