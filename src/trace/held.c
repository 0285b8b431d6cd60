// SPDX-License-Identifier: MIT
/* Records that end streams, held back a moment (see held.h). */
#include <string.h>

#include "trace/held.h"

static void send_oldest(struct tt_held *h, tt_held_send_fn send, void *ctx)
{
	const struct tt_held_rec *r = &h->ring[h->head];

	send(ctx, &r->rec, r->len);
	h->head = (h->head + 1) % TT_HELD_MAX;
	h->n--;
}

bool tt_held_push(struct tt_held *h, const void *rec, uint32_t len, tt_held_send_fn send,
		  void *ctx)
{
	const struct tt_rec_hdr *hdr = rec;
	struct tt_held_rec *slot;

	if (len < sizeof(*hdr) || len > sizeof(slot->rec) ||
	    (hdr->type != TT_REC_CONN_END && hdr->type != TT_REC_PROC))
		return false;
	if (h->n == TT_HELD_MAX)
		send_oldest(h, send, ctx);
	slot = &h->ring[(h->head + h->n) % TT_HELD_MAX];
	slot->len = len;
	memcpy(&slot->rec, rec, len);
	h->n++;
	return true;
}

void tt_held_release(struct tt_held *h, int64_t now, int64_t before, tt_held_send_fn send,
		     void *ctx)
{
	while (h->n) {
		int64_t t = (int64_t)h->ring[h->head].rec.hdr.time_ns;

		if (t >= before || !tt_held_due(t, now))
			break;
		send_oldest(h, send, ctx);
	}
}
