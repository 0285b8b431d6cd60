// SPDX-License-Identifier: MIT
/*
 * Records that end streams are held back TT_HELD_NS after the kernel
 * recorded them, in their order, so that the data of a call whose return
 * probe ran after its socket closed reaches the streams first, and behind
 * data recorded before them that still waits for its socket; data is
 * never held; a full hold sends its oldest on; the end of the run sends
 * everything.
 */
#include "testutil.h"

#include "trace/held.h"

struct sent {
	char order[64];
	size_t n;
};

static void send(void *ctx, const void *rec, uint32_t len)
{
	const struct tt_rec_hdr *h = rec;
	struct sent *s = ctx;

	(void)len;
	if (s->n + 1 < sizeof(s->order))
		s->order[s->n++] = h->type == TT_REC_CONN_END ? 'E' : h->type == TT_REC_PROC ? 'P' : 'D';
	s->order[s->n] = '\0';
}

/* The source's loop: held records, else sent at once. */
static void feed(struct tt_held *h, struct sent *s, const void *rec, uint32_t len)
{
	if (!tt_held_push(h, rec, len, send, s))
		send(s, rec, len);
}

static void test_end_after_late_data(void **state)
{
	static struct tt_held h;
	struct sent s = { "", 0 };
	struct tt_conn_end_rec end = { .hdr = { .type = TT_REC_CONN_END, .time_ns = 1000 } };
	struct tt_proc_rec exit = { .hdr = { .type = TT_REC_PROC, .time_ns = 1001 } };
	struct tt_data_rec data = { .hdr = { .type = TT_REC_DATA, .time_ns = 1002 } };

	(void)state;
	feed(&h, &s, &end, sizeof(end));
	feed(&h, &s, &exit, sizeof(exit));
	/* The late return probe's data: recorded after the close. */
	feed(&h, &s, &data, sizeof(data));
	tt_held_release(&h, 1000 + TT_HELD_NS - 1, INT64_MAX, send, &s);
	assert_string_equal(s.order, "D");
	tt_held_release(&h, 1000 + TT_HELD_NS, INT64_MAX, send, &s);
	assert_string_equal(s.order, "DE");
	tt_held_release(&h, 1001 + TT_HELD_NS, INT64_MAX, send, &s);
	assert_string_equal(s.order, "DEP");
	assert_int_equal(h.n, 0);
}

/* Data still waiting for its socket (trace/pending.h), recorded before an
 * end: the end waits behind it, even when due. */
static void test_behind_waiting_data(void **state)
{
	static struct tt_held h;
	struct sent s = { "", 0 };
	struct tt_conn_end_rec end = { .hdr = { .type = TT_REC_CONN_END, .time_ns = 1000 } };
	struct tt_proc_rec exit = { .hdr = { .type = TT_REC_PROC, .time_ns = 3000 } };

	(void)state;
	feed(&h, &s, &end, sizeof(end));
	feed(&h, &s, &exit, sizeof(exit));
	tt_held_release(&h, 1000000000, 1000, send, &s);
	assert_string_equal(s.order, "");
	tt_held_release(&h, 1000000000, 2000, send, &s);
	assert_string_equal(s.order, "E");
	tt_held_release(&h, 1000000000, INT64_MAX, send, &s);
	assert_string_equal(s.order, "EP");
}

static void test_full_and_final(void **state)
{
	static struct tt_held h;
	struct sent s = { "", 0 };
	struct tt_conn_end_rec end = { .hdr = { .type = TT_REC_CONN_END, .time_ns = 5 } };

	(void)state;
	for (size_t i = 0; i < TT_HELD_MAX; i++)
		feed(&h, &s, &end, sizeof(end));
	assert_int_equal(s.n, 0);
	feed(&h, &s, &end, sizeof(end)); /* one more: the oldest goes */
	assert_string_equal(s.order, "E");
	assert_int_equal(h.n, TT_HELD_MAX);
	tt_held_release(&h, INT64_MAX, INT64_MAX, send, &s);
	assert_int_equal(h.n, 0);
	assert_int_equal(s.n, sizeof(s.order) - 1); /* recorded up to its room */
	/* A record too short to be one that ends streams is not held. */
	assert_false(tt_held_push(&h, &end, 4, send, &s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_end_after_late_data),
		cmocka_unit_test(test_behind_waiting_data),
		cmocka_unit_test(test_full_and_final),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
