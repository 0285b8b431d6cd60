/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef TLSTAP_COMMON_BPF_H
#define TLSTAP_COMMON_BPF_H

/*
 * What every BPF object of the tracer shares: the settings, the maps of
 * common.bpf.c (records, counters, scratch, sockets), counting, socket
 * tuples, filters and the emission of data records.
 */

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tlstap/hooks.h"
#include "tlstap/record.h"

#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000
#define IPPROTO_TCP 6
#define SOCK_STREAM 1
#define TCP_CLOSE 7
#define SIGSTOP 19
#define SIGCONT 18

/* The stack pointer right after a function returned, relative to the one
 * at its entry: x86-64 pops the return address, arm64 returns through LR. */
#if defined(__TARGET_ARCH_x86)
#define RET_SP_DELTA 8
#else
#define RET_SP_DELTA 0
#endif

/* A data record under construction, with room for its largest chunk. */
struct tt_scratch {
	struct tt_data_rec ev;
	__u8 data[TT_CHUNK_MAX];
	__u32 busy; /* not sent: owned by a program between get and put */
};

#include "maps.bpf.h"

/* Defined in common.bpf.c. */
extern const volatile struct tt_trace_settings settings;
/* Calls that watch the socket layer (native calls, wrapped Go calls) in
 * flight: the socket tracepoints, which fire for the whole host, return at
 * once while it is zero. */
extern __u64 sock_watchers;
/* Of those, the wrapped Go calls: only they need the goroutine looked up. */
extern __u64 go_sock_watchers;
/* Processes whose ciphertext is matched (memory BIO): while any, the socket
 * tracepoints look at the data their sockets move. */
extern __u64 membio_active;
/* The tracer is shutting down: no process is held any more (nothing would
 * release it). */
extern __u64 stopping;
/* The last token given to a memory-BIO call waiting for its socket. */
extern __u32 bind_tokens;

/* The maps every object uses: instantiated by common.bpf.c. */
#ifdef TT_COMMON_DEFINITIONS
#define TT_COMMON_MAP
#else
#define TT_COMMON_MAP extern
#endif
TT_COMMON_MAP TT_MAP_EVENTS;
TT_COMMON_MAP TT_MAP_CONTROL;
TT_COMMON_MAP TT_MAP_COUNTERS;
TT_COMMON_MAP TT_MAP_MAP_FULL;
TT_COMMON_MAP TT_MAP_SCRATCH;
TT_COMMON_MAP TT_MAP_SOCKS;
TT_COMMON_MAP TT_MAP_WATCH;
TT_COMMON_MAP TT_MAP_HELD;
TT_COMMON_MAP TT_MAP_CGROUP_FILTER;

static __always_inline void count(__u32 idx, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&counters, &idx);

	if (c)
		*c += n;
}

/* Map update that counts a failure, by map, instead of losing it silently. */
static __always_inline long update_or_count(void *map, __u32 map_id, const void *key,
					    const void *val)
{
	long ret = bpf_map_update_elem(map, key, val, BPF_ANY);

	if (ret) {
		__u64 *c = bpf_map_lookup_elem(&map_full, &map_id);

		if (c)
			*c += 1;
		count(TT_C_MAP_FULL, 1);
	}
	return ret;
}

/*
 * The CPU's scratch record, owned until scratch_put().  Uprobe programs run
 * with migration disabled but may be preempted on preemptible kernels: a
 * second program on the same CPU must not write into a record half built
 * by the first (it would mix two connections), so it drops its record and
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

/*
 * The head of struct sock_common, read at once: both IPv4 addresses, both
 * ports and the family are its first 18 bytes in every kernel since 4.x
 * (read as 24).
 */
#define SK_HEAD_LEN 24

