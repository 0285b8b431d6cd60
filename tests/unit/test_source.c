// SPDX-License-Identifier: MIT
/*
 * The live source's wakeup mark: for every ring buffer size trace accepts
 * (a power of two, 64 KiB to 1 GiB), the reader is woken while most of the
 * buffer is still free, never later than at 256 KiB.  A mark at or above
 * the buffer's size is never reached: the reader would run only on its
 * poll timeout, and a small buffer would drop nearly every record.
 */
#include "testutil.h"

#include "trace/source.h"

static void test_wakeup_below_buffer(void **state)
{
	(void)state;
	for (uint64_t size = 64u << 10; size <= 1u << 30; size *= 2) {
		uint32_t mark = tt_source_wakeup_bytes((uint32_t)size);

		assert_true(mark > 0);
		assert_true((uint64_t)mark * 8 <= size);
		assert_true(mark <= 256u << 10);
		if (size >= 2u << 20)
			assert_int_equal(mark, 256u << 10);
	}
	assert_int_equal(tt_source_wakeup_bytes(64u << 10), 8u << 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wakeup_below_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
