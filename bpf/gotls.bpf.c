// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Go crypto/tls: (*Conn).Read, (*Conn).Write and (*Conn).Close.
 *
 * An entry uprobe saves the call's arguments in its goroutine's slot for the
 * function (go_calls, see tt_go_call_key); a uprobe on every RET site of the
 * function (never a uretprobe: it rewrites the return address on the
 * goroutine stack, which Go moves and inspects) emits the plaintext: Read
 * when n > 0, Write when err == nil.  The entry probe may fire twice for one
 * call when the stack check sends it through morestack and back to the
 * entry; the second save overwrites the first (the same frame: it is
 * measured from the top of the moved stack) with the moved values, so
 * nothing is duplicated.
 *
 * A probe's cookie names the function and the attached binary, whose struct
 * layout is in go_objects: one attach per file serves every process that
 * runs it, and the load bias is found from the probed address.
 *
 * Attribution, done at the entry while the call's socket is certainly open:
 * when c.conn is a *net.TCPConn (itab check when the itab address is known)
 * its netFD gives the fd and the addresses in Go memory; the fd also gives
 * the kernel socket, whose tuple is the one reported ("go-memory"), or
 * "ambiguous" when Go memory and the socket disagree.  When c.conn wraps
 * something else, the socket I/O the goroutine does while the call is on
 * its stack names the socket (sockets.bpf.c), as for native TLS.
 *
 * Register ABI only (amd64 >= go1.17, arm64 >= go1.18).
 */
#include "common.bpf.h"

TT_MAP_GO_OBJECTS;
TT_MAP_GO_CALLS;
TT_MAP_GO_CONNS;
TT_MAP_GO_GCALLS;
TT_MAP_GO_TGIDS;

/* sockets.bpf.c */
extern bool fd_holds_sock(__s32 fd, __u64 sk, struct tt_tuple *t);

#if defined(__TARGET_ARCH_x86)
#define GO_SP(ctx) ((ctx)->sp)
#define GO_IP(ctx) ((ctx)->ip)
#define GO_G(ctx) ((ctx)->r14)
#define GO_R0(ctx) ((ctx)->ax)
#define GO_R1(ctx) ((ctx)->bx)
#define GO_R2(ctx) ((ctx)->cx)
#elif defined(__TARGET_ARCH_arm64)
#define GO_SP(ctx) (((struct user_pt_regs *)(ctx))->sp)
#define GO_IP(ctx) (((struct user_pt_regs *)(ctx))->pc)
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
	ip_ptr = read_u64(iface_data + cfg->off[TT_F_TCPADDR_IP]);
	ip_len = read_u64(iface_data + cfg->off[TT_F_TCPADDR_IP] + 8);
	p = read_u64(iface_data + cfg->off[TT_F_TCPADDR_PORT]);
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
	laddr = read_u64(netfd + cfg->off[TT_F_NETFD_LADDR] + 8);
	raddr = read_u64(netfd + cfg->off[TT_F_NETFD_RADDR] + 8);
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

/*
 * The *netFD behind a *tls.Conn, 0 when c.conn is not a *net.TCPConn (then
 * *wrapped says whether it is another connection type).
 */
static __always_inline __u64 go_netfd(const struct tt_go_config *cfg, __u64 bias, __u64 conn,
				      bool *wrapped)
{
	__u64 iface[2] = {}; /* the interface value c.conn: itab, data */
	__u64 tab, data;

	*wrapped = false;
	if (bpf_probe_read_user(iface, sizeof(iface),
				(const void *)(conn + cfg->off[TT_F_TLS_CONN_CONN]))) {
		count(TT_C_READ_FAULTS, 1);
		return 0;
	}
	tab = iface[0];
	data = iface[1];
	if (!tab || !data)
		return 0;
	if (cfg->itab_tcpconn && tab != cfg->itab_tcpconn + bias) {
		*wrapped = true;
		return 0;
	}
	return read_u64(data + cfg->off[TT_F_TCPCONN_CONN] + cfg->off[TT_F_CONN_FD]);
}

