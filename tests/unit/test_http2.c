// SPDX-License-Identifier: MIT
/* HTTP/2 and gRPC exchanges from synthetic streams, HPACK by nghttp2's
 * deflater (the encoder a real peer would use). */
#include <nghttp2/nghttp2.h>

#include "httputil.h"

#define PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

struct h2b {
	uint8_t b[70000];
	size_t n;
};

static void frame(struct h2b *o, uint8_t type, uint8_t flags, uint32_t sid, const void *p, size_t n)
{
	uint8_t *d = o->b + o->n;

	assert_true(o->n + 9 + n <= sizeof(o->b));
	d[0] = (uint8_t)(n >> 16), d[1] = (uint8_t)(n >> 8), d[2] = (uint8_t)n;
	d[3] = type, d[4] = flags;
	d[5] = (uint8_t)(sid >> 24), d[6] = (uint8_t)(sid >> 16), d[7] = (uint8_t)(sid >> 8);
	d[8] = (uint8_t)sid;
	memcpy(d + 9, p, n);
	o->n += 9 + n;
}

#define NV(n, v)                                                                                   \
	{                                                                                          \
		(uint8_t *)(n), (uint8_t *)(v), sizeof(n) - 1, sizeof(v) - 1, 0                    \
	}

static size_t deflate(nghttp2_hd_deflater *df, uint8_t *out, size_t cap, const nghttp2_nv *nv,
		      size_t n)
{
	ssize_t r = nghttp2_hd_deflate_hd(df, out, cap, (nghttp2_nv *)nv, n);

	assert_true(r > 0);
	return (size_t)r;
}

static void headers(struct h2b *o, nghttp2_hd_deflater *df, uint32_t sid, bool end,
		    const nghttp2_nv *nv, size_t n)
{
	uint8_t blk[4096];
	size_t k = deflate(df, blk, sizeof(blk), nv, n);

	frame(o, 1, (uint8_t)(0x4 | (end ? 1 : 0)), sid, blk, k);
}

static void settings(struct h2b *o)
{
	static const uint8_t s[] = {0, 3, 0, 0, 0, 100}; /* MAX_CONCURRENT_STREAMS */

	frame(o, 4, 0, 0, s, sizeof(s));
}

struct peers {
	nghttp2_hd_deflater *cli, *srv;
};

static void peers_init(struct peers *p)
{
	assert_int_equal(nghttp2_hd_deflate_new(&p->cli, 4096), 0);
	assert_int_equal(nghttp2_hd_deflate_new(&p->srv, 4096), 0);
}

static void peers_free(struct peers *p)
{
	nghttp2_hd_deflate_del(p->cli);
	nghttp2_hd_deflate_del(p->srv);
}

static void send_out(struct ht *h, unsigned dir, struct h2b *o)
{
	ht_call(h, dir, o->b, o->n);
	o->n = 0;
}

/* One GET on stream sid: request written, response read. */
static void get_at(struct ht *h, struct peers *p, uint32_t sid, const char *auth, const char *path,
		   const char *body)
{
	struct h2b o = {.n = 0};
	nghttp2_nv rq[] = {
	    NV(":method", "GET"),
	    NV(":scheme", "https"),
	    {(uint8_t *)":authority", (uint8_t *)auth, 10, strlen(auth), 0},
	    {(uint8_t *)":path", (uint8_t *)path, 5, strlen(path), 0},
	    NV("user-agent", "unit/1.0"),
	};
	nghttp2_nv rs[] = {NV(":status", "200"), NV("content-type", "text/plain"),
			   NV("server", "unit")};

	headers(&o, p->cli, sid, true, rq, ARRAY_SIZE(rq));
	send_out(h, TT_DIR_WRITE, &o);
	headers(&o, p->srv, sid, false, rs, ARRAY_SIZE(rs));
	frame(&o, 0, 1, sid, body, strlen(body));
	send_out(h, TT_DIR_READ, &o);
}

static void get(struct ht *h, struct peers *p, uint32_t sid, const char *path, const char *body)
{
	get_at(h, p, sid, "api.test", path, body);
}

/* The connection's start seen from the client (client_dir TT_DIR_WRITE: the
 * traced side writes the preface) or from the server (TT_DIR_READ). */
static void start_as(struct ht *h, struct peers *p, unsigned client_dir)
{
	struct h2b o = {.n = 0};

	peers_init(p);
	memcpy(o.b, PREFACE, 24);
	o.n = 24;
	settings(&o);
	send_out(h, client_dir, &o);
	settings(&o);
	send_out(h, client_dir == TT_DIR_WRITE ? TT_DIR_READ : TT_DIR_WRITE, &o);
}