/* The TCP tuple of a kernel socket; 0 on success. */
static __always_inline int sock_tuple(const struct sock *sk, struct tt_tuple *t)
{
	const __u32 o_daddr = bpf_core_field_offset(struct sock_common, skc_daddr);
	const __u32 o_saddr = bpf_core_field_offset(struct sock_common, skc_rcv_saddr);
	const __u32 o_dport = bpf_core_field_offset(struct sock_common, skc_dport);
	const __u32 o_num = bpf_core_field_offset(struct sock_common, skc_num);
	const __u32 o_family = bpf_core_field_offset(struct sock_common, skc_family);
	__u8 head[SK_HEAD_LEN];
	__u16 family, dport, num;

	__builtin_memset(t, 0, sizeof(*t));
	if (o_daddr > SK_HEAD_LEN - 4 || o_saddr > SK_HEAD_LEN - 4 || o_dport > SK_HEAD_LEN - 2 ||
	    o_num > SK_HEAD_LEN - 2 || o_family > SK_HEAD_LEN - 2)
		return -1; /* a layout this reader does not know */
	if (bpf_probe_read_kernel(head, sizeof(head), sk))
		return -1;
	__builtin_memcpy(&family, head + o_family, 2);
	__builtin_memcpy(&dport, head + o_dport, 2);
	__builtin_memcpy(&num, head + o_num, 2);
	/* Explicit sizes: the destinations are byte arrays. */
	if (family == AF_INET) {
		__builtin_memcpy(t->laddr, head + o_saddr, 4);
		__builtin_memcpy(t->raddr, head + o_daddr, 4);
	} else if (family == AF_INET6) {
		bpf_core_read(t->laddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_core_read(t->raddr, 16, &sk->__sk_common.skc_v6_daddr);
	} else {
		return -1;
	}
	t->family = family;
	t->lport = num;
	t->rport = bpf_ntohs(dport);
	normalize_tuple(t);
	return 0;
}

/* The same for a socket the kernel hands over (a tracepoint's argument):
 * its fields are plain loads, not helper calls. */
static __always_inline bool sock_is_tcp_btf(const struct sock *sk)
{
	__u16 family = sk->__sk_common.skc_family;

	return (family == AF_INET || family == AF_INET6) && sk->sk_type == SOCK_STREAM &&
	       sk->sk_protocol == IPPROTO_TCP;
}

/* A TCP socket over IPv4 or IPv6: the only transport a TLS tuple names. */
static __always_inline bool sock_is_tcp(const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	return (family == AF_INET || family == AF_INET6) &&
	       BPF_CORE_READ(sk, sk_type) == SOCK_STREAM &&
	       BPF_CORE_READ(sk, sk_protocol) == IPPROTO_TCP;
}

/* The file at fd in the current task's table, NULL when none. */
static __always_inline struct file *fd_file(int fd)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct fdtable *fdt = task->files->fdt;
	struct file **fds;
	struct file *file = NULL;

	if (fd < 0 || (unsigned int)fd >= fdt->max_fds)
		return NULL;
	fds = fdt->fd;
	if (bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]))
		return NULL;
	return file;
}

/* The sock of a socket file, whatever the file is: for a socket already
 * known, compared with what it was. */
static __always_inline struct sock *file_sock_unchecked(struct file *file)
{
	struct socket *sock = BPF_CORE_READ(file, private_data);

	return sock ? BPF_CORE_READ(sock, sk) : NULL;
}

/*
 * TT_FILE_SOCK_CAST: file_sock reads the file's inode, socket and sock with
 * plain loads (bpf_core_cast) instead of four helper calls, 50-110 ns less
 * per native TLS call on the socket tracepoints' path.  Only one object of
 * the linked program may reference this kfunc (bpftool's static linker
 * before libbpf 1.6 fails on a kfunc declared in two): sockets.bpf.c.  The
 * tracer says whether the kernel has it (Linux 6.2+): a bpf_ksym_exists()
 * test would be rejected by 6.2 and 6.3, whose verifier takes no kfunc in
 * an ld_imm64; a read-only setting leaves the cast dead code where the
 * kernel lacks it.
 */
