/* SPDX-License-Identifier: GPL-2.0 OR MIT */
#ifndef TLSTAP_MAPS_BPF_H
#define TLSTAP_MAPS_BPF_H

/*
 * Every map of the tracer, written once.  The .bpf.c file that owns a map
 * instantiates it (TT_MAP_X;); a file that only uses it declares it
 * (extern TT_MAP_X;).  The BPF objects are linked into one (bpftool gen
 * object), so there is one map of each, with one skeleton.
 *
 * Sizes are explicit; every failed update is counted by map name
 * (tlstap/counters.h).
 */

#include "tlstap/config.h"
#include "tlstap/counters.h"
#include "tlstap/state.h"

/* Records to user space; its size is set at open (--buffer-size). */
#define TT_MAP_EVENTS                                                                    \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                                      \
		__uint(max_entries, 32 * 1024 * 1024);                                   \
	} events SEC(".maps")

/* Process records (exec, loader activity, exit), apart from the data: a
 * flood of data must not cost a new program its attach, or a held process
 * its release.  Small: they are few, and the tracer reads them at once. */
#define TT_MAP_CONTROL                                                                   \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_RINGBUF);                                      \
		__uint(max_entries, 1024 * 1024);                                        \
	} control SEC(".maps")

#define TT_MAP_COUNTERS                                                                  \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                 \
		__uint(max_entries, TT_C_COUNT);                                         \
		__type(key, __u32);                                                      \
		__type(value, __u64);                                                    \
	} counters SEC(".maps")

/* Failed updates per map (enum tt_state_map). */
#define TT_MAP_MAP_FULL                                                                  \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                 \
		__uint(max_entries, TT_M_COUNT);                                         \
		__type(key, __u32);                                                      \
		__type(value, __u64);                                                    \
	} map_full SEC(".maps")

/* The record being built on this CPU (too big for the BPF stack). */
#define TT_MAP_SCRATCH                                                                   \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);                                 \
		__uint(max_entries, 1);                                                  \
		__type(key, __u32);                                                      \
		__type(value, struct tt_scratch);                                        \
	} scratch SEC(".maps")

/* Sockets that attributed records: their close ends the state that names
 * them and the user-space streams. */
#define TT_MAP_SOCKS                                                                     \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                     \
		__uint(max_entries, 65536);                                              \
		__type(key, __u64); /* struct sock * */                                  \
		__type(value, struct tt_sock);                                           \
	} socks SEC(".maps")

/* Processes to report exec/dlopen/exit of (TT_WATCH_*), key tgid: every
 * process of the host with --all. */
#define TT_MAP_WATCH                                                                     \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_HASH);                                         \
		__uint(max_entries, 65536);                                              \
		__type(key, __u32);                                                      \
		__type(value, __u8);                                                     \
	} watch SEC(".maps")

/* Processes stopped (SIGSTOP) until the tracer has attached, key tgid,
 * value the time of the stop: the tracer's guardian process sends them
 * SIGCONT if the tracer dies before it does. */
#define TT_MAP_HELD                                                                      \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_HASH);                                         \
		__uint(max_entries, 4096);                                               \
		__type(key, __u32);                                                      \
		__type(value, __u64);                                                    \
	} held SEC(".maps")

/* Executables seen (--all): key {dev, ino}.  LRU: on a host that runs
 * more programs than it holds, the oldest are forgotten (counted as new
 * again), never the newest refused. */
#define TT_MAP_KNOWN_EXES                                                                \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                     \
		__uint(max_entries, 16384);                                              \
		__type(key, struct tt_file_key);                                         \
		__type(value, __u8);                                                     \
	} known_exes SEC(".maps")

/* --cgroup: processes in this cgroup or below (index 0). */
#define TT_MAP_CGROUP_FILTER                                                             \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);                                 \
		__uint(max_entries, 1);                                                  \
		__type(key, __u32);                                                      \
		__type(value, __u32);                                                    \
	} cgroup_filter SEC(".maps")