/* The state of a Go connection, created at its first call. */
static __always_inline struct tt_go_conn *go_conn_state(const struct tt_go_conn_key *key)
{
	struct tt_go_conn *c = bpf_map_lookup_elem(&go_conns, key);
	struct tt_go_conn fresh = { .fd = -1 };

	if (c)
		return c;
	if (update_or_count(&go_conns, TT_M_GO_CONNS, key, &fresh))
		return NULL;
	return bpf_map_lookup_elem(&go_conns, key);
}

/*
 * Attribution of a *net.TCPConn: the tuple is the kernel socket's of the
 * netFD's fd, reported only when Go memory says the same (go-memory), or as
 * ambiguous when it does not.  Without a socket to check against, or
 * without readable Go addresses, there is no tuple: wrong data is worse
 * than none.
 */
static __always_inline void go_attribute(const struct tt_go_config *cfg,
					 const struct tt_go_conn_key *key, struct tt_go_attr *a)
{
	struct tt_go_conn *st = bpf_map_lookup_elem(&go_conns, key);
	/* Initialised: a global function's pointer argument is read in full
	 * by verifiers before 6.3. */
	struct tt_tuple ktuple = {}, mem;
	struct sock *sk;
	__u64 sysfd;

	/* The fd learned for this netFD, still holding the socket learned with
	 * the tuple Go memory gave then, is that socket: the netFD's Sysfd and
	 * addresses are not read again.  (A netFD address is reused only once
	 * its finalizer has closed the fd; a tls.Conn, netFD, fd and socket all
	 * reused at the same addresses fail the tuple.) */
	if (st && st->sk && st->fd >= 0) {
		if (fd_holds_sock(st->fd, st->sk, &ktuple) && tuple_equal(&st->tuple, &ktuple)) {
			a->fd = st->fd;
			a->tuple = ktuple;
			a->attribution = TT_ATTR_GO_MEMORY;
			sock_remember(st->sk, key->tgid, TT_LIB_GO, key->conn, key->netfd,
				      &ktuple);
			return;
		}
	}
	sysfd = read_u64(key->netfd + cfg->off[TT_F_NETFD_PFD] + cfg->off[TT_F_POLLFD_SYSFD]);
	sk = file_tcp_sock(fd_file((int)sysfd));
	if (!sk || sock_tuple(sk, &ktuple) || go_mem_tuple(cfg, key->netfd, &mem))
		return;
	if (!st)
		st = go_conn_state(key);
	if (st) {
		st->sk = (__u64)sk;
		st->fd = (int)sysfd;
		st->tuple = mem;
	}
	a->fd = (int)sysfd;
	a->tuple = ktuple;
	if (tuple_equal(&mem, &ktuple)) {
		a->attribution = TT_ATTR_GO_MEMORY;
		sock_remember((__u64)sk, key->tgid, TT_LIB_GO, key->conn, key->netfd, &ktuple);
	} else {
		a->attribution = TT_ATTR_AMBIGUOUS;
		a->ev_flags |= TT_EV_TUPLE_MISMATCH;
		count(TT_C_TUPLE_MISMATCH, 1);
	}
}

/* (*Conn).Close: forget the connection's state.  What its socket carried
 * (socks) stays until the socket closes: that close ends the streams. */
static __always_inline void go_close(const struct tt_go_config *cfg, __u64 bias, __u32 tgid,
				     __u64 conn)
{
	struct tt_go_conn_key key = { .tgid = tgid, .conn = conn };
	bool wrapped;

	key.netfd = go_netfd(cfg, bias, conn, &wrapped);
	bpf_map_delete_elem(&go_conns, &key);
}

/*
 * The head of runtime.g, read at once at the entry: g.stack {lo, hi} opens
 * it in every Go version, and goid follows within it (152 or 160 in every
 * layout known); a goid beyond it is read on its own.  Every runtime.g is
 * far bigger than this head, so the read stays inside the object.
 */
#define G_HEAD_LEN 168

struct go_g_head {
	__u64 lo, hi; /* g.stack */
	__u64 goid;   /* 0 when its offset is unknown */
};

