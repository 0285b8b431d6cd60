/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_HTTPUTIL_H
#define TLSTAP_HTTPUTIL_H

/*
 * Helpers for the streams/HTTP unit tests: a connection driven chunk by
 * chunk (streams stage + HTTP decoders, as the pipeline wires them), and
 * the exchanges it reports, copied so the tests can look at them after.
 */

#include <arpa/inet.h>
#include <sys/socket.h>

#include "testutil.h"

#include "proto/http.h"
#include "stream/stream.h"

#define HT_MAX_X 64

struct ht_x {
	struct tt_exchange x;
	char method[64], authority[300], path[4200], gmsg[600];
	bool has_method, has_authority, has_path, has_gmsg;
	uint32_t pid;
};

struct ht {
	struct tt_streams st;
	struct tt_http http;
	struct ht_x xs[HT_MAX_X];
	unsigned n;
	/* the connection the helpers write chunks for */
	struct tt_chunk c;
	uint64_t off[2]; /* stream offsets per direction, when with_off */
	bool with_off;
	int64_t t;
	unsigned gaps;
	uint64_t gap_bytes;
};

static inline void ht_copy(char *dst, size_t cap, bool *has, struct tt_strv s)
{
	*has = s.p != NULL;
	if (!s.p)
		return;
	assert_true(s.len < cap);
	memcpy(dst, s.p, s.len);
	dst[s.len] = '\0';
}

static inline void ht_emit(void *ctx, const struct tt_exchange *x)
{
	struct ht *h = ctx;
	struct ht_x *o;

	assert_true(h->n < HT_MAX_X);
	o = &h->xs[h->n++];
	o->x = *x;
	o->pid = x->conn->pid;
	ht_copy(o->method, sizeof(o->method), &o->has_method, x->method);
	ht_copy(o->authority, sizeof(o->authority), &o->has_authority, x->authority);
	ht_copy(o->path, sizeof(o->path), &o->has_path, x->path);
	ht_copy(o->gmsg, sizeof(o->gmsg), &o->has_gmsg, x->grpc_message);
}

static inline void ht_data(void *ctx, struct tt_conn *c, const struct tt_chunk *ch, uint64_t off,
			   const uint8_t *p, uint32_t n)
{
	tt_http_data(&((struct ht *)ctx)->http, c, ch, off, p, n);
}

static inline void ht_gap(void *ctx, struct tt_conn *c, unsigned dir, uint64_t off, uint64_t len,
			  enum tt_gap_why why, int64_t t)
{
	struct ht *h = ctx;

	(void)off;
	h->gaps++;
	if (len != TT_GAP_UNKNOWN)
		h->gap_bytes += len;
	tt_http_gap(&h->http, c, dir, len, why, t);
}

static inline void ht_end(void *ctx, struct tt_conn *c, enum tt_end_reason why, int64_t t)
{
	tt_http_end(&((struct ht *)ctx)->http, c, why, t);
}

/* A client connection 10.0.0.1:40000 -> 10.0.0.2:443 of pid 100. */
static inline void ht_init(struct ht *h)
{
	struct tt_stream_ops ops = {NULL, ht_data, ht_gap, ht_end, h};

	memset(h, 0, sizeof(*h));
	assert_int_equal(tt_streams_init(&h->st, &ops, NULL), 0);
	tt_http_init(&h->http, ht_emit, h);
	h->c.pid = 100;
	h->c.tid = 101;
	strcpy(h->c.comm, "client");
	h->c.lib = TT_LIB_OPENSSL;
	h->c.attribution = TT_ATTR_SYSCALL_FD;
	h->c.conn = 0x1000;
	h->c.fd = 5;
	h->c.stream_off = TT_STREAM_OFF_UNKNOWN;
	h->c.tuple.family = AF_INET;
	h->c.tuple.lport = 40000;
	h->c.tuple.rport = 443;
	inet_pton(AF_INET, "10.0.0.1", h->c.tuple.laddr);
	inet_pton(AF_INET, "10.0.0.2", h->c.tuple.raddr);
	h->t = 1000000000;
}

static inline void ht_free(struct ht *h)
{
	tt_streams_free(&h->st, h->t);
}

/* One TLS call of n bytes at time t (+1 µs per call), of which only the
 * first keep bytes were captured (keep < n: truncated). */
static inline void ht_call_trunc(struct ht *h, unsigned dir, const void *p, size_t n, size_t keep)
{
	struct tt_chunk c = h->c;
	unsigned di = TT_DIR_IDX(dir);

	h->t += 1000;
	c.time_ns = h->t;
	c.dir = (uint8_t)dir;
	c.call_len = (uint32_t)n;
	c.data = p;
	c.data_len = (uint32_t)keep;
	c.flags = keep < n ? TT_EV_TRUNCATED : 0;
	c.stream_off = h->with_off ? h->off[di] : TT_STREAM_OFF_UNKNOWN;
	h->off[di] += n;
	assert_int_equal(tt_streams_chunk(&h->st, &c), 0);
}

static inline void ht_call(struct ht *h, unsigned dir, const void *p, size_t n)
{
	ht_call_trunc(h, dir, p, n, n);
}

static inline void ht_write(struct ht *h, const char *s)
{
	ht_call(h, TT_DIR_WRITE, s, strlen(s));
}

static inline void ht_read(struct ht *h, const char *s)
{
	ht_call(h, TT_DIR_READ, s, strlen(s));
}

/* The connection closes (the kernel said so). */
static inline void ht_close(struct ht *h)
{
	struct tt_conn_end e = {.time_ns = h->t + 1000, .pid = h->c.pid, .tuple = h->c.tuple};

	tt_streams_conn_end(&h->st, &e);
}

static inline void ht_flush(struct ht *h)
{
	tt_streams_flush(&h->st, TT_END_FLUSH, h->t + 1000);
}

/* Asserts on one exchange: NULL strings must be null, status -1 null. */
static inline void ht_expect(const struct ht_x *o, const char *method, const char *authority,
			     const char *path, int status, uint64_t req_bytes, uint64_t resp_bytes,
			     uint32_t partial)
{
	if (method) {
		assert_true(o->has_method);
		assert_string_equal(o->method, method);
	} else {
		assert_false(o->has_method);
	}
	if (authority) {
		assert_true(o->has_authority);
		assert_string_equal(o->authority, authority);
	} else {
		assert_false(o->has_authority);
	}
	if (path) {
		assert_true(o->has_path);
		assert_string_equal(o->path, path);
	} else {
		assert_false(o->has_path);
	}
	assert_int_equal(o->x.status, status);
	assert_int_equal(o->x.req_bytes, req_bytes);
	assert_int_equal(o->x.resp_bytes, resp_bytes);
	assert_int_equal(o->x.partial, partial);
}

#endif
