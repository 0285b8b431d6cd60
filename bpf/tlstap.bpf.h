/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef TLSTAP_BPF_H
#define TLSTAP_BPF_H

/*
 * Common part of the tracer's BPF objects: the ring buffer, the counters,
 * the scratch event, socket tuple reading and event emission.  Each object
 * declares these maps; user space makes them one by reusing the fds of the
 * first object's maps in the others (bpf_map__reuse_fd).
 */

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tlstap/trace.h"

#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define IPPROTO_TCP 6
#define SOCK_STREAM 1

/* Set by user space before load. */
const volatile struct tt_trace_settings settings = {
	.max_bytes = TT_CHUNK_MAX,
	.chunk_size = TT_CHUNK_MAX,
	.wakeup_bytes = 256 * 1024,
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TT_C_COUNT);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct tt_scratch {
	struct tt_data_rec ev;
	__u8 data[TT_CHUNK_MAX];
	__u32 busy; /* not sent: owned by a program between get and put */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tt_scratch);
} scratch SEC(".maps");

static __always_inline void count(__u32 idx, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += n;
}

/* Map update that counts a failure instead of losing it silently. */
static __always_inline int update_or_count(void *map, const void *key, const void *val)
{
	long ret = bpf_map_update_elem(map, key, val, BPF_ANY);

	if (ret)
		count(TT_C_MAP_FULL, 1);
	return ret;
}

/*
 * The CPU's scratch event, owned until scratch_put().  Uprobe programs run
 * with migration disabled but may be preempted on preemptible kernels: a
 * second program on the same CPU must not write into an event half built
 * by the first (it would mix two connections), so it drops its event and
 * counts it instead.
 */
static __always_inline struct tt_scratch *scratch_get(void)
{
	__u32 zero = 0;
	struct tt_scratch *s = bpf_map_lookup_elem(&scratch, &zero);

	if (!s)
		return NULL;
	if (__sync_fetch_and_add(&s->busy, 1)) {
		__sync_fetch_and_sub(&s->busy, 1);
		count(TT_C_SCRATCH_BUSY, 1);
		return NULL;
	}
	return s;
}

static __always_inline void scratch_put(struct tt_scratch *s)
{
	__sync_fetch_and_sub(&s->busy, 1);
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is reported as IPv4. */
static __always_inline void normalize_tuple(struct tt_tuple *t)
{
	const __u8 *l = t->laddr, *r = t->raddr;
	bool lm, rm;

	if (t->family != AF_INET6)
		return;
	lm = !(l[0] | l[1] | l[2] | l[3] | l[4] | l[5] | l[6] | l[7] | l[8] | l[9]) &&
	     l[10] == 0xff && l[11] == 0xff;
	rm = !(r[0] | r[1] | r[2] | r[3] | r[4] | r[5] | r[6] | r[7] | r[8] | r[9]) &&
	     r[10] == 0xff && r[11] == 0xff;
	if (!lm || !rm)
		return;
	t->family = AF_INET;
	__builtin_memmove(t->laddr, t->laddr + 12, 4);
	__builtin_memmove(t->raddr, t->raddr + 12, 4);
	__builtin_memset(t->laddr + 4, 0, 12);
	__builtin_memset(t->raddr + 4, 0, 12);
}

/* The TCP tuple of a kernel socket; 0 on success. */
static __always_inline int sock_tuple(struct sock *sk, struct tt_tuple *t)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	__builtin_memset(t, 0, sizeof(*t));
	/* Explicit sizes: the destinations are byte arrays. */
	if (family == AF_INET) {
		bpf_core_read(t->laddr, 4, &sk->__sk_common.skc_rcv_saddr);
		bpf_core_read(t->raddr, 4, &sk->__sk_common.skc_daddr);
	} else if (family == AF_INET6) {
		bpf_core_read(t->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(t->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else {
		return -1;
	}
	t->family = family;
	t->lport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->rport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	normalize_tuple(t);
	return 0;
}

/*
 * The TCP socket behind fd in the current task, or NULL when fd is not an
 * open TCP/IP stream socket.  Walks task->files->fdt->fd[fd].
 */
static __always_inline struct sock *fd_to_sock(int fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct fdtable *fdt;
	struct file **fds, *file = NULL;
	struct socket *sock;
	struct sock *sk;
	unsigned int max;
	umode_t mode;
	__u16 family, type, proto;

	if (fd < 0)
		return NULL;
	fdt = BPF_CORE_READ(task, files, fdt);
	max = BPF_CORE_READ(fdt, max_fds);
	if ((unsigned int)fd >= max)
		return NULL;
	fds = BPF_CORE_READ(fdt, fd);
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]) || !file)
		return NULL;
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = BPF_CORE_READ(file, private_data);
	if (!sock)
		return NULL;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return NULL;
	family = BPF_CORE_READ(sk, __sk_common.skc_family);
	type = BPF_CORE_READ(sk, sk_type);
	proto = BPF_CORE_READ(sk, sk_protocol);
	if ((family != AF_INET && family != AF_INET6) || type != SOCK_STREAM ||
	    proto != IPPROTO_TCP)
		return NULL;
	return sk;
}

/* Ring-buffer submission without a wakeup per event: wake the reader only
 * once enough data is waiting; it polls with a timeout anyway. */
static __always_inline __u64 rb_flags(void)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	return avail >= settings.wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/*
 * Emit the call's plaintext (len bytes at user address buf) as one or more
 * chunk events sharing the header already filled in s->ev.
 */
static __always_inline void emit_data(struct tt_scratch *s, __u64 buf, __u32 len)
{
	/* 64-bit arithmetic throughout: the bound checked is the register the
	 * verifier sees passed to the helpers. */
	__u64 cap = len, chunk = settings.chunk_size;

	if (cap > settings.max_bytes) {
		cap = settings.max_bytes;
		s->ev.flags |= TT_EV_TRUNCATED;
		count(TT_C_TRUNC_BYTES, len - cap);
	}
	if (chunk == 0 || chunk > TT_CHUNK_MAX)
		chunk = TT_CHUNK_MAX;
	s->ev.len = len;
	s->ev.hdr.type = TT_REC_DATA;
	s->ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	s->ev.stream_off = ~0ULL; /* not kept yet */
	bpf_get_current_comm(s->ev.comm, sizeof(s->ev.comm));

	for (__u64 i = 0; i < TT_MAX_CHUNKS; i++) {
		__u64 off = i * chunk, n;

		if (off >= cap)
			break;
		n = cap - off;
		if (n > chunk)
			n = chunk;
		/* chunk <= TT_CHUNK_MAX already, but the verifier must see the
		 * bound on n itself: keep the compiler from folding the check. */
		asm volatile("" : "+r"(n));
		if (n > TT_CHUNK_MAX)
			n = TT_CHUNK_MAX;
		s->ev.chunk_off = off;
		s->ev.chunk_len = n;
		if (off + n < cap)
			s->ev.flags |= TT_EV_MORE;
		else
			s->ev.flags &= ~TT_EV_MORE;
		if (bpf_probe_read_user(s->data, n, (const void *)(buf + off))) {
			count(TT_C_READ_FAULTS, 1);
			return;
		}
		if (bpf_ringbuf_output(&events, &s->ev, sizeof(s->ev) + n, rb_flags())) {
			count(TT_C_RB_DROPS, 1);
			return;
		}
		count(TT_C_EVENTS, 1);
	}
}

#endif
