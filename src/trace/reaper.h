/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_REAPER_H
#define TLSTAP_TRACE_REAPER_H

/*
 * Destruction of BPF links.  A uprobe link's destroy waits for the kernel's
 * uprobe unregistration (an RCU grace period, tens of ms); concurrent
 * destroys share that wait.  The reaper destroys links off the caller's
 * thread, so that the thread that attaches new processes (and holds them
 * until then) never waits for the old ones' links.
 */

#include <stdbool.h>
#include <stddef.h>

struct bpf_link;
struct tt_reaper;

/* Destroy n links now, concurrently; returns once all are destroyed. */
void tt_links_destroy(struct bpf_link **links, size_t n);

/* A reaper; its thread starts with the first links given. */
struct tt_reaper *tt_reaper_new(void);
/* Hand n links over to be destroyed soon (the array is copied); false when
 * they could not be taken (no memory, no thread): the caller destroys them. */
bool tt_reaper_give(struct tt_reaper *r, struct bpf_link **links, size_t n);
/* Wait until every link handed over is destroyed. */
void tt_reaper_flush(struct tt_reaper *r);
/* Destroy what is still pending, stop the thread, free. */
void tt_reaper_free(struct tt_reaper *r);

#endif
