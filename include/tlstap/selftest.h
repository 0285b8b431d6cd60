/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_SELFTEST_H
#define TLSTAP_SELFTEST_H

/* Event of bpf/selftest.bpf.c: one uprobe hit, shared by BPF and the test. */
struct tt_selftest_event {
	__u32 tgid;
	__u32 tid;
	__s64 arg0;
	__s64 arg1;
};

#endif