#ifdef TT_FILE_SOCK_CAST
static __always_inline struct sock *file_sock_cast(struct file *file)
{
	struct file *f = bpf_core_cast(file, struct file);
	void *sock;

	if ((f->f_inode->i_mode & S_IFMT) != S_IFSOCK)
		return NULL;
	sock = f->private_data;
	return sock ? bpf_core_cast(sock, struct socket)->sk : NULL;
}
#endif

#ifdef TT_FILE_SOCK_CAST
/* sock_tuple with plain loads: one helper call fewer (three for IPv6). */
static __always_inline int sock_tuple_cast(const struct sock *sock, struct tt_tuple *t)
{
	const struct sock_common *sk = &bpf_core_cast(sock, struct sock)->__sk_common;
	__u16 family = sk->skc_family;
	__u32 a;

	__builtin_memset(t, 0, sizeof(*t));
	if (family == AF_INET) {
		a = sk->skc_rcv_saddr;
		__builtin_memcpy(t->laddr, &a, 4);
		a = sk->skc_daddr;
		__builtin_memcpy(t->raddr, &a, 4);
	} else if (family == AF_INET6) {
		for (int i = 0; i < 4; i++) {
			a = sk->skc_v6_rcv_saddr.in6_u.u6_addr32[i];
			__builtin_memcpy(t->laddr + 4 * i, &a, 4);
			a = sk->skc_v6_daddr.in6_u.u6_addr32[i];
			__builtin_memcpy(t->raddr + 4 * i, &a, 4);
		}
	} else {
		return -1;
	}
	t->family = family;
	t->lport = sk->skc_num;
	t->rport = bpf_ntohs(sk->skc_dport);
	normalize_tuple(t);
	return 0;
}
#endif

/* The sock of a socket file, NULL when the file is none (or no socket). */
static __always_inline struct sock *file_sock(struct file *file)
{
	umode_t mode;

	if (!file)
		return NULL;
#ifdef TT_FILE_SOCK_CAST
	if (settings.kfunc_cast)
		return file_sock_cast(file);
#endif
	mode = BPF_CORE_READ(file, f_inode, i_mode);
	if ((mode & S_IFMT) != S_IFSOCK)
		return NULL;
	return file_sock_unchecked(file);
}

/*
 * The TCP socket of a file (fd_to_sock: of the file at fd in the current
 * task), or NULL when it is not an open TCP/IP stream socket.
 */
static __always_inline struct sock *file_tcp_sock(struct file *file)
{
	struct sock *sk = file_sock(file);

	if (!sk || !sock_is_tcp(sk))
		return NULL;
	return sk;
}

static __always_inline struct sock *fd_to_sock(int fd)
{
	return file_tcp_sock(fd_file(fd));
}

/* Is the port filter (--port) passed by this tuple?  No filter: yes. */
static __always_inline bool port_allowed(const struct tt_tuple *t)
{
	if (!(settings.filters & TT_FILTER_PORT))
		return true;
	for (__u32 i = 0; i < TT_FILTER_MAX; i++) {
		if (i >= settings.n_ports)
			break;
		if (t->lport == settings.ports[i] || t->rport == settings.ports[i])
			return true;
	}
	return false;
}

static __always_inline bool comm_equal(const char *a, const char *b)
{
	for (int i = 0; i < 16; i++) {
		if (a[i] != b[i])
			return false;
		if (!a[i])
			return true;
	}
	return true;
}

/* The executable file of the current process. */
static __always_inline void current_exe(struct tt_file_key *k)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct inode *ino = BPF_CORE_READ(task, mm, exe_file, f_inode);

	k->dev = BPF_CORE_READ(ino, i_sb, s_dev);
	k->ino = BPF_CORE_READ(ino, i_ino);
}

/* --comm names the process (its main thread's comm), not one of its
 * threads, which a program may rename ("worker-3"). */
static __always_inline bool comm_allowed(void)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct *leader = BPF_CORE_READ(task, group_leader);
	char comm[16] = {};

	bpf_probe_read_kernel_str(comm, sizeof(comm), &leader->comm);
	for (__u32 i = 0; i < TT_FILTER_MAX; i++) {
		if (i >= settings.n_comms)
			break;
		if (comm_equal(comm, (const char *)settings.comms[i]))
			return true;
	}
	return false;
}

