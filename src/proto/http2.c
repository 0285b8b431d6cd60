// SPDX-License-Identifier: MIT
/*
 * HTTP/2 exchanges (RFC 9113): our own frame parser, nghttp2's HPACK
 * inflater per direction (proto/hpack.c), gRPC from content-type and
 * trailers.
 *
 * Frames: HEADERS + CONTINUATION (padding, priority), PUSH_PROMISE, DATA
 * (padding), RST_STREAM, GOAWAY, SETTINGS (header table size, max frame
 * size); others are stepped over.  A hole inside a DATA payload is stepped
 * over with the sizes from the frame header; any other hole loses the frame
 * boundary and this direction's HPACK table: the parser then waits for a
 * TLS call whose bytes start a plausible chain of frames, with a fresh
 * table (entries from before are unknown, proto/hpack.h).
 */
#include <stdlib.h>
#include <string.h>

#include "proto/hpack.h"
#include "proto/http_int.h"

#define FRAME_HDR 9
#define BLOCK_MAX (64u * 1024) /* largest header block decoded */
#define STREAMS_MAX 512        /* streams followed at once per connection */
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
	bool reset_wait; /* answered and reset by the server; the request's
			    last DATA may still be on its way */
	bool req_wait;   /* answered, its request not seen yet: a TLS call's
			    event comes at its return, so a request Write may
			    come after the Read of its answer */
	struct tt_xreq rq;
	struct tt_xresp rs;
};

struct h2_dir {
	uint8_t hdr[FRAME_HDR];
	uint8_t hdr_len;
	bool in_frame;   /* reading a payload */
	bool synced;     /* at a known frame boundary */
	bool lost_sync;  /* since the last gap: wait for a call that starts frames */
	uint8_t preface; /* bytes of the client preface still expected */
	uint8_t type, flags;
	uint32_t sid, len, left; /* frame length and payload bytes still to come */
	uint32_t pad;            /* DATA: padding at the end of the payload */
	bool pad_read;           /* DATA: its pad length byte was read */
	uint32_t max_frame;      /* what the other side allows */
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
	bool hp_unknown;   /* the table may hold entries never seen */
	bool mid;          /* what starts now was not seen from its start */
	bool seen;         /* bytes of this direction came */
	uint32_t lost;     /* TT_PARTIAL_* of a hole, for streams it touched */
	const struct tt_chunk *ch;
};

struct tt_h2 {
	struct h2_dir d[2];
	int client_di; /* -1 unknown */
	uint32_t max_id[2]; /* highest stream id seen, even [0] and odd [1] */
	struct h2_stream *st;
	uint32_t n_st, cap_st;
	struct tt_http *h;
	struct tt_conn *c;
};

/* --- streams ------------------------------------------------------------- */

static struct h2_stream *stream_find(struct tt_h2 *s, uint32_t id)
{
	for (uint32_t i = 0; i < s->n_st; i++)
		if (s->st[i].id == id)
			return &s->st[i];
	return NULL;
}

static void stream_emit(struct tt_h2 *s, struct h2_stream *x)
{
	tt_http_emit(s->h, s->c, TT_PROTO_H2, x->id, x->have_req ? &x->rq : NULL,
		     x->have_resp ? &x->rs : NULL);
	*x = s->st[--s->n_st];
}

static void xresp_init(struct tt_xresp *rs, int64_t t)
{
	memset(rs, 0, offsetof(struct tt_xresp, grpc_message_buf));
	rs->status = -1;
	rs->grpc_status = -1;
	rs->clen = -1;
	rs->start_ns = rs->end_ns = t;
}

static struct h2_stream *stream_get(struct tt_h2 *s, uint32_t id, const struct tt_chunk *ch)
{
	struct h2_stream *x = stream_find(s, id);

