/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_CHUNK_H
#define TLSTAP_TRACE_CHUNK_H

/*
 * What the event sources give the rest of the pipeline (streams, decoders,
 * writers): one chunk of one TLS call's plaintext, and the ends of
 * connections and processes.  The live source decodes them from the BPF
 * ring buffer (include/tlstap/record.h), `tlstap replay` from NDJSON lines;
 * the stages after them cannot tell the two apart.
 */

#include <stdbool.h>
#include <stdint.h>

#include "tlstap/record.h"

/* stream_off of a chunk recorded without one (captures of older versions). */
#define TT_STREAM_OFF_UNKNOWN UINT64_MAX

/* Where a process runs: from its pid namespace and cgroup. */
struct tt_origin {
	uint32_t ns_pid;       /* pid inside its own pid namespace; 0 unknown */
	const char *cgroup;    /* cgroup v2 path ("/system.slice/x.service"); NULL unknown */
	const char *container; /* container id from the cgroup path; NULL none */
	const char *pod_uid;   /* Kubernetes pod UID from the cgroup path; NULL none */
};

struct tt_chunk {
	int64_t time_ns; /* wall clock (CLOCK_REALTIME) of the TLS call's return */
	uint32_t pid;    /* host pid (thread group id) */
	uint32_t tid;
	char comm[17];
	uint8_t lib;         /* enum tt_lib */
	uint8_t dir;         /* enum tt_dir */
	uint8_t attribution; /* enum tt_attribution */
	uint8_t flags;       /* TT_EV_* */
	int32_t fd;          /* -1 unknown */
	uint64_t goid;       /* Go only, else 0 */
	uint64_t conn;       /* TLS object address, for correlation only */
	uint32_t call_len;   /* bytes the TLS call returned */
	uint32_t chunk_off;  /* offset of data within the call */
	/* Offset of data[0] in the byte stream of {pid, conn, dir}; bytes that
	 * were never captured leave a hole.  TT_STREAM_OFF_UNKNOWN if absent. */
	uint64_t stream_off;
	struct tt_tuple tuple; /* family 0: no tuple (attribution none/ambiguous) */
	struct tt_origin origin;
	const uint8_t *data;
	uint32_t data_len;
};

/* Why a connection's streams end. */
enum tt_end_reason {
	TT_END_CLOSE = 1, /* the kernel closed the TCP socket */
	TT_END_EXIT,      /* the process exited */
	TT_END_IDLE,      /* nothing for longer than the idle timeout (streams stage) */
	TT_END_FLUSH,     /* the capture ended */
	TT_END_EVICTED,   /* the streams stage needed room (connection LRU) */
	TT_END_REUSED,    /* a new TLS session started at the same key */
};

/* The TCP connection {pid, tuple} ended at time_ns. */
struct tt_conn_end {
	int64_t time_ns;
	uint32_t pid;
	struct tt_tuple tuple;
};

#endif