static __always_inline bool exe_allowed(void)
{
	struct tt_file_key k;

	current_exe(&k);
	for (__u32 i = 0; i < TT_FILTER_MAX; i++) {
		if (i >= settings.n_exes)
			break;
		if (settings.exes[i].dev == k.dev && settings.exes[i].ino == k.ino)
			return true;
	}
	return false;
}

/* Ring-buffer submission without a wakeup per record: wake the reader only
 * once enough data is waiting; it polls with a timeout anyway. */
static __always_inline __u64 rb_flags(void)
{
	__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

	return avail >= settings.wakeup_bytes ? BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
}

/* Linux 6.13+: a signal to another task than the current one. */
extern int bpf_send_signal_task(struct task_struct *task, int sig, enum pid_type type,
				__u64 value) __ksym __weak;

/* Signal the process of task, NULL: the current one; -1 when the kernel
 * cannot signal another task from BPF. */
static __always_inline long signal_process(struct task_struct *task, int sig)
{
	if (!task)
		return bpf_send_signal(sig);
	if (!bpf_ksym_exists(bpf_send_signal_task))
		return -1;
	return bpf_send_signal_task(task, sig, PIDTYPE_TGID, 0);
}

/*
 * Send a process record; with stop, the process is stopped (SIGSTOP) until
 * the tracer has attached to what it is about to run and sends SIGCONT.
 * The process is the current one, or task (a child at its fork, which has
 * not run yet).  The stop is sent before the record: the tracer's SIGCONT
 * could otherwise come first and the stop stay for good.  It is taken on the
 * way back to user space, before another instruction; a SIGCONT that
 * arrives before discards it, which is as good (the tracer sends it after
 * the attach).  A held process is remembered (map held) so that the
 * tracer's guardian can release it if the tracer dies; one that cannot be
 * remembered, or signalled, or whose record is lost, is not held.  The
 * record goes to the control ring buffer, which data never fills, and a
 * copy to the data one, in order with the data, for the writers.
 */
static __always_inline void send_proc_rec_task(struct tt_proc_rec *ev, bool stop,
					       struct task_struct *task)
{
	__u32 tgid = ev->hdr.tgid;
	__u64 now = bpf_ktime_get_boot_ns();

	ev->hdr.time_ns = now;
	ev->stopped = stop && !stopping && !update_or_count(&held, TT_M_HELD, &tgid, &now);
	if (ev->stopped && signal_process(task, SIGSTOP)) {
		bpf_map_delete_elem(&held, &tgid);
		ev->stopped = 0;
	}
	if (bpf_ringbuf_output(&control, ev, sizeof(*ev), BPF_RB_FORCE_WAKEUP)) {
		count(TT_C_CONTROL_DROPS, 1);
		if (ev->stopped) {
			signal_process(task, SIGCONT); /* flushes the pending stop */
			bpf_map_delete_elem(&held, &tgid);
		}
		return;
	}
	/* A copy in order with the data, for the writers (a process's exit
	 * after its last data); under a flood of data theirs to lose. */
	if (bpf_ringbuf_output(&events, ev, sizeof(*ev), rb_flags()))
		count(TT_C_RB_DROPS, 1);
}

static __always_inline void send_proc_rec(struct tt_proc_rec *ev, bool stop)
{
	send_proc_rec_task(ev, stop, NULL);
}

/* The filters that judge a process, not a connection. */
#define TT_PROCESS_FILTERS (TT_FILTER_COMM | TT_FILTER_EXE | TT_FILTER_CGROUP)

/*
 * Which process filter (--comm, --exe, --cgroup) excludes the current
 * process: 0 none, else its counter; TT_C_COUNT for tlstap itself, which is
 * never traced and not counted.
 */
