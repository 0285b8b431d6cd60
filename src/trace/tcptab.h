/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_TCPTAB_H
#define TLSTAP_TRACE_TCPTAB_H

/*
 * The TCP sockets of one network namespace, as /proc/PID/net/tcp and tcp6
 * list them (the namespace of PID, not the reader's), indexed by tuple and
 * by inode, so that `doctor` can tell whether the connection a map entry
 * names still exists; listen.c reads the listening sockets with the same
 * line parser.
 *
 * Addresses are printed by the kernel as 32-bit words in host byte order
 * (%08X), ports as host-order %04X: the parser is for files of the host it
 * runs on.  An IPv4-mapped IPv6 connection (::ffff:a.b.c.d at both ends) is
 * normalised to IPv4, as the BPF programs do with the tuples they record.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "trace/index.h"
#include "tlstap/error.h"
#include "tlstap/record.h"

/* TCP states as the tables number them (include/net/tcp_states.h). */
enum tt_tcp_state {
	TT_TCP_ESTABLISHED = 1,
	TT_TCP_SYN_SENT,
	TT_TCP_SYN_RECV,
	TT_TCP_FIN_WAIT1,
	TT_TCP_FIN_WAIT2,
	TT_TCP_TIME_WAIT,
	TT_TCP_CLOSE,
	TT_TCP_CLOSE_WAIT,
	TT_TCP_LAST_ACK,
	TT_TCP_LISTEN,
	TT_TCP_CLOSING,
	TT_TCP_NEW_SYN_RECV,
};

struct tt_tcp_sock {
	struct tt_tuple tuple;
	uint8_t state;	/* enum tt_tcp_state */
	uint64_t inode; /* 0: no file any more (time-wait, orphaned while closing) */
};

struct tt_tcp_table {
	struct tt_tcp_sock *socks;
	size_t n, cap;
	struct tt_index by_tuple, by_inode;
};

/*
 * One line of a table: 0 and *out filled, 1 for the header line, -EINVAL
 * for anything else.
 */
int tt_tcp_parse_line(const char *line, struct tt_tcp_sock *out);

/* Add the sockets of one table file (name: for messages); 0 or -errno. */
int tt_tcp_table_read(struct tt_tcp_table *t, FILE *f, const char *name, struct tt_error *err);
/*
 * Read DIR/tcp and DIR/tcp6 (DIR = /proc/PID/net: PID's namespace) and index
 * them; a kernel without IPv6 has no tcp6.  0 or -errno with err set.
 */
int tt_tcp_table_load(struct tt_tcp_table *t, const char *dir, struct tt_error *err);
/* Index what was read (after tt_tcp_table_read); 0 or -ENOMEM. */
int tt_tcp_table_index(struct tt_tcp_table *t);
void tt_tcp_table_free(struct tt_tcp_table *t);

/*
 * The socket of this connection: one that still has a file or is still
 * closing (FIN_WAIT, CLOSING, LAST_ACK) first, else one in TIME_WAIT (its
 * kernel socket has closed already); NULL if none.
 */
const struct tt_tcp_sock *tt_tcp_find_tuple(const struct tt_tcp_table *t,
					    const struct tt_tuple *tuple);
/* The socket with this inode, NULL if none. */
const struct tt_tcp_sock *tt_tcp_find_inode(const struct tt_tcp_table *t, uint64_t inode);

/* The connection has not reached TCP_CLOSE: the tracer must still hold it. */
bool tt_tcp_open(const struct tt_tcp_sock *s);
const char *tt_tcp_state_name(unsigned state);

/* Normalise an IPv4-mapped IPv6 tuple to IPv4 (both ends mapped). */
void tt_tuple_normalize(struct tt_tuple *t);

#endif
