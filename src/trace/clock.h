/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_CLOCK_H
#define TLSTAP_TRACE_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Nanoseconds on a clock: CLOCK_BOOTTIME is the BPF records' clock
 * (bpf_ktime_get_boot_ns). */
static inline int64_t tt_clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Seconds on CLOCK_MONOTONIC: intervals, ages and deadlines of the tracer. */
static inline double tt_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
