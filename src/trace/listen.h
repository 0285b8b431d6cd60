/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_LISTEN_H
#define TLSTAP_TRACE_LISTEN_H

/*
 * Live role hints for the streams stage: a connection whose local port is a
 * listening TCP socket (/proc/PID/net/tcp{,6}: the process's network
 * namespace) was accepted, so this process is its server; otherwise its
 * client.  The protocol, when it says (who wrote the request), wins.
 * Listening sockets are read once per network namespace and kept for a
 * second; a port not found is looked up again after 100 ms (a server that
 * just started listening).
 */

#include <stdint.h>

#include "trace/chunk.h"

struct tt_listen_ns;

struct tt_listen {
	struct tt_listen_ns *ns; /* a short list: one per network namespace seen */
	unsigned n_ns;
	const char *proc; /* "/proc", or a test's fake tree */
	uint64_t reads;	  /* /proc/PID/net/tcp{,6} files read */
};

void tt_listen_init(struct tt_listen *l, const char *proc_root);
void tt_listen_free(struct tt_listen *l);
/* 1: the local port of t listens in pid's netns (pid is the server),
 * 0: it does not (the client), -1: cannot tell (no tuple, no /proc). */
int tt_listen_is_server(struct tt_listen *l, uint32_t pid, const struct tt_tuple *t);

#endif
