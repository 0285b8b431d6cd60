// SPDX-License-Identifier: MIT
/*
 * The pcapng blocks byte by byte (the layout of the pcapng specification:
 * SHB, IDB with if_tsresol, EPB with epb_flags and opt_comment, 32-bit
 * padding), the Internet checksum against published values (RFC 1071's
 * example, the IPv4 header of Wikipedia's "Internet checksum" article),
 * and whole IPv4/IPv6 + TCP headers against bytes computed independently
 * (a textbook sum of 16-bit words with Python's struct module).
 */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "testutil.h"

#include "out/pcapng.h"
#include "out/tcpip.h"

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t u16_at(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

/* The checksum as stored: folded, complemented, bytes in network order. */
static void csum_bytes(const void *p, size_t n, uint8_t out[2])
{
	uint16_t c = tt_csum_fold(tt_csum_add(0, p, n));

	memcpy(out, &c, 2);
}

static void test_csum_published(void **state)
{
	/* RFC 1071 section 3: these bytes sum to 0xddf2. */
	static const uint8_t rfc[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	/* Wikipedia: an IPv4 header whose checksum is 0xb861. */
	static const uint8_t ip[] = {0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11,
				     0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8, 0x00, 0xc7};
	uint8_t c[2];

	(void)state;
	csum_bytes(rfc, sizeof(rfc), c);
	assert_int_equal(c[0], 0x22); /* ~0xddf2 */
	assert_int_equal(c[1], 0x0d);
	/* An odd length: the last byte is padded with zero (0x2304). */
	csum_bytes(rfc, 7, c);
	assert_int_equal(c[0], 0x23);
	assert_int_equal(c[1], 0x04);
	csum_bytes(ip, sizeof(ip), c);
	assert_int_equal(c[0], 0xb8);
	assert_int_equal(c[1], 0x61);
}

/* Parts summed one after another give the sum of the whole, for every
 * split at an even offset, and a packet with its checksum in place sums to
 * zero. */
static void test_csum_parts(void **state)
{
	uint8_t buf[1001];
	uint8_t whole[2], split[2];

	(void)state;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	csum_bytes(buf, sizeof(buf), whole);
	for (size_t cut = 0; cut < sizeof(buf); cut += 2) {
		uint64_t s = tt_csum_add(tt_csum_add(0, buf, cut), buf + cut, sizeof(buf) - cut);
		uint16_t c = tt_csum_fold(s);

		memcpy(split, &c, 2);
		assert_memory_equal(split, whole, 2);
	}
	/* A checksum field (at an even offset) filled in makes the sum zero. */
	memset(buf + 10, 0, 2);
	csum_bytes(buf, sizeof(buf), split);
	memcpy(buf + 10, split, 2);
	assert_int_equal(tt_csum_fold(tt_csum_add(0, buf, sizeof(buf))), 0);
}

static void tuple4(struct tt_tuple *t, const char *l, uint16_t lp, const char *r, uint16_t rp)
{
	memset(t, 0, sizeof(*t));
	t->family = AF_INET;
	inet_pton(AF_INET, l, t->laddr);
	inet_pton(AF_INET, r, t->raddr);
	t->lport = lp;
	t->rport = rp;
}

static void test_tcpip_ipv4(void **state)
{
	static const uint8_t want[] = {0x45, 0x00, 0x00, 0x2d, 0x12, 0x34, 0x40, 0x00, 0x40, 0x06,
				       0x3c, 0x5b, 0xc0, 0x00, 0x02, 0x01, 0xc6, 0x33, 0x64, 0x07,
				       0x9c, 0x40, 0x01, 0xbb, 0x01, 0x02, 0x03, 0x04, 0xa0, 0xb0,
				       0xc0, 0xd0, 0x50, 0x18, 0xff, 0xff, 0x7c, 0x36, 0x00, 0x00};
	struct tt_tuple t;
	struct tt_tcpseg s = {
	    .tuple = &t,
	    .from_local = 1,
	    .seq = 0x01020304,
	    .ack = 0xa0b0c0d0,
	    .flags = TT_TCP_PSH | TT_TCP_ACK,
	    .window = 65535,
	    .ip_id = 0x1234,
	    .payload = (const uint8_t *)"hello",
	    .len = 5,
	};
	uint8_t h[TT_TCPIP_HDR_MAX];

	(void)state;
	tuple4(&t, "192.0.2.1", 40000, "198.51.100.7", 443);
	assert_int_equal(tt_tcpip_headers(h, &s), sizeof(want));
	assert_memory_equal(h, want, sizeof(want));
}

static void test_tcpip_ipv6(void **state)
{
	/* From the remote end ([2001:db8::1]:443), an odd payload, the
	 * sequence number about to wrap. */
	static const uint8_t want[] = {0x60, 0x00, 0x00, 0x00, 0x00, 0x19, 0x06, 0x40, 0x20, 0x01,
				       0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
				       0x00, 0x00, 0x00, 0x01, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00,
				       0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02,
				       0x01, 0xbb, 0x9c, 0x40, 0xff, 0xff, 0xff, 0xf0, 0x00, 0x00,
				       0x00, 0x05, 0x50, 0x18, 0xff, 0xff, 0xc1, 0xdb, 0x00, 0x00};
	struct tt_tuple t = {.family = AF_INET6, .lport = 40000, .rport = 443};
	struct tt_tcpseg s = {
	    .tuple = &t,
	    .from_local = 0,
	    .seq = 0xfffffff0,
	    .ack = 5,
	    .flags = TT_TCP_PSH | TT_TCP_ACK,
	    .window = 65535,
	    .payload = (const uint8_t *)"odd!!",
	    .len = 5,
	};
	uint8_t h[TT_TCPIP_HDR_MAX];

	(void)state;
	/* from_local = 0: the source is the tuple's remote end. */
	inet_pton(AF_INET6, "2001:db8::2", t.laddr);
	inet_pton(AF_INET6, "2001:db8::1", t.raddr);
	assert_int_equal(tt_tcpip_headers(h, &s), sizeof(want));
	assert_memory_equal(h, want, sizeof(want));
}

static void test_tcpip_syn_wscale(void **state)
{
	static const uint8_t want[] = {0x45, 0x00, 0x00, 0x2c, 0x00, 0x07, 0x40, 0x00, 0x40,
				       0x06, 0x4e, 0x89, 0xc6, 0x33, 0x64, 0x07, 0xc0, 0x00,
				       0x02, 0x01, 0x01, 0xbb, 0x9c, 0x40, 0x11, 0x11, 0x11,
				       0x11, 0x00, 0x00, 0x00, 0x00, 0x60, 0x02, 0xff, 0xff,
				       0xef, 0x73, 0x00, 0x00, 0x01, 0x03, 0x03, 0x0e};
	struct tt_tuple t;
	/* A SYN carries no acknowledgement: the ack given is not written. */
	struct tt_tcpseg s = {
	    .tuple = &t,
	    .from_local = 0,
	    .seq = 0x11111111,
	    .ack = 0xdeadbeef,
	    .flags = TT_TCP_SYN,
	    .window = 65535,
	    .ip_id = 7,
	    .wscale = 14,
	};
	uint8_t h[TT_TCPIP_HDR_MAX];

	(void)state;
	tuple4(&t, "192.0.2.1", 40000, "198.51.100.7", 443);
	assert_int_equal(tt_tcpip_headers(h, &s), sizeof(want));
	assert_memory_equal(h, want, sizeof(want));
}

/* The SHB and IDB, field by field. */
static void test_header_blocks(void **state)
{
	size_t n = tt_pcapng_header_len();
	uint8_t *b = calloc(1, n), *idb;
	uint32_t shb_len, idb_len, opt_off;
	const char *appl;

	(void)state;
	assert_non_null(b);
	tt_pcapng_header_encode(b);
	/* SHB: type, length (at both ends), magic, version 1.0, length -1. */
	assert_int_equal(u32_at(b), 0x0A0D0D0A);
	shb_len = u32_at(b + 4);
	assert_int_equal(shb_len % 4, 0);
	assert_int_equal(u32_at(b + shb_len - 4), shb_len);
	assert_int_equal(u32_at(b + 8), 0x1A2B3C4D);
	assert_int_equal(u16_at(b + 12), 1);
	assert_int_equal(u16_at(b + 14), 0);
	for (int i = 16; i < 24; i++)
		assert_int_equal(b[i], 0xff);
	/* shb_userappl (4) "tlstap ...", padded with zeros, then opt_endofopt. */
	assert_int_equal(u16_at(b + 24), 4);
	appl = (const char *)b + 28;
	assert_memory_equal(appl, "tlstap ", 7);
	opt_off = 28 + ((u16_at(b + 26) + 3u) & ~3u);
	for (uint32_t i = 28 + u16_at(b + 26); i < opt_off; i++)
		assert_int_equal(b[i], 0);
	assert_int_equal(u32_at(b + opt_off), 0); /* code 0, length 0 */
	assert_int_equal(opt_off + 8, shb_len);

	/* IDB: type 1, LINKTYPE_RAW (101), snaplen, options ending with
	 * if_tsresol = 9 (nanoseconds). */
	idb = b + shb_len;
	assert_int_equal(u32_at(idb), 1);
	idb_len = u32_at(idb + 4);
	assert_int_equal(shb_len + idb_len, n);
	assert_int_equal(u32_at(idb + idb_len - 4), idb_len);
	assert_int_equal(u16_at(idb + 8), 101);
	assert_int_equal(u16_at(idb + 10), 0);
	assert_int_equal(u32_at(idb + 12), 65535);
	{
		uint32_t off = 16;
		bool tsresol = false;

		while (u16_at(idb + off)) {
			uint16_t code = u16_at(idb + off), len = u16_at(idb + off + 2);

			if (code == 9) {
				assert_int_equal(len, 1);
				assert_int_equal(idb[off + 4], 9);
				assert_int_equal(idb[off + 5] | idb[off + 6] | idb[off + 7], 0);
				tsresol = true;
			}
			off += 4 + ((len + 3u) & ~3u);
		}
		assert_true(tsresol);
		assert_int_equal(off + 8, idb_len); /* opt_endofopt, trailing length */
	}
	free(b);
}

/* An EPB: 5 bytes of packet padded to 8, epb_flags, a 5-byte comment
 * padded to 8, opt_endofopt, the length again. */
static void test_epb_block(void **state)
{
	static const uint8_t hdr[] = {1, 2, 3}, pay[] = {4, 5};
	static const uint8_t want[] = {
	    6,	  0,	0,    0,		      /* type */
	    64,	  0,	0,    0,		      /* total length */
	    0,	  0,	0,    0,		      /* interface 0 */
	    0x01, 0x00, 0x00, 0x00,		      /* timestamp high */
	    0x05, 0x00, 0x00, 0x00,		      /* timestamp low: 0x100000005 ns */
	    5,	  0,	0,    0,		      /* captured */
	    5,	  0,	0,    0,		      /* original */
	    1,	  2,	3,    4,    5,	 0,   0,   0, /* packet, padded */
	    2,	  0,	4,    0,    2,	 0,   0,   0, /* epb_flags: outbound */
	    1,	  0,	5,    0,    'a', 'b', 'c', 'd', 'e', 0, 0, 0, /* opt_comment */
	    0,	  0,	0,    0,				      /* opt_endofopt */
	    64,	  0,	0,    0,
	};
	struct tt_pcapng_pkt p = {
	    .time_ns = 0x100000005LL,
	    .epb_flags = TT_PCAPNG_OUTBOUND,
	    .hdr = hdr,
	    .hdr_len = 3,
	    .payload = pay,
	    .payload_len = 2,
	    .comment = "abcde",
	    .comment_len = 5,
	};
	uint8_t got[sizeof(want)];

	(void)state;
	if (htonl(1) == 1)
		skip(); /* the expected bytes are little-endian (the section's order) */
	assert_int_equal(tt_pcapng_epb_len(&p), sizeof(want));
	memset(got, 0xaa, sizeof(got));
	tt_pcapng_epb_encode(got, &p);
	assert_memory_equal(got, want, sizeof(want));
	/* Without a comment: no opt_comment at all. */
	p.comment_len = 0;
	assert_int_equal(tt_pcapng_epb_len(&p), sizeof(want) - 12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_csum_published),   cmocka_unit_test(test_csum_parts),
	    cmocka_unit_test(test_tcpip_ipv4),	     cmocka_unit_test(test_tcpip_ipv6),
	    cmocka_unit_test(test_tcpip_syn_wscale), cmocka_unit_test(test_header_blocks),
	    cmocka_unit_test(test_epb_block),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
