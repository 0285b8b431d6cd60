// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The socket side of attribution: which TCP socket a TLS call in flight
 * does its I/O on, and when an attributed socket closes.
 *
 * sock:sock_send_length / sock:sock_recv_length (Linux >= 6.2) fire in
 * sock_sendmsg/sock_recvmsg with the struct sock itself: every read, write,
 * readv, writev, send*, recv* on a socket, sendfile and splice into one,
 * and io_uring's socket operations.  They fire for the whole host, so they
 * return at once unless a call that watches the socket layer is in flight
 * (sock_watchers), and then after one lookup by thread.  On older kernels
 * raw_syscalls:sys_enter does the same from the syscall's fd (the
 * fallback: it costs every syscall of the host, so it is loaded only where
 * the socket tracepoints are missing).
 *
 * sock:inet_sock_set_state to TCP_CLOSE ends what was learned about a
 * socket: the TLS object's cached socket, and the user-space streams (a
 * record tells them).
 */
#define TT_FILE_SOCK_CAST /* see common.bpf.h */
#include "tlsrec.bpf.h"

TT_MAP_FRAMES;
extern TT_MAP_NATIVE_CALLS;
extern TT_MAP_MEMBIO_TGIDS;
extern TT_MAP_GO_CONNS;
extern TT_MAP_GO_GCALLS;
extern TT_MAP_GO_TGIDS;

/* Syscall numbers whose first argument is the socket's fd. */
#if defined(__TARGET_ARCH_x86)
#define NR_read 0
#define NR_write 1
#define NR_readv 19
#define NR_writev 20
#define NR_sendto 44
#define NR_recvfrom 45
#define NR_sendmsg 46
#define NR_recvmsg 47
#define NR_recvmmsg 299
#define NR_sendmmsg 307
/* regs is the kernel's (sys_enter's argument, bpf_task_pt_regs): plain loads. */
#define SYSCALL_NR(regs) ((regs)->orig_ax)
#define SYSCALL_ARG0(regs) ((regs)->di)
#define SYSCALL_ARG1(regs) ((regs)->si)
#define SYSCALL_ARG2(regs) ((regs)->dx)
#elif defined(__TARGET_ARCH_arm64)
#define NR_read 63
#define NR_write 64
#define NR_readv 65
#define NR_writev 66
#define NR_sendto 206
#define NR_recvfrom 207
#define NR_sendmsg 211
#define NR_recvmsg 212
#define NR_recvmmsg 243
#define NR_sendmmsg 269
#define SYSCALL_NR(regs) BPF_CORE_READ((struct user_pt_regs *)(regs), syscallno)
#define SYSCALL_ARG0(regs) BPF_CORE_READ((struct user_pt_regs *)(regs), regs[0])
#define SYSCALL_ARG1(regs) BPF_CORE_READ((struct user_pt_regs *)(regs), regs[1])
#define SYSCALL_ARG2(regs) BPF_CORE_READ((struct user_pt_regs *)(regs), regs[2])
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
	case NR_recvmmsg:
	case NR_sendmmsg:
		return true;
	default:
		return false;
	}
}

/* The fd of sk in the syscall the current thread is in, -1 when the I/O
 * did not come from a syscall on it (sendfile's other end, io_uring).  sk
 * is a TCP socket already: the file at fd need only be a socket on it. */
static __always_inline __s32 syscall_fd(struct sock *sk)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	long nr = SYSCALL_NR(regs);
	int fd;

	if (!is_socket_io(nr))
		return -1;
	fd = (int)SYSCALL_ARG0(regs);
	return file_sock(fd_file(fd)) == sk ? fd : -1;
}

/* A native TLS call on this thread uses sk. */
static __always_inline void native_sock_io(__u64 id, struct sock *sk, __s32 fd, bool fd_known)
{
	struct tt_native_call *call = bpf_map_lookup_elem(&native_calls, &id);

	if (!call)
		return;
	if (!call->sk) {
		call->sk = (__u64)sk;
		call->fd = fd_known ? fd : syscall_fd(sk);
	} else if (call->sk != (__u64)sk) {
		if (!call->multi_fd)
			count(TT_C_MULTI_FD, 1);
		call->multi_fd = 1;
	}
}

