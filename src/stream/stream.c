// SPDX-License-Identifier: MIT
/* Per-connection reassembly: ordered byte streams, gaps, ends, roles. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stream/stream.h"

/* Most chunks held ahead of a hole in one direction. */
#define MAX_HELD 16

struct tt_held {
	struct tt_chunk c; /* data points to its own copy */
	uint64_t off;
	uint64_t trunc; /* bytes the call lost after this chunk (last chunk of a truncated call) */
};

#define TT_STREAM_NAME(e, n) [TT_SC_##e] = n,
static const char *const counter_names[TT_SC_COUNT] = {TT_STREAM_COUNTERS(TT_STREAM_NAME)};
#undef TT_STREAM_NAME

const char *tt_stream_counter_name(enum tt_stream_counter c)
{
	return (unsigned)c < TT_SC_COUNT ? counter_names[c] : "?";
}

const char *tt_role_name(enum tt_role r)
{
	switch (r) {
	case TT_ROLE_CLIENT:
		return "client";
	case TT_ROLE_SERVER:
		return "server";
	default:
		return "unknown";
	}
}

void tt_conn_set_role(struct tt_conn *c, enum tt_role role)
{
	if (role == TT_ROLE_UNKNOWN || c->role_src == TT_ROLE_SRC_PROTOCOL)
		return;
	c->role = (uint8_t)role;
	c->role_src = TT_ROLE_SRC_PROTOCOL;
}

/* --- the table ----------------------------------------------------------- */

static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h;
}

/* Attributed connections hash by {pid, tuple} (a conn_end finds every TLS
 * session of the socket), the others by {pid, TLS object}. */
static uint64_t hash_tuple(uint32_t pid, const struct tt_tuple *t)
{
	uint64_t h = mix(pid, (uint64_t)t->family << 32 | (uint64_t)t->lport << 16 | t->rport);
	uint64_t a[4];

	memcpy(a, t->laddr, 16);
	memcpy(a + 2, t->raddr, 16);
	for (int i = 0; i < 4; i++)
		h = mix(h, a[i]);
	return h;
}

static uint64_t hash_key(uint32_t pid, const struct tt_tuple *t, uint64_t tls)
{
	return t->family ? hash_tuple(pid, t) : mix(mix(0x5bd1e995, pid), tls);
}

static bool same_tuple(const struct tt_tuple *a, const struct tt_tuple *b)
{
	return a->family == b->family && a->lport == b->lport && a->rport == b->rport &&
	       !memcmp(a->laddr, b->laddr, 16) && !memcmp(a->raddr, b->raddr, 16);
}

static struct tt_conn **bucket(struct tt_streams *s, uint64_t h)
{
	return &s->buckets[h & (s->n_buckets - 1)];
}

static void lru_unlink(struct tt_streams *s, struct tt_conn *c)
{
	if (c->lru_prev)
		c->lru_prev->lru_next = c->lru_next;
	else
		s->lru_head = c->lru_next;
	if (c->lru_next)
		c->lru_next->lru_prev = c->lru_prev;
	else
		s->lru_tail = c->lru_prev;
	c->lru_prev = c->lru_next = NULL;
}

static void lru_push(struct tt_streams *s, struct tt_conn *c)
{
	c->lru_prev = NULL;
	c->lru_next = s->lru_head;
	if (s->lru_head)
		s->lru_head->lru_prev = c;
	s->lru_head = c;
	if (!s->lru_tail)
		s->lru_tail = c;
}

static void lru_touch(struct tt_streams *s, struct tt_conn *c)
{
	if (s->lru_head == c)
		return;
	lru_unlink(s, c);
	lru_push(s, c);
}

