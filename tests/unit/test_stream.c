// SPDX-License-Identifier: MIT
/* The streams stage: order, gaps, keys, ends, roles, bounds. */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "testutil.h"

#include "stream/stream.h"

#define MAX_EV 256

struct ev {
	char kind; /* o(pen) d(ata) g(ap) e(nd) */
	uint64_t conn_id;
	unsigned dir;
	uint64_t off, len;
	int why;
	char data[64];
};

struct rec {
	struct tt_streams st;
	struct ev ev[MAX_EV];
	unsigned n;
};

static struct ev *add(struct rec *r, char kind, const struct tt_conn *c)
{
	struct ev *e;

	assert_true(r->n < MAX_EV);
	e = &r->ev[r->n++];
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->conn_id = c->id;
	return e;
}

static void on_open(void *ctx, struct tt_conn *c, const struct tt_chunk *f)
{
	(void)f;
	add(ctx, 'o', c);
}

static void on_data(void *ctx, struct tt_conn *c, const struct tt_chunk *ch, uint64_t off,
		    const uint8_t *p, uint32_t n)
{
	struct ev *e = add(ctx, 'd', c);

	e->dir = ch->dir;
	e->off = off;
	e->len = n;
	memcpy(e->data, p, n < sizeof(e->data) - 1 ? n : sizeof(e->data) - 1);
}

static void on_gap(void *ctx, struct tt_conn *c, unsigned dir, uint64_t off, uint64_t len,
		   enum tt_gap_why why, int64_t t)
{
	struct ev *e = add(ctx, 'g', c);

	(void)t;
	e->dir = dir;
	e->off = off;
	e->len = len;
	e->why = why;
}

static void on_end(void *ctx, struct tt_conn *c, enum tt_end_reason why, int64_t t)
{
	(void)t;
	add(ctx, 'e', c)->why = why;
}

static void rec_init(struct rec *r, const struct tt_stream_limits *lim)
{
	struct tt_stream_ops ops = {on_open, on_data, on_gap, on_end, r};

	memset(r, 0, sizeof(*r));
	assert_int_equal(tt_streams_init(&r->st, &ops, lim), 0);
}

static struct tt_chunk chunk(uint32_t pid, uint16_t lport, uint64_t conn, unsigned dir,
			     const char *s, int64_t t)
{
	struct tt_chunk c = {
	    .time_ns = t,
	    .pid = pid,
	    .tid = pid,
	    .lib = TT_LIB_GO,
	    .dir = (uint8_t)dir,
	    .conn = conn,
	    .stream_off = TT_STREAM_OFF_UNKNOWN,
	    .data = (const uint8_t *)s,
	    .data_len = (uint32_t)strlen(s),
	    .call_len = (uint32_t)strlen(s),
	};

	if (lport) {
		c.tuple.family = AF_INET;
		c.tuple.lport = lport;
		c.tuple.rport = 443;
		inet_pton(AF_INET, "127.0.0.1", c.tuple.laddr);
		inet_pton(AF_INET, "127.0.0.1", c.tuple.raddr);
	}
	return c;
}

static void feed(struct rec *r, struct tt_chunk c)
{
	assert_int_equal(tt_streams_chunk(&r->st, &c), 0);
}

static void expect(const struct ev *e, char kind, unsigned dir, uint64_t off, uint64_t len)
{
	assert_int_equal(e->kind, kind);
	assert_int_equal(e->dir, dir);
	assert_int_equal(e->off, off);
	assert_int_equal(e->len, len);
}

static void test_order_and_offsets(void **state)
{
	struct rec r;

	(void)state;
	rec_init(&r, NULL);
	feed(&r, chunk(1, 1000, 7, TT_DIR_WRITE, "hello", 10));
	feed(&r, chunk(1, 1000, 7, TT_DIR_READ, "world!", 20));
	feed(&r, chunk(1, 1000, 7, TT_DIR_WRITE, "again", 30));
	assert_int_equal(r.n, 4);
	assert_int_equal(r.ev[0].kind, 'o');
	expect(&r.ev[1], 'd', TT_DIR_WRITE, 0, 5);
	expect(&r.ev[2], 'd', TT_DIR_READ, 0, 6);
	expect(&r.ev[3], 'd', TT_DIR_WRITE, 5, 5);
	assert_string_equal(r.ev[3].data, "again");
	assert_int_equal(r.st.counters[TT_SC_CONNS], 1);
	tt_streams_free(&r.st, 40);
	assert_int_equal(r.ev[4].kind, 'e');
	assert_int_equal(r.ev[4].why, TT_END_FLUSH);
}

