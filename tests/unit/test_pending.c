// SPDX-License-Identifier: MIT
/*
 * Data records waiting for their socket (late binding of memory-BIO
 * calls): held in order until the bind record of their call, which gives
 * them its socket, and only its own call's; a bind record that comes first
 * is kept for them; a record bound early still waits behind its object's
 * earlier ones; a record of the same TLS object that is not waiting sends
 * the held ones first, without a socket; others pass; due records and the
 * end of the run send the rest without; --port judges the tuple they leave
 * with; the hold is bounded by count and bytes; no flag leaves.
 */
#include "testutil.h"

#include "tlstap/compiler.h"
#include "trace/pending.h"

#define TGID 100
#define OBJ_A 0xa000
#define OBJ_B 0xb000

struct sent {
	struct tt_data_rec rec[16];
	char order[64];
	size_t n;
};

/* Records are remembered as a letter each: the first byte of their chunk
 * (data), 'x' for anything else. */
static void send(void *ctx, const void *rec, uint32_t len)
{
	const struct tt_data_rec *d = rec;
	struct sent *s = ctx;
	char c = 'x';

	if (d->hdr.type == TT_REC_DATA && len > sizeof(*d))
		c = ((const char *)(d + 1))[0];
	if (s->n < ARRAY_SIZE(s->rec) && d->hdr.type == TT_REC_DATA)
		s->rec[s->n] = *d;
	if (s->n + 1 < sizeof(s->order))
		s->order[s->n++] = c;
	s->order[s->n] = '\0';
}

struct data {
	struct tt_data_rec rec;
	char chunk[1];
};

static struct data data(char name, uint64_t conn, uint32_t token, uint64_t time_ns)
{
	struct data d = { .rec = { .hdr = { .type = TT_REC_DATA, .tgid = TGID, .time_ns = time_ns },
				   .conn_ptr = conn, .fd = -1, .chunk_len = 1 },
			  .chunk = { name } };

	if (token) {
		d.rec.flags = TT_EV_BIND_PENDING;
		d.rec.bind_token = token;
	}
	return d;
}

static struct tt_bind_rec bind(uint64_t conn, uint32_t token, uint16_t lport)
{
	struct tt_bind_rec b = { .hdr = { .type = TT_REC_BIND, .tgid = TGID },
				 .conn_ptr = conn, .bind_token = token, .fd = 7,
				 .tuple = { .family = 2, .lport = lport, .rport = 443 } };

	return b;
}

/* The source's loop: taken, else sent at once. */
static void feed(struct tt_pending *p, struct sent *s, const void *rec, uint32_t len)
{
	if (!tt_pending_push(p, rec, len, send, s))
		send(s, rec, len);
}

#define FEED(p, s, x) feed((p), (s), &(x), sizeof(x))

static void assert_bound(const struct tt_data_rec *r, uint16_t lport)
{
	assert_int_equal(r->attribution, TT_ATTR_CIPHERTEXT);
	assert_int_equal(r->tuple.lport, lport);
	assert_int_equal(r->fd, 7);
	assert_int_equal(r->flags & TT_EV_BIND_PENDING, 0);
	assert_int_equal(r->bind_token, 0);
}

static void assert_unbound(const struct tt_data_rec *r)
{
	assert_int_equal(r->attribution, TT_ATTR_NONE);
	assert_int_equal(r->tuple.family, 0);
	assert_int_equal(r->flags & TT_EV_BIND_PENDING, 0);
	assert_int_equal(r->bind_token, 0);
}

static void test_bound_in_order(void **state)
{
	struct tt_pending p = { 0 };
	struct sent s = { .n = 0 };
	struct data w1 = data('w', OBJ_A, 1, 10), o = data('o', OBJ_B, 0, 11);
	struct data w2 = data('v', OBJ_A, 1, 12), r = data('r', OBJ_A, 0, 20);
	struct tt_bind_rec b = bind(OBJ_A, 1, 5000);

	(void)state;
	FEED(&p, &s, w1);
	FEED(&p, &s, o); /* another object's record passes */
	FEED(&p, &s, w2); /* the same call's next chunk waits too */
	assert_string_equal(s.order, "o");
	assert_int_equal(p.n, 2);
	FEED(&p, &s, b); /* consumed, and gives both chunks its socket */
	assert_string_equal(s.order, "owv");
	assert_bound(&s.rec[1], 5000);
	assert_bound(&s.rec[2], 5000);
	FEED(&p, &s, r);
	assert_string_equal(s.order, "owvr");
	assert_int_equal(p.n, 0);
	assert_int_equal(p.bytes, 0);
	assert_int_equal(p.bound, 2);
	assert_int_equal(p.unbound, 0);
}