static void start(struct ht *h, struct peers *p)
{
	start_as(h, p, TT_DIR_WRITE);
}

static void test_h2_basic(void **state)
{
	struct ht h;
	struct peers p;

	(void)state;
	ht_init(&h);
	start(&h, &p);
	get(&h, &p, 1, "/one", "first");
	get(&h, &p, 3, "/two?q=2", "second!");
	assert_int_equal(h.n, 2);
	ht_expect(&h.xs[0], "GET", "api.test", "/one", 200, 0, 5, 0);
	ht_expect(&h.xs[1], "GET", "api.test", "/two?q=2", 200, 0, 7, 0);
	assert_int_equal(h.xs[0].x.proto, TT_PROTO_H2);
	assert_int_equal(h.xs[0].x.role, TT_ROLE_CLIENT);
	assert_int_equal(h.xs[0].x.stream_id, 1);
	assert_int_equal(h.xs[0].x.latency_ns, 1000);
	assert_int_equal(h.xs[0].x.grpc_status, -1);
	assert_false(h.xs[0].x.grpc);
	ht_free(&h);
	peers_free(&p);
}

/* Interleaved streams, CONTINUATION, padding and priority, POST bodies. */
static void test_h2_interleaved(void **state)
{
	nghttp2_nv rq[] = {NV(":method", "POST"), NV(":scheme", "https"),
			   NV(":authority", "api.test"), NV(":path", "/upload"),
			   NV("x-long", "a fairly long header value to be split across frames")};
	nghttp2_nv rs[] = {NV(":status", "201")};
	struct h2b o = {.n = 0};
	uint8_t blk[512], pad[600];
	struct ht h;
	struct peers p;
	size_t k, half;

	(void)state;
	ht_init(&h);
	start(&h, &p);
	/* stream 1: HEADERS (padded, priority) + CONTINUATION */
	k = deflate(p.cli, blk, sizeof(blk), rq, ARRAY_SIZE(rq));
	half = k / 2;
	pad[0] = 3;	       /* pad length */
	memset(pad + 1, 0, 5); /* priority */
	memcpy(pad + 6, blk, half);
	memset(pad + 6 + half, 0, 3); /* padding */
	frame(&o, 1, 0x8 | 0x20, 1, pad, 6 + half + 3);
	frame(&o, 9, 0x4, 1, blk + half, k - half);
	/* stream 3 starts before stream 1's body */
	k = deflate(p.cli, blk, sizeof(blk), rq, ARRAY_SIZE(rq));
	frame(&o, 1, 0x4, 3, blk, k);
	/* padded DATA: 2 bytes of padding, 4 of body */
	memcpy(pad,
	       "\x02"
	       "abcd"
	       "\0\0",
	       7);
	frame(&o, 0, 0x8, 1, pad, 7);
	frame(&o, 0, 0x1, 3, "xyz", 3);
	frame(&o, 0, 0x1, 1, "ef", 2);
	send_out(&h, TT_DIR_WRITE, &o);
	headers(&o, p.srv, 3, true, rs, 1);
	headers(&o, p.srv, 1, true, rs, 1);
	send_out(&h, TT_DIR_READ, &o);
	assert_int_equal(h.n, 2);
	ht_expect(&h.xs[0], "POST", "api.test", "/upload", 201, 3, 0, 0);
	assert_int_equal(h.xs[0].x.stream_id, 3);
	ht_expect(&h.xs[1], "POST", "api.test", "/upload", 201, 6, 0, 0);
	ht_free(&h);
	peers_free(&p);
}

