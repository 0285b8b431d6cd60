// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The settings, the globals and the maps every part of the tracer shares
 * (the ring buffer, the counters, the scratch record and the sockets in
 * use: instantiated by common.bpf.h here, declared extern elsewhere);
 * bpftool links all objects into one, with one skeleton.
 */
#define TT_COMMON_DEFINITIONS
#include "common.bpf.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

/* Set by user space before load. */
const volatile struct tt_trace_settings settings = {
	.max_bytes = TT_CHUNK_MAX,
	.chunk_size = TT_CHUNK_MAX,
	.wakeup_bytes = 256 * 1024,
};

__u64 sock_watchers;
__u64 go_sock_watchers;
__u64 membio_active;
__u64 stopping;
__u32 bind_tokens;
