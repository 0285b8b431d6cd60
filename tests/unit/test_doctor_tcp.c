// SPDX-License-Identifier: MIT
/*
 * The doctor's /proc/PID/net/tcp{,6} parser on tables written here: IPv4
 * and IPv6 (::1, link-local, IPv4-mapped), every state the kernel prints,
 * time-wait lines (no inode), a namespace of its own with other addresses,
 * and lines that must be refused rather than taken for "no connection".
 * The address words are as this (little-endian) kernel prints them.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/tcptab.h"

static const char tcp4[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode                                                     \n"
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0  "
    "      0 298576 1 00000000b316d754 100 0 0 10 0                    \n"
    "   1: 0100007F:AFA0 0100007F:1F90 01 00000000:00000000 00:00000000 00000000     0  "
    "      0 394865 1 000000006f0660d3 20 4 30 10 -1                   \n"
    /* A time-wait socket: fewer trailing fields, inode 0. */
    "   2: 0100007F:AFA6 0100007F:1F90 06 00000000:00000000 03:00000208 00000000     0  "
    "      0 0 3 00000000c452d00e                                      \n"
    /* Orphaned while closing: no file any more, not closed yet. */
    "   3: 0100007F:AFA8 0100007F:1F90 05 00000000:00000000 00:00000000 00000000     0  "
    "      0 0 1 0000000012345678 20 4 30 10 -1\n"
    /* The kernel pads sl to 4 digits, a busy host has more. */
    "10000: 0100007F:AFAA 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000  "
    "      0 400001 1 0000000012345678 20 4 30 10 -1\n";

static const char tcp6[] =
    "  sl  local_address                         remote_address                        st "
    "tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    /* ::ffff:127.0.0.1:57608 -> ::ffff:127.0.0.1:34685: reported as IPv4. */
    "   2: 0000000000000000FFFF00000100007F:E108 0000000000000000FFFF00000100007F:877D 01 "
    "00000000:00000000 00:00000000 00000000     0        0 777868 2 0000000075b24c49 20 0 0 "
    "10 -1\n"
    /* [::1]:443 <- [::1]:50000 */
    "   3: 00000000000000000000000001000000:01BB 00000000000000000000000001000000:C350 08 "
    "00000000:00000000 00:00000000 00000000     0        0 777870 1 000000004d990e92 20 0 0 "
    "10 -1\n"
    /* [fe80::1]:22 -> [fe80::2]:40000, time-wait */
    "   4: 000080FE000000000000000001000000:0016 000080FE000000000000000002000000:9C40 06 "
    "00000000:00000000 03:00000208 00000000     0        0 0 3 0000000011111111\n";

/* Another namespace's table: its own addresses, its own inodes. */
static const char netns4[] =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  "
    "timeout inode\n"
    "   0: 0200000A:01BB 0300000A:D431 01 00000000:00000000 00:00000000 00000000     0  "
    "      0 5000 1 0000000012345678 20 4 30 10 -1\n";

static char dir[] = "/tmp/tlstap-tcptab-XXXXXX";