static void test_grpc(void **state)
{
	nghttp2_nv rq[] = {NV(":method", "POST"),
			   NV(":scheme", "https"),
			   NV(":authority", "grpc.test:50051"),
			   NV(":path", "/helloworld.Greeter/SayHello"),
			   NV("content-type", "application/grpc"),
			   NV("te", "trailers")};
	nghttp2_nv rs[] = {NV(":status", "200"), NV("content-type", "application/grpc")};
	nghttp2_nv tr[] = {NV("grpc-status", "5"), NV("grpc-message", "not found")};
	nghttp2_nv only[] = {NV(":status", "200"), NV("content-type", "application/grpc"),
			     NV("grpc-status", "0")};
	struct h2b o = {.n = 0};
	struct ht h;
	struct peers p;

	(void)state;
	ht_init(&h);
	start(&h, &p);
	headers(&o, p.cli, 1, false, rq, ARRAY_SIZE(rq));
	frame(&o, 0, 1, 1, "\0\0\0\0\x07\x0a\x05world", 12);
	send_out(&h, TT_DIR_WRITE, &o);
	headers(&o, p.srv, 1, false, rs, ARRAY_SIZE(rs));
	frame(&o, 0, 0, 1, "\0\0\0\0\0", 5);
	headers(&o, p.srv, 1, true, tr, ARRAY_SIZE(tr));
	send_out(&h, TT_DIR_READ, &o);
	/* Trailers-only response */
	headers(&o, p.cli, 3, true, rq, ARRAY_SIZE(rq));
	send_out(&h, TT_DIR_WRITE, &o);
	headers(&o, p.srv, 3, true, only, ARRAY_SIZE(only));
	send_out(&h, TT_DIR_READ, &o);
	assert_int_equal(h.n, 2);
	ht_expect(&h.xs[0], "POST", "grpc.test:50051", "/helloworld.Greeter/SayHello", 200, 12, 5,
		  0);
	assert_true(h.xs[0].x.grpc);
	assert_int_equal(h.xs[0].x.grpc_status, 5);
	assert_true(h.xs[0].has_gmsg);
	assert_string_equal(h.xs[0].gmsg, "not found");
	assert_int_equal(h.xs[1].x.grpc_status, 0);
	assert_false(h.xs[1].has_gmsg);
	{
		struct tt_strv svc, m;

		assert_true(tt_grpc_split((struct tt_strv){h.xs[0].path, 28}, &svc, &m));
		assert_int_equal(svc.len, 18);
		assert_memory_equal(svc.p, "helloworld.Greeter", 18);
		assert_memory_equal(m.p, "SayHello", 8);
	}
	ht_free(&h);
	peers_free(&p);
}

/*
 * Attached mid-connection: the encoders filled their tables before tlstap
 * saw anything.  Fields that refer to those entries are unknown (never a
 * wrong value), the exchange says hpack, and entries inserted after are used.
 */
static void test_h2_unseen_table(void **state)
{
	struct ht h, seen;
	struct peers p;

	(void)state;
	ht_init(&h);
	ht_init(&seen);
	peers_init(&p);
	/* Before attach: authority and user-agent go into the tables (nghttp2
	 * never indexes :path). */
	get(&seen, &p, 1, "/one", "a");
	get(&seen, &p, 3, "/one", "a");
	assert_int_equal(seen.n, 2);
	/* After attach: the authority from the unseen table, then a new one (a
	 * literal inserted now), then that one again (from the entry seen). */
	get(&h, &p, 5, "/one", "b");
	get_at(&h, &p, 7, "new.test", "/new", "c");
	get_at(&h, &p, 9, "new.test", "/new", "d");
	ht_free(&h);
	assert_int_equal(h.n, 3);
	ht_expect(&h.xs[0], "GET", NULL, "/one", 200, 0, 1, TT_PARTIAL_HPACK);
	/* user-agent is still an unseen entry: hpack stays */
	ht_expect(&h.xs[1], "GET", "new.test", "/new", 200, 0, 1, TT_PARTIAL_HPACK);
	ht_expect(&h.xs[2], "GET", "new.test", "/new", 200, 0, 1, TT_PARTIAL_HPACK);
	/* per exchange: authority or user-agent, content-type, server */
	assert_int_equal(h.http.counters[TT_HC_HPACK_UNKNOWN], 3 + 2 + 2 + 1 + 2);
	assert_int_equal(h.xs[0].x.role, TT_ROLE_CLIENT);
	ht_free(&seen);
	peers_free(&p);
}

/* A hole inside a DATA payload is stepped over with the frame's sizes; a
 * hole across frames loses the HPACK table, and decoding goes on. */
