/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_PROTO_HTTP2_INT_H
#define TLSTAP_PROTO_HTTP2_INT_H

/* Between the HTTP/2 frame parser (http2.c) and its streams and header
 * blocks (http2_streams.c). */

#include <stdbool.h>
#include <stdint.h>

#include "proto/hpack.h"
#include "proto/http_int.h"

#define FRAME_HDR 9
#define BLOCK_MAX (64u * 1024) /* largest header block decoded */
#define STREAMS_MAX 512	       /* streams followed at once per connection */
#define DEFAULT_MAX_FRAME 16384

enum {
	F_DATA = 0,
	F_HEADERS = 1,
	F_PRIORITY = 2,
	F_RST_STREAM = 3,
	F_SETTINGS = 4,
	F_PUSH_PROMISE = 5,
	F_PING = 6,
	F_GOAWAY = 7,
	F_WINDOW_UPDATE = 8,
	F_CONTINUATION = 9,
};

#define FL_END_STREAM 0x1
#define FL_ACK 0x1
#define FL_END_HEADERS 0x4
#define FL_PADDED 0x8
#define FL_PRIORITY 0x20

struct h2_stream {
	uint32_t id;
	bool have_req, have_resp;
	bool body_wait;	 /* answered (and maybe reset by the server) before
			    its request ended: the request's last DATA may
			    still be on its way */
	bool req_wait;	 /* answered, its request not seen yet: a TLS call's
			    event comes at its return, so a request Write may
			    come after the Read of its answer */
	struct tt_xreq rq;
	struct tt_xresp rs;
};

struct h2_dir {
	uint8_t hdr[FRAME_HDR];
	uint8_t hdr_len;
	bool in_frame;	 /* reading a payload */
	bool synced;	 /* at a known frame boundary */
	bool lost_sync;	 /* since the last gap: wait for a call that starts frames */
	uint8_t preface; /* bytes of the client preface still expected */
	uint8_t type, flags;
	uint32_t sid, len, left; /* frame length and payload bytes still to come */
	uint32_t pad;		 /* DATA: padding at the end of the payload */
	bool pad_read;		 /* DATA: its pad length byte was read */
	uint32_t max_frame;	 /* what the other side allows */
	/* payload of a non-DATA frame */
	uint8_t *buf;
	uint32_t buf_len, buf_cap;
	/* a header block in progress (HEADERS/PUSH_PROMISE + CONTINUATION) */
	uint8_t *block;
	uint32_t block_len;
	bool in_block, block_broken, block_end_stream;
	uint8_t block_type;
	uint32_t block_sid, promised;
	struct tt_hpack hp;
	bool hp_unknown; /* the table may hold entries never seen */
	bool mid;	 /* what starts now was not seen from its start */
	bool seen;	 /* bytes of this direction came */
	uint32_t lost;	 /* TT_PARTIAL_* of a hole, for streams it touched */
	const struct tt_chunk *ch;
};

struct tt_h2 {
	struct h2_dir d[2];
	int client_di;	    /* -1 unknown */
	uint32_t max_id[2]; /* highest stream id seen, even [0] and odd [1] */
	struct h2_stream *st;
	uint32_t n_st, cap_st;
	struct tt_http *h;
	struct tt_conn *c;
};

/* Streams (http2_streams.c). */
struct h2_stream *tt_h2_stream_find(struct tt_h2 *s, uint32_t id);
/* The stream with this id, opened if it is new (NULL: closed, or no room). */
struct h2_stream *tt_h2_stream_get(struct tt_h2 *s, uint32_t id, const struct tt_chunk *ch);
/* Report it and forget it. */
void tt_h2_stream_emit(struct tt_h2 *s, struct h2_stream *x);
void tt_h2_xresp_init(struct tt_xresp *rs, int64_t t);
void tt_h2_set_client(struct tt_h2 *s, int di);
void tt_h2_side_done(struct tt_h2 *s, struct h2_stream *x, bool req, int64_t t);
/* Header blocks: bytes of one, and its end (decode, apply). */
void tt_h2_block_add(struct h2_dir *d, const uint8_t *p, uint32_t n);
void tt_h2_end_block(struct tt_h2 *s, unsigned di);

#endif