static __always_inline __u32 process_filter(__u32 tgid)
{
	if (tgid == settings.self_tgid)
		return TT_C_COUNT;
	if (!(settings.filters & TT_PROCESS_FILTERS))
		return 0;
	if ((settings.filters & TT_FILTER_COMM) && !comm_allowed())
		return TT_C_FILTERED_COMM;
	if ((settings.filters & TT_FILTER_EXE) && !exe_allowed())
		return TT_C_FILTERED_EXE;
	if ((settings.filters & TT_FILTER_CGROUP) &&
	    bpf_current_task_under_cgroup(&cgroup_filter, 0) != 1)
		return TT_C_FILTERED_CGROUP;
	return 0;
}

/*
 * The process filters let this process through: a process watched quietly
 * (--all, its exec excluded by them) that they let through now (renamed,
 * moved into the cgroup) may make state: from now on its records go out,
 * its exit above all.  A process they never let through has its exit kept
 * from the output (TT_PROCF_EXCLUDED).
 */
static __always_inline void watch_passed(__u8 *flags)
{
	if ((*flags & (TT_WATCH_QUIET | TT_WATCH_PASSED)) != TT_WATCH_PASSED)
		*flags = (*flags & ~TT_WATCH_QUIET) | TT_WATCH_PASSED;
}

static __always_inline void filters_passed(__u32 tgid)
{
	__u8 *flags = bpf_map_lookup_elem(&watch, &tgid);

	if (flags)
		watch_passed(flags);
}

/*
 * Is the current process one the process filters let through?  Checked at
 * the entry of every TLS call, before anything is saved or copied.
 */
static __always_inline bool process_allowed(__u32 tgid)
{
	__u32 why = process_filter(tgid);

	if (!why) {
		if (settings.filters & TT_PROCESS_FILTERS)
			filters_passed(tgid);
		return true;
	}
	if (why < TT_C_COUNT) {
		count(TT_C_FILTERED, 1);
		count(why, 1);
	}
	return false;
}

/* A return without its entry's state: a call begun before attach, unless
 * the filters kept its entry from saving any (counted there). */
static __always_inline void no_call_state(__u32 tgid)
{
	if (!process_filter(tgid))
		count(TT_C_NO_CALL_STATE, 1);
}

/* --- TLS record headers ------------------------------------------------- */

#define TLS_HEADER 5
/* The largest record: 2^14 bytes of plaintext plus expansion (RFC 5246). */
#define TLS_RECORD_MAX (16384 + 2048)

static __always_inline __u32 tls_record_len(const __u8 *h)
{
	return (__u32)h[3] << 8 | h[4];
}

/* A plausible record header: content type 20..23, version 3.x, a length a
 * record can have.  (Not proof: a prefix still has to be found twice.) */
static __always_inline bool tls_header_ok(const __u8 *h)
{
	return h[0] >= 20 && h[0] <= 23 && h[1] == 3 && h[2] <= 4 &&
	       tls_record_len(h) <= TLS_RECORD_MAX;
}

/* The pid of the current process inside its own pid namespace. */
static __always_inline __u32 ns_tgid(void)
{
	struct pid *pid = bpf_get_current_task_btf()->group_leader->thread_pid;
	unsigned int level = pid->level;
	struct upid up = {};

	if (level > 32)
		return 0;
	bpf_probe_read_kernel(&up, sizeof(up), &pid->numbers[level]);
	return up.nr;
}

/* Index of a direction in the stream_off arrays of the state maps. */
static __always_inline __u32 dir_index(__u8 dir)
{
	return (dir - 1) & 1;
}

/* Fill in the header fields every data record of the current call has. */
static __always_inline void data_rec_init(struct tt_data_rec *ev, __u64 pid_tgid)
{
	__builtin_memset(ev, 0, sizeof(*ev));
	ev->hdr.type = TT_REC_DATA;
	ev->hdr.tgid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->ns_tgid = ns_tgid();
	ev->cgroup_id = bpf_get_current_cgroup_id();
	ev->stream_off = ~0ULL;
}

