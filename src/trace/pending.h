/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_PENDING_H
#define TLSTAP_TRACE_PENDING_H

/*
 * Data records waiting for their socket (late binding).  A memory-BIO
 * application (Node, asyncio) sends a call's ciphertext only after the TLS
 * call returned, so the first call on a TLS object no socket is known for
 * yet goes out without one (TT_EV_BIND_PENDING).  When the application
 * sends that call's ciphertext, the kernel side sends a bind record
 * (struct tt_bind_rec) naming the call by {tgid, TLS object, bind_token}
 * and the socket it went out on.
 *
 * The delivery thread holds such records, in order, until their bind
 * record comes (they leave attributed "ciphertext"), or until a record of
 * the same TLS object that is not waiting comes, or TT_PENDING_NS after the
 * kernel recorded them (they leave without a tuple, as before).  Records
 * of one TLS object keep their order; other records pass.  A bind record
 * applies only to records held when it comes: one that comes first (a race
 * between the call's return and the send) binds nothing, so a TLS object
 * freed and its address reused can never lend its socket to another call.
 * At most TT_PENDING_MAX records or TT_PENDING_BYTES bytes wait; one more
 * sends the oldest on.  Held records are never in the output with their
 * flag.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlstap/record.h"
#include "trace/held.h"

/* As long as what ends streams waits (trace/held.h): a record that waited
 * in vain still reaches its stream before the stream's end. */
#define TT_PENDING_NS TT_HELD_NS
#define TT_PENDING_MAX 256
#define TT_PENDING_BYTES (4u << 20)

struct tt_pending_rec;

struct tt_pending {
	struct tt_pending_rec *head, *tail;
	size_t n, bytes;
	int64_t seen_ns;  /* the newest record time pushed: while records flow,
			   * the clock to judge a wait by (a backlog's records
			   * are old when they come, and their bind is near) */
	uint64_t bound;   /* records that left with the socket their bind record named */
	uint64_t unbound; /* records that left without one */
};

/* What receives a record: the decoder (or the held records, trace/held.h). */
typedef void (*tt_pending_send_fn)(void *ctx, const void *rec, uint32_t len);

/*
 * Take rec if it is a record waiting for its socket (held, a copy) or a
 * bind record (applied and consumed): true.  Else false: the caller sends
 * it, after this has sent the held records it must follow.
 */
bool tt_pending_push(struct tt_pending *p, const void *rec, uint32_t len,
		     tt_pending_send_fn send, void *ctx);
/* Send what is due at now (CLOCK_BOOTTIME ns; INT64_MAX: everything):
 * seen_ns after a block, the clock itself when none came. */
void tt_pending_release(struct tt_pending *p, int64_t now, tt_pending_send_fn send, void *ctx);

#endif
