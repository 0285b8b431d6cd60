/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_CLOCK_H
#define TLSTAP_TRACE_CLOCK_H

#include <time.h>

/* Seconds on CLOCK_MONOTONIC: intervals, ages and deadlines of the tracer. */
static inline double tt_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif
