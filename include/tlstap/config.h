/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_CONFIG_H
#define TLSTAP_CONFIG_H

/*
 * What user space tells the BPF programs: the tracer-wide settings (read-only
 * data, set before load) and the per-object configuration of Go binaries
 * (map go_objects).  One definition each, shared by bpf/ and src/.
 */

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "tlstap/gofields.h"

/* A file by identity: an executable (the --exe filter; map known_exes,
 * whose processes need no hold at exec under --all: the tracer has seen
 * the file already). */
struct tt_file_key {
	__u64 dev; /* the kernel's dev_t of the file system (s_dev) */
	__u64 ino;
};

/* Most names or values one in-kernel filter holds. */
#define TT_FILTER_MAX 8

/* In-kernel filters (--comm, --exe, --port, --cgroup): a process or a
 * connection that does not match costs no ring-buffer traffic. */
#define TT_FILTER_COMM (1u << 0)
#define TT_FILTER_EXE (1u << 1)
#define TT_FILTER_PORT (1u << 2)
#define TT_FILTER_CGROUP (1u << 3)

struct tt_trace_settings {
	__u32 max_bytes;    /* plaintext captured per TLS call */
	__u32 chunk_size;   /* per data record, <= TT_CHUNK_MAX */
	__u32 wakeup_bytes; /* ring buffer fill below which no wakeup is forced
			     * (the tracer sets it from the buffer's size) */
	__u32 probe_only;   /* benchmarks: probes return at once (the cost floor) */
	__u32 self_tgid;    /* tlstap itself: never traced */
	__u32 filters;      /* TT_FILTER_*: all given must match */
	__u32 all;          /* --all: every process, present and future */
	__u32 n_comms, n_exes, n_ports;
	__u32 hold_new;     /* --all --hold-new: stop a new executable's process at exec */
	__u32 kfunc_cast;   /* the kernel has bpf_rdonly_cast (set by the tracer) */
	char comms[TT_FILTER_MAX][16];
	struct tt_file_key exes[TT_FILTER_MAX];
	__u16 ports[TT_FILTER_MAX]; /* either end of the connection */
};

/* Go functions a probe may belong to (cookie, tlstap/hooks.h). */
#define TT_GO_FUNC_MAX 4

/*
 * One Go binary (map go_objects, key = the index in the cookie of its
 * probes).  Addresses are the ELF's virtual addresses: the entry probes
 * find the load bias of the process they fire in (ip - entry_vaddr).
 */
struct tt_go_config {
	__u64 itab_tcpconn; /* go:itab.*net.TCPConn,net.Conn; 0 = unknown (stripped) */
	__u64 entry_vaddr[TT_GO_FUNC_MAX]; /* of each function's entry probe site */
	__s64 tls_g_offset; /* amd64: g's slot from the FS base; 0 = unknown */
	__u32 abi;          /* enum tt_go_abi: 2 = register */
	__u32 pad;
	__s32 off[TT_F_COUNT]; /* field offsets, TT_FIELD_UNKNOWN when not known */
};

#endif
