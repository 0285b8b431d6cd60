// SPDX-License-Identifier: MIT
/* Judging state-map entries against the system (see judge.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "doctor/judge.h"
#include "tlstap/compiler.h"
#include "tlstap/state.h"

/* A thread blocked less than this above a native call's entry stack
 * pointer is on the same stack, past the call; less than this below, inside
 * it.  Further away it may run on another stack (coroutines, signal stacks):
 * nothing is concluded. */
#define SAME_STACK_SPAN (1u << 20)

#define TT_DOC_REASON_NAME(e, n, d) [TT_DOC_##e] = n,
static const char *const reason_names[] = {TT_DOC_REASONS(TT_DOC_REASON_NAME)};
#undef TT_DOC_REASON_NAME
#define TT_DOC_REASON_TEXT(e, n, d) [TT_DOC_##e] = d,
static const char *const reason_texts[] = {TT_DOC_REASONS(TT_DOC_REASON_TEXT)};
#undef TT_DOC_REASON_TEXT

const char *tt_doc_reason_name(enum tt_doc_reason r)
{
	return (unsigned)r < TT_DOC_REASON_COUNT ? reason_names[r] : "?";
}

const char *tt_doc_reason_text(enum tt_doc_reason r)
{
	return (unsigned)r < TT_DOC_REASON_COUNT ? reason_texts[r] : "?";
}

/* Fill in the verdict; its outcome, which the judges return. */
static enum tt_doc_outcome say(struct tt_doc_verdict *v, enum tt_doc_outcome o,
			       enum tt_doc_reason r, const char *fmt, ...) TT_PRINTF(4, 5);
static enum tt_doc_outcome say(struct tt_doc_verdict *v, enum tt_doc_outcome o,
			       enum tt_doc_reason r, const char *fmt, ...)
{
	va_list ap;

	v->outcome = o;
	v->reason = r;
	va_start(ap, fmt);
	vsnprintf(v->detail, sizeof(v->detail), fmt, ap);
	va_end(ap);
	return o;
}

#define LIVE(v, ...) say(v, TT_DOC_LIVE, 0, __VA_ARGS__)
#define UNJUDGED(v, ...) say(v, TT_DOC_UNJUDGED, 0, __VA_ARGS__)
#define LEAK(r, v, ...) say(v, TT_DOC_LEAK, TT_DOC_##r, __VA_ARGS__)

static uint64_t goroutine_key(uint32_t tgid, uint64_t g)
{
	struct tt_go_gkey k = {.tgid = tgid, .g = g};

	return tt_index_hash(&k, sizeof(k));
}

int tt_doc_ctx_init(struct tt_doc_ctx *c, struct tt_sysview *sys,
		    const struct tt_doc_snapshot *snap, uint64_t now_ns, uint64_t call_age_ns)
{
	const struct tt_doc_entry *calls = snap->ents[TT_M_GO_CALLS];
	const struct tt_doc_entry *gcalls = snap->ents[TT_M_GO_GCALLS];

	memset(c, 0, sizeof(*c));
	c->sys = sys;
	c->snap = snap;
	c->now_ns = now_ns;
	c->call_age_ns = call_age_ns;
	if (tt_index_init(&c->watched, snap->n[TT_M_WATCH]) ||
	    tt_index_init(&c->socks, snap->n[TT_M_SOCKS]) ||
	    tt_index_init(&c->wrapped, snap->n[TT_M_GO_CALLS]) ||
	    tt_index_init(&c->goroutines, snap->n[TT_M_GO_GCALLS])) {
		tt_doc_ctx_free(c);
		return -ENOMEM;
	}
	for (size_t i = 0; i < snap->n[TT_M_WATCH]; i++)
		tt_index_add(&c->watched, snap->ents[TT_M_WATCH][i].tgid, (uint32_t)i);
	for (size_t i = 0; i < snap->n[TT_M_SOCKS]; i++)
		tt_index_add(&c->socks, snap->ents[TT_M_SOCKS][i].sk, (uint32_t)i);
	for (size_t i = 0; i < snap->n[TT_M_GO_CALLS]; i++)
		if (calls[i].flags & TT_GO_WRAPPED)
			tt_index_add(&c->wrapped, goroutine_key(calls[i].tgid, calls[i].g),
				     (uint32_t)i);
	for (size_t i = 0; i < snap->n[TT_M_GO_GCALLS]; i++)
		tt_index_add(&c->goroutines, goroutine_key(gcalls[i].tgid, gcalls[i].g),
			     (uint32_t)i);
	return 0;
}

