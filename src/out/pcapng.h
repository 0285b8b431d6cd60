/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_OUT_PCAPNG_H
#define TLSTAP_OUT_PCAPNG_H

/*
 * The pcapng writer (`-w FILE`): the plaintext of each attributed
 * connection as TCP segments on its real addresses and ports, for
 * Wireshark and tshark.  A consumer of the streams stage: sequence numbers
 * are the streams' offsets (plus a per-direction initial sequence number),
 * so lost bytes (truncated at --max-bytes, ring-buffer drops) leave a hole
 * in the sequence space, which Wireshark reports as a lost segment; ACKs
 * acknowledge what the other direction has sent so far.
 *
 * The file: a Section Header Block, one Interface Description Block
 * (LINKTYPE_RAW, nanosecond timestamps), then one Enhanced Packet Block per
 * segment, each with the EPB direction flag (a write is outbound) and a
 * comment naming the process, thread, library, direction and attribution.
 * Blocks go into a tt_wbuf whole (reserved, then committed), so a reader of
 * a growing file or pipe never sees a torn block.
 *
 * No payload is invented: a chunk without a trusted tuple (attribution none
 * or ambiguous) is left out and counted.  Packets without payload are made
 * up where Wireshark needs them, each saying "synthetic" in its comment
 * (tlstap sees no SYN or FIN): a connection whose role (client or server)
 * is known starts with a SYN, SYN-ACK, ACK, so that Wireshark tells apart
 * two connections that reuse one address and port pair; one that the
 * kernel closed (or whose process exited) ends with a FIN from each end, so
 * that a body delimited by the close (HTTP/1.0) ends.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "out/wbuf.h"
#include "stream/stream.h"
#include "trace/chunk.h"

#define TT_PCAPNG_LINKTYPE_RAW 101
/* epb_flags bits 0-1: the packet's direction. */
#define TT_PCAPNG_INBOUND 1u
#define TT_PCAPNG_OUTBOUND 2u

/* One Enhanced Packet Block: headers, then payload (not copied before). */
struct tt_pcapng_pkt {
	int64_t time_ns;
	uint32_t epb_flags;
	const uint8_t *hdr;
	uint32_t hdr_len;
	const uint8_t *payload;
	uint32_t payload_len;
	const char *comment; /* UTF-8, not NUL-terminated in the block */
	uint32_t comment_len;
};

/* Bytes of the SHB + IDB that start the file, and their encoding. */
size_t tt_pcapng_header_len(void);
void tt_pcapng_header_encode(uint8_t *dst);
/* Bytes of an EPB, and its encoding into dst. */
size_t tt_pcapng_epb_len(const struct tt_pcapng_pkt *p);
void tt_pcapng_epb_encode(uint8_t *dst, const struct tt_pcapng_pkt *p);

/* Counters, one list: X(ENUM, "name"). */
#define TT_PCAPNG_COUNTERS(X)                                                                      \
	X(PACKETS, "pcapng_packets")		     /* EPBs written */                            \
	X(BYTES, "pcapng_bytes")		     /* payload bytes in them */                   \
	X(SYNTHETIC, "pcapng_synthetic")	     /* handshake packets made up */               \
	X(UNTRUSTED, "pcapng_untrusted_chunks")	     /* chunks left out: no trusted tuple */       \
	X(UNTRUSTED_BYTES, "pcapng_untrusted_bytes") /* ... their bytes */                         \
	X(NOMEM, "pcapng_enomem")		     /* chunks left out: no memory */

#define TT_PCAPNG_ENUM(e, n) TT_PC_##e,
enum tt_pcapng_counter { TT_PCAPNG_COUNTERS(TT_PCAPNG_ENUM) TT_PC_COUNT };
#undef TT_PCAPNG_ENUM

const char *tt_pcapng_counter_name(enum tt_pcapng_counter c);

struct tt_pcapng_key;

struct tt_pcapng {
	struct tt_wbuf *out;
	/* Connections by their address and port pair, either way round: the
	 * views of one TCP connection by its two traced ends share initial
	 * sequence numbers; a pair reused later gets new ones. */
	struct tt_pcapng_key **keys;
	size_t n_buckets, n_keys;
	uint64_t next_epoch;
	uint64_t counters[TT_PC_COUNT];
};

/* Writes the SHB and the IDB into out; 0 or -ENOMEM. */
int tt_pcapng_init(struct tt_pcapng *w, struct tt_wbuf *out);
void tt_pcapng_free(struct tt_pcapng *w);

/* The streams stage's callbacks (struct tt_stream_ops), from the pipeline. */
void tt_pcapng_open(struct tt_pcapng *w, struct tt_conn *c);
void tt_pcapng_data(struct tt_pcapng *w, struct tt_conn *c, const struct tt_chunk *ch, uint64_t off,
		    const uint8_t *p, uint32_t n);
void tt_pcapng_gap(struct tt_pcapng *w, struct tt_conn *c, unsigned dir, uint64_t len,
		   enum tt_gap_why why);
void tt_pcapng_end(struct tt_pcapng *w, struct tt_conn *c, enum tt_end_reason why, int64_t t);

/*
 * Flush the buffer; on an error, a regular file is cut back to its last
 * whole block (a full disk may have taken half of one), so that what was
 * written stays a valid capture.  0 or -errno (sticky, as tt_wbuf_flush).
 */
int tt_pcapng_flush(struct tt_pcapng *w);

#endif
