// SPDX-License-Identifier: MIT
/* The error convention: a failure is never returned as 0. */
#include "testutil.h"

#include <errno.h>

#include "tlstap/error.h"

static void test_error_set_is_negative(void **state)
{
	struct tt_error err = { "" };

	(void)state;
	assert_int_equal(tt_error_set(&err, ENOENT, "no %s", "thing"), -ENOENT);
	assert_string_equal(err.msg, "no thing");
	assert_int_equal(tt_error_set(&err, -EINVAL, "x"), -EINVAL);
	/* errno left at 0 by a failing library call: still a failure. */
	assert_true(tt_error_set(&err, 0, "failed") < 0);
	assert_true(tt_error_set(NULL, 0, "failed") < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_set_is_negative),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
