/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_H
#define TLSTAP_TRACE_H

/*
 * Structures shared by the BPF programs (bpf/) and the tracer (src/): the
 * per-process configuration, the keys of the state maps and the counters.
 * One definition of each.  The records are in tlstap/record.h.
 *
 * BPF includes vmlinux.h before this file; user space includes <linux/types.h>.
 */

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "tlstap/record.h"

/* Most RET sites one Go function may have probed. */
#define TT_MAX_RET_SITES 64

/* Values of the watch map (key tgid). */
#define TT_WATCH_NOTIFY 1 /* send control events for the process */
#define TT_WATCH_STOP 2   /* and stop it (SIGSTOP) at exec and at dlopen until the
			   * tracer has attached and sent SIGCONT: for processes the
			   * tracer launched itself */

/*
 * Per-process Go configuration (map go_config, key = tgid), written by the
 * tracer from the resolver's output before the probes are attached.
 */
struct tt_go_config {
	__u64 itab_tcpconn;  /* runtime address; 0 = unknown (stripped binary) */
	__u32 abi;           /* enum tt_go_abi: 2 = register */
	__u32 pad;
	/* Field offsets, bytes. */
	__s32 tls_conn_conn;
	__s32 tcpconn_conn;
	__s32 conn_fd;
	__s32 netfd_pfd;
	__s32 pollfd_sysfd;
	__s32 netfd_laddr;
	__s32 netfd_raddr;
	__s32 tcpaddr_ip;
	__s32 tcpaddr_port;
	__s32 g_goid;
};

/* Which Go function a probe belongs to (the cookie of its BPF link). */
enum tt_go_func {
	TT_GO_READ = 1,
	TT_GO_WRITE = 2,
	TT_GO_CLOSE = 3,
};

/*
 * Per-call state of a Go Read/Write: key {tgid, goroutine, frame}.  The
 * frame is g.stack.hi - SP at the entry probe, which equals the same
 * difference at the RET (the frame is torn down again) and survives stack
 * copies: it tells apart nested calls on one goroutine (TLS inside TLS, e.g.
 * an HTTPS proxy tunnel).
 */
struct tt_go_call_key {
	__u32 tgid;
	__u32 func;   /* enum tt_go_func */
	__u64 g;      /* runtime.g pointer (R14 on amd64, R28 on arm64) */
	__u64 frame;  /* g.stack.hi - SP */
};

#define TT_GO_BUF_ON_STACK 1 /* buf is g.stack.hi - address: the stack may move */

/* How a Go call's connection was attributed (decided at its entry). */
struct tt_go_attr {
	struct tt_tuple tuple;
	__s32 fd;
	__u8 attribution; /* enum tt_attribution */
	__u8 ev_flags;    /* TT_EV_* */
	__u16 pad;
};

struct tt_go_call {
	__u64 conn;  /* *tls.Conn */
	__u64 buf;   /* address, or offset from g.stack.hi (TT_GO_BUF_ON_STACK) */
	__u64 len;
	__u64 flags;
	/* Attributed at the entry, while the call's socket is certainly open:
	 * by the RET another goroutine may have closed it. */
	struct tt_go_attr attr;
};

/* Go connection state: key {tgid, tls.Conn ptr, netFD ptr}. */
struct tt_go_conn_key {
	__u32 tgid;
	__u32 pad;
	__u64 conn;
	__u64 netfd;
};

struct tt_go_conn {
	__u64 sk;       /* kernel socket the tuple was verified against */
	__s32 fd;
	__u32 pad;
	struct tt_tuple tuple; /* from Go memory */
};

/* Native per-call state: key = pid_tgid of the calling thread. */
struct tt_native_call {
	__u64 conn;      /* SSL* or gnutls_session_t */
	__u64 buf;
	__u64 len_ptr;   /* SSL_read_ex/SSL_write_ex: size_t *; else 0 */
	__u64 sk;        /* socket of the first fd used inside the call */
	__u64 sp;        /* stack pointer at entry: tells the outer call's return
			  * from a nested one, and a stale record from a live one */
	__s32 fd;        /* -1 until a socket syscall is seen */
	__u8 lib;
	__u8 dir;
	__u8 multi_fd;   /* another socket fd was used too */
	__u8 pad;
};

/* Native connection cache: key {tgid, SSL*}. */
struct tt_native_conn_key {
	__u32 tgid;
	__u32 pad;
	__u64 conn;
};

struct tt_native_conn {
	__u64 sk;
	__s32 fd;
	__u32 pad;
};

/*
 * Cookie of a native probe (bpf_get_attach_cookie): what the hooked function
 * is, so one BPF program serves every native entry point.
 */
#define TT_NCOOKIE(lib, dir) ((__u64)(lib) | (__u64)(dir) << 8)
#define TT_NCOOKIE_LIB(c) ((c) & 0xff)
#define TT_NCOOKIE_DIR(c) (((c) >> 8) & 0xff)
#define TT_NCOOKIE_EX (1u << 16)      /* *_ex: byte count through a size_t * (4th arg) */
#define TT_NCOOKIE_INT_RET (1u << 17) /* returns int (32-bit), not ssize_t */
#define TT_NCOOKIE_FORGET (1u << 18)  /* SSL_free & co: drop the connection cache */

/* Reverse index for close(): key {tgid, fd} -> SSL*. */
struct tt_fd_key {
	__u32 tgid;
	__s32 fd;
};

/* Per-CPU counters (map counters, index = enum tt_counter). */
enum tt_counter {
	TT_C_EVENTS = 0,      /* events submitted */
	TT_C_RB_DROPS,        /* ring buffer full: event lost */
	TT_C_TRUNC_BYTES,     /* plaintext bytes not captured (max_bytes) */
	TT_C_MAP_FULL,        /* map update failed */
	TT_C_READ_FAULTS,     /* user memory could not be read */
	TT_C_TUPLE_MISMATCH,  /* Go memory tuple != socket tuple */
	TT_C_MULTI_FD,        /* several sockets in one native call */
	TT_C_NO_CALL_STATE,   /* a return without its entry (probe attached mid-call) */
	TT_C_SCRATCH_BUSY,    /* event dropped: the CPU's scratch buffer was in use
			       * by a preempted program (preemptible kernels) */
	TT_C_COUNT,
};

/* Tracer-wide settings (BPF .rodata, set before load). */
struct tt_trace_settings {
	__u32 max_bytes;  /* per TLS call */
	__u32 chunk_size; /* per event, <= TT_CHUNK_MAX */
	__u32 wakeup_bytes; /* ring buffer fill below which no wakeup is forced */
	__u32 probe_only;   /* benchmarks: probes return at once (the cost floor) */
};

#endif
