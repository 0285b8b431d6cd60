/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_DOCTOR_ENTRY_H
#define TLSTAP_DOCTOR_ENTRY_H

/*
 * The entries of the tracer's state maps, decoded by what their key holds
 * (enum tt_key_kind, tlstap/state.h; which map holds which kind:
 * TT_STATE_MAPS, tlstap/counters.h), with what their value says about the
 * thing they stand for: a process, a thread, a call, a connection.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlstap/counters.h"
#include "tlstap/state.h"

struct tt_json;

struct tt_doc_entry {
	enum tt_key_kind kind;
	uint32_t tgid;
	uint32_t tid;	       /* TT_KEY_PID_TGID: the calling thread */
	uint64_t start_ns;     /* calls: CLOCK_BOOTTIME at their entry, 0 none */
	int32_t fd;	       /* of the connection, -1 unknown */
	uint64_t sk;	       /* kernel socket of the connection, 0 unknown */
	uint64_t sp;	       /* native call: the stack pointer at its entry */
	struct tt_tuple tuple; /* family 0: none */
	uint64_t conn;	       /* tls.Conn / SSL* / gnutls_session_t */
	uint64_t netfd;	       /* Go: *net.netFD */
	uint64_t g;	       /* Go: the goroutine */
	uint64_t frame;	       /* Go call: g.stack.hi - SP */
	uint32_t func;	       /* Go call: enum tt_go_func */
	uint32_t flags;	       /* Go call: TT_GO_* */
	uint16_t depth;	       /* Go goroutine: wrapped calls nested */
	uint32_t dir;	       /* frames: enum tt_dir */
	uint64_t dev, ino;     /* known_exes: the executable file */
	uint8_t prefix[TT_CIPHER_PREFIX]; /* cipher_out/_in: the record's start */
};

/* The state map of a name (-1: none). */
int tt_doc_map_find(const char *name);

/* Bytes of a kind's key, and of its value (0: any, not decoded). */
uint32_t tt_doc_key_size(enum tt_key_kind k);
uint32_t tt_doc_value_size(enum tt_key_kind k);

/*
 * Decode one entry; -EINVAL when the sizes are not the kind's (a tracer
 * built from another version of tlstap/state.h).
 */
int tt_doc_decode(enum tt_key_kind kind, const void *key, size_t key_size, const void *value,
		  size_t value_size, struct tt_doc_entry *e);

/* The key as people read it: "{tgid 42, conn 0x7f00...}". */
void tt_doc_key_text(const struct tt_doc_entry *e, char *buf, size_t len);
/* The key as a JSON object, and what the value says (fd, socket, tuple...). */
void tt_doc_key_json(struct tt_json *j, const struct tt_doc_entry *e);
void tt_doc_value_json(struct tt_json *j, const struct tt_doc_entry *e, uint64_t now_ns);

/* "127.0.0.1:443 -> 10.0.0.1:5555", "" without a tuple. */
void tt_doc_tuple_text(const struct tt_tuple *t, char *buf, size_t len);

#endif
