// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Native TLS: OpenSSL (SSL_read/SSL_write/_ex) and GnuTLS
 * (gnutls_record_recv/send).
 *
 * Attribution never guesses.  The entry uprobe marks the thread as inside a
 * TLS call of {tgid, SSL*}; the socket I/O the library does on that thread
 * while the call is on the stack names the socket (sockets.bpf.c); the
 * uretprobe emits the data with that socket's tuple ("syscall-fd").  Two
 * different sockets inside one call make the record "ambiguous" (no tuple).
 * What was learned is kept per {tgid, SSL*} and serves later calls that do
 * no I/O (buffered data) as "cache", after checking the socket is still the
 * one the fd holds; it is dropped on SSL_free/SSL_shutdown/gnutls_deinit/
 * gnutls_bye, on SSL_set_fd/SSL_set_bio/gnutls_transport_set_* (the object
 * is given another transport) and when the socket closes.  A library that
 * does no socket I/O itself (memory BIO, e.g. Node) is attributed from the
 * ciphertext its sockets move ("ciphertext", membio.bpf.c), else "none".
 */
#include "common.bpf.h"

TT_MAP_NATIVE_CALLS;
TT_MAP_NATIVE_OUTER;
TT_MAP_NATIVE_CONNS;
TT_MAP_MEMBIO_TGIDS;

/* The object is freed, shut down or given another transport: its state
 * goes.  What its socket carried (socks) stays until the socket closes:
 * that close ends the streams (SSL_free comes before the close). */
static __always_inline void forget_conn(__u32 tgid, __u64 conn)
{
	struct tt_native_conn_key key = { .tgid = tgid, .conn = conn };

	bpf_map_delete_elem(&native_conns, &key);
}

/*
 * A call starts while cur, deeper on the same thread's stack, still runs.
 * On the same TLS object: in the same direction it is cur itself through
 * another entry point (SSL_read_ex calling SSL_read), and a handshake
 * (SSL_do_handshake inside SSL_read) is part of cur: cur owns the data and
 * the socket I/O (false).  Else cur waits in native_outer until the new
 * call returns (true): in the other direction the new call is one of its
 * own that a callback makes inside cur (Node writes from its handshake-done
 * callback, run inside SSL_read); on another object it is either that (a
 * callback writing to another connection) or TLS inside TLS (a proxy
 * tunnel), which its data tells at its return (tunnel_return).  A second
 * level is not traced, and counted.
 */
static __always_inline bool interrupt(__u64 id, const struct tt_native_call *cur,
				      struct tt_native_call *call)
{
	if (call->conn == cur->conn && (call->dir == cur->dir || !call->dir))
		return false;
	if (bpf_map_lookup_elem(&native_outer, &id)) {
		count(TT_C_NESTED_UNTRACED, 1);
		return false;
	}
	call->nested_other = call->conn != cur->conn;
	return update_or_count(&native_outer, TT_M_NATIVE_OUTER, &id, cur) == 0;
}

/* The call that returned had interrupted another: that one is the thread's
 * call again.  False when there was none. */
static __always_inline bool resume_outer(__u64 id)
{
	struct tt_native_call *outer = bpf_map_lookup_elem(&native_outer, &id);
	bool resumed;

	if (!outer)
		return false;
	resumed = bpf_map_update_elem(&native_calls, &id, outer, BPF_EXIST) == 0;
	bpf_map_delete_elem(&native_outer, &id);
	return resumed;
}

SEC("uprobe")
int native_tls_entry(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), cookie = bpf_get_attach_cookie(ctx);
	struct tt_native_call *cur, call = { .fd = -1 };
	__u64 sp = PT_REGS_SP(ctx);
	__u32 tgid = id >> 32;
	bool nested;

	if (settings.probe_only)
		return 0;
	if (cookie & TT_NCOOKIE_FORGET) {
		forget_conn(tgid, PT_REGS_PARM1(ctx));
		return 0;
	}
	if (!process_allowed(tgid))
		return 0;
	call.dir = cookie & TT_NCOOKIE_CONTEXT ? 0 : TT_NCOOKIE_DIR(cookie);
	call.conn = PT_REGS_PARM1(ctx);
	/*
	 * A record deeper in the stack than us is a call still running: we are
	 * nested inside it (interrupt() says whose we are).  A record at or
	 * above our stack pointer belongs to a call that returned without our
	 * return probe (it started before the probe was attached): stale,
	 * replace it, and any call it had interrupted.
	 */
	cur = bpf_map_lookup_elem(&native_calls, &id);
	nested = cur && cur->sp > sp;
	if (nested && !interrupt(id, cur, &call))
		return 0;
	if (cur && !nested)
		bpf_map_delete_elem(&native_outer, &id);
	call.buf = PT_REGS_PARM2(ctx);
	call.len_ptr = cookie & TT_NCOOKIE_EX ? PT_REGS_PARM4(ctx) : 0;
	call.lib = TT_NCOOKIE_LIB(cookie);
	call.sp = sp;
	call.start_ns = bpf_ktime_get_boot_ns();
	if (update_or_count(&native_calls, TT_M_NATIVE_CALLS, &id, &call)) {
		/* The outer stays the thread's call. */
		if (nested)
			bpf_map_delete_elem(&native_outer, &id);
		return 0;
	}
	if (!cur)
		__sync_fetch_and_add(&sock_watchers, 1);
	return 0;
}

/* Bytes the call transferred, from its return value. */
static __always_inline __s64 native_result(struct pt_regs *ctx, __u64 cookie,
					   const struct tt_native_call *call)
{
	__s64 ret = PT_REGS_RC(ctx);
	__u64 n = 0;

	if (cookie & TT_NCOOKIE_INT_RET)
		ret = (__s32)ret;
	if (!(cookie & TT_NCOOKIE_EX))
		return ret;
	/* SSL_read_ex/SSL_write_ex return 1 on success, the count is in *len_ptr. */
	if (ret != 1 || !call->len_ptr)
		return 0;
	if (bpf_probe_read_user(&n, sizeof(n), (const void *)call->len_ptr))
		return 0;
	return (__s64)n;
}

/* The state of a TLS object, created at its first call with data. */
static __always_inline struct tt_native_conn *native_conn_state(__u32 tgid, __u64 conn)
{
	struct tt_native_conn_key key = { .tgid = tgid, .conn = conn };
	struct tt_native_conn *c = bpf_map_lookup_elem(&native_conns, &key);
	struct tt_native_conn fresh = { .fd = -1 };

	if (c)
		return c;
	if (update_or_count(&native_conns, TT_M_NATIVE_CONNS, &key, &fresh))
		return NULL;
	return bpf_map_lookup_elem(&native_conns, &key);
}

/* Is the socket learned for the object still the one it uses?  Its fd
 * must still hold it; without an fd, it must not have closed since. */
static __always_inline bool cache_valid(__u32 tgid, __u64 conn, const struct tt_native_conn *c)
{
	struct tt_sock *so;
	__u64 sk = c->sk;

	if (c->fd >= 0)
		return (__u64)fd_to_sock(c->fd) == sk;
	so = bpf_map_lookup_elem(&socks, &sk);
	return so && so->tgid == tgid && so->conn == conn;
}

static __always_inline void native_attribute(__u32 tgid, const struct tt_native_call *call,
					     struct tt_native_conn *st, struct tt_data_rec *ev)
{
	ev->fd = -1;
	ev->attribution = TT_ATTR_NONE;
	if (call->multi_fd) {
		ev->attribution = TT_ATTR_AMBIGUOUS;
		ev->flags |= TT_EV_MULTI_FD;
		return;
	}
	if (call->sk) {
		if (sock_tuple((struct sock *)call->sk, &ev->tuple))
			return;
		ev->fd = call->fd;
		ev->attribution = call->cipher ? TT_ATTR_CIPHERTEXT : TT_ATTR_SYSCALL_FD;
		if (st) {
			st->sk = call->sk;
			st->fd = call->fd;
			st->cipher = call->cipher;
		}
		sock_remember(call->sk, tgid, call->lib, call->conn, 0, &ev->tuple);
		return;
	}
	if (!st || !st->sk)
		return;
	if (!cache_valid(tgid, call->conn, st)) {
		st->sk = 0;
		st->fd = -1;
		return;
	}
	if (sock_tuple((struct sock *)st->sk, &ev->tuple))
		return;
	ev->fd = st->fd;
	/* A binding proven by ciphertext says so on every call it serves. */
	ev->attribution = st->cipher ? TT_ATTR_CIPHERTEXT : TT_ATTR_CACHE;
}

/*
 * A call that did no socket I/O and had no socket learned: its process
 * drives OpenSSL through memory BIOs.  Tell the tracer once, which then
 * attaches the ciphertext probes (membio.bpf.c) to that process.
 */
static __always_inline void membio_request(__u32 tgid)
{
	struct tt_proc_rec rec = { .hdr = { .type = TT_REC_PROC, .tgid = tgid },
				   .kind = TT_PROC_MEMBIO };
	__u8 requested = TT_MEMBIO_REQUESTED, *watch_flags;

	if (bpf_map_lookup_elem(&membio_tgids, &tgid))
		return;
	if (bpf_map_update_elem(&membio_tgids, &tgid, &requested, BPF_NOEXIST))
		return; /* another thread asked first, or the map is full */
	/* A process the tracer launched waits for its probes, as at dlopen. */
	watch_flags = bpf_map_lookup_elem(&watch, &tgid);
	send_proc_rec(&rec, watch_flags && (*watch_flags & TT_WATCH_STOP));
}

/* How many records tls_records walks. */
#define TUNNEL_RECORDS 4

/*
 * Are the n bytes at buf TLS records: one record header alone (a read of a
 * header), or up to TUNNEL_RECORDS whole records that end exactly at n?
 * Each header must have a real version and a non-empty length.
 */