/* What each chunk of one call needs (bpf_loop passes it to emit_chunk). */
struct emit_ctx {
	__u64 buf;  /* user address of the call's plaintext */
	__u64 cap;  /* bytes captured (<= max_bytes) */
	__u64 chunk;
	__u64 base; /* stream offset of the call's first byte, ~0 unknown */
};

/* One data record: chunk i of the call whose header is in this CPU's
 * scratch record (owned by the caller). */
static long emit_chunk(__u64 i, void *data)
{
	struct emit_ctx *e = data;
	__u32 zero = 0;
	struct tt_scratch *s = bpf_map_lookup_elem(&scratch, &zero);
	__u64 off = i * e->chunk, n;

	if (!s || off >= e->cap)
		return 1;
	n = e->cap - off;
	if (n > e->chunk)
		n = e->chunk;
	/* chunk <= TT_CHUNK_MAX already, but the verifier must see the bound on
	 * n itself: keep the compiler from folding the check. */
	asm volatile("" : "+r"(n));
	if (n > TT_CHUNK_MAX)
		n = TT_CHUNK_MAX;
	s->ev.chunk_off = off;
	s->ev.chunk_len = n;
	s->ev.stream_off = e->base == ~0ULL ? ~0ULL : e->base + off;
	if (off + n < e->cap)
		s->ev.flags |= TT_EV_MORE;
	else
		s->ev.flags &= ~TT_EV_MORE;
	if (bpf_probe_read_user(s->data, n, (const void *)(e->buf + off))) {
		count(TT_C_READ_FAULTS, 1);
		return 1;
	}
	if (bpf_ringbuf_output(&events, &s->ev, sizeof(s->ev) + n, rb_flags())) {
		count(TT_C_RB_DROPS, 1);
		return 0; /* the next chunk may fit: the hole is in stream_off */
	}
	count(TT_C_EVENTS, 1);
	return 0;
}

/*
 * Emit the call's plaintext (len bytes at user address buf) as one or more
 * data records sharing the header already filled in s->ev, up to
 * max_bytes (bpf_loop: as many chunks as that takes).  stream_off points
 * at the byte count of the TLS object's direction (NULL: unknown): it
 * advances by the whole call, what is not sent (truncated, dropped) leaves
 * a hole the reader sees.
 */
static __always_inline void emit_data(struct tt_scratch *s, __u64 buf, __u32 len,
				      __u64 *stream_off)
{
	struct emit_ctx e = { .buf = buf, .cap = len, .chunk = settings.chunk_size, .base = ~0ULL };

	if (stream_off)
		e.base = __sync_fetch_and_add(stream_off, (__u64)len);
	if (e.cap > settings.max_bytes) {
		e.cap = settings.max_bytes;
		s->ev.flags |= TT_EV_TRUNCATED;
		count(TT_C_TRUNC_BYTES, len - e.cap);
	}
	if (e.chunk == 0 || e.chunk > TT_CHUNK_MAX)
		e.chunk = TT_CHUNK_MAX;
	s->ev.len = len;
	s->ev.hdr.time_ns = bpf_ktime_get_boot_ns();
	bpf_get_current_comm(s->ev.comm, sizeof(s->ev.comm));
	/* Most calls are one chunk: no loop for them. */
	if (e.cap <= e.chunk)
		emit_chunk(0, &e);
	else
		bpf_loop((e.cap + e.chunk - 1) / e.chunk, emit_chunk, &e, 0);
}

/* Remember which TLS object a socket carries, so that its close ends it. */
static __always_inline void sock_remember(__u64 sk, __u32 tgid, __u8 lib, __u64 conn,
					  __u64 netfd, const struct tt_tuple *t)
{
	struct tt_sock *cur = bpf_map_lookup_elem(&socks, &sk);
	struct tt_sock v = { .tgid = tgid, .lib = lib, .conn = conn, .netfd = netfd };

	if (cur && cur->tgid == tgid && cur->conn == conn && cur->netfd == netfd)
		return;
	v.tuple = *t;
	update_or_count(&socks, TT_M_SOCKS, &sk, &v);
}

#endif