	if (x || !id)
		return x;
	/* Stream ids only grow: a lower one not followed any more is closed
	 * (frames that come after the answer, like a body the server did not
	 * wait for). */
	if (id <= s->max_id[id & 1])
		return NULL;
	s->max_id[id & 1] = id;
	if (s->n_st == STREAMS_MAX) {
		s->h->counters[TT_HC_DROPPED]++;
		s->st[0].rq.partial |= TT_PARTIAL_GAP;
		stream_emit(s, &s->st[0]);
	}
	if (s->n_st == s->cap_st) {
		uint32_t cap = s->cap_st ? s->cap_st * 2 : 8;
		struct h2_stream *n = realloc(s->st, cap * sizeof(*n));

		if (!n)
			return NULL;
		s->st = n;
		s->cap_st = cap;
	}
	x = &s->st[s->n_st++];
	memset(x, 0, offsetof(struct h2_stream, rq));
	x->id = id;
	tt_xreq_begin(&x->rq, ch);
	xresp_init(&x->rs, ch->time_ns);
	return x;
}

/* --- header blocks ------------------------------------------------------- */

struct hdr_ctx {
	struct tt_h2 *s;
	struct h2_stream *x;
	bool is_req;
	bool have_method, have_status, have_auth;
	bool unknown;
	struct tt_xreq rq; /* fields, before we know which side it is */
	int status, grpc_status;
	int64_t clen;
	bool grpc;
	struct tt_field gmsg;
	char gmsg_buf[TT_HTTP_GRPC_MSG_MAX];
};

static bool name_is(const uint8_t *n, size_t len, const char *s)
{
	return len == strlen(s) && !memcmp(n, s, len);
}

static int parse_int(const uint8_t *v, size_t n, int max)
{
	int r = 0;

	if (!n || n > 9)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		r = r * 10 + (v[i] - '0');
	}
	return r <= max ? r : -1;
}

static void on_field(void *ctx, const uint8_t *n, size_t nl, const uint8_t *v, size_t vl)
{
	struct hdr_ctx *hc = ctx;
	struct tt_xreq *r = &hc->rq;

	if (!n) {
		hc->unknown = true;
		return;
	}
	if (name_is(n, nl, ":method")) {
		hc->have_method = true;
		tt_field_set(&r->method, r->method_buf, sizeof(r->method_buf), v, vl);
	} else if (name_is(n, nl, ":path")) {
		tt_field_set(&r->path, r->path_buf, sizeof(r->path_buf), v, vl);
	} else if (name_is(n, nl, ":authority") || (name_is(n, nl, "host") && !hc->have_auth)) {
		hc->have_auth = n[0] == ':';
		tt_field_set(&r->authority, r->authority_buf, sizeof(r->authority_buf), v, vl);
	} else if (name_is(n, nl, ":status")) {
		hc->have_status = true;
		hc->status = parse_int(v, vl, 999);
	} else if (name_is(n, nl, "content-type")) {
		hc->grpc = vl >= 16 && !memcmp(v, "application/grpc", 16) &&
			   (vl == 16 || v[16] == '+' || v[16] == ';');
	} else if (name_is(n, nl, "content-length")) {
		hc->clen = parse_int(v, vl, 1 << 30);
	} else if (name_is(n, nl, "grpc-status")) {
		hc->grpc_status = parse_int(v, vl, 1 << 30);
	} else if (name_is(n, nl, "grpc-message")) {
		tt_field_set(&hc->gmsg, hc->gmsg_buf, sizeof(hc->gmsg_buf), v, vl);
	}
}

static void copy_field(struct tt_field *dst, char *dbuf, const struct tt_field *src,
		       const char *sbuf)
{
	*dst = *src;
	memcpy(dbuf, sbuf, src->len);
}

/* A decoded request head (HEADERS from the client, or PUSH_PROMISE). */
static void apply_request(struct h2_stream *x, struct hdr_ctx *hc, const struct tt_chunk *ch,
			  uint32_t partial)
{
	struct tt_xreq *r = &x->rq;

	if (x->have_req) {
		if (hc->unknown)
			r->partial |= TT_PARTIAL_HPACK; /* trailers */
		return;
	}
	tt_xreq_begin(r, ch);
	r->seen = true;
	x->have_req = true;
	r->partial = partial | (hc->unknown ? TT_PARTIAL_HPACK : 0);
	if (hc->rq.method.set)
		copy_field(&r->method, r->method_buf, &hc->rq.method, hc->rq.method_buf);
	if (hc->rq.path.set)
		copy_field(&r->path, r->path_buf, &hc->rq.path, hc->rq.path_buf);
	if (hc->rq.authority.set)
		copy_field(&r->authority, r->authority_buf, &hc->rq.authority,
			   hc->rq.authority_buf);
	r->grpc = hc->grpc;
	r->clen = hc->clen;
}

