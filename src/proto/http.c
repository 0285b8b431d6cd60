// SPDX-License-Identifier: MIT
/* HTTP on streams: which protocol a connection speaks, and the exchanges. */
#include <stdlib.h>
#include <string.h>

#include "proto/http_int.h"

#define TT_HTTP_NAME(e, n) [TT_HC_##e] = n,
static const char *const counter_names[TT_HC_COUNT] = {TT_HTTP_COUNTERS(TT_HTTP_NAME)};
#undef TT_HTTP_NAME

/* Unrecognised bytes looked at before a connection is declared not HTTP. */
#define SNIFF_GIVE_UP (1u << 20)

const char *tt_http_counter_name(enum tt_http_counter c)
{
	return (unsigned)c < TT_HC_COUNT ? counter_names[c] : "?";
}

void tt_http_init(struct tt_http *h, tt_exchange_fn emit, void *ctx)
{
	memset(h, 0, sizeof(*h));
	h->emit = emit;
	h->ctx = ctx;
}

bool tt_grpc_split(struct tt_strv path, struct tt_strv *service, struct tt_strv *method)
{
	const char *slash;

	if (!path.p || path.len < 4 || path.p[0] != '/')
		return false;
	slash = memchr(path.p + 1, '/', path.len - 1);
	if (!slash || slash == path.p + 1 || slash == path.p + path.len - 1)
		return false;
	if (memchr(slash + 1, '/', (size_t)(path.p + path.len - slash - 1)))
		return false;
	service->p = path.p + 1;
	service->len = (uint32_t)(slash - path.p - 1);
	method->p = slash + 1;
	method->len = (uint32_t)(path.p + path.len - slash - 1);
	return true;
}

/* --- fields ---------------------------------------------------------------- */

void tt_field_set(struct tt_field *f, char *buf, size_t cap, const void *p, size_t n)
{
	f->len = 0;
	f->set = true;
	f->cut = false;
	tt_field_append(f, buf, cap, p, n);
}

void tt_field_append(struct tt_field *f, char *buf, size_t cap, const void *p, size_t n)
{
	size_t room = cap - f->len;

	f->set = true;
	if (n > room) {
		n = room;
		f->cut = true;
	}
	memcpy(buf + f->len, p, n);
	f->len = (uint16_t)(f->len + n);
}

void tt_xreq_begin(struct tt_xreq *r, const struct tt_chunk *ch)
{
	memset(r, 0, offsetof(struct tt_xreq, method_buf));
	r->start_ns = r->end_ns = ch->time_ns;
	r->tid = ch->tid;
	memcpy(r->comm, ch->comm, sizeof(r->comm));
	r->comm[sizeof(r->comm) - 1] = '\0';
	r->attribution = ch->attribution;
	r->clen = -1;
}

static struct tt_strv strv(const struct tt_field *f, const char *buf)
{
	return f->set ? (struct tt_strv){buf, f->len} : (struct tt_strv){NULL, 0};
}

/* Bytes were lost: the size the headers announced, if they did. */
static uint64_t body_size(uint64_t counted, int64_t clen, uint32_t partial)
{
	if ((partial & (TT_PARTIAL_GAP | TT_PARTIAL_TRUNCATED)) && clen >= 0)
		return (uint64_t)clen;
	return counted;
}

/*
 * Why a side of an exchange did not end, if it did not (complete: its end
 * was decoded) and nothing says so yet (a side whose bytes were lost or cut
 * may well have ended unseen).  Stopped without a loss (reset, or for a
 * request answered first: an answer may come before the end of a request,
 * and nginx's "return" answers a POST and resets the stream without
 * reading the body), its byte count is what came before: unfinished.
 * Otherwise the connection ended inside it: a gap.
 */
static uint32_t end_reason(bool complete, bool stopped, uint32_t partial)
{
	if (complete || (partial & (TT_PARTIAL_GAP | TT_PARTIAL_TRUNCATED)))
		return 0;
	return stopped ? TT_PARTIAL_UNFINISHED : TT_PARTIAL_GAP;
}

