// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Memory-BIO ("custom BIO") TLS: OpenSSL only encrypts, into buffers the
 * application moves itself later (Node's event loop, Python's asyncio
 * SSLObject).  The TLS call does no socket I/O, so syscall-fd cannot name
 * its connection; the ciphertext can.
 *
 * Inside a TLS call of a process that showed this behaviour (the probes are
 * attached to it alone, on demand):
 *   - BIO_write/BIO_write_ex: the records OpenSSL writes to the SSL's write
 *     BIO are remembered by their first TT_CIPHER_PREFIX bytes (cipher_out);
 *     the socket send that carries them binds the SSL to that socket
 *     (sockets.bpf.c);
 *   - BIO_read/BIO_read_ex: the first bytes of the record OpenSSL takes from
 *     its read BIO are looked up among the records the process's sockets
 *     received (cipher_in, sockets.bpf.c): a hit binds the call.
 * Only application-data records count: their bytes after the header are
 * ciphertext under the connection's own keys, so a prefix is unique by
 * construction; a prefix seen twice anyway never binds.
 */
#define TT_MEMBIO_DEFINITIONS
#include "tlsrec.bpf.h"

extern TT_MAP_NATIVE_CALLS;

SEC("uprobe")
int bio_entry(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), cookie = bpf_get_attach_cookie(ctx);
	__u64 sp = PT_REGS_SP(ctx);
	struct tt_native_call *call;

	if (settings.probe_only)
		return 0;
	/* Only inside a TLS call: the application's own BIO traffic (asyncio
	 * feeding its incoming BIO) tells nothing. */
	call = bpf_map_lookup_elem(&native_calls, &id);
	if (!call)
		return 0;
	/* A BIO calling the next BIO of its chain: the outer call has it all. */
	if (call->bio_sp && call->bio_sp > sp)
		return 0;
	call->bio_buf = PT_REGS_PARM2(ctx);
	call->bio_len_ptr = cookie & TT_NCOOKIE_EX ? PT_REGS_PARM4(ctx) : 0;
	call->bio_sp = sp;
	call->bio_dir = TT_NCOOKIE_DIR(cookie);
	return 0;
}

/* Bytes the BIO call moved. */
static __always_inline __s64 bio_result(struct pt_regs *ctx, __u64 cookie,
					const struct tt_native_call *call)
{
	__s64 ret = (__s32)PT_REGS_RC(ctx);
	__u64 n = 0;

	if (!(cookie & TT_NCOOKIE_EX))
		return ret;
	if (ret != 1 || !call->bio_len_ptr)
		return 0;
	if (bpf_probe_read_user(&n, sizeof(n), (const void *)call->bio_len_ptr))
		return 0;
	return (__s64)n;
}

/*
 * Does the record (its prefix) carry the call's plaintext as it is (a NULL
 * cipher)?  Then its prefix is only as unique as the plaintext: two
 * connections sending the same bytes make the same records, and one made
 * before the probes were attached was never seen to collide.  Unreadable
 * plaintext counts as yes.
 */
static __always_inline bool record_is_plaintext(const struct tt_native_call *call,
						const __u8 *prefix)
{
	__u8 plain[TT_CIPHER_PREFIX - TLS_HEADER];

	if (bpf_probe_read_user(plain, sizeof(plain), (const void *)call->buf))
		return true;
	for (int i = 0; i < sizeof(plain); i++)
		if (plain[i] != prefix[TLS_HEADER + i])
			return false;
	return true;
}

/*
 * The token of a write whose object no socket is known for yet: its data
 * record will go out before the application sends the ciphertext, and the
 * send's bind record names it (late binding).  0 for a bound object (the
 * cache attributes its record), for records that carry the plaintext
 * (decided on the call's first record) and for reads.
 */
static __always_inline __u32 bind_token(__u32 tgid, struct tt_native_call *call,
					const __u8 *prefix)
{
	struct tt_native_conn_key nk = { .tgid = tgid, .conn = call->conn };
	struct tt_native_conn *st;
	__u32 token;

	if (call->bind_token || call->no_token || call->dir != TT_DIR_WRITE)
		return call->bind_token;
	if (record_is_plaintext(call, prefix)) {
		call->no_token = 1;
		return 0;
	}
	st = bpf_map_lookup_elem(&native_conns, &nk);
	if (st && st->sk)
		return 0;
	token = __sync_fetch_and_add(&bind_tokens, 1) + 1;
	if (!token) /* wrapped: 0 means none */
		token = __sync_fetch_and_add(&bind_tokens, 1) + 1;
	call->bind_token = token;
	return token;
}