static int grow(struct tt_streams *s)
{
	size_t n = s->n_buckets * 2;
	struct tt_conn **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < s->n_buckets; i++) {
		struct tt_conn *c = s->buckets[i], *next;

		for (; c; c = next) {
			uint64_t h = hash_key(c->pid, &c->tuple, c->tls);

			next = c->hnext;
			c->hnext = b[h & (n - 1)];
			b[h & (n - 1)] = c;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->n_buckets = n;
	return 0;
}

int tt_streams_init(struct tt_streams *s, const struct tt_stream_ops *ops,
		    const struct tt_stream_limits *lim)
{
	memset(s, 0, sizeof(*s));
	s->ops = *ops;
	if (lim)
		s->lim = *lim;
	if (!s->lim.max_conns)
		s->lim.max_conns = TT_STREAM_DEFAULT_MAX_CONNS;
	if (!s->lim.conn_buffer)
		s->lim.conn_buffer = TT_STREAM_DEFAULT_CONN_BUFFER;
	if (!s->lim.idle_ns)
		s->lim.idle_ns = TT_STREAM_DEFAULT_IDLE_NS;
	if (!s->lim.hold_ns)
		s->lim.hold_ns = TT_STREAM_DEFAULT_HOLD_NS;
	s->n_buckets = 256;
	s->buckets = calloc(s->n_buckets, sizeof(*s->buckets));
	s->next_id = 1;
	return s->buckets ? 0 : -ENOMEM;
}

void tt_streams_set_role_hint(struct tt_streams *s, tt_role_hint_fn fn, void *ctx)
{
	s->role_hint = fn;
	s->role_ctx = ctx;
}

/* --- connections --------------------------------------------------------- */

static char *dup_or_null(const char *p)
{
	return p ? strdup(p) : NULL;
}

static void free_held(struct tt_stream_dir *d)
{
	for (uint32_t i = 0; i < d->n_held; i++)
		free((void *)d->held[i].c.data);
	free(d->held);
	d->held = NULL;
	d->n_held = 0;
	d->held_bytes = 0;
}

static void held_release(struct tt_streams *s, struct tt_conn *c, unsigned di, bool all);

/* Unlink and free; the consumers hear of it first. */
static void conn_end(struct tt_streams *s, struct tt_conn *c, enum tt_end_reason why, int64_t now)
{
	struct tt_conn **pp = bucket(s, hash_key(c->pid, &c->tuple, c->tls));
	static const enum tt_stream_counter ctr[] = {
	    [TT_END_CLOSE] = TT_SC_END_CLOSE,  [TT_END_EXIT] = TT_SC_END_EXIT,
	    [TT_END_IDLE] = TT_SC_END_IDLE,    [TT_END_EVICTED] = TT_SC_END_EVICT,
	    [TT_END_REUSED] = TT_SC_END_REUSE,
	};

	/* What was held ahead of a hole still goes out, after the hole. */
	for (unsigned di = 0; di < 2; di++)
		held_release(s, c, di, true);
	if (s->ops.end)
		s->ops.end(s->ops.ctx, c, why, now);
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	lru_unlink(s, c);
	s->n_conns--;
	s->counters[TT_SC_CONNS_ACTIVE] = s->n_conns;
	if ((unsigned)why < ARRAY_SIZE(ctr) && ctr[why])
		s->counters[ctr[why]]++;
	for (unsigned di = 0; di < 2; di++)
		free_held(&c->dir[di]);
	free((void *)c->origin.cgroup);
	free((void *)c->origin.container);
	free((void *)c->origin.pod_uid);
	free(c);
}

static struct tt_conn *conn_find(struct tt_streams *s, const struct tt_chunk *ch)
{
	struct tt_conn *c = *bucket(s, hash_key(ch->pid, &ch->tuple, ch->conn));

	for (; c; c = c->hnext)
		if (c->pid == ch->pid && c->tls == ch->conn && same_tuple(&c->tuple, &ch->tuple))
			return c;
	return NULL;
}

static struct tt_conn *conn_new(struct tt_streams *s, const struct tt_chunk *ch)
{
	struct tt_conn *c;
	uint64_t h;

	if (s->n_conns >= s->lim.max_conns && s->lru_tail)
		conn_end(s, s->lru_tail, TT_END_EVICTED, s->now_ns);
	if (s->n_conns >= s->n_buckets && grow(s))
		return NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->id = s->next_id++;
	c->pid = ch->pid;
	c->tls = ch->conn;
	c->tuple = ch->tuple;
	memcpy(c->comm, ch->comm, sizeof(c->comm));
	c->comm[sizeof(c->comm) - 1] = '\0';
	c->lib = ch->lib;
	c->attribution = ch->attribution;
	c->origin.ns_pid = ch->origin.ns_pid;
	c->origin.cgroup = dup_or_null(ch->origin.cgroup);
	c->origin.container = dup_or_null(ch->origin.container);
	c->origin.pod_uid = dup_or_null(ch->origin.pod_uid);
	c->first_ns = c->last_ns = ch->time_ns;
	if (s->role_hint && ch->tuple.family) {
		c->role = (uint8_t)s->role_hint(s->role_ctx, ch->pid, &ch->tuple);
		if (c->role != TT_ROLE_UNKNOWN)
			c->role_src = TT_ROLE_SRC_LISTEN;
	}
	h = hash_key(c->pid, &c->tuple, c->tls);
	c->hnext = *bucket(s, h);
	*bucket(s, h) = c;
	lru_push(s, c);
	s->n_conns++;
	s->counters[TT_SC_CONNS]++;
	s->counters[TT_SC_CONNS_ACTIVE] = s->n_conns;
	if (s->ops.open)
		s->ops.open(s->ops.ctx, c, ch);
	return c;
}

/* --- one direction ------------------------------------------------------- */

static void emit_gap(struct tt_streams *s, struct tt_conn *c, unsigned di, uint64_t len,
		     enum tt_gap_why why, int64_t t)
{
	struct tt_stream_dir *d = &c->dir[di];

	if (why != TT_GAP_UNSEEN)
		s->counters[len == TT_GAP_UNKNOWN ? TT_SC_GAPS_UNKNOWN : TT_SC_GAPS]++;
	if (s->ops.gap)
		s->ops.gap(s->ops.ctx, c, di ? TT_DIR_WRITE : TT_DIR_READ, d->next, len, why, t);
	if (len == TT_GAP_UNKNOWN)
		return;
	if (why != TT_GAP_UNSEEN) {
		s->counters[TT_SC_GAP_BYTES] += len;
		d->gap_bytes += len;
	}
	d->next += len;
}

/* Deliver bytes at off; what lies before d->next was seen already. */
static void emit_data(struct tt_streams *s, struct tt_conn *c, unsigned di,
		      const struct tt_chunk *ch, uint64_t off, uint64_t trunc)
{
	struct tt_stream_dir *d = &c->dir[di];
	const uint8_t *p = ch->data;
	uint32_t n = ch->data_len;

	if (off < d->next) {
		uint64_t skip = d->next - off;

		if (skip >= n) {
			s->counters[TT_SC_OVERLAP_BYTES] += n;
			return;
		}
		s->counters[TT_SC_OVERLAP_BYTES] += skip;
		p += skip;
		n -= (uint32_t)skip;
		off = d->next;
	}
	if (n && s->ops.data)
		s->ops.data(s->ops.ctx, c, ch, off, p, n);
	d->next = off + n;
	d->bytes += n;
	if (trunc)
		emit_gap(s, c, di, trunc,
			 ch->flags & TT_EV_TRUNCATED ? TT_GAP_TRUNCATED : TT_GAP_LOST, ch->time_ns);
}

/* Deliver what is held and now in order; with all, give up on the holes. */
static void held_release(struct tt_streams *s, struct tt_conn *c, unsigned di, bool all)
{
	struct tt_stream_dir *d = &c->dir[di];

	while (d->n_held) {
		struct tt_held h = d->held[0];

		if (h.off > d->next) {
			if (!all)
				break;
			emit_gap(s, c, di, h.off - d->next, TT_GAP_LOST, h.c.time_ns);
		}
		memmove(d->held, d->held + 1, (d->n_held - 1) * sizeof(*d->held));
		d->n_held--;
		d->held_bytes -= h.c.data_len;
		h.c.origin = c->origin;
		emit_data(s, c, di, &h.c, h.off, h.trunc);
		free((void *)h.c.data);
	}
	if (d->n_held)
		d->held_since = d->held[0].c.time_ns;
}

/* Keep a chunk that came ahead of a hole; false if it cannot be held. */
static bool hold(struct tt_streams *s, struct tt_conn *c, unsigned di, const struct tt_chunk *ch,
		 uint64_t off, uint64_t trunc)
{
	struct tt_stream_dir *d = &c->dir[di];
	struct tt_held *h;
	uint32_t i;
	void *copy;

	if (d->n_held >= MAX_HELD || d->held_bytes + ch->data_len > s->lim.conn_buffer)
		return false;
	if (!d->held && !(d->held = calloc(MAX_HELD, sizeof(*d->held))))
		return false;
	copy = malloc(ch->data_len ? ch->data_len : 1);
	if (!copy)
		return false;
	memcpy(copy, ch->data, ch->data_len);
	for (i = d->n_held; i > 0 && d->held[i - 1].off > off; i--)
		d->held[i] = d->held[i - 1];
	h = &d->held[i];
	h->c = *ch;
	h->c.data = copy;
	h->c.origin = (struct tt_origin){0};
	h->off = off;
	h->trunc = trunc;
	if (!d->n_held++)
		d->held_since = ch->time_ns;
	d->held_bytes += ch->data_len;
	s->counters[TT_SC_HELD]++;
	return true;
}

/*
 * Where a chunk's bytes go without a stream_off: right after what came
 * before, except that what is missing of a TLS call is known from the
 * call's length and the chunk offsets.
 */
static uint64_t place_unknown(struct tt_streams *s, struct tt_conn *c, unsigned di,
			      const struct tt_chunk *ch)
{
	struct tt_stream_dir *d = &c->dir[di];

	if (d->call_open && (ch->chunk_off == 0 || ch->tid != d->call_tid)) {
		/* The rest of the previous call never came. */
		emit_gap(s, c, di, d->call_len - d->call_next, TT_GAP_LOST, ch->time_ns);
		d->call_open = false;
	}
	if (ch->chunk_off > (d->call_open ? d->call_next : 0))
		emit_gap(s, c, di, ch->chunk_off - (d->call_open ? d->call_next : 0), TT_GAP_LOST,
			 ch->time_ns);
	return d->next;
}

/* Bytes of the call lost after this chunk (it is the call's last). */
static uint64_t call_tail(const struct tt_chunk *ch)
{
	uint64_t end = (uint64_t)ch->chunk_off + ch->data_len;

	if (ch->flags & TT_EV_MORE || end >= ch->call_len)
		return 0;
	return ch->call_len - end;
}

static void track_call(struct tt_stream_dir *d, const struct tt_chunk *ch)
{
	d->call_open = ch->flags & TT_EV_MORE;
	d->call_tid = ch->tid;
	d->call_len = ch->call_len;
	d->call_next = ch->chunk_off + ch->data_len;
}

static void dir_chunk(struct tt_streams *s, struct tt_conn *c, const struct tt_chunk *ch)
{
	unsigned di = TT_DIR_IDX(ch->dir);
	struct tt_stream_dir *d = &c->dir[di];
	uint64_t trunc = call_tail(ch), off;

	if (ch->stream_off == TT_STREAM_OFF_UNKNOWN) {
		if (!d->started)
			d->started = true;
		off = place_unknown(s, c, di, ch);
		track_call(d, ch);
		emit_data(s, c, di, ch, off, trunc);
		return;
	}
	off = ch->stream_off;
	if (!d->started) {
		const struct tt_stream_dir *o = &c->dir[!di];

		d->started = true;
		d->from_start = off == 0;
		d->next = 0;
		/* Bytes before the first one seen: lost if the other direction
		 * was seen from its start, else from before tlstap came. */
		if (off)
			emit_gap(s, c, di, off,
				 o->started && o->from_start ? TT_GAP_LOST : TT_GAP_UNSEEN,
				 ch->time_ns);
	}
	track_call(d, ch);
	if (off > d->next) {
		if (hold(s, c, di, ch, off, trunc))
			return;
		/* No room to wait for the hole: it is a gap. */
		s->counters[TT_SC_HELD_DROPPED] += d->n_held ? 1 : 0;
		held_release(s, c, di, true);
		if (off > d->next)
			emit_gap(s, c, di, off - d->next, TT_GAP_LOST, ch->time_ns);
	}
	emit_data(s, c, di, ch, off, trunc);
	held_release(s, c, di, false);
}

/* --- entry points -------------------------------------------------------- */

/* A chunk at stream offset 0 of a stream that has seen bytes: a new TLS
 * session at the same address (the old object was freed and reused). */
static bool is_new_session(const struct tt_conn *c, const struct tt_chunk *ch)
{
	const struct tt_stream_dir *d = &c->dir[TT_DIR_IDX(ch->dir)];

	return ch->stream_off == 0 && ch->chunk_off == 0 && d->started && d->next > 0;
}

int tt_streams_chunk(struct tt_streams *s, const struct tt_chunk *ch)
{
	struct tt_conn *c;

	if (ch->time_ns > s->now_ns)
		s->now_ns = ch->time_ns;
	if (ch->dir != TT_DIR_READ && ch->dir != TT_DIR_WRITE)
		return 0;
	c = conn_find(s, ch);
	if (c && is_new_session(c, ch)) {
		conn_end(s, c, TT_END_REUSED, ch->time_ns);
		c = NULL;
	}
	if (!c && !(c = conn_new(s, ch)))
		return -ENOMEM;
	lru_touch(s, c);
	c->last_ns = ch->time_ns;
	dir_chunk(s, c, ch);
	return 0;
}

void tt_streams_conn_end(struct tt_streams *s, const struct tt_conn_end *e)
{
	struct tt_conn *c, *next;

	if (!e->tuple.family)
		return;
	if (e->time_ns > s->now_ns)
		s->now_ns = e->time_ns;
	c = *bucket(s, hash_tuple(e->pid, &e->tuple));
	for (; c; c = next) {
		next = c->hnext;
		if (c->pid == e->pid && same_tuple(&c->tuple, &e->tuple))
			conn_end(s, c, TT_END_CLOSE, e->time_ns);
	}
}

void tt_streams_proc_exit(struct tt_streams *s, uint32_t pid, int64_t time_ns)
{
	struct tt_conn *c, *next;

	if (time_ns > s->now_ns)
		s->now_ns = time_ns;
	/* A walk over every connection: exits are rare next to chunks. */
	for (c = s->lru_head; c; c = next) {
		next = c->lru_next;
		if (c->pid == pid)
			conn_end(s, c, TT_END_EXIT, time_ns);
	}
}

void tt_streams_tick(struct tt_streams *s, int64_t now_ns)
{
	struct tt_conn *c, *prev;

	if (now_ns > s->now_ns)
		s->now_ns = now_ns;
	now_ns = s->now_ns;
	/* Least recently used first: stop at the first one still active. */
	while ((c = s->lru_tail) && now_ns - c->last_ns > s->lim.idle_ns)
		conn_end(s, c, TT_END_IDLE, now_ns);
	for (c = s->lru_tail; c; c = prev) {
		prev = c->lru_prev;
		for (unsigned di = 0; di < 2; di++)
			if (c->dir[di].n_held && now_ns - c->dir[di].held_since > s->lim.hold_ns)
				held_release(s, c, di, true);
	}
}

void tt_streams_flush(struct tt_streams *s, enum tt_end_reason why, int64_t now_ns)
{
	if (now_ns > s->now_ns)
		s->now_ns = now_ns;
	while (s->lru_tail)
		conn_end(s, s->lru_tail, why, s->now_ns);
}

void tt_streams_free(struct tt_streams *s, int64_t now_ns)
{
	if (!s->buckets)
		return;
	tt_streams_flush(s, TT_END_FLUSH, now_ns);
	free(s->buckets);
	s->buckets = NULL;
}
