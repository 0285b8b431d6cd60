/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_SOURCE_H
#define TLSTAP_TRACE_SOURCE_H

/*
 * The live event source: a reader thread drains the ring buffer as fast as
 * the kernel fills it, copying records into a queue in memory; a delivery
 * thread decodes them for the sink (the writers, which may be slow or block
 * on a full disk) at its own pace.  Process records (exec, dlopen, exit)
 * also go to the control side, which the caller's thread handles at once:
 * a launched process held stopped is not kept waiting behind a backlog of
 * data.
 *
 * The queue is bounded: when it holds queue_max bytes the reader waits and
 * the ring buffer fills, and what the kernel then cannot store is counted
 * there (ringbuf_drops) and shows as a hole in stream offsets: nothing is
 * lost silently.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlstap/error.h"
#include "trace/tracer.h"

struct tt_source;

/* How many bytes wait in a ring buffer of buffer_size bytes before the
 * reader is woken (set in the BPF settings by the tracer). */
uint32_t tt_source_wakeup_bytes(uint32_t buffer_size);

struct tt_source_stats {
	uint64_t records;     /* delivered to the sink */
	uint64_t bytes;       /* queued and delivered */
	size_t queued;        /* bytes waiting now */
	size_t queued_max;    /* most bytes ever waiting */
	uint64_t reader_waits; /* times the reader waited for room */
	uint64_t late_bound;   /* data records that waited for their socket and got it */
	uint64_t late_unbound; /* ... and went on without (trace/pending.h) */
	uint64_t late_filtered; /* of those, dropped by --port */
};

/* Start both threads; the sink runs on the delivery thread.  flush (may be
 * NULL) is called on that thread whenever the queue is empty. */
int tt_source_start(struct tt_source **out, struct tt_tracer *t, const struct tt_sink *sink,
		    void (*flush)(void *ctx), size_t queue_max, struct tt_error *err);

/* An eventfd that becomes readable when process records wait (they have
 * a ring buffer of their own, read by a thread of its own). */
int tt_source_control_fd(const struct tt_source *s);
/* Take the waiting process records: handle(ctx, rec) for each, in order. */
void tt_source_control(struct tt_source *s,
		       void (*handle)(void *ctx, const struct tt_proc_rec *rec), void *ctx);

/* Everything the kernel has sent so far is in the queues (after the probes
 * are gone: all of it); process records are read in the caller's thread,
 * by tt_source_control, from now on. */
void tt_source_drain(struct tt_source *s);
/* Drain, deliver what is queued, stop both threads and free; the last
 * statistics in *st if st is not NULL. */
void tt_source_stop(struct tt_source *s, struct tt_source_stats *st);

void tt_source_stats(struct tt_source *s, struct tt_source_stats *st);

#endif