static void apply_response(struct h2_stream *x, struct hdr_ctx *hc, const struct tt_chunk *ch,
			   uint32_t partial)
{
	struct tt_xresp *rs = &x->rs;
	bool first = !x->have_resp;

	if (hc->have_status && hc->status >= 100 && hc->status < 200)
		return; /* informational: the final head follows */
	if (first) {
		xresp_init(rs, ch->time_ns);
		rs->seen = true;
		x->have_resp = true;
		rs->partial = partial;
		rs->status = hc->have_status ? hc->status : -1;
		rs->clen = hc->clen;
	}
	if (hc->unknown)
		rs->partial |= TT_PARTIAL_HPACK;
	if (hc->grpc_status >= 0)
		rs->grpc_status = hc->grpc_status;
	if (hc->gmsg.set)
		copy_field(&rs->grpc_message, rs->grpc_message_buf, &hc->gmsg, hc->gmsg_buf);
	if (hc->grpc)
		x->rq.grpc = true;
}

static void set_client(struct tt_h2 *s, int di)
{
	if (s->client_di >= 0)
		return;
	s->client_di = di;
	tt_conn_set_role(s->c, di == 1 ? TT_ROLE_CLIENT : TT_ROLE_SERVER);
}

/*
 * One side sent END_STREAM.  The exchange is reported once both have (a
 * server may answer before the request body is in: its size is still
 * counted), or at RST_STREAM, GOAWAY or the end of the connection.
 */
static void side_done(struct tt_h2 *s, struct h2_stream *x, bool req, int64_t t)
{
	struct tt_xreq *rq = &x->rq;

	if (req) {
		rq->complete = true;
		rq->end_ns = t;
	} else {
		x->rs.complete = true;
		x->rs.end_ns = t;
	}
	if (!x->rs.complete)
		return;
	if (!x->have_req) {
		x->req_wait = true; /* until the client opens a later stream */
		return;
	}
	if (rq->complete)
		stream_emit(s, x);
}

/* The client opened stream id: streams still waiting for their request (or
 * for the rest of a reset one) below it wait no more. */
static void opened(struct tt_h2 *s, uint32_t id)
{
	for (uint32_t i = 0; i < s->n_st;) {
		struct h2_stream *x = &s->st[i];

		if ((x->req_wait || x->reset_wait) && x->id < id) {
			stream_emit(s, x);
			continue;
		}
		i++;
	}
}

static void end_block(struct tt_h2 *s, unsigned di)
{
	struct h2_dir *d = &s->d[di];
	struct hdr_ctx hc = { .s = s, .status = -1, .grpc_status = -1, .clen = -1 };
	uint32_t partial = d->mid ? TT_PARTIAL_MID_STREAM : 0;
	struct h2_stream *x;
	int r = -1;
	bool req;

	d->in_block = false;
	if (!d->block_broken)
		r = tt_hpack_block(&d->hp, d->block, d->block_len, on_field, &hc);
	if (r < 0) {
		s->h->counters[TT_HC_HPACK_RESETS]++;
		hc.unknown = true;
		d->hp_unknown = true;
	}
	if (r > 0)
		s->h->counters[TT_HC_HPACK_UNKNOWN] += (uint64_t)r;
	if (hc.have_method)
		set_client(s, d->block_type == F_PUSH_PROMISE ? !di : (int)di);
	else if (hc.have_status)
		set_client(s, !di);
	if (d->block_type == F_PUSH_PROMISE) {
		x = stream_get(s, d->promised, d->ch);
		if (x)
			apply_request(x, &hc, d->ch, partial);
		return;
	}
	x = stream_get(s, d->block_sid, d->ch);
	if (!x)
		return;
	if (s->client_di < 0) {
		/* Neither side known yet: nothing this block says can be placed. */
		x->rq.partial |= TT_PARTIAL_HPACK;
		return;
	}
	req = (int)di == s->client_di;
	if (req) {
		uint32_t id = x->id;

		apply_request(x, &hc, d->ch, partial);
		if (x->req_wait) {
			/* Its answer came first: now it is whole. */
			x->req_wait = false;
			if (d->block_end_stream)
				side_done(s, x, true, d->ch->time_ns);
			else
				x->rq.ended = true, stream_emit(s, x);
			opened(s, id);
			return;
		}
		if (d->block_end_stream)
			side_done(s, x, true, d->ch->time_ns);
		opened(s, id);
		return;
	}
	apply_response(x, &hc, d->ch, partial);
	if (d->block_end_stream)
		side_done(s, x, false, d->ch->time_ns);
}