static void test_h2_gaps(void **state)
{
	static uint8_t big[20000];
	nghttp2_nv rs[] = {NV(":status", "200"), NV("content-length", "20000")};
	struct h2b o = {.n = 0};
	struct ht h;
	struct peers p;

	(void)state;
	ht_init(&h);
	start(&h, &p);
	get(&h, &p, 1, "/first", "x");
	{
		nghttp2_nv rq[] = {NV(":method", "GET"), NV(":scheme", "https"),
				   NV(":authority", "api.test"), NV(":path", "/big")};

		headers(&o, p.cli, 3, true, rq, ARRAY_SIZE(rq));
		send_out(&h, TT_DIR_WRITE, &o);
	}
	headers(&o, p.srv, 3, false, rs, ARRAY_SIZE(rs));
	frame(&o, 0, 0, 3, big, 16384);
	frame(&o, 0, 1, 3, big, 20000 - 16384);
	/* The read returned all of it; 1000 bytes were captured. */
	ht_call_trunc(&h, TT_DIR_READ, o.b, o.n, 1000);
	o.n = 0;
	get(&h, &p, 5, "/after", "yz");
	ht_free(&h);
	assert_int_equal(h.n, 3);
	ht_expect(&h.xs[0], "GET", "api.test", "/first", 200, 0, 1, 0);
	/* The lost frames may have held HEADERS: the response table starts
	 * over, and the server's entries from before are unknown now. */
	ht_expect(&h.xs[1], "GET", "api.test", "/after", 200, 0, 2, TT_PARTIAL_HPACK);
	/* Its END_STREAM was in the lost bytes: reported at the end, with the
	 * size from content-length. */
	ht_expect(&h.xs[2], "GET", "api.test", "/big", 200, 0, 20000, TT_PARTIAL_TRUNCATED);
	assert_int_equal(h.xs[2].x.latency_ns, -1);
	peers_free(&p);
}

/* The Read of a response before the Write of its request (events come at
 * a call's return): paired by stream id; a response whose request never
 * comes is reported alone once the client opens a later stream. */
static void test_h2_response_first(void **state)
{
	nghttp2_nv rq[] = {NV(":method", "GET"), NV(":scheme", "https"),
			   NV(":authority", "api.test"), NV(":path", "/late")};
	nghttp2_nv rs[] = {NV(":status", "204")};
	struct h2b o = {.n = 0};
	struct ht h;
	struct peers p;
	uint8_t hdrs[256];
	size_t hn;

	(void)state;
	ht_init(&h);
	start(&h, &p);
	hn = deflate(p.cli, hdrs, sizeof(hdrs), rq, ARRAY_SIZE(rq));
	headers(&o, p.srv, 1, true, rs, 1);
	send_out(&h, TT_DIR_READ, &o);
	assert_int_equal(h.n, 0);
	frame(&o, 1, 0x5, 1, hdrs, hn);
	send_out(&h, TT_DIR_WRITE, &o);
	assert_int_equal(h.n, 1);
	ht_expect(&h.xs[0], "GET", "api.test", "/late", 204, 0, 0, 0);
	/* stream 3 answered, its request lost; stream 5 opens */
	headers(&o, p.srv, 3, true, rs, 1);
	send_out(&h, TT_DIR_READ, &o);
	get(&h, &p, 5, "/five", "5");
	assert_int_equal(h.n, 3);
	ht_expect(&h.xs[1], NULL, NULL, NULL, 204, 0, 0, TT_PARTIAL_MID_STREAM);
	ht_expect(&h.xs[2], "GET", "api.test", "/five", 200, 0, 1, 0);
	ht_free(&h);
	peers_free(&p);
}

static void test_h2_rst(void **state)
{
	struct h2b o = {.n = 0};
	nghttp2_nv rq[] = {NV(":method", "DELETE"), NV(":scheme", "https"),
			   NV(":authority", "api.test"), NV(":path", "/x")};
	static const uint8_t code[4] = {0, 0, 0, 8};
	struct ht h;
	struct peers p;

	(void)state;
	ht_init(&h);
	start(&h, &p);
	headers(&o, p.cli, 1, true, rq, ARRAY_SIZE(rq));
	frame(&o, 3, 0, 1, code, 4);
	send_out(&h, TT_DIR_WRITE, &o);
	assert_int_equal(h.n, 1);
	ht_expect(&h.xs[0], "DELETE", "api.test", "/x", -1, 0, 0, 0);
	ht_free(&h);
	peers_free(&p);
}

/* A request whose end was cut at --max-bytes is truncated, not unfinished:
 * it ended, unseen; its size comes from content-length. */