/* A subprogram (noinline): the entry's own frame has no room left for the
 * buffer under BPF's 512-byte limit per frame. */
static __noinline int go_read_g(const struct tt_go_config *cfg, __u64 g, struct go_g_head *h)
{
	__u64 head[G_HEAD_LEN / 8];
	__s64 off = cfg->off[TT_F_G_GOID];
	__u32 idx;

	if (bpf_probe_read_user(head, sizeof(head), (const void *)g)) {
		/* The head may span a page that is not present: the stack
		 * bounds alone are what the call needs. */
		if (bpf_probe_read_user(head, 16, (const void *)g))
			return -1;
		h->lo = head[0];
		h->hi = head[1];
		h->goid = off >= 0 ? read_u64(g + off) : 0;
		return 0;
	}
	h->lo = head[0];
	h->hi = head[1];
	h->goid = 0;
	if (off < 0)
		return 0;
	idx = (__u32)off / 8;
	/* The verifier must see the bound on idx itself. */
	asm volatile("" : "+r"(idx));
	if (!(off & 7) && idx >= 2 && idx < G_HEAD_LEN / 8)
		h->goid = head[idx];
	else
		h->goid = read_u64(g + off);
	return 0;
}

/* The frame of a call: g.stack.hi - SP, the same at the entry probe (before
 * the frame is set up) and at every RET; a stack copy keeps it. */
static __always_inline __u64 go_frame(struct pt_regs *ctx, __u64 hi)
{
	return hi - GO_SP(ctx);
}

/* A call on a wrapped connection: the goroutine's socket I/O names it. */
static __always_inline void go_watch_goroutine(const struct tt_go_config *cfg, __u32 tgid,
					       __u64 g)
{
	struct tt_go_gkey gk = { .tgid = tgid, .g = g };
	struct tt_go_gcall *cur = bpf_map_lookup_elem(&go_gcalls, &gk);
	struct tt_go_gcall fresh = { .fd = -1, .depth = 1 };
	__s64 off = cfg->tls_g_offset;

	if (cur) {
		cur->depth++; /* TLS inside TLS on one goroutine: one socket */
		return;
	}
#if defined(__TARGET_ARCH_x86)
	/* The socket hook finds g through the thread pointer. */
	if (!off)
		return;
#endif
	if (update_or_count(&go_tgids, TT_M_GO_TGIDS, &tgid, &off) ||
	    update_or_count(&go_gcalls, TT_M_GO_GCALLS, &gk, &fresh))
		return;
	__sync_fetch_and_add(&sock_watchers, 1);
	__sync_fetch_and_add(&go_sock_watchers, 1);
}

/*
 * Save a call in its goroutine's slot for the function (key->frame 0), or
 * under its frame while an outer call holds the slot (TLS inside TLS);
 * true when a call at the same frame was saved already (a second entry,
 * through morestack; or a stale one, which the first also found).  A slot
 * holding a call as deep or deeper than this one is stale (its RET was
 * missed) or this call's first entry, and is overwritten.
 */
static __always_inline bool go_call_save(struct tt_go_call_key *key, struct tt_go_call *call)
{
	struct tt_go_call *cur;
	bool again;

	if (!bpf_map_update_elem(&go_calls, key, call, BPF_NOEXIST))
		return false;
	cur = bpf_map_lookup_elem(&go_calls, key);
	if (cur && cur->frame < call->frame) {
		cur->flags |= TT_GO_NESTED;
		key->frame = call->frame;
		again = bpf_map_lookup_elem(&go_calls, key) != NULL;
	} else {
		again = cur && cur->frame == call->frame;
	}
	update_or_count(&go_calls, TT_M_GO_CALLS, key, call);
	return again;
}

