// SPDX-License-Identifier: MIT
/* The replay reader: what the raw writer writes comes back exactly, and
 * malformed lines give one clear error with their line number. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

#include "out/raw.h"
#include "out/wbuf.h"
#include "trace/ndjson.h"

static struct tt_chunk sample(void)
{
	static const uint8_t data[] = "GET / HTTP/1.1\r\n\x00\xff\x80 \"quoted\" \\";
	struct tt_chunk c = {
	    .time_ns = 1795926846405552156,
	    .pid = 4242,
	    .tid = 4243,
	    .comm = "cur\xe9l",
	    .lib = TT_LIB_GO,
	    .dir = TT_DIR_WRITE,
	    .attribution = TT_ATTR_GO_MEMORY,
	    .flags = TT_EV_MORE,
	    .fd = 7,
	    .goid = 99,
	    .conn = 0xc000123456ULL,
	    .call_len = 5000,
	    .chunk_off = 16,
	    .stream_off = 123456,
	    .data = data,
	    .data_len = sizeof(data) - 1,
	};

	c.tuple.family = AF_INET6;
	c.tuple.lport = 40000;
	c.tuple.rport = 8443;
	inet_pton(AF_INET6, "::1", c.tuple.laddr);
	inet_pton(AF_INET6, "fe80::1", c.tuple.raddr);
	return c;
}

/* The raw NDJSON of what the writer writes, in a file. */
static void write_file(const char *path, void (*fn)(struct tt_raw_writer *))
{
	struct tt_raw_writer w;
	struct tt_wbuf b;
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(tt_wbuf_init(&b, fileno(f), 65536), 0);
	tt_raw_init(&w, TT_RAW_JSON, &b);
	fn(&w);
	assert_int_equal(tt_wbuf_flush(&b), 0);
	tt_wbuf_free(&b);
	fclose(f);
}

static void three(struct tt_raw_writer *w)
{
	struct tt_chunk c = sample();
	struct tt_conn_end e = {.time_ns = 5, .pid = 4242, .tuple = c.tuple};

	tt_raw_chunk(w, &c);
	c.tuple.family = 0;
	c.attribution = TT_ATTR_NONE;
	c.lib = TT_LIB_OPENSSL;
	c.fd = -1;
	c.stream_off = TT_STREAM_OFF_UNKNOWN;
	c.flags = TT_EV_TRUNCATED;
	c.data_len = 0;
	tt_raw_chunk(w, &c);
	tt_raw_conn_end(w, &e);
	tt_raw_proc_exit(w, 4242, 6);
}

static void test_round_trip(void **state)
{
	char path[] = "/tmp/tt-ndjson-XXXXXX";
	struct tt_ndjson_reader r;
	struct tt_ndjson_event ev;
	struct tt_error err = {""};
	struct tt_chunk want = sample();
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	write_file(path, three);
	assert_int_equal(tt_ndjson_open(&r, path, &err), 0);

	assert_int_equal(tt_ndjson_next(&r, &ev, &err), 1);
	assert_int_equal(ev.kind, TT_ND_CHUNK);
	assert_int_equal(ev.chunk.time_ns, want.time_ns);
	assert_int_equal(ev.chunk.pid, 4242);
	assert_int_equal(ev.chunk.tid, 4243);
	assert_string_equal(ev.chunk.comm, "cur\xe9l");
	assert_int_equal(ev.chunk.lib, TT_LIB_GO);
	assert_int_equal(ev.chunk.dir, TT_DIR_WRITE);
	assert_int_equal(ev.chunk.attribution, TT_ATTR_GO_MEMORY);
	assert_int_equal(ev.chunk.flags, TT_EV_MORE);
	assert_int_equal(ev.chunk.fd, 7);
	assert_int_equal(ev.chunk.goid, 99);
	assert_int_equal(ev.chunk.conn, 0xc000123456ULL);
	assert_int_equal(ev.chunk.call_len, 5000);
	assert_int_equal(ev.chunk.chunk_off, 16);
	assert_int_equal(ev.chunk.stream_off, 123456);
	assert_memory_equal(&ev.chunk.tuple, &want.tuple, sizeof(want.tuple));
	assert_int_equal(ev.chunk.data_len, want.data_len);
	assert_memory_equal(ev.chunk.data, want.data, want.data_len);

	assert_int_equal(tt_ndjson_next(&r, &ev, &err), 1);
	assert_int_equal(ev.chunk.tuple.family, 0);
	assert_int_equal(ev.chunk.fd, -1);
	assert_int_equal(ev.chunk.stream_off, TT_STREAM_OFF_UNKNOWN);
	assert_int_equal(ev.chunk.flags, TT_EV_TRUNCATED);
	assert_int_equal(ev.chunk.data_len, 0);
	assert_int_equal(ev.chunk.goid, 0);

	assert_int_equal(tt_ndjson_next(&r, &ev, &err), 1);
	assert_int_equal(ev.kind, TT_ND_CONN_END);
	assert_int_equal(ev.end.pid, 4242);
	assert_int_equal(ev.end.time_ns, 5);
	assert_memory_equal(&ev.end.tuple, &want.tuple, sizeof(want.tuple));

	assert_int_equal(tt_ndjson_next(&r, &ev, &err), 1);
	assert_int_equal(ev.kind, TT_ND_EXIT);
	assert_int_equal(ev.pid, 4242);
	assert_int_equal(ev.time_ns, 6);
	assert_int_equal(tt_ndjson_next(&r, &ev, &err), 0);
	tt_ndjson_close(&r);
	unlink(path);
}

