// SPDX-License-Identifier: MIT
/* Recorded captures (tests/data) through the replay path: exact exchanges,
 * and raw replay gives back the same bytes. */
#include <fcntl.h>
#include <unistd.h>

#include "httputil.h"

#include "cli/pipeline.h"
#include "trace/ndjson.h"

#ifndef TT_TEST_DATA
#define TT_TEST_DATA "tests/data"
#endif

struct want {
	const char *method, *path;
	int status;
	uint64_t req, resp;
	uint32_t partial;
	uint8_t proto, role;
	uint8_t attribution;
};

static void replay(struct ht *h, const char *name)
{
	char path[256];
	struct tt_ndjson_reader r;
	struct tt_ndjson_event ev;
	struct tt_error err = {""};
	int ret;

	snprintf(path, sizeof(path), "%s/%s", TT_TEST_DATA, name);
	assert_int_equal(tt_ndjson_open(&r, path, &err), 0);
	while ((ret = tt_ndjson_next(&r, &ev, &err)) > 0)
		if (ev.kind == TT_ND_CHUNK)
			assert_int_equal(tt_streams_chunk(&h->st, &ev.chunk), 0);
	if (ret < 0)
		fail_msg("%s: %s", name, err.msg);
	tt_ndjson_close(&r);
	ht_free(h);
}

static void check(const char *name, const char *auth, const struct want *w, size_t n)
{
	struct ht h;

	ht_init(&h);
	replay(&h, name);
	if (h.n != n)
		fail_msg("%s: %u exchanges, want %zu", name, h.n, n);
	for (size_t i = 0; i < n; i++) {
		const struct ht_x *x = &h.xs[i];

		ht_expect(x, w[i].method, auth, w[i].path, w[i].status, w[i].req, w[i].resp,
			  w[i].partial);
		assert_int_equal(x->x.proto, w[i].proto);
		assert_int_equal(x->x.role, w[i].role);
		assert_int_equal(x->x.attribution, w[i].attribution);
		assert_true(x->x.latency_ns > 0);
		assert_int_equal(x->x.conn->tuple.family, AF_INET);
	}
}

#define H1 TT_PROTO_HTTP1
#define H2 TT_PROTO_H2
#define CL TT_ROLE_CLIENT
#define SV TT_ROLE_SERVER
#define SF TT_ATTR_SYSCALL_FD
#define GM TT_ATTR_GO_MEMORY
#define TR TT_PARTIAL_TRUNCATED

static void test_curl_nginx(void **state)
{
	static const struct want h1[] = {
	    {"GET", "/hello.txt", 200, 0, 6, 0, H1, CL, SF},
	    {"GET", "/big.bin", 200, 0, 100000, TR, H1, CL, SF},
	    {"GET", "/api/x", 200, 0, 5, 0, H1, CL, SF},
	};
	static const struct want h2[] = {
	    {"POST", "/hello.txt", 405, 0, 157, 0, H2, CL, SF},
	    {"POST", "/big.bin", 405, 0, 157, 0, H2, CL, SF},
	    {"POST", "/api/y", 200, 3, 5, 0, H2, CL, SF},
	};

	(void)state;
	check("curl_h1_nginx.ndjson", "127.0.0.1:18443", h1, ARRAY_SIZE(h1));
	check("curl_h2_nginx_post.ndjson", "127.0.0.1:18443", h2, ARRAY_SIZE(h2));
}

static void test_nginx_server(void **state)
{
	static const struct want w[] = {
	    {"GET", "/hello.txt", 200, 0, 6, 0, H1, SV, SF},
	    {"GET", "/big.bin", 200, 0, 100000, TR, H1, SV, SF},
	    {"GET", "/api/x", 200, 0, 5, 0, H1, SV, SF},
	    {"POST", "/hello.txt", 405, 0, 157, 0, H2, SV, SF},
	    {"POST", "/big.bin", 405, 0, 157, 0, H2, SV, SF},
	    {"POST", "/api/y", 200, 3, 5, 0, H2, SV, TT_ATTR_CACHE},
	};

	(void)state;
	check("nginx_server_h1_h2.ndjson", "127.0.0.1:18443", w, ARRAY_SIZE(w));
}

static void test_go(void **state)
{
	static const struct want srv[] = {
	    {"GET", "/c1", 200, 0, 9, 0, H2, SV, GM},
	    {"GET", "/c2", 200, 0, 9, 0, H2, SV, GM},
	    {"POST", "/g1", 200, 20, 29, 0, H2, SV, GM},
	    {"POST", "/g2", 200, 20, 29, 0, H2, SV, GM},
	    {"POST", "/g1", 200, 20, 29, 0, H2, SV, GM},
	};
	static const struct want cli[] = {
	    {"POST", "/g1", 200, 20, 29, 0, H2, CL, GM},
	    {"POST", "/g2", 200, 20, 29, 0, H2, CL, GM},
	    {"POST", "/g1", 200, 20, 29, 0, H2, CL, GM},
	};

	(void)state;
	check("go_server_h2.ndjson", "127.0.0.1:32967", srv, ARRAY_SIZE(srv));
	check("go_client_h2.ndjson", "127.0.0.1:32967", cli, ARRAY_SIZE(cli));
}

/* Raw replay (no --http) writes the capture back byte for byte. */
static void test_raw_replay_identical(void **state)
{
	static const char *const files[] = {"curl_h1_nginx.ndjson", "go_server_h2.ndjson"};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		struct tt_pipeline_opts o = {.format = TT_RAW_JSON};
		struct tt_ndjson_reader r;
		struct tt_ndjson_event ev;
		struct tt_error err = {""};
		struct tt_pipeline p;
		struct tt_wbuf w;
		char path[256], *orig, *copy;
		FILE *f = tmpfile(), *in;
		long n;

		snprintf(path, sizeof(path), "%s/%s", TT_TEST_DATA, files[i]);
		assert_int_equal(tt_ndjson_open(&r, path, &err), 0);
		assert_int_equal(tt_wbuf_init(&w, fileno(f), 65536), 0);
		assert_int_equal(tt_pipeline_init(&p, &o, &w, &err), 0);
		while (tt_ndjson_next(&r, &ev, &err) > 0)
			tt_pipeline_chunk(&p, &ev.chunk);
		tt_pipeline_finish(&p, 0);
		tt_pipeline_free(&p);
		assert_int_equal(tt_wbuf_flush(&w), 0);
		tt_wbuf_free(&w);
		tt_ndjson_close(&r);
		in = fopen(path, "rb");
		assert_non_null(in);
		fseek(in, 0, SEEK_END);
		n = ftell(in);
		rewind(in);
		orig = malloc((size_t)n);
		copy = malloc((size_t)n + 1);
		assert_int_equal(fread(orig, 1, (size_t)n, in), (size_t)n);
		rewind(f);
		assert_int_equal(fread(copy, 1, (size_t)n + 1, f), (size_t)n);
		assert_memory_equal(orig, copy, (size_t)n);
		free(orig);
		free(copy);
		fclose(in);
		fclose(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_curl_nginx),
	    cmocka_unit_test(test_nginx_server),
	    cmocka_unit_test(test_go),
	    cmocka_unit_test(test_raw_replay_identical),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