static void test_h2_truncated_request(void **state)
{
	nghttp2_nv rq[] = {NV(":method", "POST"), NV(":scheme", "https"),
			   NV(":authority", "api.test"), NV(":path", "/up"),
			   NV("content-length", "30000")};
	nghttp2_nv rs[] = {NV(":status", "200")};
	static const uint8_t body[10000];
	struct h2b o = {.n = 0};
	struct ht h;
	struct peers p;

	(void)state;
	ht_init(&h);
	start(&h, &p);
	headers(&o, p.cli, 1, false, rq, ARRAY_SIZE(rq));
	frame(&o, 0, 0, 1, body, sizeof(body));
	frame(&o, 0, 0, 1, body, sizeof(body));
	frame(&o, 0, 1, 1, body, sizeof(body));
	ht_call_trunc(&h, TT_DIR_WRITE, o.b, o.n, 1000);
	o.n = 0;
	headers(&o, p.srv, 1, true, rs, ARRAY_SIZE(rs));
	send_out(&h, TT_DIR_READ, &o);
	ht_close(&h);
	assert_int_equal(h.n, 1);
	ht_expect(&h.xs[0], "POST", "api.test", "/up", 200, 30000, 0, TT_PARTIAL_TRUNCATED);
	ht_free(&h);
	peers_free(&p);
}

/* The answer's Read before the Write of its request (events come at a
 * call's return), the request's head and body in that one Write: the body
 * counts, and the exchange is whole. */
static void test_h2_response_first_with_body(void **state)
{
	nghttp2_nv rq[] = {NV(":method", "POST"), NV(":scheme", "https"),
			   NV(":authority", "api.test"), NV(":path", "/late")};
	nghttp2_nv rs[] = {NV(":status", "204")};
	struct h2b o = {.n = 0};
	struct ht h;
	struct peers p;

	(void)state;
	ht_init(&h);
	start(&h, &p);
	headers(&o, p.srv, 1, true, rs, ARRAY_SIZE(rs));
	send_out(&h, TT_DIR_READ, &o);
	assert_int_equal(h.n, 0);
	headers(&o, p.cli, 1, false, rq, ARRAY_SIZE(rq));
	frame(&o, 0, 1, 1, "k=v", 3);
	send_out(&h, TT_DIR_WRITE, &o);
	assert_int_equal(h.n, 1);
	ht_expect(&h.xs[0], "POST", "api.test", "/late", 204, 3, 0, 0);
	ht_free(&h);
	peers_free(&p);
}

/*
 * The server's view of nginx's "return" to a POST: it answers and resets
 * the stream before the request's body came.  The body read after (the
 * client had sent it) still counts; when the connection ends first, the
 * request is reported with what came and marked unfinished.
 */
static void answered_before_body(struct ht *h, struct peers *p)
{
	nghttp2_nv rq[] = {NV(":method", "POST"), NV(":scheme", "https"),
			   NV(":authority", "api.test"), NV(":path", "/api/post"),
			   NV("content-length", "3")};
	nghttp2_nv rs[] = {NV(":status", "200"), NV("content-length", "14")};
	static const uint8_t no_error[4] = {0, 0, 0, 0};
	struct h2b o = {.n = 0};

	ht_init(h);
	start_as(h, p, TT_DIR_READ);
	headers(&o, p->cli, 1, false, rq, ARRAY_SIZE(rq));
	send_out(h, TT_DIR_READ, &o);
	headers(&o, p->srv, 1, false, rs, ARRAY_SIZE(rs));
	frame(&o, 0, 1, 1, "api /api/post\n", 14);
	send_out(h, TT_DIR_WRITE, &o);
	frame(&o, 3, 0, 1, no_error, 4);
	send_out(h, TT_DIR_WRITE, &o);
	assert_int_equal(h->n, 0);
}

static void test_h2_answered_before_body(void **state)
{
	struct h2b o = {.n = 0};
	struct ht h;
	struct peers p;

	(void)state;
	answered_before_body(&h, &p);
	frame(&o, 0, 1, 1, "k=v", 3);
	send_out(&h, TT_DIR_READ, &o);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.xs[0].x.role, TT_ROLE_SERVER);
	ht_expect(&h.xs[0], "POST", "api.test", "/api/post", 200, 3, 14, 0);
	ht_free(&h);
	peers_free(&p);

	/* The client closed before the server read the body. */
	answered_before_body(&h, &p);
	ht_close(&h);
	assert_int_equal(h.n, 1);
	ht_expect(&h.xs[0], "POST", "api.test", "/api/post", 200, 0, 14, TT_PARTIAL_UNFINISHED);
	ht_free(&h);
	peers_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_h2_basic), cmocka_unit_test(test_h2_interleaved),
	    cmocka_unit_test(test_grpc),     cmocka_unit_test(test_h2_unseen_table),
	    cmocka_unit_test(test_h2_gaps),  cmocka_unit_test(test_h2_response_first),
	    cmocka_unit_test(test_h2_rst),   cmocka_unit_test(test_h2_answered_before_body),
	    cmocka_unit_test(test_h2_truncated_request),
	    cmocka_unit_test(test_h2_response_first_with_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