void tt_doc_ctx_free(struct tt_doc_ctx *c)
{
	tt_index_free(&c->watched);
	tt_index_free(&c->socks);
	tt_index_free(&c->wrapped);
	tt_index_free(&c->goroutines);
}

static bool watched(const struct tt_doc_ctx *c, uint32_t tgid)
{
	size_t cur = 0;
	long pos;

	while ((pos = tt_index_next(&c->watched, tgid, &cur)) >= 0)
		if (c->snap->ents[TT_M_WATCH][pos].tgid == tgid)
			return true;
	return false;
}

/* The socks entry of sk if it names this connection (tgid, TLS object). */
static const struct tt_doc_entry *sock_of(const struct tt_doc_ctx *c, const struct tt_doc_entry *e)
{
	size_t cur = 0;
	long pos;

	while ((pos = tt_index_next(&c->socks, e->sk, &cur)) >= 0) {
		const struct tt_doc_entry *s = &c->snap->ents[TT_M_SOCKS][pos];

		if (s->sk == e->sk && s->tgid == e->tgid && s->conn == e->conn &&
		    s->netfd == e->netfd)
			return s;
	}
	return NULL;
}

static bool wrapped_call_of(const struct tt_doc_ctx *c, uint32_t tgid, uint64_t g)
{
	size_t cur = 0;
	long pos;

	while ((pos = tt_index_next(&c->wrapped, goroutine_key(tgid, g), &cur)) >= 0) {
		const struct tt_doc_entry *call = &c->snap->ents[TT_M_GO_CALLS][pos];

		if (call->tgid == tgid && call->g == g)
			return true;
	}
	return false;
}

static const struct tt_doc_entry *goroutine_of(const struct tt_doc_ctx *c, uint32_t tgid,
					       uint64_t g)
{
	size_t cur = 0;
	long pos;

	while ((pos = tt_index_next(&c->goroutines, goroutine_key(tgid, g), &cur)) >= 0) {
		const struct tt_doc_entry *x = &c->snap->ents[TT_M_GO_GCALLS][pos];

		if (x->tgid == tgid && x->g == g)
			return x;
	}
	return NULL;
}

static double age_s(const struct tt_doc_ctx *c, const struct tt_doc_entry *e)
{
	return e->start_ns && c->now_ns > e->start_ns ? (c->now_ns - e->start_ns) / 1e9 : 0;
}

/*
 * The connection by its tuple: still open (not yet TCP_CLOSE) in the
 * process's own namespace, and (held) its socket still the process's: held
 * by one of its fds (the entry's, or another it was moved to).  A socket
 * orphaned while it closes has no file any more and is the tracer's to
 * hold until it is closed.
 */
static enum tt_doc_outcome judge_tuple(struct tt_doc_ctx *c, const struct tt_sys_proc *p,
				       const struct tt_tuple *t, int fd, bool held_by_it,
				       struct tt_doc_verdict *v)
{
	const struct tt_tcp_table *tcp;
	const struct tt_tcp_sock *s;
	unsigned long long ino;
	const char *why;
	char tuple[128];
	int r, held;

	tcp = tt_sysview_tcp(c->sys, p, &why);
	if (!tcp)
		return UNJUDGED(v, "cannot read the TCP sockets of pid %d: %s", p->pid, why);
	tt_doc_tuple_text(t, tuple, sizeof(tuple));
	s = tt_tcp_find_tuple(tcp, t);
	if (!s)
		return LEAK(CONN_GONE, v, "%s is no TCP connection of pid %d's network namespace",
			    tuple, p->pid);
	if (!tt_tcp_open(s))
		return LEAK(CONN_GONE, v, "%s is in %s in pid %d's network namespace", tuple,
			    tt_tcp_state_name(s->state), p->pid);
	ino = s->inode;
	if (!ino)
		return LIVE(v, "%s %s, closing", tuple, tt_tcp_state_name(s->state));
	if (!held_by_it)
		return LIVE(v, "%s %s, socket:[%llu]", tuple, tt_tcp_state_name(s->state), ino);
	r = tt_sysview_socket_fd(c->sys, p, ino, &held);
	if (r < 0)
		return UNJUDGED(v, "fds of pid %d: %s", p->pid, strerror(-r));
	if (r)
		return LIVE(v, "%s %s, socket:[%llu] in fd %d%s", tuple,
			    tt_tcp_state_name(s->state), ino, held,
			    fd >= 0 && held != fd ? " (moved)" : "");
	return LEAK(FD_CLOSED, v, "%s is open as socket:[%llu], which no fd of pid %d holds", tuple,
		    ino, p->pid);
}

