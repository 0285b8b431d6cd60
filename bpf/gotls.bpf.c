// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Go crypto/tls: (*Conn).Read, (*Conn).Write and (*Conn).Close.
 *
 * An entry uprobe saves the call's arguments under {tgid, func, g}; a uprobe
 * on every RET site of the function (never a uretprobe: it rewrites the
 * return address on the goroutine stack, which Go moves and inspects)
 * emits the plaintext: Read when n > 0, Write when err == nil.  The entry
 * probe may fire twice for one call when the stack check sends it through
 * morestack and back to the entry; the second save overwrites the first
 * (same key: the frame is measured from the top of the moved stack) with the
 * moved values, so nothing is duplicated.
 *
 * Attribution, done at the entry while the call's socket is certainly open:
 * c.conn must be a *net.TCPConn (itab check when the itab address is known);
 * its netFD gives the fd and the addresses in Go memory; the fd also gives
 * the kernel socket, whose tuple is the one reported.  When Go memory and
 * the socket disagree the event is marked ambiguous.
 *
 * Register ABI only (amd64 >= go1.17, arm64 >= go1.18).
 */
#include "tlstap.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tgid */
	__type(value, struct tt_go_config);
} go_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	/* One per goroutine inside Read/Write: a server parks one reader per
	 * keep-alive connection here.  An evicted entry shows as
	 * returns_without_entry. */
	__uint(max_entries, 262144);
	__type(key, struct tt_go_call_key);
	__type(value, struct tt_go_call);
} go_calls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tt_go_conn_key);
	__type(value, struct tt_go_conn);
} go_conns SEC(".maps");

#if defined(__TARGET_ARCH_x86)
#define GO_SP(ctx) ((ctx)->sp)
#define GO_G(ctx) ((ctx)->r14)
#define GO_R0(ctx) ((ctx)->ax)
#define GO_R1(ctx) ((ctx)->bx)
#define GO_R2(ctx) ((ctx)->cx)
#elif defined(__TARGET_ARCH_arm64)
#define GO_SP(ctx) (((struct user_pt_regs *)(ctx))->sp)
#define GO_G(ctx) (((struct user_pt_regs *)(ctx))->regs[28])
#define GO_R0(ctx) (((struct user_pt_regs *)(ctx))->regs[0])
#define GO_R1(ctx) (((struct user_pt_regs *)(ctx))->regs[1])
#define GO_R2(ctx) (((struct user_pt_regs *)(ctx))->regs[2])
#else
#error "unsupported architecture"
#endif

static __always_inline __u64 read_u64(__u64 addr)
{
	__u64 v = 0;

	if (bpf_probe_read_user(&v, sizeof(v), (const void *)addr))
		count(TT_C_READ_FAULTS, 1);
	return v;
}

/* *net.TCPAddr -> IP and port.  IP is a []byte of 4 or 16 bytes. */
static __always_inline int read_tcpaddr(const struct tt_go_config *cfg, __u64 iface_data,
					__u8 *ip, __u16 *port, __u16 *family)
{
	__u64 ip_ptr, ip_len, p;

	if (!iface_data)
		return -1;
	ip_ptr = read_u64(iface_data + cfg->tcpaddr_ip);
	ip_len = read_u64(iface_data + cfg->tcpaddr_ip + 8);
	p = read_u64(iface_data + cfg->tcpaddr_port);
	if (ip_len == 4) {
		if (bpf_probe_read_user(ip, 4, (const void *)ip_ptr))
			return -1;
		*family = AF_INET;
	} else if (ip_len == 16) {
		if (bpf_probe_read_user(ip, 16, (const void *)ip_ptr))
			return -1;
		*family = AF_INET6;
	} else {
		return -1;
	}
	*port = (__u16)p;
	return 0;
}

/* Local and remote address of a netFD, from Go memory. */
static __always_inline int go_mem_tuple(const struct tt_go_config *cfg, __u64 netfd,
					struct tt_tuple *t)
{
	__u16 lfam = 0, rfam = 0;
	__u64 laddr, raddr;

