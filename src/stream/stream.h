/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_STREAM_STREAM_H
#define TLSTAP_STREAM_STREAM_H

/*
 * Per-connection reassembly: the chunks of the event sources become, for
 * each connection, two ordered byte streams (one per direction) with their
 * gaps, an end, and the role of this process (client or server).
 *
 * A connection is {pid, tuple, TLS object} for attributed chunks and {pid,
 * TLS object} for chunks without a tuple: those never borrow the tuple of
 * another connection.  Two TLS sessions on one socket (TLS inside a CONNECT
 * tunnel) are two connections with the same tuple; a conn_end (which names
 * {pid, tuple}) ends both.
 *
 * Offsets are those of the byte stream of the TLS object and direction,
 * like TCP sequence numbers relative to the first byte: a consumer (the HTTP
 * decoders, a pcapng writer) sees data at off, then data at off + n, or a
 * gap that advances the offset by the bytes that were lost (truncated at
 * --max-bytes, dropped by a full ring buffer).  A gap of unknown length
 * (TT_GAP_UNKNOWN) happens only when the source gave no stream_off and
 * whole calls may be missing; then offsets continue as if contiguous.
 *
 * Memory is bounded: at most max_conns connections (the least recently used
 * one is ended to make room), chunks that arrive ahead of a hole are held up
 * to conn_buffer bytes per connection, and connections idle longer than
 * idle_ns are ended by tt_streams_tick().  Everything is driven from one
 * thread.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlstap/compiler.h"
#include "trace/chunk.h"

enum tt_role {
	TT_ROLE_UNKNOWN = 0,
	TT_ROLE_CLIENT,
	TT_ROLE_SERVER,
};

/* Where a connection's role comes from. */
enum tt_role_src {
	TT_ROLE_SRC_NONE = 0,
	TT_ROLE_SRC_LISTEN,   /* its local port is a listening socket of its netns */
	TT_ROLE_SRC_PROTOCOL, /* it wrote a request (or read one) */
};

const char *tt_role_name(enum tt_role r); /* "client", "server", "unknown" */

#define TT_GAP_UNKNOWN UINT64_MAX

enum tt_gap_why {
	TT_GAP_TRUNCATED = 1, /* cut at --max-bytes by the probe */
	TT_GAP_LOST,	      /* ring-buffer drops, held chunks given up on */
	TT_GAP_UNSEEN,	      /* before the first byte seen of a connection that was
				 already open when tlstap came (not a loss) */
};

/* Per-consumer state slots of a connection. */
enum { TT_SLOT_HTTP = 0, TT_SLOT_PCAP, TT_CONN_SLOTS };

struct tt_held; /* a chunk that arrived ahead of a hole */

/* Direction index of a connection: enum tt_dir - 1. */
#define TT_DIR_IDX(dir) ((dir) == TT_DIR_WRITE ? 1 : 0)

struct tt_stream_dir {
	uint64_t next;	    /* offset of the next byte expected */
	uint64_t bytes;	    /* delivered */
	uint64_t gap_bytes; /* known lengths of gaps */
	bool started;	    /* a chunk was seen */
	bool from_start;    /* the first chunk was at stream offset 0 */
	/* The TLS call in progress (its chunks come in order, MORE on all but
	 * the last): what is missing of it is known from its length. */
	bool call_open;
	uint32_t call_tid;
	uint32_t call_len;
	uint32_t call_next;   /* chunk_off expected next */
	struct tt_held *held; /* sorted by offset */
	uint32_t n_held;
	size_t held_bytes;
	int64_t held_since; /* time of the oldest held chunk */
};

struct tt_conn {
	uint64_t id; /* 1, 2, ... in order of creation */
	uint32_t pid;
	uint64_t tls; /* TLS object address */
	struct tt_tuple tuple;
	char comm[17];
	uint8_t lib;
	uint8_t attribution;	 /* of its first chunk */
	uint8_t role;		 /* enum tt_role */
	uint8_t role_src;	 /* enum tt_role_src */
	struct tt_origin origin; /* strings owned by the connection */
	int64_t first_ns, last_ns;
	struct tt_stream_dir dir[2]; /* [TT_DIR_IDX(dir)] */
	void *slot[TT_CONN_SLOTS];
	/* table links */
	struct tt_conn *hnext;
	struct tt_conn *lru_prev, *lru_next;
};

/* What the stage delivers, in order, for each connection. */
struct tt_stream_ops {
	/* A new connection; first is its first chunk. */
	void (*open)(void *ctx, struct tt_conn *c, const struct tt_chunk *first);
	/* n bytes at offset off of direction ch->dir; ch gives time, tid, comm,
	 * attribution and flags of the call they belong to (ch->data is not p
	 * when the chunk was trimmed). */
	void (*data)(void *ctx, struct tt_conn *c, const struct tt_chunk *ch, uint64_t off,
		     const uint8_t *p, uint32_t n);
	/* len bytes (or TT_GAP_UNKNOWN) of direction dir at off were lost. */
	void (*gap)(void *ctx, struct tt_conn *c, unsigned dir, uint64_t off, uint64_t len,
		    enum tt_gap_why why, int64_t time_ns);
	/* The connection ends; its slots must be freed by their owners here. */
	void (*end)(void *ctx, struct tt_conn *c, enum tt_end_reason why, int64_t time_ns);
	void *ctx;
};