/* The connection by its fd alone: a socket that is an open TCP connection. */
static enum tt_doc_outcome judge_fd(struct tt_doc_ctx *c, const struct tt_sys_proc *p, int fd,
				    struct tt_doc_verdict *v)
{
	const struct tt_tcp_table *tcp;
	const struct tt_tcp_sock *s;
	char target[256];
	uint64_t ino = 0;
	const char *why;
	int r;

	r = tt_sysview_fd(c->sys, p->pid, fd, &ino, target, sizeof(target));
	if (r == -ENOENT)
		return LEAK(FD_CLOSED, v, "fd %d of pid %d is closed", fd, p->pid);
	if (r < 0)
		return UNJUDGED(v, "fd %d of pid %d: %s", fd, p->pid, strerror(-r));
	if (r == 0)
		return LEAK(FD_CLOSED, v, "fd %d of pid %d is %s, not a socket", fd, p->pid,
			    target);
	tcp = tt_sysview_tcp(c->sys, p, &why);
	if (!tcp)
		return UNJUDGED(v, "cannot read the TCP sockets of pid %d: %s", p->pid, why);
	s = tt_tcp_find_inode(tcp, ino);
	if (s && tt_tcp_open(s))
		return LIVE(v, "fd %d is socket:[%llu] %s", fd, (unsigned long long)ino,
			    tt_tcp_state_name(s->state));
	return LEAK(CONN_GONE, v, "fd %d of pid %d is socket:[%llu], no open TCP connection", fd,
		    p->pid, (unsigned long long)ino);
}

/*
 * A connection: by the tuple the kernel socket had (the socks entry that
 * names it), else the one the entry recorded, and the entry's fd; else by
 * its fd alone.
 */
static enum tt_doc_outcome judge_conn(struct tt_doc_ctx *c, const struct tt_sys_proc *p,
				      const struct tt_doc_entry *e, const struct tt_tuple *own,
				      struct tt_doc_verdict *v)
{
	const struct tt_doc_entry *so = e->sk ? sock_of(c, e) : NULL;

	if (so)
		return judge_tuple(c, p, &so->tuple, e->fd, true, v);
	if (own && own->family)
		return judge_tuple(c, p, own, e->fd, true, v);
	if (e->fd >= 0)
		return judge_fd(c, p, e->fd, v);
	return UNJUDGED(v, "no socket learned yet");
}

static enum tt_doc_outcome judge_native_call(struct tt_doc_ctx *c, const struct tt_sys_proc *p,
					     const struct tt_doc_entry *e, struct tt_doc_verdict *v)
{
	uint64_t tstart = 0, sp = 0;
	int r;

	if (!tt_sysview_thread(c->sys, (int)e->tgid, (int)e->tid, &tstart))
		return LEAK(THREAD_GONE, v, "thread %u of pid %u is gone", e->tid, e->tgid);
	if (tstart && e->start_ns && e->start_ns < tstart)
		return LEAK(THREAD_GONE, v, "thread %u of pid %u started after the call", e->tid,
			    e->tgid);
	if (e->fd >= 0 && judge_fd(c, p, e->fd, v) == TT_DOC_LEAK)
		return TT_DOC_LEAK;
	if (c->now_ns < e->start_ns + c->call_age_ns)
		return LIVE(v, "in flight %.1f s", age_s(c, e));
	r = tt_sysview_thread_sp(c->sys, (int)e->tgid, (int)e->tid, &sp);
	if (r < 0)
		return UNJUDGED(v, "thread %u: %s", e->tid, strerror(-r));
	if (r == 0)
		return UNJUDGED(v, "in flight %.0f s, thread %u is running", age_s(c, e), e->tid);
	if (sp > e->sp && sp - e->sp < SAME_STACK_SPAN)
		return LEAK(CALL_RETURNED, v,
			    "in flight %.0f s; thread %u is blocked at sp 0x%llx, above the "
			    "call's entry sp 0x%llx",
			    age_s(c, e), e->tid, (unsigned long long)sp, (unsigned long long)e->sp);
	if (sp <= e->sp && e->sp - sp < SAME_STACK_SPAN)
		return LIVE(v, "in flight %.0f s, thread %u blocked inside it", age_s(c, e),
			    e->tid);
	return UNJUDGED(v, "in flight %.0f s, thread %u blocked on another stack", age_s(c, e),
			e->tid);
}