/* The goroutine running on this thread: R28 on arm64; on amd64 the slot
 * at the FS base the Go runtime keeps it in. */
static __always_inline __u64 current_g(__s64 tls_off)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u64 g = 0;

#if defined(__TARGET_ARCH_x86)
	__u64 fsbase = BPF_CORE_READ(task, thread.fsbase);

	if (!fsbase || !tls_off)
		return 0;
	bpf_probe_read_user(&g, sizeof(g), (const void *)(fsbase + tls_off));
#else
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);

	g = BPF_CORE_READ((struct user_pt_regs *)regs, regs[28]);
#endif
	return g;
}

/* A wrapped Go call on the goroutine this thread runs uses sk. */
static __always_inline void go_sock_io(__u64 id, struct sock *sk, __s32 fd, bool fd_known)
{
	struct tt_go_gkey gk = { .tgid = id >> 32 };
	struct tt_go_gcall *gc;
	__s64 *tls_off = bpf_map_lookup_elem(&go_tgids, &gk.tgid);

	if (!tls_off)
		return;
	gk.g = current_g(*tls_off);
	if (!gk.g)
		return;
	gc = bpf_map_lookup_elem(&go_gcalls, &gk);
	if (!gc)
		return;
	if (!gc->sk) {
		gc->sk = (__u64)sk;
		gc->fd = fd_known ? fd : syscall_fd(sk);
	} else if (gc->sk != (__u64)sk) {
		if (!gc->multi)
			count(TT_C_MULTI_FD, 1);
		gc->multi = 1;
	}
}

/* --- memory BIO: the ciphertext the sockets move --------------------------- */

#define MSG_PEEK 2
/* iovecs of one send or receive that are looked at. */
#define CIPHER_IOVS 4

/* The bytes a socket moved (up to CIPHER_IOVS iovecs), walked for TLS
 * records one stretch of user memory at a time. */
struct walk {
	__u64 buf, len, off; /* the current stretch */
	__u64 left;          /* bytes moved after it */
	struct iovec iov[CIPHER_IOVS];
	__u32 n_iov, next_iov;
	struct tt_frame f;
	__u64 sk;
	__s32 fd;
	__u32 tgid;
	__u32 dir;
};

/* The record of the call that produced this ciphertext went out without a
 * socket: name it now (user space holds that record for this). */
static __always_inline void cipher_bind_late(const struct walk *w, struct tt_cipher_out *out,
					     const struct tt_tuple *t)
{
	struct tt_bind_rec rec = { .hdr = { .type = TT_REC_BIND, .tgid = w->tgid } };

	rec.hdr.time_ns = bpf_ktime_get_boot_ns();
	rec.conn_ptr = out->conn;
	rec.bind_token = out->bind_token;
	rec.fd = w->fd;
	rec.tuple = *t;
	out->bind_token = 0; /* this record's send binds once (each of a call's
			      * records carries the token: one record each) */
	if (bpf_ringbuf_output(&events, &rec, sizeof(rec), rb_flags())) {
		count(TT_C_RB_DROPS, 1);
		return;
	}
	count(TT_C_CIPHER_LATE_BINDS, 1);
}

/* Bind the TLS object whose memory BIO produced this record to the socket
 * that sent it. */
