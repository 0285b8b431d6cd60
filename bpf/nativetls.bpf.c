// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Native TLS: OpenSSL (SSL_read/SSL_write/_ex) and GnuTLS
 * (gnutls_record_recv/send).
 *
 * Attribution never guesses.  The entry uprobe marks the thread as inside a
 * TLS call of {tgid, SSL*}; the socket syscalls that the library makes on
 * that thread while the call is on the stack (read, write, readv, writev,
 * recvfrom, sendto, recvmsg, sendmsg) name the socket; the uretprobe emits
 * the data with that socket's tuple ("syscall-fd").  Two different sockets
 * inside one call make the event "ambiguous" (no tuple).  What was learned is
 * cached per {tgid, SSL*} and serves later calls that make no syscall
 * (buffered data) as "cache", after checking the fd still holds the same
 * socket; the cache is dropped on SSL_free/SSL_shutdown/gnutls_deinit/
 * gnutls_bye, on SSL_set_fd/SSL_set_bio/gnutls_transport_set_* (the object is
 * given another transport) and on close() of the fd.  A library that does no socket I/O
 * itself (custom BIO, e.g. Node) gets "none".
 */
#include "tlstap.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tgid */
	__type(value, __u8);
} native_tgids SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* pid_tgid of the calling thread */
	__type(value, struct tt_native_call);
} native_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tt_native_conn_key);
	__type(value, struct tt_native_conn);
} native_conns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tt_fd_key);
	__type(value, __u64); /* SSL* */
} fd_conns SEC(".maps");

static __always_inline void forget_conn(__u32 tgid, __u64 conn)
{
	struct tt_native_conn_key key = { .tgid = tgid, .conn = conn };
	struct tt_native_conn *c = bpf_map_lookup_elem(&native_conns, &key);

	if (c) {
		struct tt_fd_key fk = { .tgid = tgid, .fd = c->fd };

		bpf_map_delete_elem(&fd_conns, &fk);
		bpf_map_delete_elem(&native_conns, &key);
	}
}

/* The stack pointer right after the function returned, relative to the one
 * at its entry: x86-64 pops the return address, arm64 returns through LR. */
#if defined(__TARGET_ARCH_x86)
#define RET_SP_DELTA 8
#else
#define RET_SP_DELTA 0
#endif

SEC("uprobe")
int native_tls_entry(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), cookie = bpf_get_attach_cookie(ctx);
	__u32 tgid = id >> 32;
	struct tt_native_call *cur, call = { .fd = -1 };
	__u64 sp = PT_REGS_SP(ctx);

	if (settings.probe_only)
		return 0;
	if (!bpf_map_lookup_elem(&native_tgids, &tgid))
		return 0;
	if (cookie & TT_NCOOKIE_FORGET) {
		forget_conn(tgid, PT_REGS_PARM1(ctx));
		return 0;
	}
	/*
	 * A record deeper in the stack than us is a call still running: we are
	 * nested inside it (a TLS entry point calling another); the outer one
	 * owns the data.  A record at or above our stack pointer belongs to a
	 * call that returned without our return probe (it started before the
	 * probe was attached): stale, replace it.
	 */
	cur = bpf_map_lookup_elem(&native_calls, &id);
	if (cur && cur->sp > sp)
		return 0;
	call.conn = PT_REGS_PARM1(ctx);
	call.buf = PT_REGS_PARM2(ctx);
	call.len_ptr = cookie & TT_NCOOKIE_EX ? PT_REGS_PARM4(ctx) : 0;
	call.lib = TT_NCOOKIE_LIB(cookie);
	call.dir = TT_NCOOKIE_DIR(cookie);
	call.sp = sp;
	update_or_count(&native_calls, &id, &call);
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

static __always_inline void native_attribute(__u32 tgid, const struct tt_native_call *call,
					     struct tt_data_rec *ev)
{
	struct tt_native_conn_key key = { .tgid = tgid, .conn = call->conn };
	struct tt_native_conn *cached, learned;
	struct tt_fd_key fk = { .tgid = tgid };

