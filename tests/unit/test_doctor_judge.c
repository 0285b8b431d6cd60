// SPDX-License-Identifier: MIT
/*
 * The doctor's judgement of state-map entries, against a proc tree written
 * here: processes alive, gone, zombie or younger than the entry; threads;
 * fds; two network namespaces with their own TCP tables.  Entries are built
 * from the structures of tlstap/state.h and decoded as doctor decodes them.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <limits.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "doctor/judge.h"
#include "tlstap/hooks.h"
#include "trace/tracer.h"

#define NS_A 4026531001ULL
#define NS_B 4026531002ULL
/* Processes: traced and alive (namespace A, B), a zombie, one not watched,
 * and one that is gone (no directory). */
#define P_A 100
#define P_B 200
#define P_ZOMBIE 300
#define P_UNWATCHED 400
#define P_GONE 500
#define SEC 1000000000ULL
/* Every process started 10 s after boot; the snapshot is at 1000 s. */
#define START_TICKS 1000
#define NOW (1000 * SEC)
#define CALL_AGE (60 * SEC)

static char root[] = "/tmp/tlstap-judge-XXXXXX";
static long hz;

static void put(const char *rel, const char *text)
{
	char path[PATH_MAX], *slash;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (slash = strchr(path + strlen(root) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = 0;
		mkdir(path, 0700);
		*slash = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void link_to(const char *rel, const char *target)
{
	char path[PATH_MAX];

	put(rel, ""); /* the directories */
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	assert_int_equal(symlink(target, path), 0);
}

/* "pid (comm) S" then fields 4..22, 22 the start time in ticks. */
static void stat_file(const char *rel, int pid, char st, unsigned long long ticks)
{
	char buf[512];
	size_t n = snprintf(buf, sizeof(buf), "%d (a) b) %c", pid, st);

	for (int field = 4; field <= 24; field++)
		n += snprintf(buf + n, sizeof(buf) - n, " %llu", field == 22 ? ticks : 0ULL);
	put(rel, buf);
}

static void process(int pid, char st, uint64_t netns)
{
	char rel[64], ns[64];

	snprintf(rel, sizeof(rel), "%d/stat", pid);
	stat_file(rel, pid, st, START_TICKS);
	snprintf(rel, sizeof(rel), "%d/ns/net", pid);
	snprintf(ns, sizeof(ns), "net:[%llu]", (unsigned long long)netns);
	link_to(rel, ns);
}

static void thread(int pid, int tid, unsigned long long ticks, const char *syscall)
{
	char rel[64];

	snprintf(rel, sizeof(rel), "%d/task/%d/stat", pid, tid);
	stat_file(rel, tid, 'S', ticks);
	snprintf(rel, sizeof(rel), "%d/task/%d/syscall", pid, tid);
	put(rel, syscall);
}

static const char tcp_a[] = "  sl  local_address rem_address   st\n"
			    /* 127.0.0.1:8443 <-> 127.0.0.1:50000 both ends, 11/12 */
			    "   0: 0100007F:20FB 0100007F:C350 01 0:0 0:0 0 0 0 11 1 0\n"
			    "   1: 0100007F:C350 0100007F:20FB 01 0:0 0:0 0 0 0 12 1 0\n"
			    /* :50001, time-wait: closed */
			    "   2: 0100007F:C351 0100007F:20FB 06 0:0 0:0 0 0 0 0 3 0\n"
			    /* :50002, FIN_WAIT2 orphan: closing, not closed */
			    "   3: 0100007F:C352 0100007F:20FB 05 0:0 0:0 0 0 0 0 1 0\n"
			    /* 8443 <- :50004, open, but in no fd of pid 100 */
			    "   4: 0100007F:20FB 0100007F:C354 01 0:0 0:0 0 0 0 13 1 0\n";
/* Namespace B has a connection of the same tuple as A's first. */
static const char tcp_b[] = "   0: 0100007F:20FB 0100007F:C350 01 0:0 0:0 0 0 0 21 1 0\n";

static int setup(void **state)
{
	(void)state;
	hz = sysconf(_SC_CLK_TCK);
	if (!mkdtemp(root))
		return -1;
	process(P_A, 'S', NS_A);
	process(P_B, 'S', NS_B);
	process(P_ZOMBIE, 'Z', NS_A);
	process(P_UNWATCHED, 'S', NS_A);
	put("100/net/tcp", tcp_a);
	put("200/net/tcp", tcp_b);
	put("400/net/tcp", tcp_a);
	link_to("100/fd/5", "socket:[11]");
	link_to("100/fd/6", "/dev/null");
	link_to("100/fd/7", "socket:[999]");
	link_to("100/fd/9", "socket:[12]");
	link_to("200/fd/5", "socket:[21]");
	/* 101: blocked in read(2) deep in its stack; 102: returned to a
	 * frame above the call; 103: running; 104: started after the call;
	 * 105, 106: blocked on other stacks, below and above. */
	thread(P_A, 101, START_TICKS, "0 0x5 0x7f00 0x4000 0x0 0x0 0x0 0x7ffd00000f00 0x7f0001\n");
	thread(P_A, 102, START_TICKS, "232 0x5 0x7f00 0x40 0x0 0x0 0x0 0x7ffd00001200 0x7f0001\n");
	thread(P_A, 103, START_TICKS, "running\n");
	thread(P_A, 104, 99000, "running\n");
	thread(P_A, 105, START_TICKS, "-1 0x7f0000100000 0x7f0001\n");
	thread(P_A, 106, START_TICKS, "-1 0x7ffd10000000 0x7f0001\n");
	return 0;
}

static int cleanup(void **state)
{
	(void)state;
	return tt_test_remove_tree(root);
}

/* The entries of one snapshot, built from state.h structures. */
static struct tt_doc_entry ents[TT_M_COUNT][16];
static struct tt_doc_snapshot snap;

static void add(enum tt_state_map m, const void *key, size_t ks, const void *val, size_t vs)
{
	struct tt_doc_entry *e = &ents[m][snap.n[m]];

	assert_int_equal(tt_doc_decode(tt_state_map_kind(m), key, ks, val, vs, e), 0);
	snap.ents[m] = ents[m];
	snap.n[m]++;
}

static void watch(uint32_t tgid)
{
	uint8_t v = TT_WATCH_NOTIFY;

	add(TT_M_WATCH, &tgid, 4, &v, 1);
}

static struct tt_tuple lo_tuple(int lport, int rport)
{
	struct tt_tuple t = {.family = AF_INET, .lport = lport, .rport = rport};

	inet_pton(AF_INET, "127.0.0.1", t.laddr);
	inet_pton(AF_INET, "127.0.0.1", t.raddr);
	return t;
}

/* Judge every entry of the snapshot; the verdicts, in map then entry order. */
static struct tt_doc_verdict verdicts[TT_M_COUNT][16];

static void judge_all(void)
{
	uint32_t pids[TT_M_COUNT * 16];
	struct tt_sysview view;
	struct tt_doc_ctx ctx;
	size_t n = 0;

	for (int m = 0; m < TT_M_COUNT; m++)
		for (size_t i = 0; i < snap.n[m]; i++)
			pids[n++] = ents[m][i].tgid;
	assert_int_equal(tt_sysview_init(&view, root, pids, n), 0);
	assert_int_equal(tt_doc_ctx_init(&ctx, &view, &snap, NOW, CALL_AGE), 0);
	for (int m = 0; m < TT_M_COUNT; m++)
		for (size_t i = 0; i < snap.n[m]; i++)
			tt_doc_judge(&ctx, m, &ents[m][i], &verdicts[m][i]);
	tt_doc_ctx_free(&ctx);
	tt_sysview_free(&view);
}

static void expect(enum tt_state_map m, size_t i, enum tt_doc_outcome o, int reason)
{
	const struct tt_doc_verdict *v = &verdicts[m][i];

	if (v->outcome != o || (o == TT_DOC_LEAK && (int)v->reason != reason))
		fail_msg("map %d entry %zu: outcome %d reason %s (%s), expected %d %s", m, i,
			 v->outcome, tt_doc_reason_name(v->reason), v->detail, o,
			 o == TT_DOC_LEAK ? tt_doc_reason_name(reason) : "");
}

static int reset(void **state)
{
	(void)state;
	memset(&snap, 0, sizeof(snap));
	memset(ents, 0, sizeof(ents));
	memset(verdicts, 0xff, sizeof(verdicts));
	return 0;
}

static void test_processes(void **state)
{
	uint32_t tgids[] = {P_A, P_ZOMBIE, P_GONE, P_UNWATCHED};
	int64_t off = -8;

	(void)state;
	watch(P_A);
	watch(P_ZOMBIE);
	watch(P_GONE);
	for (size_t i = 0; i < ARRAY_SIZE(tgids); i++)
		add(TT_M_GO_TGIDS, &tgids[i], 4, &off, 8);
	judge_all();
	expect(TT_M_WATCH, 0, TT_DOC_LIVE, 0);
	expect(TT_M_WATCH, 1, TT_DOC_LEAK, TT_DOC_PROCESS_GONE);
	expect(TT_M_WATCH, 2, TT_DOC_LEAK, TT_DOC_PROCESS_GONE);
	expect(TT_M_GO_TGIDS, 0, TT_DOC_LIVE, 0);
	expect(TT_M_GO_TGIDS, 1, TT_DOC_LEAK, TT_DOC_PROCESS_GONE);
	expect(TT_M_GO_TGIDS, 2, TT_DOC_LEAK, TT_DOC_PROCESS_GONE);
	/* Alive, but the tracer no longer watches it. */
	expect(TT_M_GO_TGIDS, 3, TT_DOC_LEAK, TT_DOC_NOT_TRACED);
}

static void test_connections(void **state)
{
	struct tt_go_conn_key gk = {.tgid = P_A, .conn = 0xc01, .netfd = 0xc02};
	struct tt_go_conn gv = {.sk = 0xff01, .fd = 5, .tuple = lo_tuple(8443, 50000)};
	struct tt_native_conn_key nk = {.tgid = P_A, .conn = 0x5501};
	struct tt_native_conn nv = {.sk = 0xff10, .fd = 5};
	struct tt_sock so = {.tgid = P_A, .lib = TT_LIB_OPENSSL, .conn = 0x5501};
	uint64_t sk = 0xff10;

	(void)state;
	watch(P_A);
	watch(P_B);
	add(TT_M_GO_CONNS, &gk, sizeof(gk), &gv, sizeof(gv)); /* 0 open */
	gv.tuple = lo_tuple(50001, 8443);
	add(TT_M_GO_CONNS, &gk, sizeof(gk), &gv, sizeof(gv)); /* 1 time-wait */
	gv.tuple = lo_tuple(50002, 8443);
	add(TT_M_GO_CONNS, &gk, sizeof(gk), &gv, sizeof(gv)); /* 2 closing */
	gv.tuple = lo_tuple(50003, 8443);
	add(TT_M_GO_CONNS, &gk, sizeof(gk), &gv, sizeof(gv)); /* 3 absent */
	gv.sk = 0;
	add(TT_M_GO_CONNS, &gk, sizeof(gk), &gv, sizeof(gv)); /* 4 never verified */
	/* The same tuple is open in B's namespace, not in A's. */
	gk.tgid = P_B;
	gv = (struct tt_go_conn){.sk = 0xff02, .fd = 5, .tuple = lo_tuple(8443, 50000)};
	add(TT_M_GO_CONNS, &gk, sizeof(gk), &gv, sizeof(gv)); /* 5 open in B */
	gk.tgid = P_A;
	gv.tuple = lo_tuple(50000, 8443); /* 6 open in A only, in fd 9, not 5... */
	add(TT_M_GO_CONNS, &gk, sizeof(gk), &gv, sizeof(gv));
	gk.tgid = P_B;
	add(TT_M_GO_CONNS, &gk, sizeof(gk), &gv, sizeof(gv)); /* 7 ...not in B */
	gk.tgid = P_A;
	gv.tuple = lo_tuple(8443, 50004); /* 8 open, but no fd of A holds it */
	add(TT_M_GO_CONNS, &gk, sizeof(gk), &gv, sizeof(gv));

	/* native_conns: the tuple of the socks entry that names it, else the fd. */
	so.tuple = lo_tuple(50001, 8443);
	add(TT_M_SOCKS, &sk, 8, &so, sizeof(so));
	so.tuple = lo_tuple(8443, 50000); /* socks 1: held by fd 5 */
	sk = 0xff11;
	add(TT_M_SOCKS, &sk, 8, &so, sizeof(so));
	so.tuple = lo_tuple(8443, 50004); /* socks 2: open, held by no fd of A */
	sk = 0xff12;
	add(TT_M_SOCKS, &sk, 8, &so, sizeof(so));
	sk = 0xff10;
	add(TT_M_NATIVE_CONNS, &nk, sizeof(nk), &nv, sizeof(nv)); /* 0 by tuple: closed */
	nk.conn = 0x5502;					  /* not named by socks */
	add(TT_M_NATIVE_CONNS, &nk, sizeof(nk), &nv, sizeof(nv)); /* 1 fd 5: socket:[11] */
	nv.fd = 6;
	add(TT_M_NATIVE_CONNS, &nk, sizeof(nk), &nv, sizeof(nv)); /* 2 fd 6: /dev/null */
	nv.fd = 8;
	add(TT_M_NATIVE_CONNS, &nk, sizeof(nk), &nv, sizeof(nv)); /* 3 fd 8: closed */
	nv.fd = 7;
	add(TT_M_NATIVE_CONNS, &nk, sizeof(nk), &nv, sizeof(nv)); /* 4 not a TCP socket */
	nv.sk = 0;
	add(TT_M_NATIVE_CONNS, &nk, sizeof(nk), &nv, sizeof(nv)); /* 5 nothing learned */
	judge_all();
	expect(TT_M_GO_CONNS, 0, TT_DOC_LIVE, 0);
	expect(TT_M_GO_CONNS, 1, TT_DOC_LEAK, TT_DOC_CONN_GONE);
	expect(TT_M_GO_CONNS, 2, TT_DOC_LIVE, 0);
	expect(TT_M_GO_CONNS, 3, TT_DOC_LEAK, TT_DOC_CONN_GONE);
	expect(TT_M_GO_CONNS, 4, TT_DOC_UNJUDGED, 0);
	expect(TT_M_GO_CONNS, 5, TT_DOC_LIVE, 0);
	expect(TT_M_GO_CONNS, 6, TT_DOC_LIVE, 0);
	expect(TT_M_GO_CONNS, 7, TT_DOC_LEAK, TT_DOC_CONN_GONE);
	expect(TT_M_GO_CONNS, 8, TT_DOC_LEAK, TT_DOC_FD_CLOSED);
	expect(TT_M_SOCKS, 0, TT_DOC_LEAK, TT_DOC_CONN_GONE);
	expect(TT_M_SOCKS, 1, TT_DOC_LIVE, 0);
	/* A socket's entry lives while the socket is open, whoever holds it
	 * (a child A forked may; its close ends the entry). */
	expect(TT_M_SOCKS, 2, TT_DOC_LIVE, 0);
	expect(TT_M_NATIVE_CONNS, 0, TT_DOC_LEAK, TT_DOC_CONN_GONE);
	expect(TT_M_NATIVE_CONNS, 1, TT_DOC_LIVE, 0);
	expect(TT_M_NATIVE_CONNS, 2, TT_DOC_LEAK, TT_DOC_FD_CLOSED);
	expect(TT_M_NATIVE_CONNS, 3, TT_DOC_LEAK, TT_DOC_FD_CLOSED);
	expect(TT_M_NATIVE_CONNS, 4, TT_DOC_LEAK, TT_DOC_CONN_GONE);
	expect(TT_M_NATIVE_CONNS, 5, TT_DOC_UNJUDGED, 0);
}

static void native_call(uint32_t tid, uint64_t start_ns, uint64_t sp, int fd)
{
	uint64_t id = (uint64_t)P_A << 32 | tid;
	struct tt_native_call v = {
	    .conn = 0x5501, .sp = sp, .start_ns = start_ns, .sk = fd >= 0 ? 0xff20 : 0, .fd = fd};

	add(TT_M_NATIVE_CALLS, &id, 8, &v, sizeof(v));
}

static void test_native_calls(void **state)
{
	const uint64_t old = NOW - 2 * CALL_AGE, young = NOW - SEC, sp = 0x7ffd00001000;

	(void)state;
	watch(P_A);
	native_call(199, young, sp, -1);   /* 0 thread gone */
	native_call(104, old, sp, -1);	   /* 1 thread newer than the call */
	native_call(102, young, sp, -1);   /* 2 young: not looked at closer */
	native_call(101, old, sp, -1);	   /* 3 blocked inside: parked on I/O */
	native_call(102, old, sp, -1);	   /* 4 blocked above its frame */
	native_call(103, old, sp, -1);	   /* 5 running: cannot tell */
	native_call(105, old, sp, -1);	   /* 6 blocked on another stack */
	native_call(101, young, sp, 6);	   /* 7 its socket's fd is /dev/null now */
	native_call(101, 5 * SEC, sp, -1); /* 8 older than its process */
	native_call(106, old, sp, -1);	   /* 9 another stack, above */
	judge_all();
	expect(TT_M_NATIVE_CALLS, 0, TT_DOC_LEAK, TT_DOC_THREAD_GONE);
	expect(TT_M_NATIVE_CALLS, 1, TT_DOC_LEAK, TT_DOC_THREAD_GONE);
	expect(TT_M_NATIVE_CALLS, 2, TT_DOC_LIVE, 0);
	expect(TT_M_NATIVE_CALLS, 3, TT_DOC_LIVE, 0);
	expect(TT_M_NATIVE_CALLS, 4, TT_DOC_LEAK, TT_DOC_CALL_RETURNED);
	expect(TT_M_NATIVE_CALLS, 5, TT_DOC_UNJUDGED, 0);
	expect(TT_M_NATIVE_CALLS, 6, TT_DOC_UNJUDGED, 0);
	expect(TT_M_NATIVE_CALLS, 7, TT_DOC_LEAK, TT_DOC_FD_CLOSED);
	expect(TT_M_NATIVE_CALLS, 8, TT_DOC_LEAK, TT_DOC_PID_REUSED);
	expect(TT_M_NATIVE_CALLS, 9, TT_DOC_UNJUDGED, 0);
}

static void go_call(uint64_t g, uint64_t start_ns, const struct tt_tuple *t, uint32_t flags)
{
	struct tt_go_call_key k = {.tgid = P_A, .func = TT_GO_READ, .g = g, .frame = 0x100};
	struct tt_go_call v = {.conn = 0xc01, .netfd = 0xc02, .start_ns = start_ns, .flags = flags};

	v.attr.fd = t ? 5 : -1;
	if (t)
		v.attr.tuple = *t;
	add(TT_M_GO_CALLS, &k, sizeof(k), &v, sizeof(v));
}

static void test_go_calls(void **state)
{
	const uint64_t parked = NOW - 100 * CALL_AGE;
	struct tt_tuple open = lo_tuple(8443, 50000), closed = lo_tuple(50001, 8443);
	struct tt_go_gkey gk = {.tgid = P_A, .g = 0xa4};
	struct tt_go_gcall gv = {.sk = 0xff30, .fd = 6, .depth = 1};

	(void)state;
	watch(P_A);
	/* A server's Read parked for 100 minutes on an idle keep-alive
	 * connection: judged by its connection, not its age. */
	go_call(0xa1, parked, &open, 0);		       /* 0 */
	go_call(0xa2, NOW - SEC, &closed, 0);		       /* 1 its connection closed */
	go_call(0xa3, NOW - 2 * CALL_AGE, NULL, 0);	       /* 2 nothing to judge by, old */
	go_call(0xa5, NOW - SEC, NULL, 0);		       /* 3 nothing yet, young */
	go_call(0xa4, parked, NULL, TT_GO_WRAPPED);	       /* 4 wrapped: its goroutine's fd */
	add(TT_M_GO_GCALLS, &gk, sizeof(gk), &gv, sizeof(gv)); /* 0 its call in flight */
	gk.g = 0xa6;
	add(TT_M_GO_GCALLS, &gk, sizeof(gk), &gv, sizeof(gv)); /* 1 no call of g 0xa6 */
	judge_all();
	expect(TT_M_GO_CALLS, 0, TT_DOC_LIVE, 0);
	expect(TT_M_GO_CALLS, 1, TT_DOC_LEAK, TT_DOC_CONN_GONE);
	expect(TT_M_GO_CALLS, 2, TT_DOC_LEAK, TT_DOC_CALL_TOO_OLD);
	expect(TT_M_GO_CALLS, 3, TT_DOC_LIVE, 0);
	/* fd 6 of pid 100 is /dev/null: the wrapped call's socket is gone. */
	expect(TT_M_GO_CALLS, 4, TT_DOC_LEAK, TT_DOC_FD_CLOSED);
	expect(TT_M_GO_GCALLS, 0, TT_DOC_LEAK, TT_DOC_FD_CLOSED);
	expect(TT_M_GO_GCALLS, 1, TT_DOC_LEAK, TT_DOC_NO_CALL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_processes, reset),
	    cmocka_unit_test_setup(test_connections, reset),
	    cmocka_unit_test_setup(test_native_calls, reset),
	    cmocka_unit_test_setup(test_go_calls, reset),
	};

	return cmocka_run_group_tests(tests, setup, cleanup);
}
