// SPDX-License-Identifier: MIT
/* Data records waiting for their socket (see pending.h). */
#include <stdlib.h>
#include <string.h>

#include "trace/pending.h"

struct tt_pending_rec {
	struct tt_pending_rec *next;
	uint32_t len;
	bool bound; /* its bind record came first: it waits only for the
		     * object's earlier records */
	struct tt_data_rec rec; /* followed by its chunk */
};

static bool same_object(const struct tt_data_rec *a, uint32_t tgid, uint64_t conn)
{
	return a->hdr.tgid == tgid && a->conn_ptr == conn;
}

/* The bit of a TLS object in p->objects. */
static uint64_t object_bit(uint32_t tgid, uint64_t conn)
{
	uint64_t h = (conn ^ ((uint64_t)tgid << 32)) * 0x9e3779b97f4a7c15ULL;

	return 1ULL << (h >> 58);
}

void tt_pending_set_ports(struct tt_pending *p, const uint16_t *ports, uint32_t n)
{
	if (n > TT_FILTER_MAX)
		n = TT_FILTER_MAX;
	memcpy(p->ports, ports, n * sizeof(*ports));
	p->n_ports = n;
}

/* --port, as the kernel judges a record whose tuple it knows. */
static bool port_allowed(const struct tt_pending *p, const struct tt_tuple *t)
{
	if (!p->n_ports)
		return true;
	for (uint32_t i = 0; i < p->n_ports; i++)
		if (t->lport == p->ports[i] || t->rport == p->ports[i])
			return true;
	return false;
}

static void apply_bind(struct tt_data_rec *d, const struct tt_bind_rec *b)
{
	d->tuple = b->tuple;
	d->fd = b->fd;
	d->attribution = TT_ATTR_CIPHERTEXT;
}

/* Send a record that waited (d, len): bound or not, never with its flag,
 * and only if --port lets its tuple through. */
static void send_waited(struct tt_pending *p, struct tt_data_rec *d, uint32_t len, bool bound,
			tt_pending_send_fn send, void *ctx)
{
	d->flags &= ~TT_EV_BIND_PENDING;
	d->bind_token = 0;
	if (bound)
		p->bound++;
	else
		p->unbound++;
	if (!port_allowed(p, &d->tuple)) {
		p->filtered++;
		return;
	}
	send(ctx, d, len);
}

/* Send one held record, unlinked by the caller; b: a bind record that
 * names its call. */
static void send_rec(struct tt_pending *p, struct tt_pending_rec *r, const struct tt_bind_rec *b,
		     tt_pending_send_fn send, void *ctx)
{
	if (b) {
		apply_bind(&r->rec, b);
		r->bound = true;
	}
	send_waited(p, &r->rec, r->len, r->bound, send, ctx);
	p->n--;
	p->bytes -= r->len;
	free(r);
}

/* The list's tail and object bits, after records were unlinked. */
static void relink(struct tt_pending *p)
{
	p->tail = NULL;
	p->objects = 0;
	for (struct tt_pending_rec *r = p->head; r; r = r->next) {
		p->tail = r;
		p->objects |= object_bit(r->rec.hdr.tgid, r->rec.conn_ptr);
	}
}

/*
 * Send the held records of TLS object {tgid, conn} in order: all of them
 * (b NULL), or (b given) up to and including the last one of b's call, its
 * records with b's socket and earlier calls' without (no bind record of
 * theirs came in time), then those after it that are bound already; a later
 * call's wait on.
 */
static void send_object(struct tt_pending *p, uint32_t tgid, uint64_t conn,
			const struct tt_bind_rec *b, tt_pending_send_fn send, void *ctx)
{
	struct tt_pending_rec **link = &p->head, *r, *last = NULL;
	bool past = !b;

	if (!(p->objects & object_bit(tgid, conn)))
		return;
	if (b) {
		for (r = p->head; r; r = r->next)
			if (same_object(&r->rec, tgid, conn) && r->rec.bind_token == b->bind_token)
				last = r;
		if (!last)
			return;
	}
	while ((r = *link)) {
		bool mine = same_object(&r->rec, tgid, conn);

		if (!mine) {
			link = &r->next;
			continue;
		}
		if (past && b && !r->bound)
			break; /* a later call, still waiting */
		if (r == last)
			past = true;
		*link = r->next;
		send_rec(p, r, b && r->rec.bind_token == b->bind_token ? b : NULL, send, ctx);
	}
	relink(p);
}

/* A bind record, kept for its call's records still to come: in the slot
 * of its call if there is one (a call of many TLS records sends a bind
 * record for each), else in the oldest. */
static void remember_bind(struct tt_pending *p, const struct tt_bind_rec *b)
{
	for (size_t i = 0; i < TT_PENDING_BINDS; i++) {
		struct tt_bind_rec *k = &p->binds[i];

		if (k->bind_token == b->bind_token && k->hdr.tgid == b->hdr.tgid &&
		    k->conn_ptr == b->conn_ptr) {
			*k = *b;
			return;
		}
	}
	p->binds[p->next_bind] = *b;
	p->next_bind = (p->next_bind + 1) % TT_PENDING_BINDS;
}