static enum tt_doc_outcome judge_go_call(struct tt_doc_ctx *c, const struct tt_sys_proc *p,
					 const struct tt_doc_entry *e, struct tt_doc_verdict *v)
{
	const struct tt_doc_entry *gc;

	if (e->tuple.family)
		return judge_conn(c, p, e, &e->tuple, v);
	/* A wrapped connection: the socket its goroutine did I/O on. */
	gc = e->flags & TT_GO_WRAPPED ? goroutine_of(c, e->tgid, e->g) : NULL;
	if (gc && gc->sk)
		return judge_conn(c, p, gc, NULL, v);
	if (c->now_ns >= e->start_ns + c->call_age_ns)
		return LEAK(CALL_TOO_OLD, v, "in flight %.0f s with no socket", age_s(c, e));
	return LIVE(v, "in flight %.1f s, no socket yet", age_s(c, e));
}

static enum tt_doc_outcome judge_goroutine(struct tt_doc_ctx *c, const struct tt_sys_proc *p,
					   const struct tt_doc_entry *e, struct tt_doc_verdict *v)
{
	if (!wrapped_call_of(c, e->tgid, e->g))
		return LEAK(NO_CALL, v, "goroutine 0x%llx of pid %u (depth %u)",
			    (unsigned long long)e->g, e->tgid, e->depth);
	if (e->sk)
		return judge_conn(c, p, e, NULL, v);
	return LIVE(v, "wrapped call in flight, no socket yet");
}

enum tt_doc_outcome tt_doc_judge(struct tt_doc_ctx *c, enum tt_state_map m,
				 const struct tt_doc_entry *e, struct tt_doc_verdict *v)
{
	const struct tt_sys_proc *p = tt_sysview_proc(c->sys, (int)e->tgid);

	memset(v, 0, sizeof(*v));
	/* Files, not processes: kept while the tracer runs, bounded by the map. */
	if (e->kind == TT_KEY_FILE)
		return LIVE(v, "an executable seen (--all)");
	if (!p || !p->alive)
		return LEAK(PROCESS_GONE, v, "pid %u", e->tgid);
	if (m != TT_M_WATCH && !watched(c, e->tgid))
		return LEAK(NOT_TRACED, v, "pid %u is not in the watch map", e->tgid);
	if (e->start_ns && p->start_ns && e->start_ns < p->start_ns)
		return LEAK(PID_REUSED, v, "the call began %.1f s before pid %u started",
			    (p->start_ns - e->start_ns) / 1e9, e->tgid);
	switch (e->kind) {
	case TT_KEY_PID_TGID:
		return judge_native_call(c, p, e, v);
	case TT_KEY_GO_CALL:
		return judge_go_call(c, p, e, v);
	case TT_KEY_GO_GOROUTINE:
		return judge_goroutine(c, p, e, v);
	case TT_KEY_GO_CONN:
		return judge_conn(c, p, e, &e->tuple, v);
	case TT_KEY_NATIVE_CONN:
		return judge_conn(c, p, e, NULL, v);
	case TT_KEY_SOCK:
		/* What a socket carried stays until it closes (BPF deletes it at
		 * TCP_CLOSE), whoever holds it by then: the process may have
		 * freed its TLS object and closed its fd while a child it forked
		 * still holds the socket. */
		return judge_tuple(c, p, &e->tuple, -1, false, v);
	case TT_KEY_CIPHER:
		/* Kept after a match, so that a later twin is recognised; the
		 * LRU and the process's exit bound them. */
		return LIVE(v, "a record prefix of pid %u", e->tgid);
	case TT_KEY_FRAME:
		/* Deleted when the socket closes; known by its address only. */
		return UNJUDGED(v, "framing of socket 0x%llx of pid %u", (unsigned long long)e->sk,
				e->tgid);
	default:
		return LIVE(v, "pid %u", e->tgid);
	}
}