static void block_add(struct h2_dir *d, const uint8_t *p, uint32_t n)
{
	if (d->block_broken)
		return;
	if (d->block_len + n > BLOCK_MAX) {
		d->block_broken = true;
		return;
	}
	if (!d->block && !(d->block = malloc(BLOCK_MAX))) {
		d->block_broken = true;
		return;
	}
	memcpy(d->block + d->block_len, p, n);
	d->block_len += n;
}

/* --- frames -------------------------------------------------------------- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* HEADERS / PUSH_PROMISE payload: strip padding and priority, start a block. */
static void headers_frame(struct tt_h2 *s, unsigned di, const uint8_t *p, uint32_t n)
{
	struct h2_dir *d = &s->d[di];
	uint32_t pad = 0, skip = 0;

	if (d->flags & FL_PADDED) {
		if (!n)
			goto bad;
		pad = p[0];
		skip = 1;
	}
	if (d->type == F_HEADERS && (d->flags & FL_PRIORITY))
		skip += 5;
	if (d->type == F_PUSH_PROMISE) {
		if (n < skip + 4)
			goto bad;
		d->promised = be32(p + skip) & 0x7fffffff;
		skip += 4;
	}
	if (skip + pad > n)
		goto bad;
	d->in_block = true;
	d->block_broken = false;
	d->block_len = 0;
	d->block_type = d->type;
	d->block_sid = d->sid;
	d->block_end_stream = d->type == F_HEADERS && (d->flags & FL_END_STREAM);
	block_add(d, p + skip, n - skip - pad);
	if (d->flags & FL_END_HEADERS)
		end_block(s, di);
	return;
bad:
	s->h->counters[TT_HC_PARSE_ERRORS]++;
}

static void settings_frame(struct tt_h2 *s, unsigned di, const uint8_t *p, uint32_t n)
{
	struct h2_dir *peer = &s->d[!di];

	if (s->d[di].flags & FL_ACK)
		return;
	/* What this side announces limits what the other side sends it. */
	for (uint32_t i = 0; i + 6 <= n; i += 6) {
		uint16_t id = (uint16_t)(p[i] << 8 | p[i + 1]);
		uint32_t v = be32(p + i + 2);

		if (id == 0x1)
			tt_hpack_settings(&peer->hp, v);
		else if (id == 0x5 && v >= DEFAULT_MAX_FRAME && v <= 0xffffff)
			peer->max_frame = v;
	}
}

static void goaway_frame(struct tt_h2 *s, unsigned di, const uint8_t *p, uint32_t n)
{
	uint32_t last;

	if (n < 8)
		return;
	last = be32(p) & 0x7fffffff;
	/* Streams the sender of GOAWAY never processed: no answer comes. */
	for (uint32_t i = 0; i < s->n_st;) {
		struct h2_stream *x = &s->st[i];
		bool theirs = s->client_di >= 0 && (int)di != s->client_di ? x->id & 1 : !(x->id & 1);

		if (theirs && x->id > last && !x->have_resp) {
			x->rq.ended = x->rs.ended = true;
			stream_emit(s, x);
			continue;
		}
		i++;
	}
}

