// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the streams stage and the HTTP decoders on raw
 * bytes (no base64 in the way): the input is a sequence of TLS calls,
 *   [flags:1][len:2 big-endian][len bytes]
 * flags bit 0: direction (write/read), bit 1: only the first half was
 * captured (truncated), bit 2: a stream offset jump before it (lost bytes),
 * bit 3: the connection closes after it, bit 4: a second connection (no
 * tuple).  Seeds: HTTP/1.1 and HTTP/2 conversations (tests/fuzz/mkhttpseeds.py).
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "proto/http.h"
#include "stream/stream.h"

static void on_data(void *ctx, struct tt_conn *c, const struct tt_chunk *ch, uint64_t off,
		    const uint8_t *p, uint32_t n)
{
	tt_http_data(ctx, c, ch, off, p, n);
}

static void on_gap(void *ctx, struct tt_conn *c, unsigned dir, uint64_t off, uint64_t len,
		   enum tt_gap_why why, int64_t t)
{
	(void)off;
	tt_http_gap(ctx, c, dir, len, why, t);
}

static void on_end(void *ctx, struct tt_conn *c, enum tt_end_reason why, int64_t t)
{
	tt_http_end(ctx, c, why, t);
}

static void on_exchange(void *ctx, const struct tt_exchange *x)
{
	volatile size_t sink = 0;

	(void)ctx;
	/* Touch every string: ASan sees a read past what was filled. */
	for (uint32_t i = 0; x->method.p && i < x->method.len; i++)
		sink += (uint8_t)x->method.p[i];
	for (uint32_t i = 0; x->path.p && i < x->path.len; i++)
		sink += (uint8_t)x->path.p[i];
	for (uint32_t i = 0; x->authority.p && i < x->authority.len; i++)
		sink += (uint8_t)x->authority.p[i];
	for (uint32_t i = 0; x->grpc_message.p && i < x->grpc_message.len; i++)
		sink += (uint8_t)x->grpc_message.p[i];
	(void)sink;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_http http;
	struct tt_streams st;
	struct tt_stream_ops ops = {NULL, on_data, on_gap, on_end, &http};
	uint64_t off[2][2] = {{0}};
	int64_t t = 1000;
	size_t pos = 0;

	tt_http_init(&http, on_exchange, NULL);
	if (tt_streams_init(&st, &ops, NULL))
		return 0;
	while (pos + 3 <= size) {
		uint8_t fl = data[pos];
		size_t n = (size_t)data[pos + 1] << 8 | data[pos + 2], keep;
		unsigned second = (fl >> 4) & 1;
		struct tt_chunk c = {
		    .pid = 1,
		    .tid = 2,
		    .lib = TT_LIB_OPENSSL,
		    .dir = (fl & 1) ? TT_DIR_WRITE : TT_DIR_READ,
		    .conn = 0x100 + second,
		};
		unsigned di = TT_DIR_IDX(c.dir);

		pos += 3;
		if (n > size - pos)
			n = size - pos;
		keep = (fl & 2) ? n / 2 : n;
		if (!second) {
			c.tuple.family = AF_INET;
			c.tuple.lport = 40000;
			c.tuple.rport = 443;
		}
		if (fl & 4)
			off[second][di] += 1 + (fl >> 5);
		c.time_ns = t += 1000;
		c.stream_off = off[second][di];
		c.call_len = (uint32_t)n;
		c.data = data + pos;
		c.data_len = (uint32_t)keep;
		c.flags = keep < n ? TT_EV_TRUNCATED : 0;
		off[second][di] += n;
		tt_streams_chunk(&st, &c);
		if (fl & 8 && !second) {
			struct tt_conn_end e = {.time_ns = t, .pid = 1, .tuple = c.tuple};

			tt_streams_conn_end(&st, &e);
			off[0][0] = off[0][1] = 0;
		}
		pos += n;
	}
	tt_streams_free(&st, t);
	return 0;
}
