// SPDX-License-Identifier: MIT
/* HTTP/1.x exchanges from synthetic streams: exact fields. */
#include "httputil.h"

#define R "\r\n"

static void test_keepalive(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	ht_write(&h, "GET /a?x=1 HTTP/1.1" R "Host: example.test" R "User-Agent: t" R R);
	ht_read(&h, "HTTP/1.1 200 OK" R "Content-Length: 5" R R "hello");
	ht_write(&h,
		 "POST /b HTTP/1.1" R "host: example.test:8443" R "Content-Length: 3" R R "abc");
	ht_read(&h, "HTTP/1.1 503 Busy" R "Content-Length: 0" R R);
	assert_int_equal(h.n, 2);
	ht_expect(&h.xs[0], "GET", "example.test", "/a?x=1", 200, 0, 5, 0);
	ht_expect(&h.xs[1], "POST", "example.test:8443", "/b", 503, 3, 0, 0);
	assert_int_equal(h.xs[0].x.role, TT_ROLE_CLIENT);
	assert_int_equal(h.xs[0].x.proto, TT_PROTO_HTTP1);
	assert_int_equal(h.xs[0].x.time_ns, 1000001000);
	assert_int_equal(h.xs[0].x.latency_ns, 1000);
	assert_int_equal(h.xs[0].x.tid, 101);
	assert_string_equal(h.xs[0].x.comm, "client");
	assert_int_equal(h.xs[1].x.latency_ns, 1000);
	ht_free(&h);
	assert_int_equal(h.n, 2);
}

/* The server's view: reads are requests. */
static void test_server_role(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	ht_read(&h, "GET / HTTP/1.0" R R);
	ht_write(&h, "HTTP/1.0 200 OK" R R "body until close");
	assert_int_equal(h.n, 0); /* the body ends at close */
	ht_close(&h);
	assert_int_equal(h.n, 1);
	ht_expect(&h.xs[0], "GET", NULL, "/", 200, 0, 16, 0);
	assert_int_equal(h.xs[0].x.role, TT_ROLE_SERVER);
	ht_free(&h);
}

/* A body that ends at close, but the capture ended first: not complete. */
static void test_eof_body_flushed(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	ht_write(&h, "GET / HTTP/1.1" R "Host: h" R R);
	ht_read(&h, "HTTP/1.1 200 OK" R "Connection: close" R R "partial");
	ht_flush(&h);
	assert_int_equal(h.n, 1);
	ht_expect(&h.xs[0], "GET", "h", "/", 200, 0, 7, TT_PARTIAL_GAP);
	assert_int_equal(h.xs[0].x.latency_ns, -1);
	ht_free(&h);
}

static void test_pipelined_chunked(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	ht_write(&h, "GET /1 HTTP/1.1" R "Host: h" R R "GET /2 HTTP/1.1" R "Host: h" R R
		     "HEAD /3 HTTP/1.1" R "Host: h" R R);
	ht_read(&h,
		"HTTP/1.1 200 OK" R "Transfer-Encoding: chunked" R R "5" R "hello" R "b" R
		" world, big" R "0" R R "HTTP/1.1 404 Not Found" R "Content-Length: 4" R R "nope"
		"HTTP/1.1 200 OK" R "Content-Length: 1000" R R);
	assert_int_equal(h.n, 3);
	ht_expect(&h.xs[0], "GET", "h", "/1", 200, 0, 16, 0);
	ht_expect(&h.xs[1], "GET", "h", "/2", 404, 0, 4, 0);
	/* HEAD: Content-Length describes a body that is not sent. */
	ht_expect(&h.xs[2], "HEAD", "h", "/3", 200, 0, 0, 0);
	ht_write(&h, "GET /4 HTTP/1.1" R "Host: h" R R);
	ht_read(&h, "HTTP/1.1 204 No Content" R R);
	assert_int_equal(h.n, 4);
	ht_expect(&h.xs[3], "GET", "h", "/4", 204, 0, 0, 0);
	ht_free(&h);
}

/* A request or response split anywhere across calls. */
static void test_split_everywhere(void **state)
{
	const char *req =
	    "PUT /split/path HTTP/1.1" R "Host: split.test" R "Content-Length: 4" R R "data";
	const char *resp = "HTTP/1.1 201 Created" R "Content-Length: 2" R R "ok";

	(void)state;
	for (size_t cut = 1; cut < strlen(req); cut++) {
		struct ht h;

		ht_init(&h);
		ht_call(&h, TT_DIR_WRITE, req, cut);
		ht_call(&h, TT_DIR_WRITE, req + cut, strlen(req) - cut);
		ht_call(&h, TT_DIR_READ, resp, cut % strlen(resp) + 1);
		ht_call(&h, TT_DIR_READ, resp + cut % strlen(resp) + 1,
			strlen(resp) - cut % strlen(resp) - 1);
		assert_int_equal(h.n, 1);
		ht_expect(&h.xs[0], "PUT", "split.test", "/split/path", 201, 4, 2, 0);
		ht_free(&h);
	}
}