/* A whole non-DATA frame payload is in d->buf. */
static void frame_done(struct tt_h2 *s, unsigned di)
{
	struct h2_dir *d = &s->d[di];
	const uint8_t *p = d->buf;
	uint32_t n = d->buf_len;
	struct h2_stream *x;

	if (d->in_block && d->type != F_CONTINUATION) {
		/* A block not followed by its CONTINUATION: what came is lost. */
		d->block_broken = true;
		end_block(s, di);
	}
	switch (d->type) {
	case F_HEADERS:
	case F_PUSH_PROMISE:
		headers_frame(s, di, p, n);
		break;
	case F_CONTINUATION:
		if (!d->in_block || d->sid != d->block_sid)
			break;
		block_add(d, p, n);
		if (d->flags & FL_END_HEADERS)
			end_block(s, di);
		break;
	case F_SETTINGS:
		settings_frame(s, di, p, n);
		break;
	case F_RST_STREAM:
		x = stream_find(s, d->sid);
		if (!x)
			break;
		x->rq.ended = x->rs.ended = true;
		/* A server that answered before the request body and reset the
		 * stream (nginx's "return"): the body the client had sent still
		 * comes, and counts, until the client moves on. */
		if (x->rs.complete && x->have_req && !x->rq.complete && s->client_di >= 0 &&
		    (int)di != s->client_di) {
			x->reset_wait = true;
			break;
		}
		stream_emit(s, x);
		break;
	case F_GOAWAY:
		goaway_frame(s, di, p, n);
		break;
	}
}

/*
 * DATA before the response's HEADERS on a stream whose request was seen:
 * the HEADERS were lost (a call tlstap missed, e.g. while attaching).  They
 * may have inserted HPACK entries: this direction's table starts over, so
 * that no later field is read from a shifted table.
 */
static void lost_headers(struct tt_h2 *s, unsigned di, struct h2_stream *x)
{
	struct h2_dir *d = &s->d[di];

	x->rs.partial |= TT_PARTIAL_GAP;
	tt_hpack_reset(&d->hp);
	d->hp_unknown = true;
	s->h->counters[TT_HC_HPACK_RESETS]++;
}

/* DATA payload bytes: bodies, END_STREAM at the end. */
static void data_bytes(struct tt_h2 *s, unsigned di, const uint8_t *p, uint32_t n, bool fill)
{
	struct h2_dir *d = &s->d[di];
	struct h2_stream *x;
	uint32_t body = n;

	if ((d->flags & FL_PADDED) && !d->pad_read && n) {
		d->pad = fill ? 0 : p[0];
		d->pad_read = true;
		body--;
	}
	/* Bytes of the padding at the end of the payload are not body. */
	if (d->left - n < d->pad) {
		uint32_t in_pad = d->pad - (d->left - n);

		body = body > in_pad ? body - in_pad : 0;
	}
	x = stream_find(s, d->sid);
	if (!x && s->client_di >= 0)
		x = stream_get(s, d->sid, d->ch);
	if (!x || s->client_di < 0)
		return;
	if ((int)di == s->client_di) {
		x->rq.body += body;
		x->rq.partial |= d->lost;
	} else {
		if (!x->have_resp) {
			xresp_init(&x->rs, d->ch->time_ns);
			x->rs.seen = true;
			x->have_resp = true;
			x->rs.partial = d->mid ? TT_PARTIAL_MID_STREAM : 0;
			if (x->have_req)
				lost_headers(s, di, x);
		}
		x->rs.body += body;
		x->rs.partial |= d->lost;
	}
}

static void data_end(struct tt_h2 *s, unsigned di)
{
	struct h2_dir *d = &s->d[di];
	struct h2_stream *x;

	d->lost = 0;
	if (!(d->flags & FL_END_STREAM) || s->client_di < 0)
		return;
	x = stream_find(s, d->sid);
	if (x)
		side_done(s, x, (int)di == s->client_di, d->ch->time_ns);
}

static bool header_ok(const uint8_t *h, uint32_t max_frame, bool strict)
{
	uint32_t len = (uint32_t)h[0] << 16 | (uint32_t)h[1] << 8 | h[2];
	uint32_t sid = be32(h + 5) & 0x7fffffff;
	uint8_t type = h[3];

	if (len > max_frame)
		return false;
	if (!strict)
		return true;
	if (type > F_CONTINUATION)
		return false;
	switch (type) {
	case F_SETTINGS:
		return sid == 0 && len % 6 == 0 && !(h[4] & ~FL_ACK);
	case F_PING:
		return sid == 0 && len == 8;
	case F_GOAWAY:
		return sid == 0 && len >= 8;
	case F_WINDOW_UPDATE:
		return len == 4;
	case F_RST_STREAM:
		return sid && len == 4;
	case F_PRIORITY:
		return sid && len == 5;
	default:
		return sid != 0;
	}
}