/* The bind record kept for record d's call, if it is not too old. */
static const struct tt_bind_rec *bind_of(const struct tt_pending *p, const struct tt_data_rec *d)
{
	for (size_t i = 0; i < TT_PENDING_BINDS; i++) {
		const struct tt_bind_rec *b = &p->binds[i];

		if (b->bind_token && b->bind_token == d->bind_token &&
		    same_object(d, b->hdr.tgid, b->conn_ptr) &&
		    p->seen_ns - (int64_t)b->hdr.time_ns < TT_PENDING_NS)
			return b;
	}
	return NULL;
}

/* Send a record that comes (d) on at once, with the socket of b if given. */
static void send_now(struct tt_pending *p, const struct tt_data_rec *d, uint32_t len,
		     const struct tt_bind_rec *b, tt_pending_send_fn send, void *ctx)
{
	if (len > sizeof(p->now))
		len = sizeof(p->now); /* no record is longer: the kernel's scratch is this */
	memcpy(&p->now, d, len);
	if (b)
		apply_bind(&p->now.rec, b);
	send_waited(p, &p->now.rec, len, b != NULL, send, ctx);
}

static void hold(struct tt_pending *p, const struct tt_data_rec *d, uint32_t len,
		 tt_pending_send_fn send, void *ctx)
{
	const struct tt_bind_rec *b = bind_of(p, d);
	uint64_t bit = object_bit(d->hdr.tgid, d->conn_ptr);
	bool waiting = false;
	struct tt_pending_rec *r;

	for (r = (p->objects & bit) ? p->head : NULL; r && !waiting; r = r->next)
		waiting = same_object(&r->rec, d->hdr.tgid, d->conn_ptr);
	/* Its socket is known and nothing of its object waits: it goes now. */
	if (b && !waiting) {
		send_now(p, d, len, b, send, ctx);
		return;
	}
	if (p->head && (p->n >= TT_PENDING_MAX || p->bytes + len > TT_PENDING_BYTES)) {
		while (p->head && (p->n >= TT_PENDING_MAX || p->bytes + len > TT_PENDING_BYTES)) {
			r = p->head;
			p->head = r->next;
			send_rec(p, r, NULL, send, ctx);
		}
		relink(p);
	}
	r = malloc(sizeof(*r) - sizeof(r->rec) + len);
	if (!r) {
		/* No memory to hold it: it goes now, after its object's. */
		send_object(p, d->hdr.tgid, d->conn_ptr, NULL, send, ctx);
		send_now(p, d, len, b, send, ctx);
		return;
	}
	r->next = NULL;
	r->len = len;
	r->bound = b != NULL;
	memcpy(&r->rec, d, len);
	if (b)
		apply_bind(&r->rec, b);
	if (p->tail)
		p->tail->next = r;
	else
		p->head = r;
	p->tail = r;
	p->objects |= bit;
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

		if (len < sizeof(*b) || !b->bind_token)
			return true;
		/* Kept for records of its call still to come (the rest of a
		 * call whose first chunks it binds here, too). */
		remember_bind(p, b);
		send_object(p, h->tgid, b->conn_ptr, b, send, ctx);
		return true;
	}
	if (h->type != TT_REC_DATA || len < sizeof(*d))
		return false;
	if (d->flags & TT_EV_BIND_PENDING) {
		hold(p, d, len, send, ctx);
		return true;
	}
	/* The object's next record: what waited for it goes first. */
	send_object(p, h->tgid, d->conn_ptr, NULL, send, ctx);
	return false;
}

void tt_pending_release(struct tt_pending *p, int64_t now, tt_pending_send_fn send, void *ctx)
{
	struct tt_pending_rec **link = &p->head, *r;
	uint64_t kept = 0; /* objects with a record still held before this one */

	if (!p->n)
		return;
	while ((r = *link)) {
		uint64_t bit = object_bit(r->rec.hdr.tgid, r->rec.conn_ptr);

		/* Due or bound already, and not behind a record of its object
		 * that stays. */
		if ((kept & bit) || !(tt_held_due((int64_t)r->rec.hdr.time_ns, now) || r->bound)) {
			kept |= bit;
			link = &r->next;
			continue;
		}
		*link = r->next;
		send_rec(p, r, NULL, send, ctx);
	}
	relink(p);
}

int64_t tt_pending_oldest(const struct tt_pending *p)
{
	int64_t oldest = INT64_MAX;

	for (const struct tt_pending_rec *r = p->head; r; r = r->next)
		if ((int64_t)r->rec.hdr.time_ns < oldest)
			oldest = (int64_t)r->rec.hdr.time_ns;
	return oldest;
}

void tt_pending_free(struct tt_pending *p)
{
	struct tt_pending_rec *r, *next;

	for (r = p->head; r; r = next) {
		next = r->next;
		free(r);
	}
	p->head = p->tail = NULL;
	p->n = p->bytes = 0;
	p->objects = 0;
}
