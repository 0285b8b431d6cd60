/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_UPROBE_MULTI_H
#define TLSTAP_UPROBE_MULTI_H

#include <stdbool.h>
#include <stdint.h>

/*
 * uprobe_multi links (Linux >= 6.6): one link puts one BPF program on many
 * offsets of one file, each with its cookie.  Removing a perf-event uprobe
 * waits for an RCU grace period per probe (~125 ms here); a multi link waits
 * once, so detaching hundreds of probes takes a blink instead of a minute.
 * libbpf 1.1 predates them: the link is created with the bpf(2) syscall.
 */

/* The program's expected attach type must be this before it is loaded. */
#define TT_BPF_TRACE_UPROBE_MULTI 48

/* Returns the link fd, or a negative errno. */
int tt_uprobe_multi_attach(int prog_fd, const char *path, const uint64_t *offsets,
			   const uint64_t *cookies, uint32_t cnt, bool retprobe, int pid);

#endif
