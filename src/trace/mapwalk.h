/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_MAPWALK_H
#define TLSTAP_TRACE_MAPWALK_H

/*
 * Reading whole BPF maps from user space: in batches (BPF_MAP_LOOKUP_BATCH,
 * Linux >= 5.6, one system call per batch) where the kernel has them for
 * the map type, else key by key (get_next_key + lookup).  Used to sweep a
 * process's state and by `tlstap doctor`.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Called for each entry; return non-zero to stop the walk. */
typedef int (*tt_map_visit_fn)(const void *key, const void *value, void *ctx);

struct tt_map_walk_stats {
	size_t entries;
	bool batched; /* BPF_MAP_LOOKUP_BATCH was used */
};

/*
 * Visit every entry of the map (per-CPU maps give the value of CPU 0 only).
 * force_iter: key by key even where batches work (benchmarks).  0 or -errno.
 */
int tt_map_walk(int map_fd, tt_map_visit_fn fn, void *ctx, bool force_iter,
		struct tt_map_walk_stats *stats);

/* A copy of a map's entries: key i at keys + i * key_size, its value at
 * values + i * value_size (every CPU's, for per-CPU maps). */
struct tt_map_entries {
	uint8_t *keys, *values;
	size_t n, cap;
	uint32_t key_size, value_size;
	bool batched; /* read with BPF_MAP_LOOKUP_BATCH */
};

/* Copy every entry of the map (tt_map_walk); 0 or -errno (nothing kept). */
int tt_map_collect(int map_fd, bool force_iter, struct tt_map_entries *out);
void tt_map_entries_free(struct tt_map_entries *e);

/*
 * Delete every entry whose __u32 tgid at tgid_off of the key (key_side) or
 * of the value equals tgid; returns how many were deleted.
 */
size_t tt_map_sweep_tgid(int map_fd, bool key_side, size_t tgid_off, uint32_t tgid);

#endif