static void test_bind_names_its_call_only(void **state)
{
	struct tt_pending p = { 0 };
	struct sent s = { .n = 0 };
	struct data w1 = data('1', OBJ_A, 1, 10), w2 = data('2', OBJ_A, 2, 11);
	struct data w3 = data('3', OBJ_A, 3, 12), other = data('b', OBJ_B, 2, 13);
	struct tt_bind_rec b2 = bind(OBJ_A, 2, 6000), b3 = bind(OBJ_A, 3, 6000);
	struct tt_bind_rec stale = bind(OBJ_A, 9, 6001);

	(void)state;
	FEED(&p, &s, stale); /* nothing of its call waits: binds nothing */
	assert_int_equal(s.n, 0);
	FEED(&p, &s, w1);
	FEED(&p, &s, w2);
	FEED(&p, &s, w3);
	FEED(&p, &s, other); /* same token, another object */
	FEED(&p, &s, b2);
	/* Call 1 goes first, without a socket; call 3 waits for its own. */
	assert_string_equal(s.order, "12");
	assert_unbound(&s.rec[0]);
	assert_bound(&s.rec[1], 6000);
	assert_int_equal(p.n, 2);
	FEED(&p, &s, b3);
	assert_string_equal(s.order, "123");
	assert_bound(&s.rec[2], 6000);
	/* The other object's record is untouched by A's binds. */
	tt_pending_release(&p, INT64_MAX, send, &s);
	assert_string_equal(s.order, "123b");
	assert_unbound(&s.rec[3]);
	assert_int_equal(p.bound, 2);
	assert_int_equal(p.unbound, 2);
}

static void test_next_record_and_due(void **state)
{
	struct tt_pending p = { 0 };
	struct sent s = { .n = 0 };
	struct data w = data('w', OBJ_A, 1, 1000), r = data('r', OBJ_A, 0, 1001);
	struct data x = data('x', OBJ_B, 4, 2000);
	struct tt_bind_rec late = bind(OBJ_A, 1, 5000);

	(void)state;
	FEED(&p, &s, w);
	FEED(&p, &s, r); /* the object's next record: w goes first, unbound */
	assert_string_equal(s.order, "wr");
	assert_unbound(&s.rec[0]);
	FEED(&p, &s, late); /* too late: nothing waits */
	assert_string_equal(s.order, "wr");
	FEED(&p, &s, x);
	tt_pending_release(&p, 2000 + TT_PENDING_NS - 1, send, &s);
	assert_string_equal(s.order, "wr");
	tt_pending_release(&p, 2000 + TT_PENDING_NS, send, &s);
	assert_string_equal(s.order, "wrx");
	assert_unbound(&s.rec[2]);
	assert_int_equal(p.n, 0);
}

/* The bind record before its call's records (the send ran on another
 * thread first): kept for them, they leave at once with its socket. */
static void test_bind_first(void **state)
{
	struct tt_pending p = { 0 };
	struct sent s = { .n = 0 };
	struct data c1 = data('1', OBJ_A, 5, 10), c2 = data('2', OBJ_A, 5, 11);
	struct tt_bind_rec b = bind(OBJ_A, 5, 7000);

	(void)state;
	b.hdr.time_ns = 9;
	FEED(&p, &s, b);
	FEED(&p, &s, c1);
	FEED(&p, &s, c2);
	assert_string_equal(s.order, "12");
	assert_bound(&s.rec[0], 7000);
	assert_bound(&s.rec[1], 7000);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.bound, 2);
}

/* Between two chunks of one call: the first waits and is bound, the next
 * leaves bound at once. */
static void test_bind_between_chunks(void **state)
{
	struct tt_pending p = { 0 };
	struct sent s = { .n = 0 };
	struct data c1 = data('1', OBJ_A, 5, 10), c2 = data('2', OBJ_A, 5, 12);
	struct tt_bind_rec b = bind(OBJ_A, 5, 7000);

	(void)state;
	b.hdr.time_ns = 11;
	FEED(&p, &s, c1);
	FEED(&p, &s, b);
	FEED(&p, &s, c2);
	assert_string_equal(s.order, "12");
	assert_bound(&s.rec[0], 7000);
	assert_bound(&s.rec[1], 7000);
}

