// SPDX-License-Identifier: MIT
/*
 * Synthetic captures for bench/replay.sh, written by tlstap's own raw NDJSON
 * writer (so the replay reads exactly what a trace writes):
 *
 *   mkcapture h1 EXCHANGES BODY CONNS   HTTP/1.1 keep-alive, client side:
 *       a ~100-byte request per Write, the response (head + BODY bytes) in
 *       Reads of at most 16 KiB, exchanges round-robin over CONNS connections
 *   mkcapture h2 EXCHANGES BODY STREAMS  HTTP/2, one connection: STREAMS
 *       requests in one Write (HPACK by nghttp2's deflater), then each
 *       response (HEADERS + DATA frames of at most 16 KiB) in one Read
 *
 * Prints the capture on stdout and "exchanges N plaintext_bytes B" on stderr.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "out/raw.h"
#include "out/wbuf.h"

static struct tt_raw_writer w;
static struct tt_wbuf out;
static uint64_t plain;
static int64_t now = 1700000000000000000;

/* One TLS call on connection c, in chunks of at most 16 KiB. */
static void call(uint32_t c, unsigned dir, const uint8_t *p, size_t n)
{
	struct tt_chunk ch = {
	    .pid = 1000,
	    .tid = 1000,
	    .comm = "bench",
	    .lib = TT_LIB_OPENSSL,
	    .attribution = TT_ATTR_SYSCALL_FD,
	    .fd = 10,
	    .conn = 0x5000 + c,
	    .stream_off = TT_STREAM_OFF_UNKNOWN,
	    .dir = (uint8_t)dir,
	};

	now += 1000;
	ch.time_ns = now;
	ch.call_len = (uint32_t)n;
	ch.tuple.family = AF_INET;
	ch.tuple.lport = (uint16_t)(30000 + c);
	ch.tuple.rport = 443;
	inet_pton(AF_INET, "10.0.0.1", ch.tuple.laddr);
	inet_pton(AF_INET, "10.0.0.2", ch.tuple.raddr);
	for (size_t off = 0; off < n || off == 0; off += TT_CHUNK_MAX) {
		size_t k = n - off < TT_CHUNK_MAX ? n - off : TT_CHUNK_MAX;

		ch.chunk_off = (uint32_t)off;
		ch.data = p + off;
		ch.data_len = (uint32_t)k;
		ch.flags = off + k < n ? TT_EV_MORE : 0;
		tt_raw_chunk(&w, &ch);
		if (!n)
			break;
	}
	plain += n;
}

static void h1(long n, long body, long conns)
{
	size_t cap = (size_t)body + 256;
	uint8_t *resp = malloc(cap), req[256];

	for (long i = 0; i < n; i++) {
		int k = snprintf((char *)req, sizeof(req),
				 "GET /api/v1/items/%ld?fields=all HTTP/1.1\r\nHost: api.bench\r\n"
				 "User-Agent: bench/1.0\r\nAccept: */*\r\n\r\n",
				 i);
		int h = snprintf((char *)resp, cap,
				 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				 "Content-Length: %ld\r\n\r\n",
				 body);

		memset(resp + h, 'x', (size_t)body);
		call((uint32_t)(i % conns), TT_DIR_WRITE, req, (size_t)k);
		call((uint32_t)(i % conns), TT_DIR_READ, resp, (size_t)h + (size_t)body);
	}
	free(resp);
}

static size_t frame(uint8_t *d, uint8_t type, uint8_t flags, uint32_t sid, const void *p, size_t n)
{
	d[0] = (uint8_t)(n >> 16), d[1] = (uint8_t)(n >> 8), d[2] = (uint8_t)n;
	d[3] = type, d[4] = flags;
	d[5] = (uint8_t)(sid >> 24), d[6] = (uint8_t)(sid >> 16), d[7] = (uint8_t)(sid >> 8);
	d[8] = (uint8_t)sid;
	if (n)
		memcpy(d + 9, p, n);
	return 9 + n;
}