SEC("uprobe")
int go_tls_entry(struct pt_regs *ctx)
{
	__u64 cookie = bpf_get_attach_cookie(ctx), bias;
	__u32 obj = TT_GO_COOKIE_OBJ(cookie), func = TT_GO_COOKIE_FUNC(cookie);
	struct tt_go_conn_key ckey = {};
	struct tt_go_call_key key = {};
	const struct tt_go_config *cfg;
	struct tt_go_call call = {};
	struct go_g_head gh;
	__u32 tgid;
	bool wrapped;

	if (settings.probe_only || func >= TT_GO_FUNC_MAX)
		return 0;
	cfg = bpf_map_lookup_elem(&go_objects, &obj);
	if (!cfg)
		return 0;
	tgid = bpf_get_current_pid_tgid() >> 32;
	bias = GO_IP(ctx) - cfg->entry_vaddr[func];
	if (func == TT_GO_CLOSE) {
		go_close(cfg, bias, tgid, GO_R0(ctx));
		return 0;
	}
	if (!process_allowed(tgid))
		return 0;
	key.tgid = tgid;
	key.func = func;
	key.g = GO_G(ctx);
	/* goid is read here, where the binary's layout is at hand: the RET
	 * reads g.stack.hi at most. */
	if (go_read_g(cfg, key.g, &gh)) {
		count(TT_C_READ_FAULTS, 1);
		return 0;
	}
	call.frame = go_frame(ctx, gh.hi);
	call.sp = GO_SP(ctx);
	call.conn = GO_R0(ctx);
	call.buf = GO_R1(ctx);
	call.len = GO_R2(ctx);
	call.obj = obj;
	call.start_ns = bpf_ktime_get_boot_ns();
	call.goid = gh.goid;
	call.attr.fd = -1;
	/* A buffer on the goroutine stack moves if the stack grows during the
	 * call (the handshake runs deep): keep its offset from the top, which
	 * the stack copy preserves. */
	if (call.buf >= gh.lo && call.buf < gh.hi) {
		call.buf = gh.hi - call.buf;
		call.flags |= TT_GO_BUF_ON_STACK;
	}
	ckey.tgid = tgid;
	ckey.conn = call.conn;
	ckey.netfd = go_netfd(cfg, bias, call.conn, &wrapped);
	call.netfd = ckey.netfd;
	if (ckey.netfd) {
		go_attribute(cfg, &ckey, &call.attr);
	} else if (wrapped) {
		call.flags |= TT_GO_WRAPPED;
	}
	/* A second entry for the same call (morestack) must not count the
	 * goroutine twice. */
	if (!go_call_save(&key, &call) && wrapped)
		go_watch_goroutine(cfg, tgid, key.g);
	return 0;
}

/* The end of a wrapped call: attribute it from its goroutine's socket I/O,
 * else from what an earlier call learned (checked still open). */
static __always_inline void go_wrapped_attribute(__u32 tgid, __u64 g, struct tt_go_conn *st,
						 struct tt_go_call *call)
{
	struct tt_go_gkey gk = { .tgid = tgid, .g = g };
	struct tt_go_gcall *gc = bpf_map_lookup_elem(&go_gcalls, &gk);
	struct tt_go_attr *a = &call->attr;
	__u64 sk = 0;
	__s32 fd = -1;

	if (gc) {
		sk = gc->sk;
		fd = gc->fd;
		if (gc->multi) {
			a->attribution = TT_ATTR_AMBIGUOUS;
			a->ev_flags |= TT_EV_MULTI_FD;
			sk = 0;
		}
		if (gc->depth > 1) {
			gc->depth--;
		} else if (bpf_map_delete_elem(&go_gcalls, &gk) == 0) {
			__sync_fetch_and_sub(&sock_watchers, 1);
			__sync_fetch_and_sub(&go_sock_watchers, 1);
		}
		if (a->attribution == TT_ATTR_AMBIGUOUS)
			return;
	}
	if (sk) {
		if (sock_tuple((struct sock *)sk, &a->tuple))
			return;
		a->fd = fd;
		a->attribution = TT_ATTR_SYSCALL_FD;
		if (st) {
			st->sk = sk;
			st->fd = fd;
		}
		sock_remember(sk, tgid, TT_LIB_GO, call->conn, 0, &a->tuple);
		return;
	}
	if (!st || !st->sk || st->fd < 0 || (__u64)fd_to_sock(st->fd) != st->sk)
		return;
	if (sock_tuple((struct sock *)st->sk, &a->tuple))
		return;
	a->fd = st->fd;
	a->attribution = TT_ATTR_CACHE;
}