	__builtin_memset(t, 0, sizeof(*t));
	/* laddr/raddr are net.Addr interfaces: {itab, data}; data is *TCPAddr. */
	laddr = read_u64(netfd + cfg->netfd_laddr + 8);
	raddr = read_u64(netfd + cfg->netfd_raddr + 8);
	if (read_tcpaddr(cfg, laddr, t->laddr, &t->lport, &lfam) ||
	    read_tcpaddr(cfg, raddr, t->raddr, &t->rport, &rfam))
		return -1;
	if (lfam != rfam) {
		/* One side 4 bytes, the other 16: widen the short one. */
		__u8 *v4 = lfam == AF_INET ? t->laddr : t->raddr;

		__builtin_memmove(v4 + 12, v4, 4);
		__builtin_memset(v4, 0, 10);
		v4[10] = 0xff;
		v4[11] = 0xff;
	}
	t->family = lfam == AF_INET && rfam == AF_INET ? AF_INET : AF_INET6;
	normalize_tuple(t);
	return 0;
}

static __always_inline bool tuple_equal(const struct tt_tuple *a, const struct tt_tuple *b)
{
	int n = a->family == AF_INET ? 4 : 16;

	if (a->family != b->family || a->lport != b->lport || a->rport != b->rport)
		return false;
	for (int i = 0; i < 16; i++) {
		if (i >= n)
			break;
		if (a->laddr[i] != b->laddr[i] || a->raddr[i] != b->raddr[i])
			return false;
	}
	return true;
}

/* The *netFD behind a *tls.Conn, or 0 when c.conn is not a *net.TCPConn. */
static __always_inline __u64 go_netfd(const struct tt_go_config *cfg, __u64 conn)
{
	__u64 tab = read_u64(conn + cfg->tls_conn_conn);
	__u64 data = read_u64(conn + cfg->tls_conn_conn + 8);

	if (!tab || !data)
		return 0;
	if (cfg->itab_tcpconn && tab != cfg->itab_tcpconn)
		return 0;
	return read_u64(data + cfg->tcpconn_conn + cfg->conn_fd);
}

/*
 * Attribution: the tuple is the kernel socket's of the netFD's fd, and it is
 * reported only when Go memory says the same (go-memory), or as ambiguous
 * when it does not.  Without a socket to check against, or without readable
 * Go addresses, there is no tuple: wrong data is worse than none.
 */
static __always_inline void go_attribute(const struct tt_go_config *cfg, __u32 tgid, __u64 conn,
					 struct tt_go_attr *a)
{
	struct tt_go_conn_key key = { .tgid = tgid, .conn = conn };
	struct tt_go_conn *cached, fresh = {};
	struct tt_tuple ktuple;
	struct sock *sk;
	__u64 sysfd;

	__builtin_memset(a, 0, sizeof(*a));
	a->attribution = TT_ATTR_NONE;
	a->fd = -1;
	key.netfd = go_netfd(cfg, conn);
	if (!key.netfd)
		return;
	sysfd = read_u64(key.netfd + cfg->netfd_pfd + cfg->pollfd_sysfd);
	sk = fd_to_sock((int)sysfd);
	if (!sk || sock_tuple(sk, &ktuple))
		return;
	cached = bpf_map_lookup_elem(&go_conns, &key);
	if (cached && cached->sk == (__u64)sk && cached->fd == (int)sysfd) {
		fresh = *cached;
	} else {
		if (go_mem_tuple(cfg, key.netfd, &fresh.tuple))
			return;
		fresh.sk = (__u64)sk;
		fresh.fd = (int)sysfd;
		update_or_count(&go_conns, &key, &fresh);
	}
	a->fd = (int)sysfd;
	a->tuple = ktuple;
	if (tuple_equal(&fresh.tuple, &ktuple)) {
		a->attribution = TT_ATTR_GO_MEMORY;
	} else {
		a->attribution = TT_ATTR_AMBIGUOUS;
		a->ev_flags |= TT_EV_TUPLE_MISMATCH;
		count(TT_C_TUPLE_MISMATCH, 1);
	}
}

/* (*Conn).Close: forget the connection's state. */
static __always_inline void go_close(const struct tt_go_config *cfg, __u32 tgid, __u64 conn)
{
	struct tt_go_conn_key key = { .tgid = tgid, .conn = conn };

	key.netfd = go_netfd(cfg, conn);
	if (key.netfd)
		bpf_map_delete_elem(&go_conns, &key);
}