/* BIO_write: every application-data record in the buffer (OpenSSL writes
 * whole records) is remembered for the TLS object. */
static __always_inline void bio_wrote(__u32 tgid, struct tt_native_call *call, __u64 n)
{
	struct tt_cipher_key key = { .tgid = tgid };
	__u64 off = 0;
	__u8 h[TLS_HEADER];

	for (int i = 0; i < TLS_WALK_MAX; i++) {
		if (off + TLS_HEADER > n)
			break;
		if (bpf_probe_read_user(h, sizeof(h), (const void *)(call->bio_buf + off)) ||
		    !tls_header_ok(h))
			break;
		if (tls_identifies(h) && off + TT_CIPHER_PREFIX <= n &&
		    !bpf_probe_read_user(key.prefix, sizeof(key.prefix),
					 (const void *)(call->bio_buf + off)))
			cipher_out_add(&key, call->conn, call->lib,
				       bind_token(tgid, call, key.prefix));
		off += TLS_HEADER + tls_record_len(h);
	}
}

/*
 * BIO_read: OpenSSL reads a record's header, then its body (or more at once
 * with read-ahead): gather the record's first bytes across the reads of
 * one TLS call, then look them up among what the sockets received.
 */
static __always_inline void bio_read_done(__u32 tgid, struct tt_native_call *call, __u64 n)
{
	struct tt_cipher_key key = { .tgid = tgid };
	__u32 have = call->pfx_len, want;
	struct tt_cipher_in *in;
	__u8 tmp[TT_CIPHER_PREFIX];

	if (have >= TT_CIPHER_PREFIX)
		return;
	want = TT_CIPHER_PREFIX - have;
	if (want > n)
		want = n;
	if (want > TT_CIPHER_PREFIX ||
	    bpf_probe_read_user(tmp, want, (const void *)call->bio_buf))
		return;
	/* have + i < TT_CIPHER_PREFIX: the mask only tells the verifier. */
	for (__u32 i = 0; i < TT_CIPHER_PREFIX; i++) {
		if (i >= want)
			break;
		call->pfx[(have + i) & (TT_CIPHER_PFX_BUF - 1)] = tmp[i];
	}
	have += want;
	/* The first bytes must start a record. */
	if (have >= TLS_HEADER && !tls_identifies(call->pfx)) {
		call->pfx_len = 0;
		return;
	}
	call->pfx_len = have;
	if (have < TT_CIPHER_PREFIX)
		return;
	__builtin_memcpy(key.prefix, call->pfx, sizeof(key.prefix));
	in = bpf_map_lookup_elem(&cipher_in, &key);
	if (!in || in->collided)
		return;
	if (in->conn && in->conn != call->conn) {
		/* Read by two TLS objects: not unique after all. */
		in->collided = 1;
		cipher_unbind(tgid, in->conn, in->sk);
		return;
	}
	in->conn = call->conn;
	if (call->sk && call->sk != in->sk) {
		/* The call already names another socket: nothing is proven. */
		call->multi_fd = 1;
		count(TT_C_CIPHER_CONFLICTS, 1);
	} else if (!call->sk) {
		call->sk = in->sk;
		call->fd = in->fd;
		call->cipher = 1;
		count(TT_C_CIPHER_BINDS, 1);
	}
}

SEC("uretprobe")
int bio_return(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), cookie = bpf_get_attach_cookie(ctx);
	struct tt_native_call *call;
	__s64 n;

	if (settings.probe_only)
		return 0;
	call = bpf_map_lookup_elem(&native_calls, &id);
	if (!call || !call->bio_sp || call->bio_sp + RET_SP_DELTA != PT_REGS_SP(ctx))
		return 0;
	call->bio_sp = 0;
	n = bio_result(ctx, cookie, call);
	if (n <= 0)
		return 0;
	if (call->bio_dir == TT_DIR_WRITE)
		bio_wrote(id >> 32, call, (__u64)n);
	else
		bio_read_done(id >> 32, call, (__u64)n);
	return 0;
}