/* A call bound early still waits behind its object's earlier call. */
static void test_bound_waits_its_turn(void **state)
{
	struct tt_pending p = { 0 };
	struct sent s = { .n = 0 };
	struct data w1 = data('1', OBJ_A, 1, 10), w2 = data('2', OBJ_A, 2, 12);
	struct tt_bind_rec b1 = bind(OBJ_A, 1, 7000), b2 = bind(OBJ_A, 2, 7000);

	(void)state;
	b2.hdr.time_ns = 11;
	b1.hdr.time_ns = 13;
	FEED(&p, &s, w1);
	FEED(&p, &s, b2);
	FEED(&p, &s, w2); /* its socket is known: behind w1 all the same */
	tt_pending_release(&p, 13, send, &s);
	assert_string_equal(s.order, "");
	assert_int_equal(tt_pending_oldest(&p), 10);
	FEED(&p, &s, b1);
	assert_string_equal(s.order, "12");
	assert_bound(&s.rec[0], 7000);
	assert_bound(&s.rec[1], 7000);
	assert_int_equal(tt_pending_oldest(&p), INT64_MAX);

	/* The same when w1 leaves unbound at its time: w2 follows at once. */
	w1.rec.hdr.time_ns = 100;
	w1.rec.bind_token = 3;
	w2.rec.hdr.time_ns = 102;
	w2.rec.bind_token = 4;
	b2.bind_token = 4;
	b2.hdr.time_ns = 101;
	FEED(&p, &s, w1);
	FEED(&p, &s, b2);
	FEED(&p, &s, w2);
	tt_pending_release(&p, 100 + TT_PENDING_NS, send, &s);
	assert_string_equal(s.order, "1212");
	assert_unbound(&s.rec[2]);
	assert_bound(&s.rec[3], 7000);
}

/* A later call that is not bound keeps waiting; the list takes more after
 * a walk that stopped in its middle. */
static void test_partial_walk(void **state)
{
	struct tt_pending p = { 0 };
	struct sent s = { .n = 0 };
	struct data a1 = data('a', OBJ_A, 1, 10), b1 = data('b', OBJ_B, 2, 11);
	struct data a2 = data('c', OBJ_A, 3, 12), b2 = data('d', OBJ_B, 2, 13);
	struct tt_bind_rec bind_a1 = bind(OBJ_A, 1, 5000);

	(void)state;
	FEED(&p, &s, a1);
	FEED(&p, &s, b1);
	FEED(&p, &s, a2);
	FEED(&p, &s, bind_a1);
	assert_string_equal(s.order, "a");
	assert_int_equal(p.n, 2);
	FEED(&p, &s, b2);
	assert_int_equal(p.n, 3);
	tt_pending_release(&p, INT64_MAX, send, &s);
	assert_string_equal(s.order, "abcd");
	assert_int_equal(p.n, 0);
	assert_int_equal(p.bound, 1);
	assert_int_equal(p.unbound, 3);
}

/* --port: judged on the tuple a record leaves with. */
static void test_port_filter(void **state)
{
	static const uint16_t ports[] = { 443 };
	struct tt_pending p = { 0 };
	struct sent s = { .n = 0 };
	struct data w1 = data('1', OBJ_A, 1, 10), w2 = data('2', OBJ_B, 2, 11);
	struct data w3 = data('3', OBJ_A, 3, 12);
	struct tt_bind_rec b1 = bind(OBJ_A, 1, 5000), b2 = bind(OBJ_B, 2, 5001);

	(void)state;
	tt_pending_set_ports(&p, ports, 1);
	b1.tuple.lport = 443; /* either end */
	b1.tuple.rport = 5000;
	b2.tuple.rport = 80;
	FEED(&p, &s, w1);
	FEED(&p, &s, w2);
	FEED(&p, &s, b1); /* lport 443 */
	FEED(&p, &s, b2); /* 5001 and 80 */
	FEED(&p, &s, w3);
	tt_pending_release(&p, INT64_MAX, send, &s); /* no tuple */
	assert_string_equal(s.order, "1");
	assert_int_equal(p.bound, 2);
	assert_int_equal(p.unbound, 1);
	assert_int_equal(p.filtered, 2);
}

/* A bind record kept longer than a record waits binds nothing; a record
 * sent at once evicts nothing. */
