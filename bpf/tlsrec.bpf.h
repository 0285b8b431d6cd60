/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef TLSTAP_TLSREC_BPF_H
#define TLSTAP_TLSREC_BPF_H

/*
 * TLS records in byte streams, for memory-BIO attribution: where records
 * begin, and the prefix that identifies an application-data record.  Used
 * on the BIO side (membio.bpf.c) and the socket side (sockets.bpf.c).
 */

#include "common.bpf.h"

#define TLS_APPLICATION_DATA 23
/* Records looked at in one buffer. */
#define TLS_WALK_MAX 32

/* Instantiated by membio.bpf.c, which defines TT_MEMBIO_DEFINITIONS. */
#ifdef TT_MEMBIO_DEFINITIONS
#define TT_MEMBIO_MAP
#else
#define TT_MEMBIO_MAP extern
#endif
TT_MEMBIO_MAP TT_MAP_CIPHER_OUT;
TT_MEMBIO_MAP TT_MAP_CIPHER_IN;
extern TT_MAP_NATIVE_CONNS;

/* An application-data record with a whole prefix of ciphertext. */
static __always_inline bool tls_identifies(const __u8 *h)
{
	return h[0] == TLS_APPLICATION_DATA && tls_record_len(h) >= TT_CIPHER_PREFIX - TLS_HEADER;
}

/*
 * A prefix turned out not to be unique: a binding it made (conn to sk, by
 * ciphertext) proves nothing any more.  Undo it.
 */
static __always_inline void cipher_unbind(__u32 tgid, __u64 conn, __u64 sk)
{
	struct tt_native_conn_key nk = { .tgid = tgid, .conn = conn };
	struct tt_native_conn *st;

	count(TT_C_CIPHER_COLLISIONS, 1);
	if (!conn || !sk)
		return;
	st = bpf_map_lookup_elem(&native_conns, &nk);
	if (st && st->sk == sk && st->cipher) {
		st->sk = 0;
		st->fd = -1;
		st->cipher = 0;
	}
}

/*
 * Remember a record a memory BIO produced for conn.  The same prefix from
 * another TLS object makes it collided: it never binds again, and what it
 * bound is undone.
 */
static __always_inline void cipher_out_add(const struct tt_cipher_key *key, __u64 conn, __u8 lib,
					   __u32 bind_token)
{
	struct tt_cipher_out *cur = bpf_map_lookup_elem(&cipher_out, key);
	struct tt_cipher_out v = { .conn = conn, .lib = lib, .bind_token = bind_token };

	if (cur) {
		if (cur->conn != conn && !cur->collided) {
			cur->collided = 1;
			cipher_unbind(key->tgid, cur->conn, cur->sk);
		}
		return;
	}
	update_or_count(&cipher_out, TT_M_CIPHER_OUT, key, &v);
}

/*
 * Remember a record a socket received.  The same prefix on another socket
 * makes it collided: it never binds again, and what it bound is undone.
 */
static __always_inline void cipher_in_add(const struct tt_cipher_key *key, __u64 sk, __s32 fd)
{
	struct tt_cipher_in *cur = bpf_map_lookup_elem(&cipher_in, key);
	struct tt_cipher_in v = { .sk = sk, .fd = fd };

	if (cur) {
		if (cur->sk != sk && !cur->collided) {
			cur->collided = 1;
			cipher_unbind(key->tgid, cur->conn, cur->sk);
		}
		return;
	}
	update_or_count(&cipher_in, TT_M_CIPHER_IN, key, &v);
}

#endif