/*
 * The call a RET ends (key: its goroutine's slot, set to the key it was
 * found under) and *hi, g.stack.hi now.  The slot's call, when none was
 * nested in it and the SP is its entry's: the stack has not moved, and
 * g.stack.hi need not be read.  Otherwise the frame tells: the slot's call
 * on a moved stack, or a nested call under its frame.
 */
static __always_inline struct tt_go_call *go_call_find(struct pt_regs *ctx,
						       struct tt_go_call_key *key, __u64 *hi)
{
	struct tt_go_call *slot = bpf_map_lookup_elem(&go_calls, key);
	__u64 frame;

	if (slot && !(slot->flags & TT_GO_NESTED) && slot->sp == GO_SP(ctx)) {
		*hi = GO_SP(ctx) + slot->frame;
		return slot;
	}
	/* g.stack.hi: the second word of runtime.g. */
	if (bpf_probe_read_user(hi, sizeof(*hi), (const void *)(key->g + 8))) {
		count(TT_C_READ_FAULTS, 1);
		return NULL;
	}
	frame = go_frame(ctx, *hi);
	if (slot && slot->frame == frame)
		return slot;
	key->frame = frame;
	return bpf_map_lookup_elem(&go_calls, key);
}

SEC("uprobe")
int go_tls_return(struct pt_regs *ctx)
{
	__u64 id = bpf_get_current_pid_tgid(), cookie = bpf_get_attach_cookie(ctx), hi;
	__u32 func = TT_GO_COOKIE_FUNC(cookie);
	struct tt_go_conn_key ckey = {};
	struct tt_go_call_key key = {};
	struct tt_go_call *saved, call;
	struct tt_go_conn *st;
	struct tt_scratch *s;
	__u64 *off = NULL;
	__s64 n;

	if (settings.probe_only)
		return 0;
	key.tgid = id >> 32;
	key.func = func;
	key.g = GO_G(ctx);
	saved = go_call_find(ctx, &key, &hi);
	if (!saved) {
		no_call_state(id >> 32);
		return 0;
	}
	call = *saved;
	bpf_map_delete_elem(&go_calls, &key);
	if (call.flags & TT_GO_BUF_ON_STACK)
		call.buf = hi - call.buf;
	ckey.tgid = key.tgid;
	ckey.conn = call.conn;
	ckey.netfd = call.netfd;
	st = bpf_map_lookup_elem(&go_conns, &ckey);
	if (!st && (call.flags & TT_GO_WRAPPED))
		st = go_conn_state(&ckey);
	if (call.flags & TT_GO_WRAPPED)
		go_wrapped_attribute(key.tgid, key.g, st, &call);

	/* Results: n in the first register; for Write, err's itab in the second. */
	n = (__s64)GO_R0(ctx);
	if (func == TT_GO_WRITE && GO_R1(ctx) != 0)
		return 0;
	if (n <= 0)
		return 0;
	if ((__u64)n > call.len)
		n = call.len;
	if (st)
		off = &st->stream_off[func == TT_GO_READ ? 0 : 1];
	if (!port_allowed(&call.attr.tuple)) {
		count(TT_C_FILTERED_PORT, 1);
		goto lost;
	}
	s = scratch_get();
	if (!s)
		goto lost;
	data_rec_init(&s->ev, id);
	s->ev.lib = TT_LIB_GO;
	s->ev.dir = func == TT_GO_READ ? TT_DIR_READ : TT_DIR_WRITE;
	s->ev.conn_ptr = call.conn;
	s->ev.goid = call.goid;
	s->ev.tuple = call.attr.tuple;
	s->ev.fd = call.attr.fd;
	s->ev.attribution = call.attr.attribution;
	s->ev.flags |= call.attr.ev_flags;
	emit_data(s, call.buf, (__u32)n, off);
	scratch_put(s);
	return 0;
lost:
	if (off)
		__sync_fetch_and_add(off, (__u64)n);
	return 0;
}
