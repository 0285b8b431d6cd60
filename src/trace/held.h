/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_HELD_H
#define TLSTAP_TRACE_HELD_H

/*
 * Records that end streams (a connection's close, a process record) held
 * back by the delivery thread until TT_HELD_NS after the kernel recorded
 * them, in their order: a TLS call's return probe can run after its socket
 * closed (the peer had read the reply and closed first), and that call's
 * data must reach the streams before the end does.  At most TT_HELD_MAX
 * wait; one more sends the oldest on.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlstap/record.h"

#define TT_HELD_NS (200LL * 1000000)
#define TT_HELD_MAX 1024

struct tt_held_rec {
	uint32_t len;
	union {
		struct tt_rec_hdr hdr;
		struct tt_conn_end_rec end;
		struct tt_proc_rec proc;
	} rec;
};

struct tt_held {
	struct tt_held_rec ring[TT_HELD_MAX];
	size_t head, n;
};

/* Is a record the kernel made at t due at now (INT64_MAX: the end of the
 * run, everything is)? */
static inline bool tt_held_due(int64_t t, int64_t now)
{
	return now == INT64_MAX || now - t >= TT_HELD_NS;
}

/* What receives a record: the decoder. */
typedef void (*tt_held_send_fn)(void *ctx, const void *rec, uint32_t len);

/* Hold rec if it ends streams (true); else (false) the caller sends it. */
bool tt_held_push(struct tt_held *h, const void *rec, uint32_t len, tt_held_send_fn send,
		  void *ctx);
/* Send what is due at now (CLOCK_BOOTTIME ns; INT64_MAX: everything),
 * in order, up to the first recorded at or after before: data recorded
 * earlier still waits (trace/pending.h), and must reach its stream first. */
void tt_held_release(struct tt_held *h, int64_t now, int64_t before, tt_held_send_fn send,
		     void *ctx);

#endif