static void test_continue_then_final(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	ht_write(&h, "POST /up HTTP/1.1" R "Host: h" R "Expect: 100-continue" R
		     "Content-Length: 3" R R);
	ht_read(&h, "HTTP/1.1 100 Continue" R R);
	ht_write(&h, "xyz");
	ht_read(&h, "HTTP/1.1 200 OK" R "Content-Length: 2" R R "ok");
	assert_int_equal(h.n, 1);
	ht_expect(&h.xs[0], "POST", "h", "/up", 200, 3, 2, 0);
	ht_free(&h);
}

/* 101: parsing stops, what follows is another protocol. */
static void test_upgrade_stops(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	ht_write(&h,
		 "GET /ws HTTP/1.1" R "Host: h" R "Connection: Upgrade" R "Upgrade: websocket" R R);
	ht_read(&h, "HTTP/1.1 101 Switching Protocols" R "Connection: Upgrade" R
		    "Upgrade: websocket" R R "\x81\x05hello");
	ht_write(&h, "GET /not-http HTTP/1.1" R "Host: h" R R);
	ht_read(&h, "HTTP/1.1 200 OK" R "Content-Length: 0" R R);
	ht_free(&h);
	assert_int_equal(h.n, 1);
	ht_expect(&h.xs[0], "GET", "h", "/ws", 101, 0, 0, 0);
	assert_int_equal(h.http.counters[TT_HC_UPGRADES], 1);
}

/* An Upgrade the server declines: HTTP/1.1 goes on. */
static void test_upgrade_declined(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	ht_write(&h,
		 "GET /ws HTTP/1.1" R "Host: h" R "Connection: Upgrade" R "Upgrade: websocket" R R);
	ht_read(&h, "HTTP/1.1 200 OK" R "Content-Length: 0" R R);
	ht_write(&h, "GET /next HTTP/1.1" R "Host: h" R R);
	ht_read(&h, "HTTP/1.1 200 OK" R "Content-Length: 1" R R "x");
	assert_int_equal(h.n, 2);
	ht_expect(&h.xs[1], "GET", "h", "/next", 200, 0, 1, 0);
	ht_free(&h);
}

static void test_connect_tunnel(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	ht_write(&h, "CONNECT backend:443 HTTP/1.1" R "Host: backend:443" R R);
	ht_read(&h, "HTTP/1.1 200 Connection established" R R);
	ht_write(&h, "\x16\x03\x01\x02\x00 tls bytes GET / HTTP/1.1" R R);
	ht_read(&h, "\x16\x03\x03 more HTTP/1.1 200 OK" R R);
	ht_free(&h);
	assert_int_equal(h.n, 1);
	ht_expect(&h.xs[0], "CONNECT", "backend:443", "backend:443", 200, 0, 0, 0);
}

/* A body larger than --max-bytes: sizes from the headers, truncated. */
static void test_truncated_body(void **state)
{
	static char big[100000];
	char head[128];
	struct ht h;
	size_t n;

	(void)state;
	memset(big, 'b', sizeof(big));
	ht_init(&h);
	ht_write(&h, "GET /big HTTP/1.1" R "Host: h" R R);
	n = (size_t)snprintf(head, sizeof(head), "HTTP/1.1 200 OK" R "Content-Length: %zu" R R,
			     sizeof(big) - 100);
	memcpy(big, head, n);
	/* The call returned head + body; 1000 bytes were captured. */
	ht_call_trunc(&h, TT_DIR_READ, big, n + sizeof(big) - 100, 1000);
	ht_write(&h, "GET /after HTTP/1.1" R "Host: h" R R);
	ht_read(&h, "HTTP/1.1 200 OK" R "Content-Length: 1" R R "y");
	assert_int_equal(h.n, 2);
	ht_expect(&h.xs[0], "GET", "h", "/big", 200, 0, sizeof(big) - 100, TT_PARTIAL_TRUNCATED);
	ht_expect(&h.xs[1], "GET", "h", "/after", 200, 0, 1, 0);
	assert_int_equal(h.gap_bytes, n + sizeof(big) - 100 - 1000);
	ht_free(&h);
}

/*
 * --max-bytes below the response's headers: the status line is seen, the
 * rest of the headers (and the Content-Length) are in the hole.  The
 * response keeps its status and its request; the truncated body reads that
 * follow (text lines, none a start line) make no exchange of their own;
 * the next response is found again by its status line.
 */
