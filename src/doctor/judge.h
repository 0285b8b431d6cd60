/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_DOCTOR_JUDGE_H
#define TLSTAP_DOCTOR_JUDGE_H

/*
 * Is a state-map entry still standing for something that exists?  Each
 * entry is judged by what its key holds, against the system (a sysview)
 * and against the other maps of the same snapshot (what the tracer
 * watches, which sockets it knows, which Go calls are in flight).
 *
 *  - any entry with a tgid: its process exists, is still watched (the watch
 *    map), and is not younger than a call the entry recorded (pid reuse);
 *  - a connection (go_conns, native_conns, socks; a call's own): its tuple
 *    is still a TCP connection of the process's own network namespace that
 *    has not closed (TIME_WAIT is after the close), whose socket inode one
 *    of the process's fds still holds (or that has no file any more, closing);
 *    without a tuple, its fd still holds a socket that is one;
 *  - a native call: its thread exists and is the same thread; once in
 *    flight longer than the call age, a thread blocked with its stack above
 *    the call's entry has returned from it (the return probe was missed);
 *  - a Go call: judged by its connection, never by its age alone (a server
 *    parks one Read per idle keep-alive connection for minutes); only a call
 *    with no connection at all is judged by its age;
 *  - a Go goroutine's wrapped-call record: a wrapped call of that goroutine
 *    is in flight.
 */

#include <stdint.h>

#include "doctor/entry.h"
#include "trace/index.h"
#include "doctor/sysview.h"

/* X(ENUM, "name", "what it means") */
#define TT_DOC_REASONS(X)                                                                          \
	X(PROCESS_GONE, "process-gone", "its process no longer exists")                            \
	X(NOT_TRACED, "not-traced", "the tracer no longer watches its process")                    \
	X(PID_REUSED, "pid-reused", "it is older than the process that has its pid now")           \
	X(THREAD_GONE, "thread-gone", "the thread of the call no longer exists")                   \
	X(CALL_RETURNED, "call-returned", "the thread is blocked outside the call's frame")        \
	X(NO_CALL, "no-call", "no wrapped Go call of the goroutine is in flight")                  \
	X(FD_CLOSED, "fd-closed", "the connection's fd is closed or holds something else")         \
	X(CONN_GONE, "conn-gone", "the connection is closed in its network namespace")             \
	X(CALL_TOO_OLD, "call-too-old", "in flight longer than the call age, no connection")

#define TT_DOC_REASON_ENUM(e, n, d) TT_DOC_##e,
enum tt_doc_reason { TT_DOC_REASONS(TT_DOC_REASON_ENUM) TT_DOC_REASON_COUNT };
#undef TT_DOC_REASON_ENUM

const char *tt_doc_reason_name(enum tt_doc_reason r);
const char *tt_doc_reason_text(enum tt_doc_reason r);

enum tt_doc_outcome {
	TT_DOC_LIVE,	 /* stands for something that exists */
	TT_DOC_UNJUDGED, /* nothing to judge it by (detail says why) */
	TT_DOC_LEAK,	 /* stands for nothing: reason, detail */
};

struct tt_doc_verdict {
	enum tt_doc_outcome outcome;
	enum tt_doc_reason reason;
	char detail[192];
};

/* The entries of every state map of one tracer, read at one time. */
struct tt_doc_snapshot {
	const struct tt_doc_entry *ents[TT_M_COUNT];
	size_t n[TT_M_COUNT];
};

struct tt_doc_ctx {
	struct tt_sysview *sys;
	const struct tt_doc_snapshot *snap;
	uint64_t now_ns;      /* CLOCK_BOOTTIME of the snapshot */
	uint64_t call_age_ns; /* a call older than this is looked at closer */
	/* watched tgids, socks by socket, wrapped Go calls and go_gcalls by
	 * goroutine */
	struct tt_index watched, socks, wrapped, goroutines;
};

int tt_doc_ctx_init(struct tt_doc_ctx *c, struct tt_sysview *sys,
		    const struct tt_doc_snapshot *snap, uint64_t now_ns, uint64_t call_age_ns);
void tt_doc_ctx_free(struct tt_doc_ctx *c);

/* Judge one entry of map m; the verdict's outcome. */
enum tt_doc_outcome tt_doc_judge(struct tt_doc_ctx *c, enum tt_state_map m,
				 const struct tt_doc_entry *e, struct tt_doc_verdict *v);

#endif