static void begin_frame(struct tt_h2 *s, unsigned di)
{
	struct h2_dir *d = &s->d[di];

	d->len = (uint32_t)d->hdr[0] << 16 | (uint32_t)d->hdr[1] << 8 | d->hdr[2];
	d->type = d->hdr[3];
	d->flags = d->hdr[4];
	d->sid = be32(d->hdr + 5) & 0x7fffffff;
	d->left = d->len;
	d->in_frame = true;
	d->buf_len = 0;
	d->pad = 0;
	d->pad_read = false;
	if (d->type == F_DATA)
		return;
	if (d->buf_cap < d->len) {
		uint8_t *b = realloc(d->buf, d->len);

		if (b) {
			d->buf = b;
			d->buf_cap = d->len;
		}
	}
}

static void lose_sync(struct tt_h2 *s, unsigned di, uint32_t why);

static void frames(struct tt_h2 *s, unsigned di, const uint8_t *p, uint32_t n)
{
	struct h2_dir *d = &s->d[di];

	/* A frame of length 0 completes with its header, even at the end of n. */
	while (d->synced && (n || (d->in_frame && !d->left))) {
		uint32_t k;

		if (d->preface && n) {
			k = n < d->preface ? n : d->preface;
			if (memcmp(p, &TT_H2_PREFACE[TT_H2_PREFACE_LEN - d->preface], k)) {
				d->preface = 0; /* not a preface after all: frames */
				continue;
			}
			d->preface = (uint8_t)(d->preface - k);
			p += k, n -= k;
			continue;
		}
		if (!d->in_frame) {
			k = FRAME_HDR - d->hdr_len;
			k = n < k ? n : k;
			memcpy(d->hdr + d->hdr_len, p, k);
			d->hdr_len = (uint8_t)(d->hdr_len + k);
			p += k, n -= k;
			if (d->hdr_len < FRAME_HDR)
				return;
			d->hdr_len = 0;
			if (!header_ok(d->hdr, d->max_frame, false)) {
				s->h->counters[TT_HC_PARSE_ERRORS]++;
				lose_sync(s, di, TT_PARTIAL_GAP);
				return;
			}
			begin_frame(s, di);
		}
		k = n < d->left ? n : d->left;
		if (d->type == F_DATA) {
			data_bytes(s, di, p, k, false);
		} else if (d->buf_cap >= d->len && k) {
			memcpy(d->buf + d->buf_len, p, k);
			d->buf_len += k;
		}
		d->left -= k;
		p += k, n -= k;
		if (d->left)
			return;
		d->in_frame = false;
		if (d->type == F_DATA)
			data_end(s, di);
		else if (d->buf_cap >= d->len)
			frame_done(s, di);
	}
}

/* Every complete frame header in p..n is plausible (and there is one). */
static bool chain_ok(const uint8_t *p, size_t n, uint32_t max_frame)
{
	size_t pos = 0;
	bool one = false;

	while (n - pos >= FRAME_HDR) {
		uint32_t len = (uint32_t)p[pos] << 16 | (uint32_t)p[pos + 1] << 8 | p[pos + 2];

		if (!header_ok(p + pos, max_frame, true))
			return false;
		one = true;
		pos += FRAME_HDR + (size_t)len;
		if (pos > n)
			break;
	}
	return one;
}

int tt_h2_sniff(const uint8_t *p, size_t n)
{
	if (n < FRAME_HDR)
		return -1;
	return chain_ok(p, n, DEFAULT_MAX_FRAME) ? 1 : 0;
}