	ev->fd = -1;
	ev->attribution = TT_ATTR_NONE;
	if (call->multi_fd) {
		ev->attribution = TT_ATTR_AMBIGUOUS;
		ev->flags |= TT_EV_MULTI_FD;
		return;
	}
	if (call->fd >= 0) {
		if (sock_tuple((struct sock *)call->sk, &ev->tuple))
			return;
		ev->fd = call->fd;
		ev->attribution = TT_ATTR_SYSCALL_FD;
		learned.sk = call->sk;
		learned.fd = call->fd;
		learned.pad = 0;
		update_or_count(&native_conns, &key, &learned);
		fk.fd = call->fd;
		update_or_count(&fd_conns, &fk, &call->conn);
		return;
	}
	cached = bpf_map_lookup_elem(&native_conns, &key);
	if (!cached)
		return;
	/* The fd must still hold the socket it was learned with. */
	if ((__u64)fd_to_sock(cached->fd) != cached->sk) {
		forget_conn(tgid, call->conn);
		return;
	}
	if (sock_tuple((struct sock *)cached->sk, &ev->tuple))
		return;
	ev->fd = cached->fd;
	ev->attribution = TT_ATTR_CACHE;
}

SEC("uretprobe")
int native_tls_return(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), cookie = bpf_get_attach_cookie(ctx);
	struct tt_native_call *saved, call;
	struct tt_scratch *s;
	__s64 n;

	if (settings.probe_only)
		return 0;
	saved = bpf_map_lookup_elem(&native_calls, &id);
	if (!saved) {
		count(TT_C_NO_CALL_STATE, 1);
		return 0;
	}
	/* Only the return of the recorded call itself; a nested one is not. */
	if (saved->sp + RET_SP_DELTA != PT_REGS_SP(ctx))
		return 0;
	call = *saved;
	bpf_map_delete_elem(&native_calls, &id);

	n = native_result(ctx, cookie, &call);
	if (n <= 0)
		return 0;
	s = scratch_get();
	if (!s)
		return 0;
	__builtin_memset(&s->ev, 0, sizeof(s->ev));
	s->ev.hdr.tgid = id >> 32;
	s->ev.tid = (__u32)id;
	s->ev.lib = call.lib;
	s->ev.dir = call.dir;
	s->ev.conn_ptr = call.conn;
	native_attribute(id >> 32, &call, &s->ev);
	if (n > 0xffffffffLL)
		n = 0xffffffffLL;
	emit_data(s, call.buf, (__u32)n);
	scratch_put(s);
	return 0;
}

/* Syscall numbers of the socket I/O a TLS library does itself. */
#if defined(__TARGET_ARCH_x86)
#define NR_read 0
#define NR_write 1
#define NR_close 3
#define NR_readv 19
#define NR_writev 20
#define NR_sendto 44
#define NR_recvfrom 45
#define NR_sendmsg 46
#define NR_recvmsg 47
#define SYSCALL_ARG0(regs) BPF_CORE_READ(regs, di)
#elif defined(__TARGET_ARCH_arm64)
#define NR_close 57
#define NR_read 63
#define NR_write 64
#define NR_readv 65
#define NR_writev 66
#define NR_sendto 206
#define NR_recvfrom 207
#define NR_sendmsg 211
#define NR_recvmsg 212
#define SYSCALL_ARG0(regs) BPF_CORE_READ((struct user_pt_regs *)(regs), regs[0])
#endif

static __always_inline bool is_socket_io(long nr)
{
	switch (nr) {
	case NR_read:
	case NR_write:
	case NR_readv:
	case NR_writev:
	case NR_sendto:
	case NR_recvfrom:
	case NR_sendmsg:
	case NR_recvmsg:
		return true;
	default:
		return false;
	}
}

/* close(fd): the connection learned on that fd is gone. */
static __always_inline void on_close(__u64 id, int fd)
{
	struct tt_fd_key fk = { .tgid = id >> 32, .fd = fd };
	__u64 *conn = bpf_map_lookup_elem(&fd_conns, &fk);

	if (conn)
		forget_conn(fk.tgid, *conn);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(native_sys_enter, struct pt_regs *regs, long nr)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tt_native_call *call;
	struct sock *sk;
	int fd;

	if (nr == NR_close) {
		on_close(id, (int)SYSCALL_ARG0(regs));
		return 0;
	}
	if (!is_socket_io(nr))
		return 0;
	call = bpf_map_lookup_elem(&native_calls, &id);
	if (!call)
		return 0;
	fd = (int)SYSCALL_ARG0(regs);
	sk = fd_to_sock(fd);
	if (!sk)
		return 0; /* not a TCP socket: not the TLS connection's transport */
	if (call->fd < 0) {
		call->fd = fd;
		call->sk = (__u64)sk;
	} else if (call->sk != (__u64)sk) {
		if (!call->multi_fd)
			count(TT_C_MULTI_FD, 1);
		call->multi_fd = 1;
	}
	return 0;
}
