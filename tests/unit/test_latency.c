// SPDX-License-Identifier: MIT
/*
 * Attach latencies (trace --all --stats): percentiles from the fixed-size
 * histogram against the exact nearest-rank percentiles of the same samples,
 * which they may exceed by less than 1/16 and never undercut.
 */
#include "testutil.h"

#include "tlstap/compiler.h"
#include "trace/hostwide.h"

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Exact nearest-rank percentile of sorted v[0..n). */
static uint64_t exact_pct(const uint64_t *v, size_t n, double p)
{
	size_t rank = (size_t)(p * (double)n + 0.999999);

	return v[rank ? rank - 1 : 0];
}

static void check_against_exact(uint64_t *v, size_t n)
{
	static const double ps[] = { 0.0, 0.01, 0.5, 0.9, 0.99, 0.999, 1.0 };
	struct tt_latency *l = calloc(1, sizeof(*l));

	assert_non_null(l);
	for (size_t i = 0; i < n; i++)
		tt_latency_add(l, v[i]);
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 0; i < ARRAY_SIZE(ps); i++) {
		uint64_t want = exact_pct(v, n, ps[i]), got = tt_latency_pct(l, ps[i]);

		assert_true(got >= want);
		assert_true(got - want <= want / 16);
	}
	free(l);
}

static void test_empty(void **state)
{
	struct tt_latency l = { 0 };

	(void)state;
	assert_int_equal(tt_latency_pct(&l, 0.5), 0);
}

static void test_small_values_exact(void **state)
{
	uint64_t v[16];

	(void)state;
	for (size_t i = 0; i < 16; i++)
		v[i] = 15 - i;
	check_against_exact(v, 16);
}

static void test_spread(void **state)
{
	enum { N = 100000 };
	uint64_t *v = malloc(N * sizeof(*v));
	uint64_t x = 88172645463325252ull;

	(void)state;
	assert_non_null(v);
	/* xorshift64: values from 1 ns to about 2^40 ns, every magnitude. */
	for (size_t i = 0; i < N; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		v[i] = (x >> 24) >> (x % 40);
	}
	check_against_exact(v, N);
	free(v);
}

static void test_extremes(void **state)
{
	uint64_t v[] = { 0, 1, 16, 17, 31, 32, 1000000, UINT64_MAX / 2, UINT64_MAX };

	(void)state;
	check_against_exact(v, ARRAY_SIZE(v));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_small_values_exact),
		cmocka_unit_test(test_spread),
		cmocka_unit_test(test_extremes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