void tt_http_emit(struct tt_http *h, const struct tt_conn *c, uint8_t proto, uint32_t stream_id,
		  const struct tt_xreq *rq, const struct tt_xresp *rs)
{
	struct tt_exchange x = {
	    .conn = c,
	    .proto = proto,
	    .role = c->role,
	    .status = -1,
	    .grpc_status = -1,
	    .latency_ns = -1,
	    .stream_id = stream_id,
	};

	if (rq && rq->seen) {
		x.time_ns = rq->start_ns;
		x.tid = rq->tid;
		memcpy(x.comm, rq->comm, sizeof(x.comm));
		x.attribution = rq->attribution;
		x.method = strv(&rq->method, rq->method_buf);
		x.authority = strv(&rq->authority, rq->authority_buf);
		x.path = strv(&rq->path, rq->path_buf);
		x.req_bytes = body_size(rq->body, rq->clen, rq->partial);
		x.grpc = rq->grpc;
		x.partial |= rq->partial;
		if (rq->path.cut || rq->authority.cut || rq->method.cut)
			x.partial |= TT_PARTIAL_TRUNCATED;
		x.partial |= end_reason(rq->complete, rq->ended || (rs && rs->complete),
					rq->partial);
	} else {
		x.partial |= TT_PARTIAL_MID_STREAM;
		x.tid = 0;
		memcpy(x.comm, c->comm, sizeof(x.comm));
		x.attribution = c->attribution;
		x.time_ns = rs ? rs->start_ns : c->last_ns;
		h->counters[TT_HC_NO_REQUEST]++;
	}
	if (rs && rs->seen) {
		x.has_response = true;
		x.status = rs->status;
		x.resp_bytes = body_size(rs->body, rs->clen, rs->partial);
		x.partial |= rs->partial;
		if (x.grpc || rs->grpc_status >= 0) {
			x.grpc = true;
			x.grpc_status = rs->grpc_status;
			x.grpc_message = strv(&rs->grpc_message, rs->grpc_message_buf);
		}
		/* Events carry the time a call returned: a request's Write may
		 * return after the Read of its answer; no latency then. */
		if (rs->complete && rq && rq->seen && rs->end_ns >= rq->start_ns)
			x.latency_ns = rs->end_ns - rq->start_ns;
		x.partial |= end_reason(rs->complete, rs->ended, rs->partial);
	} else {
		h->counters[TT_HC_NO_RESPONSE]++;
	}
	h->counters[TT_HC_EXCHANGES]++;
	if (h->emit)
		h->emit(h->ctx, &x);
}

/* --- which protocol -------------------------------------------------------- */

static struct tt_http_conn *hc_get(struct tt_conn *c)
{
	struct tt_http_conn *hc = c->slot[TT_SLOT_HTTP];

	if (!hc) {
		hc = calloc(1, sizeof(*hc));
		c->slot[TT_SLOT_HTTP] = hc;
	}
	return hc;
}

/* 1: h2 (preface or frames), 2: HTTP/1.x, 0: neither, -1: too short to say. */
static int verdict(const uint8_t *p, size_t n)
{
	size_t k = n < TT_H2_PREFACE_LEN ? n : TT_H2_PREFACE_LEN;
	int h1, h2;

	if (!memcmp(p, TT_H2_PREFACE, k))
		return k == TT_H2_PREFACE_LEN ? 1 : -1;
	h1 = tt_h1_sniff(p, n);
	if (h1 == 1)
		return 2;
	h2 = tt_h2_sniff(p, n);
	if (h2 == 1)
		return 1;
	return h1 < 0 || h2 < 0 ? -1 : 0;
}

static void decide(struct tt_http *h, struct tt_conn *c, struct tt_http_conn *hc, int v)
{
	if (v == 1) {
		hc->h2 = tt_h2_new(hc->skipped);
		hc->proto = hc->h2 ? TT_PROTO_H2 : TT_PROTO_NONE;
		h->counters[TT_HC_H2_CONNS]++;
	} else {
		hc->h1 = tt_h1_new(hc->skipped);
		hc->proto = hc->h1 ? TT_PROTO_HTTP1 : TT_PROTO_NONE;
		h->counters[TT_HC_H1_CONNS]++;
	}
	if (hc->proto == TT_PROTO_NONE)
		hc->gave_up = true;
	(void)c;
}