static __always_inline void cipher_bind(const struct walk *w, const struct tt_cipher_key *key)
{
	struct tt_cipher_out *out = bpf_map_lookup_elem(&cipher_out, key);
	struct tt_native_conn_key nk = { .tgid = w->tgid };
	struct tt_native_conn fresh = { .fd = -1 }, *st;
	struct tt_tuple t;

	if (!out || out->collided)
		return;
	if (out->sk && out->sk != w->sk) {
		/* Sent on two sockets: not unique after all. */
		out->collided = 1;
		cipher_unbind(w->tgid, out->conn, out->sk);
		return;
	}
	out->sk = w->sk;
	nk.conn = out->conn;
	st = bpf_map_lookup_elem(&native_conns, &nk);
	if (!st && !update_or_count(&native_conns, TT_M_NATIVE_CONNS, &nk, &fresh))
		st = bpf_map_lookup_elem(&native_conns, &nk);
	if (st && st->sk && st->sk != w->sk) {
		/* Its records on two sockets: nothing is proven. */
		st->sk = 0;
		st->fd = -1;
		st->cipher = 0;
		count(TT_C_CIPHER_CONFLICTS, 1);
	} else if (st && !sock_tuple((struct sock *)w->sk, &t)) {
		if (st->sk != w->sk)
			count(TT_C_CIPHER_BINDS, 1);
		st->sk = w->sk;
		st->fd = w->fd;
		st->cipher = 1;
		sock_remember(w->sk, w->tgid, out->lib, out->conn, 0, &t);
		if (out->bind_token)
			cipher_bind_late(w, out, &t);
	}
}

/* The next iovec of the walk; false when there is none (or no byte left). */
static __always_inline bool walk_next_iov(struct walk *w)
{
	__u32 i = w->next_iov;

	if (i >= CIPHER_IOVS || i >= w->n_iov || !w->left)
		return false;
	w->buf = (__u64)w->iov[i].iov_base;
	w->len = w->iov[i].iov_len < w->left ? w->iov[i].iov_len : w->left;
	w->off = 0;
	w->left -= w->len;
	w->next_iov = i + 1;
	return true;
}

/* One step of a walk (bpf_loop callback): to the next iovec, or skip the
 * rest of the current record, or read the next header and match an
 * application-data record. */
static long walk_step(__u64 i, void *ctx)
{
	struct walk *w = ctx;
	struct tt_cipher_key key = { .tgid = w->tgid };
	__u64 left, n, start;
	__u32 have;

	if (w->f.lost)
		return 1;
	if (w->off >= w->len)
		return walk_next_iov(w) ? 0 : 1;
	left = w->len - w->off;
	if (w->f.remaining) {
		n = w->f.remaining < left ? w->f.remaining : left;
		w->off += n;
		w->f.remaining -= n;
		return 0;
	}
	have = w->f.hdr_len;
	if (have >= TLS_HEADER)
		return 1;
	n = TLS_HEADER - have;
	if (n > left)
		n = left;
	if (n > TLS_HEADER - have || bpf_probe_read_user(w->f.hdr + have, n,
							 (const void *)(w->buf + w->off)))
		return 1;
	w->off += n;
	w->f.hdr_len = have + n;
	if (w->f.hdr_len < TLS_HEADER)
		return 1; /* the rest of the header comes with the next bytes */
	if (!tls_header_ok(w->f.hdr)) {
		w->f.lost = 1;
		return 1;
	}
	w->f.remaining = tls_record_len(w->f.hdr);
	w->f.hdr_len = 0;
	/* The whole prefix in this stretch: match it. */
	start = w->off - TLS_HEADER;
	if (have || !tls_identifies(w->f.hdr) || start + TT_CIPHER_PREFIX > w->len)
		return 0;
	if (bpf_probe_read_user(key.prefix, sizeof(key.prefix), (const void *)(w->buf + start)))
		return 0;
	if (w->dir == TT_DIR_WRITE)
		cipher_bind(w, &key);
	else
		cipher_in_add(&key, w->sk, w->fd);
	return 0;
}

