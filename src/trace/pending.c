// SPDX-License-Identifier: MIT
/* Data records waiting for their socket (see pending.h). */
#include <stdlib.h>
#include <string.h>

#include "trace/pending.h"

struct tt_pending_rec {
	struct tt_pending_rec *next;
	uint32_t len;
	struct tt_data_rec rec; /* followed by its chunk */
};

static bool same_object(const struct tt_data_rec *a, uint32_t tgid, uint64_t conn)
{
	return a->hdr.tgid == tgid && a->conn_ptr == conn;
}

/* Send one held record, unlinked by the caller: with the socket, when a
 * bind record gave one (t), else as it came, and never with its flag. */
static void send_rec(struct tt_pending *p, struct tt_pending_rec *r, const struct tt_bind_rec *b,
		     tt_pending_send_fn send, void *ctx)
{
	r->rec.flags &= ~TT_EV_BIND_PENDING;
	if (b) {
		r->rec.tuple = b->tuple;
		r->rec.fd = b->fd;
		r->rec.attribution = TT_ATTR_CIPHERTEXT;
		p->bound++;
	} else {
		p->unbound++;
	}
	r->rec.bind_token = 0;
	send(ctx, &r->rec, r->len);
	p->n--;
	p->bytes -= r->len;
	free(r);
}

/* Is held record r due at now (or does it end with the run)? */
static bool due(const struct tt_pending_rec *r, int64_t now)
{
	return now == INT64_MAX || now - (int64_t)r->rec.hdr.time_ns >= TT_PENDING_NS;
}

/*
 * Send the held records of TLS object {tgid, conn} (conn_only), in order,
 * up to and including the last one of bind record b's call (when b is
 * given): that call's records with b's socket, earlier calls' without (no
 * bind record of theirs came in time); a later call's wait on.  Without
 * conn_only, the records due at now.
 */
static void send_matching(struct tt_pending *p, bool conn_only, uint32_t tgid, uint64_t conn,
			  int64_t now, const struct tt_bind_rec *b, tt_pending_send_fn send,
			  void *ctx)
{
	struct tt_pending_rec **link = &p->head, *r, *last = NULL;

	if (b) {
		for (r = p->head; r; r = r->next)
			if (same_object(&r->rec, tgid, conn) && r->rec.bind_token == b->bind_token)
				last = r;
		if (!last)
			return; /* nothing of its call waits: it binds nothing */
	}
	p->tail = NULL;
	while ((r = *link)) {
		bool go = conn_only ? same_object(&r->rec, tgid, conn) : due(r, now);
		bool end = r == last;

		if (!go) {
			p->tail = r;
			link = &r->next;
			continue;
		}
		*link = r->next;
		send_rec(p, r, b && r->rec.bind_token == b->bind_token ? b : NULL, send, ctx);
		if (end)
			break;
	}
	/* The tail, when the walk stopped early. */
	for (r = *link; r; r = r->next)
		p->tail = r;
}

static void hold(struct tt_pending *p, const struct tt_data_rec *d, uint32_t len,
		 tt_pending_send_fn send, void *ctx)
{
	struct tt_pending_rec *r = malloc(sizeof(*r) - sizeof(r->rec) + len);

	while (p->head && (p->n >= TT_PENDING_MAX || p->bytes + len > TT_PENDING_BYTES)) {
		struct tt_pending_rec *old = p->head;

		p->head = old->next;
		if (!p->head)
			p->tail = NULL;
		send_rec(p, old, NULL, send, ctx);
	}
	if (!r) {
		/* Out of memory: it goes on as it came. */
		struct tt_data_rec *copy = malloc(len);

		p->unbound++;
		if (!copy)
			return;
		memcpy(copy, d, len);
		copy->flags &= ~TT_EV_BIND_PENDING;
		copy->bind_token = 0;
		send(ctx, copy, len);
		free(copy);
		return;
	}
	r->next = NULL;
	r->len = len;
	memcpy(&r->rec, d, len);
	if (p->tail)
		p->tail->next = r;
	else
		p->head = r;
	p->tail = r;
	p->n++;
	p->bytes += len;
}

bool tt_pending_push(struct tt_pending *p, const void *rec, uint32_t len,
		     tt_pending_send_fn send, void *ctx)
{
	const struct tt_rec_hdr *h = rec;
	const struct tt_data_rec *d = rec;

	if (len < sizeof(*h))
		return false;
	if ((int64_t)h->time_ns > p->seen_ns)
		p->seen_ns = (int64_t)h->time_ns;
	if (h->type == TT_REC_BIND) {
		const struct tt_bind_rec *b = rec;

		if (len >= sizeof(*b) && p->n)
			send_matching(p, true, h->tgid, b->conn_ptr, 0, b, send, ctx);
		return true;
	}
	if (h->type != TT_REC_DATA || len < sizeof(*d))
		return false;
	if (d->flags & TT_EV_BIND_PENDING) {
		hold(p, d, len, send, ctx);
		return true;
	}
	/* The object's next record: what waited for it goes first. */
	if (p->n)
		send_matching(p, true, h->tgid, d->conn_ptr, 0, NULL, send, ctx);
	return false;
}

void tt_pending_release(struct tt_pending *p, int64_t now, tt_pending_send_fn send, void *ctx)
{
	if (p->n)
		send_matching(p, false, 0, 0, now, NULL, send, ctx);
}