/* Streams of this direction may have lost bytes; its table is unknown now. */
static void lose_sync(struct tt_h2 *s, unsigned di, uint32_t why)
{
	struct h2_dir *d = &s->d[di];

	for (uint32_t i = 0; i < s->n_st; i++) {
		struct h2_stream *x = &s->st[i];

		if (s->client_di < 0 || (int)di == s->client_di)
			x->rq.partial |= why;
		else
			x->rs.partial |= why;
	}
	if (d->in_block) {
		struct h2_stream *x = stream_find(s, d->block_sid);

		if (x)
			x->rq.partial |= TT_PARTIAL_HPACK;
		d->in_block = false;
	}
	tt_hpack_reset(&d->hp);
	s->h->counters[TT_HC_HPACK_RESETS]++;
	d->hp_unknown = true;
	d->synced = false;
	d->in_frame = false;
	d->hdr_len = 0;
	d->preface = 0;
}

void tt_h2_data(struct tt_http *h, struct tt_conn *c, struct tt_h2 *s, const struct tt_chunk *ch,
		unsigned dir, const uint8_t *p, uint32_t n)
{
	unsigned di = TT_DIR_IDX(dir);
	struct h2_dir *d = &s->d[di];

	s->h = h;
	s->c = c;
	d->ch = ch;
	if (!d->synced) {
		size_t k = n < TT_H2_PREFACE_LEN ? n : TT_H2_PREFACE_LEN;

		/* Only the first bytes seen, or the start of a TLS call, may
		 * start frames. */
		if (d->seen && (ch->chunk_off != 0 || p != ch->data))
			return;
		d->seen = true;
		if (!memcmp(p, TT_H2_PREFACE, k)) {
			d->preface = TT_H2_PREFACE_LEN;
			set_client(s, (int)di);
		} else if (!chain_ok(p, n, d->max_frame)) {
			return;
		} else if (d->hp_unknown) {
			s->h->counters[TT_HC_RESYNCS]++;
		}
		d->synced = true;
	}
	frames(s, di, p, n);
}

void tt_h2_gap(struct tt_http *h, struct tt_conn *c, struct tt_h2 *s, unsigned dir, uint64_t len,
	       enum tt_gap_why why, int64_t t)
{
	unsigned di = TT_DIR_IDX(dir);
	struct h2_dir *d = &s->d[di];
	uint32_t flag = why == TT_GAP_TRUNCATED ? TT_PARTIAL_TRUNCATED : TT_PARTIAL_GAP;
	struct tt_chunk fake = { .time_ns = t };

	s->h = h;
	s->c = c;
	if (why == TT_GAP_UNSEEN)
		d->hp_unknown = true;
	if (!d->synced)
		return;
	if (d->in_frame && d->type == F_DATA && len != TT_GAP_UNKNOWN && len <= d->left &&
	    (!(d->flags & FL_PADDED) || d->pad_read)) {
		/* Inside a DATA payload: its length is known from the frame. */
		d->ch = &fake;
		d->lost |= flag;
		data_bytes(s, di, NULL, (uint32_t)len, true);
		d->left -= (uint32_t)len;
		if (!d->left) {
			d->in_frame = false;
			data_end(s, di);
		}
		return;
	}
	lose_sync(s, di, flag);
}

void tt_h2_end(struct tt_http *h, struct tt_conn *c, struct tt_h2 *s, int64_t t)
{
	(void)t;
	s->h = h;
	s->c = c;
	while (s->n_st)
		stream_emit(s, &s->st[0]);
}

struct tt_h2 *tt_h2_new(const bool skipped[2])
{
	struct tt_h2 *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->client_di = -1;
	for (unsigned di = 0; di < 2; di++) {
		s->d[di].max_frame = DEFAULT_MAX_FRAME;
		s->d[di].hp_unknown = skipped[di];
		/* Room for a frame of the default maximum size from the start. */
		s->d[di].buf = malloc(DEFAULT_MAX_FRAME);
		s->d[di].buf_cap = s->d[di].buf ? DEFAULT_MAX_FRAME : 0;
		if (!s->d[di].buf || tt_hpack_init(&s->d[di].hp)) {
			tt_h2_free(s);
			return NULL;
		}
	}
	return s;
}

void tt_h2_free(struct tt_h2 *s)
{
	if (!s)
		return;
	for (unsigned di = 0; di < 2; di++) {
		tt_hpack_free(&s->d[di].hp);
		free(s->d[di].buf);
		free(s->d[di].block);
	}
	free(s->st);
	free(s);
}
