// SPDX-License-Identifier: MIT
/*
 * Argument and result locations of the traced functions under each Go
 * calling convention (src/cmd/compile/abi-internal.md for ABIInternal; the
 * ABI0 stack layout for go < 1.17 amd64 / < 1.18 arm64).
 */
#include "testutil.h"

#include <errno.h>

#include "goint.h"
#include "tlstap/hooks.h"

static struct tt_function locs(const char *name, enum tt_arch arch, enum tt_go_abi abi)
{
	struct tt_function f = { .name = name, .hook = tt_hook_find(TT_LIB_GO, name) };
	struct tt_error err = { { 0 } };

	assert_non_null(f.hook);
	assert_int_equal(tt_goabi_locations(arch, abi, &f, &err), 0);
	return f;
}

static void expect(const struct tt_value_loc *l, const char *name, const char *reg, int idx,
		   int32_t stack)
{
	assert_string_equal(l->name, name);
	if (reg) {
		assert_int_equal(l->kind, TT_LOC_REG);
		assert_string_equal(l->reg, reg);
		assert_int_equal(l->abi_index, idx);
	} else {
		assert_int_equal(l->kind, TT_LOC_STACK);
		assert_null(l->reg);
		assert_int_equal(l->stack_offset, stack);
	}
}

static void test_register_amd64(void **state)
{
	struct tt_function f = locs("crypto/tls.(*Conn).Write", TT_ARCH_X86_64, TT_GO_ABI_REGISTER);

	(void)state;
	assert_int_equal(f.n_args, 4);
	expect(&f.args[0], "c", "rax", 0, 0);
	expect(&f.args[1], "b.ptr", "rbx", 1, 0);
	expect(&f.args[2], "b.len", "rcx", 2, 0);
	expect(&f.args[3], "b.cap", "rdi", 3, 0);
	assert_int_equal(f.n_results, 3);
	expect(&f.results[0], "n", "rax", 0, 0);
	expect(&f.results[1], "err.tab", "rbx", 1, 0);
	expect(&f.results[2], "err.data", "rcx", 2, 0);
	f = locs("crypto/tls.(*Conn).Close", TT_ARCH_X86_64, TT_GO_ABI_REGISTER);
	assert_int_equal(f.n_args, 1);
	expect(&f.results[0], "err.tab", "rax", 0, 0);
	expect(&f.results[1], "err.data", "rbx", 1, 0);
}

static void test_register_arm64(void **state)
{
	struct tt_function f = locs("crypto/tls.(*Conn).Read", TT_ARCH_ARM64, TT_GO_ABI_REGISTER);

	(void)state;
	expect(&f.args[0], "c", "x0", 0, 0);
	expect(&f.args[3], "b.cap", "x3", 3, 0);
	expect(&f.results[2], "err.data", "x2", 2, 0);
}

/* ABI0: arguments from 8(SP) at entry, results right after them. */
static void test_stack(void **state)
{
	static const enum tt_arch arches[] = { TT_ARCH_X86_64, TT_ARCH_ARM64 };

	(void)state;
	for (size_t a = 0; a < 2; a++) {
		struct tt_function f = locs("crypto/tls.(*Conn).Read", arches[a], TT_GO_ABI_STACK);

		expect(&f.args[0], "c", NULL, 0, 8);
		expect(&f.args[1], "b.ptr", NULL, 0, 16);
		expect(&f.args[2], "b.len", NULL, 0, 24);
		expect(&f.args[3], "b.cap", NULL, 0, 32);
		expect(&f.results[0], "n", NULL, 0, 40);
		expect(&f.results[1], "err.tab", NULL, 0, 48);
		expect(&f.results[2], "err.data", NULL, 0, 56);
		f = locs("crypto/tls.(*Conn).Close", arches[a], TT_GO_ABI_STACK);
		expect(&f.args[0], "c", NULL, 0, 8);
		expect(&f.results[0], "err.tab", NULL, 0, 16);
		expect(&f.results[1], "err.data", NULL, 0, 24);
	}
}

static void test_unknown(void **state)
{
	struct tt_function f = { .name = "main.main" };
	struct tt_error err = { { 0 } };

	(void)state;
	assert_int_equal(tt_goabi_locations(TT_ARCH_X86_64, TT_GO_ABI_REGISTER, &f, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "main.main"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_amd64),
		cmocka_unit_test(test_register_arm64),
		cmocka_unit_test(test_stack),
		cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
