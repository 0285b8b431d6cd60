/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_PENDING_H
#define TLSTAP_TRACE_PENDING_H

/*
 * Data records waiting for their socket (late binding).  A memory-BIO
 * application (Node, asyncio) sends a call's ciphertext only after the TLS
 * call returned, so a write on a TLS object no socket is known for yet goes
 * out without one (TT_EV_BIND_PENDING).  When the application sends one of
 * that call's records, the kernel side sends a bind record (struct
 * tt_bind_rec) naming the call by {tgid, TLS object, bind_token} and the
 * socket it went out on.  Tokens come from one counter: no two calls of a
 * run share one, so a bind record can name no other call, whenever it comes.
 *
 * The delivery thread holds such records, in order, until the bind record
 * of their call (they leave attributed "ciphertext"), or until a record of
 * the same TLS object that is not waiting comes, or TT_PENDING_NS after the
 * kernel recorded them (they leave without a tuple, as before).  A bind
 * record that comes before its call's records (the send ran on another
 * thread before the return probe wrote them, or between two chunks) is kept
 * TT_PENDING_NS for them.  Records of one TLS object keep their order; other
 * records pass.  What ends streams (trace/held.h) waits behind the oldest
 * held record.  With --port, a held record leaves only if its final tuple
 * passes (the kernel could not judge it).  At most TT_PENDING_MAX records
 * or TT_PENDING_BYTES bytes wait; one more sends the oldest on.  A released
 * record keeps the time the kernel gave it: the output is then not in time
 * order across connections.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlstap/config.h"
#include "tlstap/record.h"
#include "trace/held.h"

/* A record waits as long as what ends streams (tt_held_due judges both):
 * a record that waited in vain still reaches its stream before its end. */
#define TT_PENDING_NS TT_HELD_NS
#define TT_PENDING_MAX 256
#define TT_PENDING_BYTES (4u << 20)
/* Bind records kept for calls whose records have not come yet. */
#define TT_PENDING_BINDS 64

struct tt_pending_rec;

struct tt_pending {
	struct tt_pending_rec *head, *tail;
	size_t n, bytes;
	uint64_t objects; /* a bit per TLS object held (hash): most records
			   * need no walk of the list */
	int64_t seen_ns;  /* the newest record time pushed: while records flow,
			   * the clock to judge a wait by (a backlog's records
			   * are old when they come, and their bind is near) */
	struct tt_bind_rec binds[TT_PENDING_BINDS]; /* ring, newest at next_bind - 1 */
	size_t next_bind;
	/* --port: the ports a released record's tuple must have one of. */
	uint16_t ports[TT_FILTER_MAX];
	uint32_t n_ports; /* 0: no port filter */
	/* A record sent on at once (its bind record came first, or there is
	 * no memory to hold it) is copied here to be given its socket. */
	struct {
		struct tt_data_rec rec;
		uint8_t chunk[TT_CHUNK_MAX];
	} now;
	uint64_t bound;    /* records that left with the socket their bind record named */
	uint64_t unbound;  /* records that left without one */
	uint64_t filtered; /* records --port dropped once their tuple was known (or not) */
};

/* What receives a record: the decoder (or the held records, trace/held.h). */
typedef void (*tt_pending_send_fn)(void *ctx, const void *rec, uint32_t len);

/* The port filter (settings.ports), before the first push. */
void tt_pending_set_ports(struct tt_pending *p, const uint16_t *ports, uint32_t n);
/*
 * Take rec if it is a record waiting for its socket (held, a copy, or sent
 * at once when its bind record came first) or a bind record (applied and
 * consumed): true.  Else false: the caller sends it, after this has sent the
 * held records it must follow.
 */
bool tt_pending_push(struct tt_pending *p, const void *rec, uint32_t len,
		     tt_pending_send_fn send, void *ctx);
/* Send what is due at now (CLOCK_BOOTTIME ns; INT64_MAX: everything):
 * seen_ns after a block, the clock itself when none came. */
void tt_pending_release(struct tt_pending *p, int64_t now, tt_pending_send_fn send, void *ctx);
/* The kernel time of the oldest record held, INT64_MAX when none: what
 * ends streams recorded after it waits (tt_held_release's before). */
int64_t tt_pending_oldest(const struct tt_pending *p);
/* Free what is held (nothing is sent). */
void tt_pending_free(struct tt_pending *p);

#endif
