/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_PROTO_HTTP_INT_H
#define TLSTAP_PROTO_HTTP_INT_H

/* Between the HTTP dispatcher (http.c) and the two decoders. */

#include "proto/http.h"

/* The request or response side of an exchange as a decoder collects it. */
#define TT_HTTP_PATH_MAX 4096
#define TT_HTTP_AUTH_MAX 256
#define TT_HTTP_METHOD_MAX 32
#define TT_HTTP_GRPC_MSG_MAX 512

/* A bounded copy of a header value. */
struct tt_field {
	uint16_t len;
	bool set;
	bool cut; /* longer than the buffer */
};

struct tt_xreq {
	int64_t start_ns, end_ns;
	uint32_t tid;
	char comm[17];
	uint8_t attribution;
	bool seen;     /* its head was decoded */
	bool complete; /* its end was decoded */
	bool ended;    /* no more of it will come (reset), without a loss */
	uint64_t body;
	uint32_t partial;
	struct tt_field method, authority, path;
	char method_buf[TT_HTTP_METHOD_MAX];
	char authority_buf[TT_HTTP_AUTH_MAX];
	char path_buf[TT_HTTP_PATH_MAX];
	bool grpc;    /* content-type application/grpc */
	int64_t clen; /* content-length, -1 none (h2: the size when bytes were lost) */
};

struct tt_xresp {
	int64_t start_ns, end_ns;
	bool seen, complete;
	bool ended; /* reset: no more comes, nothing was lost */
	int status;
	int grpc_status;
	uint64_t body;
	int64_t clen;
	uint32_t partial;
	struct tt_field grpc_message;
	char grpc_message_buf[TT_HTTP_GRPC_MSG_MAX];
};

void tt_field_set(struct tt_field *f, char *buf, size_t cap, const void *p, size_t n);
void tt_field_append(struct tt_field *f, char *buf, size_t cap, const void *p, size_t n);

void tt_xreq_begin(struct tt_xreq *r, const struct tt_chunk *ch);

/* Report one exchange (either side may be absent: NULL). */
void tt_http_emit(struct tt_http *h, const struct tt_conn *c, uint8_t proto, uint32_t stream_id,
		  const struct tt_xreq *rq, const struct tt_xresp *rs);

/* Per-connection decoder state behind tt_conn.slot[TT_SLOT_HTTP]. */
struct tt_h1;
struct tt_h2;

struct tt_http_conn {
	uint8_t proto;	      /* enum tt_http_proto; NONE while undecided */
	bool gave_up;	      /* not HTTP: nothing more is looked at */
	uint8_t sniff_len[2]; /* bytes of sniff[] per direction */
	uint8_t sniff[2][24]; /* the first bytes, until the protocol is known */
	uint64_t sniff_off[2];
	bool skipped[2]; /* unrecognised bytes were skipped in a direction */
	struct tt_h1 *h1;
	struct tt_h2 *h2;
};

/* HTTP/1.x (http1.c). */
/* skipped[di]: bytes of that direction were skipped before the decoder
 * started (attached mid-connection). */
struct tt_h1 *tt_h1_new(const bool skipped[2]);
void tt_h1_free(struct tt_h1 *p);
void tt_h1_data(struct tt_http *h, struct tt_conn *c, struct tt_h1 *p, const struct tt_chunk *ch,
		unsigned dir, const uint8_t *d, uint32_t n);
void tt_h1_gap(struct tt_http *h, struct tt_conn *c, struct tt_h1 *p, unsigned dir, uint64_t len,
	       enum tt_gap_why why, int64_t t);
void tt_h1_end(struct tt_http *h, struct tt_conn *c, struct tt_h1 *p, enum tt_end_reason why,
	       int64_t t);
/* Does this look like the start of an HTTP/1.x request or status line?
 * 1 yes, 0 no, -1 cannot tell yet (too short). */
int tt_h1_sniff(const uint8_t *p, size_t n);

/* HTTP/2 (http2.c). */
struct tt_h2 *tt_h2_new(const bool skipped[2]);
void tt_h2_free(struct tt_h2 *p);
void tt_h2_data(struct tt_http *h, struct tt_conn *c, struct tt_h2 *p, const struct tt_chunk *ch,
		unsigned dir, const uint8_t *d, uint32_t n);
void tt_h2_gap(struct tt_http *h, struct tt_conn *c, struct tt_h2 *p, unsigned dir, uint64_t len,
	       enum tt_gap_why why, int64_t t);
void tt_h2_end(struct tt_http *h, struct tt_conn *c, struct tt_h2 *p, int64_t t);
/* The client preface (24 bytes) or a plausible chain of frames?
 * 1 yes, 0 no, -1 cannot tell yet. */
int tt_h2_sniff(const uint8_t *p, size_t n);

#define TT_H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define TT_H2_PREFACE_LEN 24

#endif
