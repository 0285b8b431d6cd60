/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_OUT_TCPIP_H
#define TLSTAP_OUT_TCPIP_H

/*
 * The IPv4 or IPv6 and TCP headers of the segments the pcapng writer makes
 * (LINKTYPE_RAW: a packet starts with its IP header), with their checksums
 * computed as a real stack would: a reader that checks them (Wireshark with
 * checksum validation on) finds them good.
 */

#include <stddef.h>
#include <stdint.h>

#include "tlstap/record.h"

/* TCP flags (the low byte of the header's 13th and 14th bytes). */
#define TT_TCP_FIN 0x01
#define TT_TCP_SYN 0x02
#define TT_TCP_PSH 0x08
#define TT_TCP_ACK 0x10

/* Longest headers: IPv6 (40) + TCP with the window scale option (24). */
#define TT_TCPIP_HDR_MAX 64
/* Most payload of one segment: an IPv4 total length (16 bits) holds it
 * with 20 bytes of IP and 20 of TCP header. */
#define TT_TCPIP_PAYLOAD_MAX (65535u - 40u)

struct tt_tcpseg {
	const struct tt_tuple *tuple; /* AF_INET or AF_INET6 */
	int from_local;		      /* the tuple's local end sends it */
	uint32_t seq, ack;
	uint8_t flags; /* TT_TCP_* */
	uint16_t window;
	uint16_t ip_id; /* IPv4 identification */
	uint8_t wscale; /* SYN: window scale option (0: none) */
	const uint8_t *payload;
	uint32_t len; /* <= TT_TCPIP_PAYLOAD_MAX */
};

/*
 * The one's-complement sum (RFC 1071) of n bytes, added to sum, unfolded.
 * Summed in host order over bytes in network order: the folded result,
 * stored as a host-order 16-bit word, is in network order (RFC 1071's byte
 * order independence).  A part that does not end a checksummed range must
 * have an even length.
 */
uint64_t tt_csum_add(uint64_t sum, const void *p, size_t n);
/* Fold to 16 bits and complement: the value to store. */
uint16_t tt_csum_fold(uint64_t sum);

/*
 * Write the IP and TCP headers of s into hdr (TT_TCPIP_HDR_MAX bytes); the
 * checksums cover s->payload, which the caller puts right after them.
 * Returns the length of the headers.
 */
size_t tt_tcpip_headers(uint8_t *hdr, const struct tt_tcpseg *s);

#endif