static void test_truncated_headers(void **state)
{
	static char body[2000];
	const char *head = "HTTP/1.1 200 OK" R "Server: t" R "Content-Type: text/plain" R
			   "Content-Length: 100000" R R;
	struct ht h;

	(void)state;
	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = i % 61 == 60 ? '\n' : (char)('a' + i % 26);
	ht_init(&h);
	ht_write(&h, "GET /big HTTP/1.1" R "Host: h" R R);
	ht_call_trunc(&h, TT_DIR_READ, head, 16384, 30); /* "HTTP/1.1 200 OK\r\nServer: t..." */
	for (int i = 0; i < 5; i++)
		ht_call_trunc(&h, TT_DIR_READ, body, sizeof(body), 100);
	ht_write(&h, "GET /next HTTP/1.1" R "Host: h" R R);
	ht_read(&h, "HTTP/1.1 404 Not Found" R "Content-Length: 0" R R);
	ht_free(&h);
	assert_int_equal(h.n, 2);
	ht_expect(&h.xs[0], "GET", "h", "/big", 200, 0, 0, TT_PARTIAL_TRUNCATED);
	/* Found by scanning after the hole, after a request that started
	 * in sequence with nothing pending: its answer. */
	ht_expect(&h.xs[1], "GET", "h", "/next", 404, 0, 0, TT_PARTIAL_MID_STREAM);
}

/* An informational response cut inside its headers: its status is not
 * the exchange's (nor its request's answer). */
static void test_truncated_continue(void **state)
{
	const char *cont = "HTTP/1.1 100 Continue" R "X-Pad: 0123456789" R R;
	struct ht h;

	(void)state;
	ht_init(&h);
	ht_write(&h, "PUT /up HTTP/1.1" R "Host: h" R "Expect: 100-continue" R
		     "Content-Length: 0" R R);
	ht_call_trunc(&h, TT_DIR_READ, cont, 4096, 30);
	ht_free(&h);
	/* The request, and the cut 1xx reported as far as it went: neither
	 * with status 100. */
	assert_int_equal(h.n, 2);
	ht_expect(&h.xs[0], NULL, NULL, NULL, -1, 0, 0, h.xs[0].x.partial);
	ht_expect(&h.xs[1], "PUT", "h", "/up", -1, 0, 0, h.xs[1].x.partial);
	assert_true(h.xs[0].x.partial & TT_PARTIAL_TRUNCATED);
}

/* Attached mid-connection: the first bytes are the end of a body. */
static void test_mid_stream(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	ht_read(&h, "of a body that started before" R "GET /fake HTTP/1.1" R "more");
	ht_read(&h, "HTTP/1.1 200 OK" R "Content-Length: 2" R R "ok");
	ht_write(&h, "GET /seen HTTP/1.1" R "Host: h" R R);
	ht_read(&h, "HTTP/1.1 200 OK" R "Content-Length: 3" R R "yes");
	ht_free(&h);
	assert_int_equal(h.n, 2);
	/* The response whose request came before: reported alone. */
	ht_expect(&h.xs[0], NULL, NULL, NULL, 200, 0, 2, TT_PARTIAL_MID_STREAM);
	ht_expect(&h.xs[1], "GET", "h", "/seen", 200, 0, 3, 0);
}

/* Response bytes lost with a request pending: it is reported without a
 * response, and the next response is not given to it. */
static void test_response_gap(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	h.with_off = true;
	ht_write(&h, "GET /1 HTTP/1.1" R "Host: h" R R);
	h.off[0] += 57; /* a whole response never came (ring buffer full) */
	ht_write(&h, "GET /2 HTTP/1.1" R "Host: h" R R);
	ht_read(&h, "HTTP/1.1 200 OK" R "Content-Length: 2" R R "/2");
	ht_free(&h);
	assert_int_equal(h.n, 3);
	ht_expect(&h.xs[0], "GET", "h", "/1", -1, 0, 0, TT_PARTIAL_GAP);
	/* /2 was pending when the hole came: its answer may be the one lost,
	 * and the one seen may be /1's.  Never paired. */
	ht_expect(&h.xs[1], "GET", "h", "/2", -1, 0, 0, TT_PARTIAL_GAP);
	ht_expect(&h.xs[2], NULL, NULL, NULL, 200, 0, 2, TT_PARTIAL_MID_STREAM);
	assert_int_equal(h.gaps, 1);
}

/* Request bytes lost: the response that comes before the next request is
 * not paired with it. */
