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

#include "proto/http2_int.h"

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
	tt_h2_block_add(d, p + skip, n - skip - pad);
	if (d->flags & FL_END_HEADERS)
		tt_h2_end_block(s, di);
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
		bool theirs =
		    s->client_di >= 0 && (int)di != s->client_di ? x->id & 1 : !(x->id & 1);

		if (theirs && x->id > last && !x->have_resp) {
			x->rq.ended = x->rs.ended = true;
			tt_h2_stream_emit(s, x);
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
		tt_h2_end_block(s, di);
	}
	switch (d->type) {
	case F_HEADERS:
	case F_PUSH_PROMISE:
		headers_frame(s, di, p, n);
		break;
	case F_CONTINUATION:
		if (!d->in_block || d->sid != d->block_sid)
			break;
		tt_h2_block_add(d, p, n);
		if (d->flags & FL_END_HEADERS)
			tt_h2_end_block(s, di);
		break;
	case F_SETTINGS:
		settings_frame(s, di, p, n);
		break;
	case F_RST_STREAM:
		x = tt_h2_stream_find(s, d->sid);
		if (!x)
			break;
		x->rq.ended = x->rs.ended = true;
		/* A server that answered before the request body and reset the
		 * stream (nginx's "return"): the body the client had sent still
		 * comes, and counts, until the client moves on. */
		if (x->rs.complete && x->have_req && !x->rq.complete && s->client_di >= 0 &&
		    (int)di != s->client_di) {
			x->body_wait = true;
			break;
		}
		tt_h2_stream_emit(s, x);
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
	x = tt_h2_stream_find(s, d->sid);
	if (!x && s->client_di >= 0)
		x = tt_h2_stream_get(s, d->sid, d->ch);
	if (!x || s->client_di < 0)
		return;
	if ((int)di == s->client_di) {
		x->rq.body += body;
		x->rq.partial |= d->lost;
	} else {
		if (!x->have_resp) {
			tt_h2_xresp_init(&x->rs, d->ch->time_ns);
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
	x = tt_h2_stream_find(s, d->sid);
	if (x)
		tt_h2_side_done(s, x, (int)di == s->client_di, d->ch->time_ns);
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
		struct h2_stream *x = tt_h2_stream_find(s, d->block_sid);

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
			tt_h2_set_client(s, (int)di);
		} else if (!chain_ok(p, n, d->max_frame)) {
			return;
		} else if (d->hp_unknown) {
			s->h->counters[TT_HC_RESYNCS]++;
		} else if (n >= 9 && p[3] == 4 && !(p[4] & 1) && ch->stream_off == 0 &&
			   ch->chunk_off == 0 && p == ch->data) {
			/* A direction seen from its start that opens with a
			 * SETTINGS frame, not the client's magic: the server's
			 * preface (RFC 9113, 3.4), which a server may send
			 * before it reads the client's. */
			tt_h2_set_client(s, !di);
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
	struct tt_chunk fake = {.time_ns = t};

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
		tt_h2_stream_emit(s, &s->st[0]);
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
