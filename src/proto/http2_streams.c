// SPDX-License-Identifier: MIT
/*
 * HTTP/2 streams and header blocks: the exchanges of a connection by stream
 * id, and what each decoded header block (HPACK, proto/hpack.c) says.
 */
#include <stdlib.h>
#include <string.h>

#include "proto/http2_int.h"

/* --- streams ------------------------------------------------------------- */

struct h2_stream *tt_h2_stream_find(struct tt_h2 *s, uint32_t id)
{
	for (uint32_t i = 0; i < s->n_st; i++)
		if (s->st[i].id == id)
			return &s->st[i];
	return NULL;
}

void tt_h2_stream_emit(struct tt_h2 *s, struct h2_stream *x)
{
	tt_http_emit(s->h, s->c, TT_PROTO_H2, x->id, x->have_req ? &x->rq : NULL,
		     x->have_resp ? &x->rs : NULL);
	*x = s->st[--s->n_st];
}

void tt_h2_xresp_init(struct tt_xresp *rs, int64_t t)
{
	memset(rs, 0, offsetof(struct tt_xresp, grpc_message_buf));
	rs->status = -1;
	rs->grpc_status = -1;
	rs->clen = -1;
	rs->start_ns = rs->end_ns = t;
}

struct h2_stream *tt_h2_stream_get(struct tt_h2 *s, uint32_t id, const struct tt_chunk *ch)
{
	struct h2_stream *x = tt_h2_stream_find(s, id);

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
		tt_h2_stream_emit(s, &s->st[0]);
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
	tt_h2_xresp_init(&x->rs, ch->time_ns);
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
		tt_h2_xresp_init(rs, ch->time_ns);
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

void tt_h2_set_client(struct tt_h2 *s, int di)
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
void tt_h2_side_done(struct tt_h2 *s, struct h2_stream *x, bool req, int64_t t)
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
		tt_h2_stream_emit(s, x);
}

/* The client opened stream id: streams still waiting for their request (or
 * for the rest of an answered one) below it wait no more. */
static void opened(struct tt_h2 *s, uint32_t id)
{
	for (uint32_t i = 0; i < s->n_st;) {
		struct h2_stream *x = &s->st[i];

		if ((x->req_wait || x->body_wait) && x->id < id) {
			tt_h2_stream_emit(s, x);
			continue;
		}
		i++;
	}
}

void tt_h2_end_block(struct tt_h2 *s, unsigned di)
{
	struct h2_dir *d = &s->d[di];
	struct hdr_ctx hc = {.s = s, .status = -1, .grpc_status = -1, .clen = -1};
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
		tt_h2_set_client(s, d->block_type == F_PUSH_PROMISE ? !di : (int)di);
	else if (hc.have_status)
		tt_h2_set_client(s, !di);
	if (d->block_type == F_PUSH_PROMISE) {
		x = tt_h2_stream_get(s, d->promised, d->ch);
		if (x)
			apply_request(x, &hc, d->ch, partial);
		return;
	}
	x = tt_h2_stream_get(s, d->block_sid, d->ch);
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
			/* Its answer came first: now it is whole, or its body
			 * is still to come, and counts until the client moves
			 * on. */
			x->req_wait = false;
			if (d->block_end_stream)
				tt_h2_side_done(s, x, true, d->ch->time_ns);
			else
				x->body_wait = true;
			opened(s, id);
			return;
		}
		if (d->block_end_stream)
			tt_h2_side_done(s, x, true, d->ch->time_ns);
		opened(s, id);
		return;
	}
	apply_response(x, &hc, d->ch, partial);
	if (d->block_end_stream)
		tt_h2_side_done(s, x, false, d->ch->time_ns);
}

void tt_h2_block_add(struct h2_dir *d, const uint8_t *p, uint32_t n)
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