/* g.stack: {lo, hi} at the start of runtime.g in every Go version. */
static __always_inline int go_stack(__u64 g, __u64 *lo, __u64 *hi)
{
	__u64 st[2];

	if (bpf_probe_read_user(st, sizeof(st), (const void *)g))
		return -1;
	*lo = st[0];
	*hi = st[1];
	return 0;
}

/* The key of a call: {tgid, func, g, g.stack.hi - SP}.  SP is the same at
 * the entry probe (before the frame is set up) and at every RET. */
static __always_inline int go_call_key(struct pt_regs *ctx, struct tt_go_call_key *key,
				       __u64 *lo, __u64 *hi)
{
	key->tgid = bpf_get_current_pid_tgid() >> 32;
	key->func = bpf_get_attach_cookie(ctx);
	key->g = GO_G(ctx);
	if (go_stack(key->g, lo, hi))
		return -1;
	key->frame = *hi - GO_SP(ctx);
	return 0;
}

SEC("uprobe")
int go_tls_entry(struct pt_regs *ctx)
{
	struct tt_go_call_key key = {};
	const struct tt_go_config *cfg;
	struct tt_go_call call = {};
	__u64 lo, hi;

	if (settings.probe_only)
		return 0;
	key.tgid = bpf_get_current_pid_tgid() >> 32;
	cfg = bpf_map_lookup_elem(&go_config, &key.tgid);
	if (!cfg)
		return 0;
	if (bpf_get_attach_cookie(ctx) == TT_GO_CLOSE) {
		go_close(cfg, key.tgid, GO_R0(ctx));
		return 0;
	}
	if (go_call_key(ctx, &key, &lo, &hi)) {
		count(TT_C_READ_FAULTS, 1);
		return 0;
	}
	call.conn = GO_R0(ctx);
	call.buf = GO_R1(ctx);
	call.len = GO_R2(ctx);
	/* A buffer on the goroutine stack moves if the stack grows during the
	 * call (the handshake runs deep): keep its offset from the top, which
	 * the stack copy preserves. */
	if (call.buf >= lo && call.buf < hi) {
		call.buf = hi - call.buf;
		call.flags = TT_GO_BUF_ON_STACK;
	}
	go_attribute(cfg, key.tgid, call.conn, &call.attr);
	update_or_count(&go_calls, &key, &call);
	return 0;
}

SEC("uprobe")
int go_tls_return(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tt_go_call_key key = {};
	const struct tt_go_config *cfg;
	struct tt_go_call *saved, call;
	struct tt_scratch *s;
	__u64 lo, hi;
	__s64 n;

	if (settings.probe_only)
		return 0;
	key.tgid = id >> 32;
	cfg = bpf_map_lookup_elem(&go_config, &key.tgid);
	if (!cfg)
		return 0;
	if (go_call_key(ctx, &key, &lo, &hi)) {
		count(TT_C_READ_FAULTS, 1);
		return 0;
	}
	saved = bpf_map_lookup_elem(&go_calls, &key);
	if (!saved) {
		count(TT_C_NO_CALL_STATE, 1);
		return 0;
	}
	call = *saved;
	bpf_map_delete_elem(&go_calls, &key);
	if (call.flags & TT_GO_BUF_ON_STACK)
		call.buf = hi - call.buf;

	/* Results: n in the first register; for Write, err's itab in the second. */
	n = (__s64)GO_R0(ctx);
	if (key.func == TT_GO_WRITE && GO_R1(ctx) != 0)
		return 0;
	if (n <= 0)
		return 0;
	if ((__u64)n > call.len)
		n = call.len;

	s = scratch_get();
	if (!s)
		return 0;
	__builtin_memset(&s->ev, 0, sizeof(s->ev));
	s->ev.hdr.tgid = key.tgid;
	s->ev.tid = (__u32)id;
	s->ev.lib = TT_LIB_GO;
	s->ev.dir = key.func == TT_GO_READ ? TT_DIR_READ : TT_DIR_WRITE;
	s->ev.conn_ptr = call.conn;
	if (cfg->g_goid >= 0)
		s->ev.goid = read_u64(key.g + cfg->g_goid);
	s->ev.tuple = call.attr.tuple;
	s->ev.fd = call.attr.fd;
	s->ev.attribution = call.attr.attribution;
	s->ev.flags |= call.attr.ev_flags;
	emit_data(s, call.buf, (__u32)n);
	scratch_put(s);
	return 0;
}