/* Go binaries attached: key = the object index of their probes' cookies. */
#define TT_MAP_GO_OBJECTS                                                                \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_HASH);                                         \
		__uint(max_entries, 4096);                                               \
		__type(key, __u32);                                                      \
		__type(value, struct tt_go_config);                                      \
	} go_objects SEC(".maps")

/* One per goroutine inside Read/Write: a server parks one reader per
 * keep-alive connection here.  An evicted entry shows as
 * returns_without_entry. */
#define TT_MAP_GO_CALLS                                                                  \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                     \
		__uint(max_entries, 262144);                                             \
		__type(key, struct tt_go_call_key);                                      \
		__type(value, struct tt_go_call);                                        \
	} go_calls SEC(".maps")

#define TT_MAP_GO_CONNS                                                                  \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                     \
		__uint(max_entries, 65536);                                              \
		__type(key, struct tt_go_conn_key);                                      \
		__type(value, struct tt_go_conn);                                        \
	} go_conns SEC(".maps")

/* Goroutines inside a Go call on a wrapped connection. */
#define TT_MAP_GO_GCALLS                                                                 \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                     \
		__uint(max_entries, 65536);                                              \
		__type(key, struct tt_go_gkey);                                          \
		__type(value, struct tt_go_gcall);                                       \
	} go_gcalls SEC(".maps")

/* Go processes with wrapped calls: tgid -> g's TLS offset (amd64). */
#define TT_MAP_GO_TGIDS                                                                  \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                     \
		__uint(max_entries, 4096);                                               \
		__type(key, __u32);                                                      \
		__type(value, __s64);                                                    \
	} go_tgids SEC(".maps")

/* One per thread inside a native TLS call: it goes at the call's return, or
 * when the thread exits inside the call (procwatch's exit hook), so a plain
 * hash (cheaper than an LRU at every call) cannot fill with the dead. */
#define TT_MAP_NATIVE_CALLS                                                              \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_HASH);                                         \
		__uint(max_entries, 16384);                                              \
		__type(key, __u64); /* pid_tgid of the calling thread */                 \
		__type(value, struct tt_native_call);                                    \
	} native_calls SEC(".maps")

/* The native call another one of its own interrupted on the same thread (a
 * callback's write inside SSL_read): it waits here until the inner call
 * returns, and goes like native_calls at the thread's exit. */
#define TT_MAP_NATIVE_OUTER                                                              \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_HASH);                                         \
		__uint(max_entries, 4096);                                               \
		__type(key, __u64); /* pid_tgid of the calling thread */                 \
		__type(value, struct tt_native_call);                                    \
	} native_outer SEC(".maps")

#define TT_MAP_NATIVE_CONNS                                                              \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                     \
		__uint(max_entries, 65536);                                              \
		__type(key, struct tt_native_conn_key);                                  \
		__type(value, struct tt_native_conn);                                    \
	} native_conns SEC(".maps")

/* Processes with memory-BIO TLS (TT_MEMBIO_*), key tgid. */
#define TT_MAP_MEMBIO_TGIDS                                                              \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_HASH);                                         \
		__uint(max_entries, 4096);                                               \
		__type(key, __u32);                                                      \
		__type(value, __u8);                                                     \
	} membio_tgids SEC(".maps")

#define TT_MAP_CIPHER_OUT                                                                \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                     \
		__uint(max_entries, 16384);                                              \
		__type(key, struct tt_cipher_key);                                       \
		__type(value, struct tt_cipher_out);                                     \
	} cipher_out SEC(".maps")

#define TT_MAP_CIPHER_IN                                                                 \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                     \
		__uint(max_entries, 16384);                                              \
		__type(key, struct tt_cipher_key);                                       \
		__type(value, struct tt_cipher_in);                                      \
	} cipher_in SEC(".maps")

#define TT_MAP_FRAMES                                                                    \
	struct {                                                                         \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                     \
		__uint(max_entries, 65536);                                              \
		__type(key, struct tt_frame_key);                                        \
		__type(value, struct tt_frame);                                          \
	} frames SEC(".maps")

#endif
