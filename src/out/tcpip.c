// SPDX-License-Identifier: MIT
/* IPv4/IPv6 + TCP headers with their checksums, for the pcapng writer. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "out/tcpip.h"

#define IPV4_HDR 20
#define IPV6_HDR 40
#define TCP_HDR 20
#define TCP_WSCALE_OPT 4 /* NOP, kind 3, length 3, shift */
#define TTL 64
#define DONT_FRAGMENT 0x4000

uint64_t tt_csum_add(uint64_t sum, const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t v;
	uint32_t w;
	uint16_t h = 0;

	/* Two 32-bit halves per 8 bytes into 64 bits: no carry to chase (a
	 * 64 KiB segment adds up to far less than 2^64). */
	for (; n >= 8; b += 8, n -= 8) {
		memcpy(&v, b, 8);
		sum += (uint32_t)v;
		sum += v >> 32;
	}
	if (n >= 4) {
		memcpy(&w, b, 4);
		sum += w;
		b += 4, n -= 4;
	}
	if (n >= 2) {
		memcpy(&h, b, 2);
		sum += h;
		b += 2, n -= 2;
	}
	if (n) {
		/* The odd last byte is the first of a word padded with zero. */
		uint8_t pad[2] = {b[0], 0};

		memcpy(&h, pad, 2);
		sum += h;
	}
	return sum;
}

uint16_t tt_csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	v = htons(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htonl(v);
	memcpy(p, &v, 4);
}

static size_t ipv4_header(uint8_t *h, const struct tt_tcpseg *s, const uint8_t *src,
			  const uint8_t *dst, size_t tcp_len)
{
	uint16_t csum;

	memset(h, 0, IPV4_HDR);
	h[0] = 0x45; /* version 4, 5 words */
	put16(h + 2, (uint16_t)(IPV4_HDR + tcp_len));
	put16(h + 4, s->ip_id);
	put16(h + 6, DONT_FRAGMENT);
	h[8] = TTL;
	h[9] = IPPROTO_TCP;
	memcpy(h + 12, src, 4);
	memcpy(h + 16, dst, 4);
	csum = tt_csum_fold(tt_csum_add(0, h, IPV4_HDR));
	memcpy(h + 10, &csum, 2);
	return IPV4_HDR;
}

static size_t ipv6_header(uint8_t *h, const uint8_t *src, const uint8_t *dst, size_t tcp_len)
{
	memset(h, 0, 8);
	h[0] = 0x60; /* version 6, no traffic class, no flow label */
	put16(h + 4, (uint16_t)tcp_len);
	h[6] = IPPROTO_TCP;
	h[7] = TTL;
	memcpy(h + 8, src, 16);
	memcpy(h + 24, dst, 16);
	return IPV6_HDR;
}

/* The pseudo-header's sum: addresses, protocol, TCP length. */
static uint64_t pseudo_sum(int family, const uint8_t *src, const uint8_t *dst, size_t tcp_len)
{
	size_t alen = family == AF_INET ? 4 : 16;
	uint8_t tail[8] = {0};
	uint64_t sum;

	sum = tt_csum_add(0, src, alen);
	sum = tt_csum_add(sum, dst, alen);
	if (family == AF_INET) {
		tail[1] = IPPROTO_TCP;
		put16(tail + 2, (uint16_t)tcp_len);
		return tt_csum_add(sum, tail, 4);
	}
	put32(tail, (uint32_t)tcp_len);
	tail[7] = IPPROTO_TCP;
	return tt_csum_add(sum, tail, 8);
}

static size_t tcp_header(uint8_t *t, const struct tt_tcpseg *s, uint16_t sport, uint16_t dport)
{
	size_t len = TCP_HDR + (s->wscale ? TCP_WSCALE_OPT : 0);

	memset(t, 0, len);
	put16(t, sport);
	put16(t + 2, dport);
	put32(t + 4, s->seq);
	put32(t + 8, s->flags & TT_TCP_ACK ? s->ack : 0);
	t[12] = (uint8_t)((len / 4) << 4);
	t[13] = s->flags;
	put16(t + 14, s->window);
	if (s->wscale) {
		t[20] = 1; /* NOP */
		t[21] = 3; /* window scale */
		t[22] = 3;
		t[23] = s->wscale;
	}
	return len;
}

size_t tt_tcpip_headers(uint8_t *hdr, const struct tt_tcpseg *s)
{
	const struct tt_tuple *tu = s->tuple;
	const uint8_t *src = s->from_local ? tu->laddr : tu->raddr;
	const uint8_t *dst = s->from_local ? tu->raddr : tu->laddr;
	uint16_t sport = s->from_local ? tu->lport : tu->rport;
	uint16_t dport = s->from_local ? tu->rport : tu->lport;
	size_t tcp_hdr = TCP_HDR + (s->wscale ? TCP_WSCALE_OPT : 0);
	size_t tcp_len = tcp_hdr + s->len, ip_len;
	uint64_t sum;
	uint16_t csum;

	if (tu->family == AF_INET)
		ip_len = ipv4_header(hdr, s, src, dst, tcp_len);
	else
		ip_len = ipv6_header(hdr, src, dst, tcp_len);
	tcp_header(hdr + ip_len, s, sport, dport);
	sum = pseudo_sum(tu->family, src, dst, tcp_len);
	sum = tt_csum_add(sum, hdr + ip_len, tcp_hdr);
	sum = tt_csum_add(sum, s->payload, s->len);
	csum = tt_csum_fold(sum);
	memcpy(hdr + ip_len + 16, &csum, 2);
	return ip_len + tcp_hdr;
}