/* The iovec array of the socket syscall in flight (a plain buffer is one). */
static __always_inline int syscall_iovs(struct pt_regs *regs, long nr, struct iovec *iov,
					__u32 *n)
{
	__u32 want;

	__u64 msg, p;

	switch (nr) {
	case NR_read:
	case NR_write:
	case NR_sendto:
	case NR_recvfrom:
		iov[0].iov_base = (void *)SYSCALL_ARG1(regs);
		iov[0].iov_len = SYSCALL_ARG2(regs);
		*n = 1;
		return 0;
	case NR_readv:
	case NR_writev:
		p = SYSCALL_ARG1(regs);
		*n = (__u32)SYSCALL_ARG2(regs);
		break;
	case NR_sendmsg:
	case NR_recvmsg:
		msg = SYSCALL_ARG1(regs);
		if (bpf_probe_read_user(&p, sizeof(p),
					(const void *)(msg + offsetof(struct user_msghdr, msg_iov))) ||
		    bpf_probe_read_user(n, sizeof(*n),
					(const void *)(msg + offsetof(struct user_msghdr, msg_iovlen))))
			return -1;
		break;
	default:
		return -1;
	}
	want = *n < CIPHER_IOVS ? *n : CIPHER_IOVS;
	if (!want)
		return -1;
	return bpf_probe_read_user(iov, sizeof(*iov) * want, (const void *)p) ? -1 : 0;
}

/*
 * Whether the file at fd in the current task is still the socket sk (an
 * address learned before), with its tuple in *t: how gotls.bpf.c checks a
 * netFD's fd at each call.  Here, with plain loads where the kernel has
 * bpf_core_cast (only one object may reference the kfunc, see
 * common.bpf.h).  A global function: the verifier checks it once, and it
 * returns no pointer.
 */
__noinline bool fd_holds_sock(__s32 fd, __u64 sk, struct tt_tuple *t)
{
	struct sock *cur = file_sock(fd_file(fd));

	if (!t || !cur || (__u64)cur != sk)
		return false;
	return settings.kfunc_cast ? !sock_tuple_cast(cur, t) : !sock_tuple(cur, t);
}

/*
 * A socket of a memory-BIO process moved ret bytes: follow the TLS records
 * in them (the framing of the socket's stream, kept across calls) and match
 * the application-data ones: sent records bind the TLS object that produced
 * them, received ones wait for the TLS call that reads them.  A global
 * function: the verifier checks it once, on its own.
 */
__noinline int membio_sock_io(__u64 id, __u64 sk, __u32 dir, __s64 ret)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	struct tt_frame_key fk = { .sk = sk, .dir = dir };
	struct walk w = { .sk = sk, .tgid = id >> 32, .dir = dir };
	struct tt_frame *f;
	__u8 *state, h[TLS_HEADER];

	state = bpf_map_lookup_elem(&membio_tgids, &w.tgid);
	if (!state || *state != TT_MEMBIO_ACTIVE || ret <= 0)
		return 0;
	if (syscall_iovs(regs, SYSCALL_NR(regs), w.iov, &w.n_iov))
		return 0;
	w.left = (__u64)ret;
	w.fd = syscall_fd((struct sock *)sk);
	f = bpf_map_lookup_elem(&frames, &fk);
	if (f)
		w.f = *f;
	/* Lost (or a new socket, attached mid-stream): take a stretch that
	 * begins with a record header as the record boundary. */
	if ((!f || w.f.lost) && w.iov[0].iov_base &&
	    !bpf_probe_read_user(h, sizeof(h), w.iov[0].iov_base) && tls_header_ok(h))
		__builtin_memset(&w.f, 0, sizeof(w.f));
	else if (!f)
		w.f.lost = 1;
	bpf_loop(CIPHER_IOVS * TLS_WALK_MAX, walk_step, &w, 0);
	if (w.off < w.len || w.left)
		w.f.lost = 1; /* more than one walk takes: the framing is gone */
	w.f.tgid = w.tgid;
	update_or_count(&frames, TT_M_FRAMES, &fk, &w.f);
	return 0;
}