static void feed(struct tt_http *h, struct tt_conn *c, struct tt_http_conn *hc,
		 const struct tt_chunk *ch, unsigned dir, const uint8_t *p, uint32_t n)
{
	if (hc->h1)
		tt_h1_data(h, c, hc->h1, ch, dir, p, n);
	else if (hc->h2)
		tt_h2_data(h, c, hc->h2, ch, dir, p, n);
}

/*
 * Until the protocol is known, the first bytes of each direction are kept
 * (at most 24: enough for the h2 preface, a frame header, a request or
 * status line's start).  Unrecognised bytes are skipped: the next TLS call
 * may start a message (attached mid-connection).
 */
static void sniff(struct tt_http *h, struct tt_conn *c, struct tt_http_conn *hc,
		  const struct tt_chunk *ch, unsigned dir, uint64_t off, const uint8_t *p,
		  uint32_t n)
{
	unsigned di = TT_DIR_IDX(dir);
	uint8_t tmp[64];
	size_t k = hc->sniff_len[di], add = n < sizeof(tmp) - k ? n : sizeof(tmp) - k;
	int v;

	if (k && hc->sniff_off[di] + k != off)
		k = hc->sniff_len[di] = 0; /* not contiguous */
	memcpy(tmp, hc->sniff[di], k);
	memcpy(tmp + k, p, add);
	v = verdict(tmp, k + add);
	if (v < 0 && k + n <= sizeof(hc->sniff[di])) {
		if (!k)
			hc->sniff_off[di] = off;
		memcpy(hc->sniff[di] + k, p, n);
		hc->sniff_len[di] = (uint8_t)(k + n);
		return;
	}
	hc->sniff_len[di] = 0;
	if (v <= 0) {
		/* Not a start we know: wait for the next call. */
		if (off + n > SNIFF_GIVE_UP) {
			hc->gave_up = true;
			h->counters[TT_HC_OTHER_CONNS]++;
		}
		hc->skipped[di] = true;
		return;
	}
	decide(h, c, hc, v);
	if (k)
		feed(h, c, hc, ch, dir, hc->sniff[di], (uint32_t)k);
	feed(h, c, hc, ch, dir, p, n);
}

void tt_http_data(struct tt_http *h, struct tt_conn *c, const struct tt_chunk *ch, uint64_t off,
		  const uint8_t *p, uint32_t n)
{
	struct tt_http_conn *hc = hc_get(c);

	if (!hc || hc->gave_up)
		return;
	if (hc->proto == TT_PROTO_NONE) {
		sniff(h, c, hc, ch, ch->dir, off, p, n);
		return;
	}
	feed(h, c, hc, ch, ch->dir, p, n);
}

void tt_http_gap(struct tt_http *h, struct tt_conn *c, unsigned dir, uint64_t len,
		 enum tt_gap_why why, int64_t time_ns)
{
	struct tt_http_conn *hc = hc_get(c);

	if (!hc || hc->gave_up)
		return;
	if (hc->h1)
		tt_h1_gap(h, c, hc->h1, dir, len, why, time_ns);
	else if (hc->h2)
		tt_h2_gap(h, c, hc->h2, dir, len, why, time_ns);
	else
		hc->sniff_len[TT_DIR_IDX(dir)] = 0, hc->skipped[TT_DIR_IDX(dir)] = true;
}

void tt_http_end(struct tt_http *h, struct tt_conn *c, enum tt_end_reason why, int64_t time_ns)
{
	struct tt_http_conn *hc = c->slot[TT_SLOT_HTTP];

	if (!hc)
		return;
	if (hc->h1) {
		tt_h1_end(h, c, hc->h1, why, time_ns);
		tt_h1_free(hc->h1);
	}
	if (hc->h2) {
		tt_h2_end(h, c, hc->h2, time_ns);
		tt_h2_free(hc->h2);
	}
	free(hc);
	c->slot[TT_SLOT_HTTP] = NULL;
}
