/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_PROTO_HPACK_H
#define TLSTAP_PROTO_HPACK_H

/*
 * One direction's HPACK decoder: nghttp2's inflater, guarded so that a
 * connection whose start was missed (or that lost a header block) still
 * decodes what it can.
 *
 * After such a loss the dynamic table holds entries tlstap never saw.  The
 * inflater then starts empty: entries inserted since are exact (new ones go
 * to the front and the unseen ones, older, are evicted first), and a
 * reference past them is an entry never seen.  Each representation is
 * looked at (RFC 7541 section 6) before nghttp2 gets it: a field that refers
 * to an unseen entry is reported unknown, and a literal whose *name* is an
 * unseen entry is given to nghttp2 with a placeholder name, so that its
 * insertion keeps the table in step.  Wireshark fills the unseen part of
 * the table with placeholders for the same reason.  A block nghttp2 cannot
 * decode starts the table over; the decoder is never lost for good.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nghttp2_hd_inflater;

struct tt_hpack {
	struct nghttp2_hd_inflater *inf;
	size_t cap; /* largest table size the encoder may switch to */
	bool fresh; /* started over: entries before are unknown */
};

/* One decoded field; name or value NULL when unknown. */
typedef void (*tt_hpack_field_fn)(void *ctx, const uint8_t *name, size_t name_len,
				  const uint8_t *value, size_t value_len);

int tt_hpack_init(struct tt_hpack *hp);
void tt_hpack_free(struct tt_hpack *hp);
/* Forget the table (a header block of this direction was lost). */
int tt_hpack_reset(struct tt_hpack *hp);
/* SETTINGS_HEADER_TABLE_SIZE of the decoding side: the encoder may use up
 * to this much (only ever raised: a reduction reaches us as the encoder's
 * size update). */
void tt_hpack_settings(struct tt_hpack *hp, uint32_t size);
/*
 * Decode one complete header block.  Returns the number of fields reported
 * unknown (>= 0), or -1 if the block could not be decoded (the table was
 * started over; fields reported before that stand).
 */
int tt_hpack_block(struct tt_hpack *hp, const uint8_t *p, size_t n, tt_hpack_field_fn fn,
		   void *ctx);

#endif