static void test_request_gap(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	h.with_off = true;
	h.off[1] += 40; /* the request was lost */
	ht_read(&h, "HTTP/1.1 200 OK" R "Content-Length: 2" R R "ok");
	ht_write(&h, "GET /next HTTP/1.1" R "Host: h" R R);
	ht_read(&h, "HTTP/1.1 404 Not Found" R "Content-Length: 0" R R);
	ht_free(&h);
	assert_int_equal(h.n, 2);
	ht_expect(&h.xs[0], NULL, NULL, NULL, 200, 0, 2, TT_PARTIAL_MID_STREAM);
	/* Found by looking for a start line: paired on the assumption that the
	 * client waits for each answer, which mid-stream says. */
	ht_expect(&h.xs[1], "GET", "h", "/next", 404, 0, 0, TT_PARTIAL_MID_STREAM);
}

/*
 * Events carry the time a TLS call returned: a client's Write of request 2
 * may return after its reader thread's Read of response 2.  In sequence,
 * the response waits for its request; a response first on a connection
 * (its request may be from before tlstap came) is reported alone.
 */
static void test_response_event_first(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	ht_read(&h, "HTTP/1.1 200 OK" R "Content-Length: 1" R R "0");
	ht_write(&h, "GET /1 HTTP/1.1" R "Host: h" R R);
	ht_read(&h, "HTTP/1.1 200 OK" R "Content-Length: 1" R R "1");
	ht_read(&h, "HTTP/1.1 201 Created" R "Content-Length: 2" R R "22");
	ht_write(&h, "GET /2 HTTP/1.1" R "Host: h" R R);
	assert_int_equal(h.n, 3);
	ht_expect(&h.xs[0], NULL, NULL, NULL, 200, 0, 1, TT_PARTIAL_MID_STREAM);
	ht_expect(&h.xs[1], "GET", "h", "/1", 200, 0, 1, 0);
	ht_expect(&h.xs[2], "GET", "h", "/2", 201, 0, 2, 0);
	assert_int_equal(h.xs[2].x.latency_ns, -1); /* its end before its start */
	ht_free(&h);
}

static void test_not_http(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	ht_write(&h, "\x00\x01\x02\x03 some binary protocol");
	ht_read(&h, "\x05\x06 reply");
	ht_free(&h);
	assert_int_equal(h.n, 0);
}

/*
 * An answer before the end of its request: the server's early answer (the
 * body read after it), or the Read of the answer returned before the Write
 * of the body.  The rest of the request counts; a request that never ends
 * is reported with what came, unfinished.
 */
static void test_answer_before_body(void **state)
{
	struct ht h;

	(void)state;
	ht_init(&h);
	ht_write(&h, "POST /up HTTP/1.1" R "Host: h" R "Content-Length: 3" R R);
	ht_read(&h, "HTTP/1.1 413 Too Large" R "Content-Length: 0" R R);
	assert_int_equal(h.n, 0);
	ht_write(&h, "k=v");
	assert_int_equal(h.n, 1);
	ht_expect(&h.xs[0], "POST", "h", "/up", 413, 3, 0, 0);
	/* The next exchange pairs as usual. */
	ht_write(&h, "GET /next HTTP/1.1" R "Host: h" R R);
	ht_read(&h, "HTTP/1.1 200 OK" R "Content-Length: 2" R R "ok");
	assert_int_equal(h.n, 2);
	ht_expect(&h.xs[1], "GET", "h", "/next", 200, 0, 2, 0);
	/* Answered, and the connection closes before the body. */
	ht_write(&h, "POST /up HTTP/1.1" R "Host: h" R "Content-Length: 3" R R "k");
	ht_read(&h, "HTTP/1.1 401 No" R "Content-Length: 0" R R);
	ht_close(&h);
	assert_int_equal(h.n, 3);
	ht_expect(&h.xs[2], "POST", "h", "/up", 401, 1, 0, TT_PARTIAL_UNFINISHED);
	ht_free(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keepalive),	     cmocka_unit_test(test_server_role),
	    cmocka_unit_test(test_eof_body_flushed), cmocka_unit_test(test_pipelined_chunked),
	    cmocka_unit_test(test_split_everywhere), cmocka_unit_test(test_continue_then_final),
	    cmocka_unit_test(test_upgrade_stops),    cmocka_unit_test(test_upgrade_declined),
	    cmocka_unit_test(test_connect_tunnel),   cmocka_unit_test(test_truncated_body),
	    cmocka_unit_test(test_truncated_headers), cmocka_unit_test(test_truncated_continue),
	    cmocka_unit_test(test_mid_stream),	     cmocka_unit_test(test_response_gap),
	    cmocka_unit_test(test_request_gap),	     cmocka_unit_test(test_response_event_first),
	    cmocka_unit_test(test_not_http),	     cmocka_unit_test(test_answer_before_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