static void test_old_bind_and_no_eviction(void **state)
{
	struct tt_pending p = { 0 };
	struct sent s = { .n = 0 };
	struct tt_bind_rec b = bind(OBJ_A, 6, 7000), b2 = bind(OBJ_A, 8, 7000);
	struct data late = data('l', OBJ_A, 6, 10 + TT_PENDING_NS);
	struct data other = data('o', OBJ_B, 7, 20 + TT_PENDING_NS);
	struct data now = data('n', OBJ_A, 8, 31 + TT_PENDING_NS);

	(void)state;
	b.hdr.time_ns = 10;
	FEED(&p, &s, b);
	FEED(&p, &s, late);
	assert_int_equal(p.n, 1); /* held: the bind record is too old */
	tt_pending_release(&p, INT64_MAX, send, &s);
	assert_string_equal(s.order, "l");
	assert_unbound(&s.rec[0]);

	for (size_t i = 0; i < TT_PENDING_MAX; i++)
		FEED(&p, &s, other);
	b2.hdr.time_ns = 30 + TT_PENDING_NS;
	FEED(&p, &s, b2);
	FEED(&p, &s, now);
	assert_string_equal(s.order, "ln");
	assert_bound(&s.rec[1], 7000);
	assert_int_equal(p.n, TT_PENDING_MAX);
	tt_pending_free(&p);
}

/* Records of one object keep their order even when the later one is due
 * first (two threads writing one object: their times cross). */
static void test_order_over_time(void **state)
{
	struct tt_pending p = { 0 };
	struct sent s = { .n = 0 };
	struct data w1 = data('1', OBJ_A, 1, 50), w2 = data('2', OBJ_A, 2, 10);

	(void)state;
	FEED(&p, &s, w1);
	FEED(&p, &s, w2);
	tt_pending_release(&p, 10 + TT_PENDING_NS, send, &s);
	assert_string_equal(s.order, "");
	tt_pending_release(&p, 50 + TT_PENDING_NS, send, &s);
	assert_string_equal(s.order, "12");
}

/* More bytes than the hold takes: the oldest goes on. */
static void test_byte_limit(void **state)
{
	const uint32_t big = TT_PENDING_BYTES / 4;
	struct tt_pending p = { 0 };
	struct sent s = { .n = 0 };
	struct data w = data('w', OBJ_A, 1, 10);
	uint8_t *rec = calloc(1, big);

	(void)state;
	assert_non_null(rec);
	memcpy(rec, &w, sizeof(w));
	((struct tt_data_rec *)rec)->chunk_len = big - sizeof(struct tt_data_rec);
	for (int i = 0; i < 4; i++)
		feed(&p, &s, rec, big);
	assert_int_equal(s.n, 0);
	assert_int_equal(p.bytes, 4 * (size_t)big);
	feed(&p, &s, rec, big);
	assert_string_equal(s.order, "w");
	assert_int_equal(p.n, 4);
	tt_pending_free(&p);
	assert_int_equal(p.n, 0);
	free(rec);
}

static void test_full(void **state)
{
	struct tt_pending p = { 0 };
	struct sent s = { .n = 0 };
	struct data w = data('w', OBJ_A, 1, 10);
	struct tt_conn_end_rec end = { .hdr = { .type = TT_REC_CONN_END } };

	(void)state;
	for (size_t i = 0; i < TT_PENDING_MAX; i++)
		FEED(&p, &s, w);
	assert_int_equal(s.n, 0);
	FEED(&p, &s, w); /* one more: the oldest goes */
	assert_string_equal(s.order, "w");
	assert_int_equal(p.n, TT_PENDING_MAX);
	/* Not data: not taken. */
	assert_false(tt_pending_push(&p, &end, sizeof(end), send, &s));
	assert_false(tt_pending_push(&p, &w, 4, send, &s));
	tt_pending_release(&p, INT64_MAX, send, &s);
	assert_int_equal(p.n, 0);
	assert_int_equal(p.bytes, 0);
	assert_int_equal(p.unbound, TT_PENDING_MAX + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bound_in_order),
		cmocka_unit_test(test_bind_names_its_call_only),
		cmocka_unit_test(test_next_record_and_due),
		cmocka_unit_test(test_bind_first),
		cmocka_unit_test(test_bind_between_chunks),
		cmocka_unit_test(test_bound_waits_its_turn),
		cmocka_unit_test(test_partial_walk),
		cmocka_unit_test(test_port_filter),
		cmocka_unit_test(test_old_bind_and_no_eviction),
		cmocka_unit_test(test_order_over_time),
		cmocka_unit_test(test_byte_limit),
		cmocka_unit_test(test_full),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