/* Truncated calls and lost chunks: gaps of known length, never stitched. */
static void test_gaps_without_stream_off(void **state)
{
	struct rec r;
	struct tt_chunk c;

	(void)state;
	rec_init(&r, NULL);
	c = chunk(1, 1000, 7, TT_DIR_READ, "abcd", 10);
	c.call_len = 100; /* 4 captured of 100 */
	c.flags = TT_EV_TRUNCATED;
	feed(&r, c);
	/* A call in two chunks whose second chunk never came. */
	c = chunk(1, 1000, 7, TT_DIR_READ, "12345", 20);
	c.call_len = 10;
	c.flags = TT_EV_MORE;
	feed(&r, c);
	feed(&r, chunk(1, 1000, 7, TT_DIR_READ, "next", 30));
	/* A chunk whose first chunks never came. */
	c = chunk(1, 1000, 7, TT_DIR_READ, "tail", 40);
	c.call_len = 12;
	c.chunk_off = 8;
	feed(&r, c);
	assert_int_equal(r.n, 8);
	expect(&r.ev[1], 'd', TT_DIR_READ, 0, 4);
	expect(&r.ev[2], 'g', TT_DIR_READ, 4, 96);
	assert_int_equal(r.ev[2].why, TT_GAP_TRUNCATED);
	expect(&r.ev[3], 'd', TT_DIR_READ, 100, 5);
	expect(&r.ev[4], 'g', TT_DIR_READ, 105, 5);
	assert_int_equal(r.ev[4].why, TT_GAP_LOST);
	expect(&r.ev[5], 'd', TT_DIR_READ, 110, 4);
	expect(&r.ev[6], 'g', TT_DIR_READ, 114, 8);
	expect(&r.ev[7], 'd', TT_DIR_READ, 122, 4);
	assert_int_equal(r.st.counters[TT_SC_GAP_BYTES], 96 + 5 + 8);
	tt_streams_free(&r.st, 50);
}

/* With stream_off: a jump is a gap, a chunk ahead of a hole waits for it,
 * overlaps are trimmed. */
static void test_stream_off(void **state)
{
	struct rec r;
	struct tt_chunk c;

	(void)state;
	rec_init(&r, NULL);
	c = chunk(1, 1000, 7, TT_DIR_WRITE, "aaaa", 10);
	c.stream_off = 0;
	feed(&r, c);
	c = chunk(1, 1000, 7, TT_DIR_WRITE, "cccc", 11);
	c.stream_off = 8; /* ahead: held */
	feed(&r, c);
	assert_int_equal(r.n, 2);
	c = chunk(1, 1000, 7, TT_DIR_WRITE, "bbbb", 12);
	c.stream_off = 4; /* fills the hole: both go out */
	feed(&r, c);
	assert_int_equal(r.n, 4);
	expect(&r.ev[2], 'd', TT_DIR_WRITE, 4, 4);
	expect(&r.ev[3], 'd', TT_DIR_WRITE, 8, 4);
	assert_string_equal(r.ev[3].data, "cccc");
	c = chunk(1, 1000, 7, TT_DIR_WRITE, "ccdd", 13);
	c.stream_off = 10; /* overlaps 2 bytes */
	feed(&r, c);
	expect(&r.ev[4], 'd', TT_DIR_WRITE, 12, 2);
	assert_string_equal(r.ev[4].data, "dd");
	c = chunk(1, 1000, 7, TT_DIR_WRITE, "late", 14);
	c.stream_off = 20; /* held, then given up on: a gap of 6 */
	feed(&r, c);
	tt_streams_tick(&r.st, 14 + TT_STREAM_DEFAULT_HOLD_NS + 1);
	expect(&r.ev[5], 'g', TT_DIR_WRITE, 14, 6);
	expect(&r.ev[6], 'd', TT_DIR_WRITE, 20, 4);
	assert_int_equal(r.st.counters[TT_SC_OVERLAP_BYTES], 2);
	assert_int_equal(r.st.counters[TT_SC_HELD], 2);
	/* The read direction starts at 100 while writes were seen from 0: lost. */
	c = chunk(1, 1000, 7, TT_DIR_READ, "resp", 15);
	c.stream_off = 100;
	feed(&r, c);
	expect(&r.ev[7], 'g', TT_DIR_READ, 0, 100);
	assert_int_equal(r.ev[7].why, TT_GAP_LOST);
	tt_streams_free(&r.st, 50);
}

/* A connection already open at attach: its first offset is not a loss. */
static void test_unseen_start_and_reuse(void **state)
{
	struct rec r;
	struct tt_chunk c;

	(void)state;
	rec_init(&r, NULL);
	c = chunk(1, 0, 0xabc, TT_DIR_READ, "mid", 10);
	c.stream_off = 5000;
	feed(&r, c);
	expect(&r.ev[1], 'g', TT_DIR_READ, 0, 5000);
	assert_int_equal(r.ev[1].why, TT_GAP_UNSEEN);
	assert_int_equal(r.st.counters[TT_SC_GAP_BYTES], 0);
	/* The TLS object's address reused by a new session: a new connection. */
	c = chunk(1, 0, 0xabc, TT_DIR_READ, "new", 20);
	c.stream_off = 0;
	feed(&r, c);
	assert_int_equal(r.ev[3].kind, 'e');
	assert_int_equal(r.ev[3].why, TT_END_REUSED);
	assert_int_equal(r.ev[4].kind, 'o');
	assert_true(r.ev[4].conn_id != r.ev[0].conn_id);
	tt_streams_free(&r.st, 50);
}