static void h2(long n, long body, long streams)
{
	static const uint8_t settings[6] = {0, 3, 0, 0, 0, 100};
	nghttp2_hd_deflater *cli, *srv;
	size_t rcap = (size_t)body + (size_t)body / 16384 * 9 + 512;
	uint8_t *req = malloc((size_t)streams * 512), *resp = malloc(rcap), blk[512];
	uint8_t *zero = calloc(1, 16384);
	uint32_t sid = 1;
	size_t k;

	nghttp2_hd_deflate_new(&cli, 4096);
	nghttp2_hd_deflate_new(&srv, 4096);
	memcpy(req, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	k = 24 + frame(req + 24, 4, 0, 0, settings, 6);
	call(0, TT_DIR_WRITE, req, k);
	k = frame(resp, 4, 0, 0, settings, 6);
	call(0, TT_DIR_READ, resp, k);
	for (long i = 0; i < n; i += streams) {
		long m = n - i < streams ? n - i : streams;

		k = 0;
		for (long j = 0; j < m; j++) {
			char path[64];
			nghttp2_nv nv[] = {
			    {(uint8_t *)":method", (uint8_t *)"GET", 7, 3, 0},
			    {(uint8_t *)":scheme", (uint8_t *)"https", 7, 5, 0},
			    {(uint8_t *)":authority", (uint8_t *)"api.bench", 10, 9, 0},
			    {(uint8_t *)":path", (uint8_t *)path, 5, 0, 0},
			    {(uint8_t *)"user-agent", (uint8_t *)"bench/1.0", 10, 9, 0},
			};
			ssize_t b;

			nv[3].valuelen =
			    (size_t)snprintf(path, sizeof(path), "/api/v1/items/%ld", i + j);
			b = nghttp2_hd_deflate_hd(cli, blk, sizeof(blk), nv, 5);
			k += frame(req + k, 1, 0x5, sid + 2 * (uint32_t)j, blk, (size_t)b);
		}
		call(0, TT_DIR_WRITE, req, k);
		for (long j = 0; j < m; j++) {
			nghttp2_nv nv[] = {
			    {(uint8_t *)":status", (uint8_t *)"200", 7, 3, 0},
			    {(uint8_t *)"content-type", (uint8_t *)"application/json", 12, 16, 0},
			};
			ssize_t b = nghttp2_hd_deflate_hd(srv, blk, sizeof(blk), nv, 2);
			long left = body;

			k = frame(resp, 1, body ? 0x4 : 0x5, sid + 2 * (uint32_t)j, blk, (size_t)b);
			while (left > 0) {
				long d = left < 16384 ? left : 16384;

				left -= d;
				k += frame(resp + k, 0, left ? 0 : 1, sid + 2 * (uint32_t)j, zero,
					   (size_t)d);
			}
			call(0, TT_DIR_READ, resp, k);
		}
		sid += 2 * (uint32_t)m;
	}
	nghttp2_hd_deflate_del(cli);
	nghttp2_hd_deflate_del(srv);
	free(req);
	free(resp);
	free(zero);
}

int main(int argc, char **argv)
{
	long n, body, x;

	if (argc != 5) {
		fprintf(stderr, "usage: mkcapture h1|h2 EXCHANGES BODY CONNS|STREAMS\n");
		return 2;
	}
	n = atol(argv[2]);
	body = atol(argv[3]);
	x = atol(argv[4]);
	if (n < 1 || body < 0 || x < 1)
		return 2;
	tt_wbuf_init(&out, STDOUT_FILENO, 1 << 20);
	tt_raw_init(&w, TT_RAW_JSON, &out);
	if (!strcmp(argv[1], "h1"))
		h1(n, body, x);
	else
		h2(n, body, x);
	if (tt_wbuf_flush(&out))
		return 1;
	fprintf(stderr, "exchanges %ld plaintext_bytes %llu\n", n, (unsigned long long)plain);
	return 0;
}