/* A TCP socket moved ret bytes (dir: 0 for neither). */
static __always_inline void sock_io(struct sock *sk, __s32 fd, bool fd_known, __u32 dir,
				    long ret)
{
	__u64 id;

	id = bpf_get_current_pid_tgid();
	if (sock_watchers) {
		native_sock_io(id, sk, fd, fd_known);
		if (go_sock_watchers)
			go_sock_io(id, sk, fd, fd_known);
	}
	if (membio_active && dir) {
		/* A global function takes scalars: pass the address as one. */
		__u64 skv = 0;

		bpf_probe_read_kernel(&skv, sizeof(skv), &sk);
		membio_sock_io(id, skv, dir, ret);
	}
}

/* The host-wide hot path: nothing to do unless a call watches or a
 * memory-BIO process is traced. */
static __always_inline bool sock_hooks_idle(void)
{
	return !sock_watchers && !membio_active;
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(sock_send, struct sock *sk, int ret, int flags)
{
	if (sock_hooks_idle() || !sk || !sock_is_tcp_btf(sk))
		return 0;
	sock_io(sk, -1, false, TT_DIR_WRITE, ret);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sock_recv, struct sock *sk, int ret, int flags)
{
	if (sock_hooks_idle() || !sk || !sock_is_tcp_btf(sk))
		return 0;
	sock_io(sk, -1, false, flags & MSG_PEEK ? 0 : TT_DIR_READ, ret);
	return 0;
}

/* Fallback for kernels without the socket tracepoints (< 6.2). */
SEC("tp_btf/sys_enter")
int BPF_PROG(sock_sys_enter, struct pt_regs *regs, long nr)
{
	struct sock *sk;
	int fd;

	if (!sock_watchers || !is_socket_io(nr))
		return 0;
	fd = (int)SYSCALL_ARG0(regs);
	sk = fd_to_sock(fd); /* a TCP socket, or NULL */
	/* Only the socket a call uses: matching ciphertext needs the bytes a
	 * receive returned, which the socket tracepoints have. */
	if (sk)
		sock_io(sk, fd, true, 0, 0);
	return 0;
}

/* The state that names a closing socket goes, and its streams end. */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(sock_state, const struct sock *sk, const int oldstate, const int newstate)
{
	struct tt_conn_end_rec rec = { .hdr = { .type = TT_REC_CONN_END } };
	__u64 key = (__u64)sk;
	struct tt_sock *so;

	if (newstate != TCP_CLOSE)
		return 0;
	if (membio_active) {
		struct tt_frame_key fk = { .sk = key, .dir = TT_DIR_READ };

		bpf_map_delete_elem(&frames, &fk);
		fk.dir = TT_DIR_WRITE;
		bpf_map_delete_elem(&frames, &fk);
	}
	so = bpf_map_lookup_elem(&socks, &key);
	if (!so)
		return 0;
	/* Only state that still names this socket: the object may have been
	 * freed (its state with it) and its address reused for another. */
	if (so->lib == TT_LIB_GO) {
		struct tt_go_conn_key gk = { .tgid = so->tgid, .conn = so->conn,
					     .netfd = so->netfd };
		struct tt_go_conn *g = bpf_map_lookup_elem(&go_conns, &gk);

		if (g && g->sk == key)
			bpf_map_delete_elem(&go_conns, &gk);
	} else {
		struct tt_native_conn_key nk = { .tgid = so->tgid, .conn = so->conn };
		struct tt_native_conn *n = bpf_map_lookup_elem(&native_conns, &nk);

		if (n && n->sk == key)
			bpf_map_delete_elem(&native_conns, &nk);
	}
	rec.hdr.tgid = so->tgid;
	rec.hdr.time_ns = bpf_ktime_get_boot_ns();
	rec.tuple = so->tuple;
	bpf_map_delete_elem(&socks, &key);
	count(TT_C_CONN_ENDS, 1);
	/* The end of a connection --port keeps out is not for the output. */
	if (!port_allowed(&rec.tuple))
		return 0;
	if (bpf_ringbuf_output(&events, &rec, sizeof(rec), rb_flags()))
		count(TT_C_RB_DROPS, 1);
	return 0;
}