static __always_inline bool tls_records(__u64 buf, __s64 n)
{
	__u8 h[TLS_HEADER];
	__u64 off = 0;

	if (n < TLS_HEADER)
		return false;
	for (int i = 0; i < TUNNEL_RECORDS; i++) {
		if (bpf_probe_read_user(h, sizeof(h), (const void *)(buf + off)) ||
		    !tls_header_ok(h) || h[2] < 1 || tls_record_len(h) < 1)
			return false;
		if (n == TLS_HEADER)
			return true;
		off += TLS_HEADER + tls_record_len(h);
		if (off >= (__u64)n)
			return off == (__u64)n;
	}
	return false;
}

/*
 * The return of a call that began inside a call on another TLS object,
 * which the thread's call is again (outer).  A call whose data is TLS
 * records is the tunnel that carries the outer's records (TLS inside TLS),
 * and so is every later one of its object inside that object's calls (a
 * record's body, read after its header, is no header): its data is not
 * shown (counted), and the socket it used is the outer's.  True then.
 */
static __always_inline bool tunnel_return(__u64 id, const struct tt_native_call *call, __s64 n)
{
	struct tt_native_conn_key key = { .tgid = id >> 32, .conn = call->conn };
	struct tt_native_conn *carrier = bpf_map_lookup_elem(&native_conns, &key);
	struct tt_native_call *outer = bpf_map_lookup_elem(&native_calls, &id);

	if (!outer)
		return false;
	if (!(carrier && carrier->carries == outer->conn) && !tls_records(call->buf, n))
		return false;
	if (!carrier)
		carrier = native_conn_state(key.tgid, call->conn);
	if (carrier)
		carrier->carries = outer->conn;
	count(TT_C_NESTED_UNTRACED, 1);
	if (!call->sk && !call->multi_fd)
		return true;
	if (call->multi_fd || (outer->sk && outer->sk != call->sk)) {
		outer->multi_fd = 1;
	} else if (!outer->sk) {
		outer->sk = call->sk;
		outer->fd = call->fd;
		outer->cipher = call->cipher;
	}
	return true;
}

SEC("uretprobe")
int native_tls_return(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), cookie = bpf_get_attach_cookie(ctx);
	struct tt_native_call *saved, call;
	struct tt_native_conn *st;
	struct tt_scratch *s;
	__u32 tgid = id >> 32;
	bool resumed = false;
	__s64 n;

	if (settings.probe_only)
		return 0;
	saved = bpf_map_lookup_elem(&native_calls, &id);
	if (!saved) {
		no_call_state(tgid);
		return 0;
	}
	/* Only the return of the recorded call itself; a nested one is not.
	 * But the call it had interrupted returning means its own return was
	 * missed: that call's data is lost (counted), the outer's goes out. */
	if (saved->sp + RET_SP_DELTA == PT_REGS_SP(ctx)) {
		call = *saved;
		resumed = resume_outer(id);
	} else {
		saved = bpf_map_lookup_elem(&native_outer, &id);
		if (!saved || saved->sp + RET_SP_DELTA != PT_REGS_SP(ctx))
			return 0;
		count(TT_C_NESTED_UNTRACED, 1);
		call = *saved;
		bpf_map_delete_elem(&native_outer, &id);
	}
	if (!resumed && bpf_map_delete_elem(&native_calls, &id) == 0)
		__sync_fetch_and_sub(&sock_watchers, 1);

	/* A call without data of its own (the handshake) only lent its
	 * records to the ciphertext matching. */
	if (!call.dir)
		return 0;
	n = native_result(ctx, cookie, &call);
	if (call.nested_other && tunnel_return(id, &call, n))
		return 0;
	if (n <= 0)
		return 0;
	if (n > 0xffffffffLL)
		n = 0xffffffffLL;
	st = native_conn_state(tgid, call.conn);
	s = scratch_get();
	if (!s)
		goto lost;
	data_rec_init(&s->ev, id);
	s->ev.lib = call.lib;
	s->ev.dir = call.dir;
	s->ev.conn_ptr = call.conn;
	native_attribute(tgid, &call, st, &s->ev);
	/* A write that did no socket I/O is a memory BIO (a read may have been
	 * served from OpenSSL's buffer before any I/O was seen). */
	if (s->ev.attribution == TT_ATTR_NONE && call.lib == TT_LIB_OPENSSL &&
	    call.dir == TT_DIR_WRITE)
		membio_request(tgid);
	/* Its ciphertext, in the BIO, has not been sent yet: the send's bind
	 * record will name the socket. */
	if (s->ev.attribution == TT_ATTR_NONE && call.bind_token) {
		s->ev.flags |= TT_EV_BIND_PENDING;
		s->ev.bind_token = call.bind_token;
	}
	/* A record waiting for its socket is judged once it has one. */
	if (!(s->ev.flags & TT_EV_BIND_PENDING) && !port_allowed(&s->ev.tuple)) {
		count(TT_C_FILTERED_PORT, 1);
		scratch_put(s);
		goto lost;
	}
	emit_data(s, call.buf, (__u32)n, st ? &st->stream_off[dir_index(call.dir)] : NULL);
	scratch_put(s);
	return 0;
lost:
	/* Not sent: the stream offset still counts the bytes. */
	if (st)
		__sync_fetch_and_add(&st->stream_off[dir_index(call.dir)], (__u64)n);
	return 0;
}
