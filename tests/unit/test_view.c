// SPDX-License-Identifier: MIT
/* The exchange writer and the summary table: exact output. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

#include "out/exchange.h"
#include "out/raw.h"
#include "out/summary.h"

/* Run fn with a wbuf over a pipe-less temp file; return what it wrote. */
static char *capture(void (*fn)(struct tt_wbuf *, void *), void *arg)
{
	static char out[65536];
	FILE *f = tmpfile();
	struct tt_wbuf w;
	size_t n;

	assert_non_null(f);
	assert_int_equal(tt_wbuf_init(&w, fileno(f), 4096), 0);
	fn(&w, arg);
	assert_int_equal(tt_wbuf_flush(&w), 0);
	tt_wbuf_free(&w);
	rewind(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	fclose(f);
	return out;
}

static struct tt_conn conn(void)
{
	struct tt_conn c = {.pid = 77, .lib = TT_LIB_GO, .role = TT_ROLE_SERVER};

	c.tuple.family = AF_INET;
	c.tuple.lport = 8443;
	c.tuple.rport = 50000;
	inet_pton(AF_INET, "10.1.2.3", c.tuple.laddr);
	inet_pton(AF_INET, "10.9.8.7", c.tuple.raddr);
	c.origin.ns_pid = 1;
	c.origin.container = "0123abcd";
	return c;
}

static struct tt_exchange exch(const struct tt_conn *c, const char *path, int status, int64_t lat)
{
	struct tt_exchange x = {
	    .conn = c,
	    .time_ns = 1700000000123456789,
	    .tid = 78,
	    .comm = "srv",
	    .attribution = TT_ATTR_GO_MEMORY,
	    .proto = TT_PROTO_H2,
	    .role = TT_ROLE_SERVER,
	    .method = {"GET", 3},
	    .authority = {"a.test", 6},
	    .path = {path, (uint32_t)strlen(path)},
	    .has_response = status >= 0,
	    .status = status,
	    .grpc_status = -1,
	    .latency_ns = lat,
	    .req_bytes = 0,
	    .resp_bytes = 12,
	};

	return x;
}

static void write_json(struct tt_wbuf *w, void *arg)
{
	struct tt_exchange_writer xw;

	tt_exchange_writer_init(&xw, TT_RAW_JSON, w);
	tt_exchange_write(&xw, arg);
}

static void test_exchange_json(void **state)
{
	struct tt_conn c = conn();
	struct tt_exchange x = exch(&c, "/helloworld.Greeter/SayHello", 200, 1500);

	(void)state;
	x.grpc = true;
	x.grpc_status = 14;
	x.grpc_message = (struct tt_strv){"unavailable \"now\"", 17};
	x.partial = TT_PARTIAL_HPACK | TT_PARTIAL_MID_STREAM;
	x.authority = (struct tt_strv){NULL, 0};
	assert_string_equal(
	    capture(write_json, &x),
	    "{\"time_ns\":1700000000123456789,\"pid\":77,\"tid\":78,\"comm\":\"srv\","
	    "\"lib\":\"go\",\"role\":\"server\",\"proto\":\"h2\",\"laddr\":\"10.1.2.3\","
	    "\"lport\":8443,\"raddr\":\"10.9.8.7\",\"rport\":50000,\"attribution\":\"go-memory\","
	    "\"method\":\"GET\",\"authority\":null,\"path\":\"/helloworld.Greeter/SayHello\","
	    "\"status\":200,\"grpc_status\":14,\"grpc_service\":\"helloworld.Greeter\","
	    "\"grpc_method\":\"SayHello\",\"grpc_message\":\"unavailable \\\"now\\\"\","
	    "\"latency_ns\":1500,\"req_bytes\":0,\"resp_bytes\":12,"
	    "\"partial\":[\"hpack\",\"mid-stream\"],\"ns_pid\":1,\"cgroup\":null,"
	    "\"container\":\"0123abcd\",\"pod_uid\":null}\n");
}

static void test_exchange_json_no_response(void **state)
{
	struct tt_conn c = conn();
	struct tt_exchange x = exch(&c, "/p", -1, -1);

	(void)state;
	c.tuple.family = 0;
	c.role = TT_ROLE_UNKNOWN;
	x.role = TT_ROLE_UNKNOWN;
	x.proto = TT_PROTO_HTTP1;
	assert_non_null(strstr(capture(write_json, &x),
			       "\"role\":null,\"proto\":\"http/1.1\",\"laddr\":null,\"lport\":null,"
			       "\"raddr\":null,\"rport\":null,"));
	assert_non_null(strstr(capture(write_json, &x),
			       "\"status\":null,\"grpc_status\":null,\"grpc_service\":null,"
			       "\"grpc_method\":null,\"grpc_message\":null,\"latency_ns\":null,"));
}

static void write_text(struct tt_wbuf *w, void *arg)
{
	struct tt_exchange_writer xw;

	tt_exchange_writer_init(&xw, TT_RAW_TEXT, w);
	tt_exchange_write(&xw, arg);
}

struct sum_arg {
	struct tt_summary *s;
	enum tt_raw_format f;
};

static void write_sum(struct tt_wbuf *w, void *arg)
{
	struct sum_arg *a = arg;

	tt_summary_write(a->s, w, a->f, 1700000000000000000);
}

/* A response seen whose status is not known (its start in a hole, fields
 * of unseen HPACK entries): "?", neither a status nor "(no response)"; the
 * summary does not count it as unanswered.  One never seen is. */
static void test_exchange_status_unknown(void **state)
{
	struct tt_conn c = conn();
	struct tt_exchange x = exch(&c, "/p", -1, 4000);
	struct tt_summary s;
	struct sum_arg a = {&s, TT_RAW_JSON};
	const char *t;

	(void)state;
	x.has_response = true;
	x.partial = TT_PARTIAL_HPACK;
	t = capture(write_text, &x);
	assert_non_null(strstr(t, " GET a.test /p -> ? 4.0us req 0 resp 12 partial hpack\n"));
	assert_null(strstr(t, "no response"));
	x.has_response = false;
	assert_non_null(strstr(capture(write_text, &x), " -> (no response) "));
	assert_int_equal(tt_summary_init(&s), 0);
	x.has_response = true;
	tt_summary_add(&s, &x);
	x.has_response = false;
	tt_summary_add(&s, &x);
	t = capture(write_sum, &a);
	assert_non_null(strstr(t, "\"count\":2,\"errors\":0,\"no_response\":1,"));
	tt_summary_free(&s);
}

static void test_summary(void **state)
{
	struct tt_conn c = conn(), cli = conn();
	struct tt_summary s;
	struct sum_arg a = {&s, TT_RAW_JSON};
	struct tt_exchange x;

	(void)state;
	cli.pid = 5;
	cli.role = TT_ROLE_CLIENT;
	assert_int_equal(tt_summary_init(&s), 0);
	/* 100 exchanges of /a (query strings apart), latencies 1..100 µs, 3 errors */
	for (int i = 1; i <= 100; i++) {
		char path[32];

		snprintf(path, sizeof(path), "/a?i=%d", i);
		x = exch(&c, path, i <= 3 ? 502 : 200, i * 1000);
		tt_summary_add(&s, &x);
	}
	x = exch(&c, "/b", -1, -1); /* no response */
	tt_summary_add(&s, &x);
	x = exch(&cli, "/rpc", 200, 7000);
	x.role = TT_ROLE_CLIENT;
	x.grpc = true;
	x.grpc_status = 2;
	tt_summary_add(&s, &x);
	assert_string_equal(
	    capture(write_sum, &a),
	    "{\"summary\":{\"time_ns\":1700000000000000000,\"overflow\":0,\"endpoints\":["
	    "{\"pid\":5,\"comm\":\"srv\",\"role\":\"client\",\"server_addr\":\"10.9.8.7\","
	    "\"server_port\":50000,\"method\":\"GET\",\"path\":\"/rpc\",\"count\":1,"
	    "\"errors\":1,\"no_response\":0,\"p50_ns\":7000,\"p99_ns\":7000},"
	    "{\"pid\":77,\"comm\":\"srv\",\"role\":\"server\",\"server_addr\":\"10.1.2.3\","
	    "\"server_port\":8443,\"method\":\"GET\",\"path\":\"/a\",\"count\":100,"
	    "\"errors\":3,\"no_response\":0,\"p50_ns\":50000,\"p99_ns\":99000},"
	    "{\"pid\":77,\"comm\":\"srv\",\"role\":\"server\",\"server_addr\":\"10.1.2.3\","
	    "\"server_port\":8443,\"method\":\"GET\",\"path\":\"/b\",\"count\":1,"
	    "\"errors\":0,\"no_response\":1,\"p50_ns\":null,\"p99_ns\":null}]}}\n");
	a.f = TT_RAW_TEXT;
	assert_non_null(strstr(capture(write_sum, &a), "\n77       srv              server  "
						       "10.1.2.3:8443            GET     /a"));
	tt_summary_free(&s);
}

static void write_text_chunk(struct tt_wbuf *w, void *arg)
{
	struct tt_raw_writer rw;

	tt_raw_init(&rw, TT_RAW_TEXT, w);
	tt_raw_chunk(&rw, arg);
}

/* A cgroup's name is its maker's choice: escaped in the text header. */
static void test_text_hostile_cgroup(void **state)
{
	struct tt_chunk c = {.pid = 7, .tid = 7, .comm = "srv", .lib = TT_LIB_GO,
			     .dir = TT_DIR_WRITE, .fd = -1, .data = (const uint8_t *)"x",
			     .data_len = 1};

	(void)state;
	c.origin.cgroup = "/user.slice/a\x1b]0;owned\x07 b";
	assert_non_null(strstr(capture(write_text_chunk, &c),
			       " cgroup /user.slice/a\\x1b]0;owned\\x07\\x20b"));
	assert_null(strchr(capture(write_text_chunk, &c), '\x1b'));
}

/* A path from the traffic can neither split the table's fields nor drive a
 * terminal. */
static void test_summary_hostile_path(void **state)
{
	struct tt_conn c = conn();
	struct tt_summary s;
	struct sum_arg a = {&s, TT_RAW_TEXT};
	struct tt_exchange x = exch(&c, "/x\x1b[2J y\\", 200, 1000);

	(void)state;
	assert_int_equal(tt_summary_init(&s), 0);
	x.method = (struct tt_strv){"G\x07T", 3};
	tt_summary_add(&s, &x);
	assert_non_null(strstr(capture(write_sum, &a), " G\\x07T  /x\\x1b[2J\\x20y\\x5c "));
	assert_null(strchr(capture(write_sum, &a), '\x1b'));
	tt_summary_free(&s);
}

/* Past the exact samples, percentiles come from the histogram: within 1.6%. */
static void test_summary_histogram(void **state)
{
	struct tt_conn c = conn();
	struct tt_summary s;
	struct sum_arg a = {&s, TT_RAW_JSON};
	unsigned long long p50, p99;
	const char *out, *at;

	(void)state;
	assert_int_equal(tt_summary_init(&s), 0);
	for (int i = 1; i <= 10000; i++) {
		struct tt_exchange x = exch(&c, "/h", 200, (int64_t)i * 1000);

		tt_summary_add(&s, &x);
	}
	out = capture(write_sum, &a);
	at = strstr(out, "\"p50_ns\":");
	assert_non_null(at);
	assert_int_equal(sscanf(at, "\"p50_ns\":%llu,\"p99_ns\":%llu", &p50, &p99), 2);
	assert_true(p50 >= 5000000 * 0.984 && p50 <= 5000000 * 1.016);
	assert_true(p99 >= 9900000 * 0.984 && p99 <= 9900000 * 1.016);
	tt_summary_free(&s);
}

static void test_percentile(void **state)
{
	uint64_t v[] = {10, 20, 30, 40};

	(void)state;
	assert_int_equal(tt_percentile_sorted(v, 4, 0.5), 20);
	assert_int_equal(tt_percentile_sorted(v, 4, 0.99), 40);
	assert_int_equal(tt_percentile_sorted(v, 1, 0.5), 10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exchange_json), cmocka_unit_test(test_exchange_json_no_response),
	    cmocka_unit_test(test_exchange_status_unknown),
	    cmocka_unit_test(test_summary),	  cmocka_unit_test(test_summary_histogram),
	    cmocka_unit_test(test_summary_hostile_path),
	    cmocka_unit_test(test_text_hostile_cgroup),
	    cmocka_unit_test(test_percentile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