/* The role of a new attributed connection from outside the protocol (live:
 * the listening sockets of its netns, trace/listen.h); NULL in replay. */
typedef enum tt_role (*tt_role_hint_fn)(void *ctx, uint32_t pid, const struct tt_tuple *t);

struct tt_stream_limits {
	uint32_t max_conns;   /* connections tracked at once */
	uint32_t conn_buffer; /* bytes held ahead of a hole, per connection */
	int64_t idle_ns;      /* a connection silent this long ends */
	int64_t hold_ns;      /* a hole is given up on after this long */
};

#define TT_STREAM_DEFAULT_MAX_CONNS 65536
#define TT_STREAM_DEFAULT_CONN_BUFFER (256u * 1024)
#define TT_STREAM_DEFAULT_IDLE_NS (300LL * 1000000000)
#define TT_STREAM_DEFAULT_HOLD_NS (200LL * 1000000)

/* Counters, one list: X(ENUM, "name"). */
#define TT_STREAM_COUNTERS(X)                                                                      \
	X(CONNS, "stream_conns")		 /* connections opened */                          \
	X(CONNS_ACTIVE, "stream_conns_active")	 /* open now (a gauge) */                          \
	X(END_CLOSE, "stream_end_close")	 /* ended by a TCP close */                        \
	X(END_EXIT, "stream_end_exit")		 /* ended by the process's exit */                 \
	X(END_IDLE, "stream_end_idle")		 /* ended after the idle timeout */                \
	X(END_EVICT, "stream_end_evicted")	 /* ended to make room (LRU) */                    \
	X(END_REUSE, "stream_end_reused")	 /* a new TLS session at its address */            \
	X(GAPS, "stream_gaps")			 /* holes in a byte stream */                      \
	X(GAP_BYTES, "stream_gap_bytes")	 /* known bytes in them */                         \
	X(GAPS_UNKNOWN, "stream_gaps_unknown")	 /* holes of unknown length */                     \
	X(HELD, "stream_held_chunks")		 /* chunks that came ahead of a hole */            \
	X(HELD_DROPPED, "stream_held_dropped")	 /* ... that could not be held */                  \
	X(OVERLAP_BYTES, "stream_overlap_bytes") /* bytes seen twice, dropped */

#define TT_STREAM_ENUM(e, n) TT_SC_##e,
enum tt_stream_counter { TT_STREAM_COUNTERS(TT_STREAM_ENUM) TT_SC_COUNT };
#undef TT_STREAM_ENUM

const char *tt_stream_counter_name(enum tt_stream_counter c);

struct tt_streams {
	struct tt_stream_ops ops;
	struct tt_stream_limits lim;
	tt_role_hint_fn role_hint;
	void *role_ctx;
	struct tt_conn **buckets;
	size_t n_buckets; /* power of two */
	size_t n_conns;
	struct tt_conn *lru_head, *lru_tail; /* most / least recently used */
	uint64_t next_id;
	int64_t now_ns; /* latest time seen (chunk or tick) */
	uint64_t counters[TT_SC_COUNT];
};

/* lim may be NULL (defaults); zero fields take their default. */
int tt_streams_init(struct tt_streams *s, const struct tt_stream_ops *ops,
		    const struct tt_stream_limits *lim);
/* Ends every connection (TT_END_FLUSH) and frees the table. */
void tt_streams_free(struct tt_streams *s, int64_t now_ns);

void tt_streams_set_role_hint(struct tt_streams *s, tt_role_hint_fn fn, void *ctx);

/* Feed one chunk; returns 0 or -ENOMEM (the chunk is then counted lost). */
int tt_streams_chunk(struct tt_streams *s, const struct tt_chunk *c);
/* The TCP connection {pid, tuple} closed. */
void tt_streams_conn_end(struct tt_streams *s, const struct tt_conn_end *e);
/* The process exited: all its connections end. */
void tt_streams_proc_exit(struct tt_streams *s, uint32_t pid, int64_t time_ns);
/* Time passes (wall clock, ns): idle connections end, held chunks whose
 * hole is not filled in time are delivered after a gap. */
void tt_streams_tick(struct tt_streams *s, int64_t now_ns);
/* End every connection now with reason why (the capture ended). */
void tt_streams_flush(struct tt_streams *s, enum tt_end_reason why, int64_t now_ns);

/* Set the role from the protocol (wins over a listen hint). */
void tt_conn_set_role(struct tt_conn *c, enum tt_role role);

#endif
