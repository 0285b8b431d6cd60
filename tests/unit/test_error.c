// SPDX-License-Identifier: MIT
/* The error convention: a failure is never returned as 0. */
#include "testutil.h"

#include <errno.h>
#include <string.h>

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

/* The safe text of a string (its bytes up to the NUL). */
static const char *safe(const char *src)
{
	static char out[256];

	tt_text_safe(out, sizeof(out), src, strlen(src));
	return out;
}

/* A terminal acts on none of what a traced process can name a file. */
static void test_text_safe(void **state)
{
	char small[8];

	(void)state;
	assert_string_equal(safe("plain /usr/lib/x.so: 1 2\ta\n"), "plain /usr/lib/x.so: 1 2\ta\n");
	/* ESC, BEL, CR, DEL; the backslash is kept */
	assert_string_equal(safe("a\x1b[31m\x07\r\x7f\\b"), "a\\x1b[31m\\x07\\x0d\\x7f\\b");
	/* UTF-8: kept when well formed (é, €, an emoji), C1 controls escaped */
	assert_string_equal(safe("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92"),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
	assert_string_equal(safe("\xc2\x9b" "2J"), "\\xc2\\x9b" "2J");
	/* invalid: a lone continuation, overlong, a surrogate, past U+10FFFF, cut */
	assert_string_equal(safe("\x80"), "\\x80");
	assert_string_equal(safe("\xc0\xaf"), "\\xc0\\xaf");
	assert_string_equal(safe("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	assert_string_equal(safe("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");
	assert_string_equal(safe("\xe2\x82"), "\\xe2\\x82");
	/* a right-to-left override and isolate; a left-to-right mark stays */
	assert_string_equal(safe("a\xe2\x80\xae" "b\xe2\x81\xa7" "c\xe2\x80\x8e"),
			    "a\\xe2\\x80\\xae" "b\\xe2\\x81\\xa7" "c\xe2\x80\x8e");
	/* short dst: cut at a whole byte or escape, always terminated */
	assert_int_equal(tt_text_safe(small, sizeof(small), "abc\x1b\x1b", 5), 7);
	assert_string_equal(small, "abc\\x1b");
	assert_int_equal(tt_text_safe(small, sizeof(small), "\xe2\x82\xac\xe2\x82\xac", 6), 6);
	assert_string_equal(small, "\xe2\x82\xac\xe2\x82\xac");
	assert_int_equal(tt_text_safe(small, 1, "abc", 3), 0);
	assert_string_equal(small, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_error_set_is_negative),
		cmocka_unit_test(test_text_safe),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