static void write_file(const char *sub, const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	mkdir(path, 0700);
	snprintf(path, sizeof(path), "%s/%s/%s", dir, sub, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void load(struct tt_tcp_table *t, const char *sub)
{
	struct tt_error err = {""};
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	memset(t, 0, sizeof(*t));
	if (tt_tcp_table_load(t, path, &err))
		fail_msg("load %s: %s", sub, err.msg);
}

static struct tt_tuple tuple(int family, const char *l, int lport, const char *r, int rport)
{
	struct tt_tuple t = {.family = family, .lport = lport, .rport = rport};

	assert_int_equal(inet_pton(family, l, t.laddr), 1);
	assert_int_equal(inet_pton(family, r, t.raddr), 1);
	return t;
}

static void test_ipv4_lines(void **state)
{
	struct tt_tcp_sock s;
	uint8_t lo[4] = {127, 0, 0, 1};

	(void)state;
	assert_int_equal(
	    tt_tcp_parse_line("  sl  local_address rem_address   st tx_queue rx_queue", &s), 1);
	assert_int_equal(tt_tcp_parse_line("   1: 0100007F:AFA0 0100007F:1F90 01 "
					   "00000000:00000000 00:00000000 00000000     0        "
					   "0 394865 1 000000006f0660d3 20 4 30 10 -1",
					   &s),
			 0);
	assert_int_equal(s.tuple.family, AF_INET);
	assert_memory_equal(s.tuple.laddr, lo, 4);
	assert_memory_equal(s.tuple.raddr, lo, 4);
	assert_int_equal(s.tuple.lport, 0xAFA0);
	assert_int_equal(s.tuple.rport, 8080);
	assert_int_equal(s.state, TT_TCP_ESTABLISHED);
	assert_int_equal(s.inode, 394865);
	assert_true(tt_tcp_open(&s));
}

static void test_refused_lines(void **state)
{
	static const char *const bad[] = {
	    "",
	    "   1: 0100007F:AFA0 0100007F:1F90 01",		    /* too short */
	    "   1: 0100007G:AFA0 0100007F:1F90 01 0:0 0:0 0 0 0 5", /* not hex */
	    "   1: 0100007F:AFA0 0100007F:1F9 01 0:0 0:0 0 0 0 5",  /* short port */
	    "   1: 0100007F:AFA0 00000000000000000000000001000000:01BB 01 0:0 0:0 0 0 0 5",
	    "   1: 0100007F:AFA0 0100007F:1F90 00 0:0 0:0 0 0 0 5",  /* state 0 */
	    "   1: 0100007F:AFA0 0100007F:1F90 0D 0:0 0:0 0 0 0 5",  /* state 13 */
	    "   1: 0100007F:AFA0 0100007F:1F90 01 0:0 0:0 0 0 0 5x", /* inode */
	    "   x: 0100007F:AFA0 0100007F:1F90 01 0:0 0:0 0 0 0 5",
	};
	struct tt_tcp_sock s;

	(void)state;
	/* What each of them breaks, in a line that is accepted. */
	assert_int_equal(
	    tt_tcp_parse_line("   1: 0100007F:AFA0 0100007F:1F90 01 0:0 0:0 0 0 0 5", &s), 0);
	assert_int_equal(s.inode, 5);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (tt_tcp_parse_line(bad[i], &s) != -EINVAL)
			fail_msg("accepted: '%s'", bad[i]);
}

static void test_table_v4_and_v6(void **state)
{
	struct tt_tuple est = tuple(AF_INET, "127.0.0.1", 0xAFA0, "127.0.0.1", 8080);
	struct tt_tuple tw = tuple(AF_INET, "127.0.0.1", 0xAFA6, "127.0.0.1", 8080);
	struct tt_tuple fin = tuple(AF_INET, "127.0.0.1", 0xAFA8, "127.0.0.1", 8080);
	struct tt_tuple mapped = tuple(AF_INET, "127.0.0.1", 57608, "127.0.0.1", 34685);
	struct tt_tuple v6 = tuple(AF_INET6, "::1", 443, "::1", 50000);
	struct tt_tuple ll = tuple(AF_INET6, "fe80::1", 22, "fe80::2", 40000);
	struct tt_tuple other = tuple(AF_INET, "10.0.0.2", 443, "10.0.0.3", 54321);
	const struct tt_tcp_sock *s;
	struct tt_tcp_table t;

	(void)state;
	write_file("a", "tcp", tcp4);
	write_file("a", "tcp6", tcp6);
	load(&t, "a");
	assert_int_equal(t.n, 8);

	s = tt_tcp_find_tuple(&t, &est);
	assert_non_null(s);
	assert_int_equal(s->inode, 394865);
	assert_ptr_equal(tt_tcp_find_inode(&t, 394865), s);
	/* Closed already (time-wait): found, but not open. */
	s = tt_tcp_find_tuple(&t, &tw);
	assert_non_null(s);
	assert_int_equal(s->state, TT_TCP_TIME_WAIT);
	assert_false(tt_tcp_open(s));
	/* Closing, orphaned: still open for the tracer. */
	s = tt_tcp_find_tuple(&t, &fin);
	assert_non_null(s);
	assert_true(tt_tcp_open(s));
	assert_int_equal(s->inode, 0);
	/* An IPv4-mapped IPv6 connection is found by its IPv4 tuple. */
	s = tt_tcp_find_tuple(&t, &mapped);
	assert_non_null(s);
	assert_int_equal(s->inode, 777868);
	s = tt_tcp_find_tuple(&t, &v6);
	assert_non_null(s);
	assert_int_equal(s->state, TT_TCP_CLOSE_WAIT);
	s = tt_tcp_find_tuple(&t, &ll);
	assert_non_null(s);
	assert_false(tt_tcp_open(s));
	/* Reversed, or another namespace's: not here. */
	est = tuple(AF_INET, "127.0.0.1", 8080, "127.0.0.1", 0xAFA0);
	assert_null(tt_tcp_find_tuple(&t, &est));
	assert_null(tt_tcp_find_tuple(&t, &other));
	assert_null(tt_tcp_find_inode(&t, 5000));
	tt_tcp_table_free(&t);

	/* The other namespace, without IPv6 (no tcp6 file). */
	write_file("b", "tcp", netns4);
	load(&t, "b");
	assert_int_equal(t.n, 1);
	s = tt_tcp_find_tuple(&t, &other);
	assert_non_null(s);
	assert_int_equal(s->inode, 5000);
	assert_null(tt_tcp_find_tuple(&t, &mapped));
	tt_tcp_table_free(&t);
}

/* An open connection wins over a time-wait one of the same tuple. */
static void test_open_before_time_wait(void **state)
{
	struct tt_tuple k = tuple(AF_INET, "127.0.0.1", 1000, "127.0.0.1", 2000);
	struct tt_tcp_table t = {0};
	struct tt_error err = {""};
	const struct tt_tcp_sock *s;
	FILE *f = tmpfile();

	(void)state;
	assert_non_null(f);
	fputs("   0: 0100007F:03E8 0100007F:07D0 06 0:0 0:0 0 0 0 0 3 0\n"
	      "   1: 0100007F:03E8 0100007F:07D0 01 0:0 0:0 0 0 0 42 1 0\n",
	      f);
	rewind(f);
	assert_int_equal(tt_tcp_table_read(&t, f, "tmp", &err), 0);
	fclose(f);
	assert_int_equal(tt_tcp_table_index(&t), 0);
	s = tt_tcp_find_tuple(&t, &k);
	assert_non_null(s);
	assert_int_equal(s->inode, 42);
	tt_tcp_table_free(&t);
}

/* A table that cannot be read whole is an error, never "no connection". */
static void test_errors(void **state)
{
	struct tt_tcp_table t = {0};
	struct tt_error err = {""};
	char path[PATH_MAX];

	(void)state;
	write_file("c", "tcp", "  sl  local_address\n   0: garbage\n");
	snprintf(path, sizeof(path), "%s/c", dir);
	assert_int_equal(tt_tcp_table_load(&t, path, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "tcp:2:"));
	tt_tcp_table_free(&t);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(tt_tcp_table_load(&t, path, &err), -ENOENT);
	tt_tcp_table_free(&t);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int cleanup(void **state)
{
	(void)state;
	return tt_test_remove_tree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ipv4_lines),	    cmocka_unit_test(test_refused_lines),
	    cmocka_unit_test(test_table_v4_and_v6), cmocka_unit_test(test_open_before_time_wait),
	    cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, setup, cleanup);
}