/* Keys: tuple-less chunks never join a tuple's connection; one tuple with
 * two TLS objects is two connections that one conn_end ends. */
static void test_keys_and_ends(void **state)
{
	struct rec r;
	struct tt_conn_end e;
	struct tt_chunk c;

	(void)state;
	rec_init(&r, NULL);
	feed(&r, chunk(1, 1000, 7, TT_DIR_WRITE, "outer", 10));
	feed(&r, chunk(1, 1000, 8, TT_DIR_WRITE, "inner", 11));
	feed(&r, chunk(1, 0, 7, TT_DIR_WRITE, "notuple", 12));
	feed(&r, chunk(2, 1000, 7, TT_DIR_WRITE, "otherpid", 13));
	assert_int_equal(r.st.counters[TT_SC_CONNS], 4);
	c = chunk(1, 1000, 7, TT_DIR_WRITE, "x", 14);
	e = (struct tt_conn_end){.time_ns = 20, .pid = 1, .tuple = c.tuple};
	tt_streams_conn_end(&r.st, &e);
	assert_int_equal(r.st.counters[TT_SC_END_CLOSE], 2);
	assert_int_equal(r.st.counters[TT_SC_CONNS_ACTIVE], 2);
	tt_streams_proc_exit(&r.st, 2, 30);
	assert_int_equal(r.st.counters[TT_SC_END_EXIT], 1);
	tt_streams_tick(&r.st, 30 + TT_STREAM_DEFAULT_IDLE_NS + 1);
	assert_int_equal(r.st.counters[TT_SC_END_IDLE], 1);
	assert_int_equal(r.st.counters[TT_SC_CONNS_ACTIVE], 0);
	tt_streams_free(&r.st, 50);
}

static void test_lru_cap(void **state)
{
	struct tt_stream_limits lim = {.max_conns = 3};
	struct rec r;

	(void)state;
	rec_init(&r, &lim);
	for (uint16_t p = 1; p <= 3; p++)
		feed(&r, chunk(1, p, 7, TT_DIR_WRITE, "x", p));
	feed(&r, chunk(1, 1, 7, TT_DIR_WRITE, "y", 10)); /* port 1 used again */
	feed(&r, chunk(1, 4, 7, TT_DIR_WRITE, "z", 11)); /* evicts port 2 */
	assert_int_equal(r.st.counters[TT_SC_END_EVICT], 1);
	assert_int_equal(r.st.counters[TT_SC_CONNS_ACTIVE], 3);
	for (unsigned i = 0; i < r.n; i++)
		if (r.ev[i].kind == 'e')
			assert_int_equal(r.ev[i].conn_id, 2);
	tt_streams_free(&r.st, 50);
}

static enum tt_role hint(void *ctx, uint32_t pid, const struct tt_tuple *t)
{
	(void)ctx, (void)pid;
	return t->lport == 443 ? TT_ROLE_SERVER : TT_ROLE_CLIENT;
}

static void test_role(void **state)
{
	struct rec r;
	struct tt_conn *c;

	(void)state;
	rec_init(&r, NULL);
	tt_streams_set_role_hint(&r.st, hint, NULL);
	feed(&r, chunk(1, 443, 7, TT_DIR_READ, "x", 1));
	c = r.st.lru_head;
	assert_int_equal(c->role, TT_ROLE_SERVER);
	assert_int_equal(c->role_src, TT_ROLE_SRC_LISTEN);
	tt_conn_set_role(c, TT_ROLE_CLIENT); /* the protocol says otherwise: it wins */
	assert_int_equal(c->role, TT_ROLE_CLIENT);
	tt_conn_set_role(c, TT_ROLE_SERVER); /* and stays */
	assert_int_equal(c->role, TT_ROLE_CLIENT);
	feed(&r, chunk(1, 0, 9, TT_DIR_READ, "x", 2)); /* no tuple: no hint */
	assert_int_equal(r.st.lru_head->role, TT_ROLE_UNKNOWN);
	tt_streams_free(&r.st, 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_and_offsets),
	    cmocka_unit_test(test_gaps_without_stream_off),
	    cmocka_unit_test(test_stream_off),
	    cmocka_unit_test(test_unseen_start_and_reuse),
	    cmocka_unit_test(test_keys_and_ends),
	    cmocka_unit_test(test_lru_cap),
	    cmocka_unit_test(test_role),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
