/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_DOCTOR_DISCOVER_H
#define TLSTAP_DOCTOR_DISCOVER_H

/*
 * Running tlstap tracers, found from outside: a tracer is a process that
 * holds BPF programs and a map of every name of the state-map list
 * (TT_STATE_MAPS), as /proc/PID/fd and the map_id lines of
 * /proc/PID/fdinfo show.  Its maps are opened by id, read-only.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlstap/counters.h"
#include "tlstap/error.h"

struct tt_doc_map {
	uint32_t id;
	int fd; /* read-only */
	char name[16];
	uint32_t type, key_size, value_size, max_entries;
	int state; /* enum tt_state_map, -1 for the other maps */
	/* Counted by tt_doc_count_maps() (state maps: by the scan). */
	long long entries; /* ring buffer: bytes not consumed yet; -1 unknown */
	bool preallocated; /* an array: every entry always exists */
	bool batched;	   /* read with BPF_MAP_LOOKUP_BATCH, else key by key */
	bool counted;
	/* Judged (state maps). */
	size_t live, unjudged, leaked, races;
};

struct tt_doc_tracer {
	int pid;
	char comm[17];
	char cmdline[256];
	struct tt_doc_map *maps;
	size_t n_maps;
	int state[TT_M_COUNT]; /* index in maps of each state map */
};

/*
 * Every running tracer, or only pid (0: all).  0, or -errno with err set:
 * -ESRCH no tracer, -EPERM/-EACCES not allowed to look.
 */
int tt_doc_discover(int pid, struct tt_doc_tracer **out, size_t *n, struct tt_error *err);
void tt_doc_tracers_free(struct tt_doc_tracer *t, size_t n);

/* Count the entries of every map that is not a state map. */
void tt_doc_count_maps(struct tt_doc_tracer *t, bool force_iter);

/* The map's pressure: entries / max_entries, < 0 when it has none (arrays). */
double tt_doc_pressure(const struct tt_doc_map *m);

#endif
