// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Smallest end-to-end proof that this kernel runs what tlstap needs: a
 * uprobe program that reads its arguments and sends them through a BPF ring
 * buffer.  Used by tests/e2e/test_selftest.c.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

#include "tlstap/selftest.h"

char LICENSE[] SEC("license") = "Dual MIT/GPL";

const volatile __u32 target_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} selftest_events SEC(".maps");

SEC("uprobe")
int BPF_KPROBE(selftest_marker, long seq, long magic)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct tt_selftest_event *e;

	if ((__u32)(id >> 32) != target_tgid)
		return 0;
	e = bpf_ringbuf_reserve(&selftest_events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->tgid = id >> 32;
	e->tid = (__u32)id;
	e->arg0 = seq;
	e->arg1 = magic;
	bpf_ringbuf_submit(e, 0);
	return 0;
}