#define GOOD                                                                                       \
	"\"time_ns\":1,\"pid\":2,\"tid\":3,\"comm\":\"c\",\"lib\":\"go\",\"dir\":\"read\","        \
	"\"len\":3,\"laddr\":null,\"lport\":null,\"raddr\":null,\"rport\":null,"                   \
	"\"attribution\":\"none\",\"truncated\":false,\"fd\":null,\"conn\":9,"                     \
	"\"chunk_off\":0,\"more\":false,\"data\":\"YWJj\""

static void test_good_line_extras(void **state)
{
	struct tt_ndjson_reader r = {.fd = -1};
	struct tt_ndjson_event ev;
	struct tt_error err = {""};
	static const char line[] = "{" GOOD ",\"future_key\":\"ignored\",\"ns_pid\":7,"
				   "\"cgroup\":\"/kubepods/pod1/abc\",\"container\":\"abc\"}";

	(void)state;
	assert_int_equal(tt_ndjson_parse(&r, line, strlen(line), &ev, &err), 0);
	assert_int_equal(ev.chunk.data_len, 3);
	assert_memory_equal(ev.chunk.data, "abc", 3);
	assert_int_equal(ev.chunk.origin.ns_pid, 7);
	assert_string_equal(ev.chunk.origin.cgroup, "/kubepods/pod1/abc");
	assert_string_equal(ev.chunk.origin.container, "abc");
	assert_null(ev.chunk.origin.pod_uid);
	tt_ndjson_close(&r);
}

static void test_malformed(void **state)
{
	static const struct {
		const char *line, *why;
	} bad[] = {
	    {"[1,2]", "not a JSON object"},
	    {"{" GOOD, "expected ',' or '}'"},
	    {"{" GOOD "} x", "text after the object"},
	    {"{" GOOD ",\"pid\":3}", "duplicate key"},
	    {"{\"time_ns\":1}", "missing key \"pid\""},
	    {"{" GOOD ",\"goid\":{}}", "nested value"},
	    {"{" GOOD ",\"goid\":-1}", "negative number"},
	    {"{" GOOD ",\"goid\":1.5}", "not an integer"},
	    {"{" GOOD ",\"goid\":99999999999999999999}", "out of range"},
	    {"{\"event\":\"reboot\",\"time_ns\":1,\"pid\":1}", "unknown \"event\""},
	    {"{\"event\":\"conn_end\",\"time_ns\":1,\"pid\":1}", "conn_end without its tuple"},
	    {"{\"x\":\"\\q\"}", "bad escape"},
	    {"{\"x\":\"abc}", "unterminated string"},
	};
	static const char *const bad_fields[][2] = {
	    {"\"lib\":\"go\"", "\"lib\":\"rust\""},
	    {"\"data\":\"YWJj\"", "\"data\":\"YWJ\""},
	    {"\"data\":\"YWJj\"", "\"data\":\"Y!Jj\""},
	    {"\"len\":3", "\"len\":2"},
	    {"\"laddr\":null", "\"laddr\":\"1.2.3.4\""},
	    {"\"comm\":\"c\"", "\"comm\":\"01234567890123456\""},
	    {"\"pid\":2", "\"pid\":\"2\""},
	    {"\"pid\":2", "\"pid\":4294967296"},
	};
	struct tt_ndjson_reader r = {.fd = -1};
	struct tt_ndjson_event ev;
	struct tt_error err;
	char line[1024];

	(void)state;
	r.line = 41;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err.msg[0] = '\0';
		assert_true(tt_ndjson_parse(&r, bad[i].line, strlen(bad[i].line), &ev, &err) < 0);
		if (!strstr(err.msg, bad[i].why) || strncmp(err.msg, "line 41: ", 9))
			fail_msg("'%s': got '%s', want '%s'", bad[i].line, err.msg, bad[i].why);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad_fields); i++) {
		const char *good = "{" GOOD "}", *at = strstr(good, bad_fields[i][0]);

		assert_non_null(at);
		snprintf(line, sizeof(line), "%.*s%s%s", (int)(at - good), good, bad_fields[i][1],
			 at + strlen(bad_fields[i][0]));
		assert_true(tt_ndjson_parse(&r, line, strlen(line), &ev, &err) < 0);
		assert_int_equal(strncmp(err.msg, "line 41: ", 9), 0);
	}
	tt_ndjson_close(&r);
}

/* Line numbers count every line, blank ones too. */
static void test_line_numbers(void **state)
{
	char path[] = "/tmp/tt-ndjson-XXXXXX";
	struct tt_ndjson_reader r;
	struct tt_ndjson_event ev;
	struct tt_error err = {""};
	int fd = mkstemp(path);
	static const char text[] = "{" GOOD "}\n\n{" GOOD "}\r\n{\"time_ns\":}\n";

	(void)state;
	assert_true(write(fd, text, sizeof(text) - 1) == (ssize_t)sizeof(text) - 1);
	close(fd);
	assert_int_equal(tt_ndjson_open(&r, path, &err), 0);
	assert_int_equal(tt_ndjson_next(&r, &ev, &err), 1);
	assert_int_equal(tt_ndjson_next(&r, &ev, &err), 1);
	assert_true(tt_ndjson_next(&r, &ev, &err) < 0);
	assert_string_equal(err.msg, "line 4: invalid value");
	tt_ndjson_close(&r);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_good_line_extras),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_line_numbers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
