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
#include "common.bpf.h"

extern TT_MAP_NATIVE_CALLS;
extern TT_MAP_NATIVE_CONNS;
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
#define SYSCALL_NR(regs) BPF_CORE_READ(regs, orig_ax)
#define SYSCALL_ARG0(regs) BPF_CORE_READ(regs, di)
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
 * did not come from a syscall on it (sendfile's other end, io_uring). */
static __always_inline __s32 syscall_fd(struct sock *sk)
{
	struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	long nr = SYSCALL_NR(regs);
	int fd;

	if (!is_socket_io(nr))
		return -1;
	fd = (int)SYSCALL_ARG0(regs);
	return fd_to_sock(fd) == sk ? fd : -1;
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

static __always_inline void sock_io(struct sock *sk, __s32 fd, bool fd_known)
{
	__u64 id;

	/* The host-wide hot path: nothing to do unless a call watches. */
	if (!sock_watchers)
		return;
	if (!sk || !sock_is_tcp(sk))
		return;
	id = bpf_get_current_pid_tgid();
	native_sock_io(id, sk, fd, fd_known);
	go_sock_io(id, sk, fd, fd_known);
}

SEC("tp_btf/sock_send_length")
int BPF_PROG(sock_send, struct sock *sk, int ret, int flags)
{
	sock_io(sk, -1, false);
	return 0;
}

SEC("tp_btf/sock_recv_length")
int BPF_PROG(sock_recv, struct sock *sk, int ret, int flags)
{
	sock_io(sk, -1, false);
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
	sk = fd_to_sock(fd);
	if (sk)
		sock_io(sk, fd, true);
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
	so = bpf_map_lookup_elem(&socks, &key);
	if (!so)
		return 0;
	if (so->lib == TT_LIB_GO) {
		struct tt_go_conn_key gk = { .tgid = so->tgid, .conn = so->conn,
					     .netfd = so->netfd };

		bpf_map_delete_elem(&go_conns, &gk);
	} else {
		struct tt_native_conn_key nk = { .tgid = so->tgid, .conn = so->conn };

		bpf_map_delete_elem(&native_conns, &nk);
	}
	rec.hdr.tgid = so->tgid;
	rec.hdr.time_ns = bpf_ktime_get_boot_ns();
	rec.tuple = so->tuple;
	bpf_map_delete_elem(&socks, &key);
	count(TT_C_CONN_ENDS, 1);
	if (bpf_ringbuf_output(&events, &rec, sizeof(rec), rb_flags()))
		count(TT_C_RB_DROPS, 1);
	return 0;
}
