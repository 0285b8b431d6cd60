// SPDX-License-Identifier: MIT
/* Whole-map reads from user space: batched where possible, else key by key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "trace/mapwalk.h"

/* Entries per batch: large enough that a million-entry map takes ~250 calls. */
#define WALK_BATCH 4096
/* A walk restarts when an entry is deleted under it: bound the steps. */
#define WALK_MAX_STEPS (16u << 20)

static bool is_percpu(uint32_t type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/* Key size, and the bytes a lookup writes per entry (all CPUs' values for
 * per-CPU maps, each rounded up to 8). */
static int map_sizes(int fd, uint32_t *key_size, uint32_t *value_size, uint32_t *max)
{
	struct bpf_map_info info = { 0 };
	uint32_t len = sizeof(info);
	int ncpu;

	if (bpf_map_get_info_by_fd(fd, &info, &len))
		return -errno;
	*key_size = info.key_size ? info.key_size : 1;
	*value_size = info.value_size ? info.value_size : 1;
	*max = info.max_entries;
	if (is_percpu(info.type)) {
		ncpu = libbpf_num_possible_cpus();
		if (ncpu <= 0)
			return ncpu ? ncpu : -EINVAL;
		*value_size = ((info.value_size + 7) & ~7u) * (uint32_t)ncpu;
	}
	return 0;
}

static int walk_batched(int fd, uint32_t ks, uint32_t vs, tt_map_visit_fn fn, void *ctx,
			struct tt_map_walk_stats *st)
{
	uint8_t *keys = malloc((size_t)WALK_BATCH * ks), *vals = malloc((size_t)WALK_BATCH * vs);
	uint64_t in_batch = 0, out_batch = 0;
	bool first = true;
	int ret = 0;

	if (!keys || !vals) {
		ret = -ENOMEM;
		goto out;
	}
	for (;;) {
		uint32_t count = WALK_BATCH;
		int r = bpf_map_lookup_batch(fd, first ? NULL : &in_batch, &out_batch, keys, vals,
					     &count, NULL);

		if (r && errno != ENOENT) {
			ret = -errno;
			break;
		}
		for (uint32_t i = 0; i < count; i++) {
			st->entries++;
			if (fn && fn(keys + (size_t)i * ks, vals + (size_t)i * vs, ctx))
				goto out;
		}
		if (r) /* ENOENT: that was the last batch */
			break;
		in_batch = out_batch;
		first = false;
	}
out:
	free(keys);
	free(vals);
	return ret;
}

static int walk_keys(int fd, uint32_t ks, uint32_t vs, tt_map_visit_fn fn, void *ctx,
		     struct tt_map_walk_stats *st)
{
	uint8_t *prev = malloc(ks), *next = malloc(ks), *val = malloc(vs);
	size_t steps = 0;
	bool first = true;
	int ret = 0;

	if (!prev || !next || !val) {
		ret = -ENOMEM;
		goto out;
	}
	while (steps++ < WALK_MAX_STEPS &&
	       bpf_map_get_next_key(fd, first ? NULL : prev, next) == 0) {
		first = false;
		memcpy(prev, next, ks);
		if (bpf_map_lookup_elem(fd, next, val))
			continue; /* deleted meanwhile */
		st->entries++;
		if (fn && fn(next, val, ctx))
			break;
	}
out:
	free(prev);
	free(next);
	free(val);
	return ret;
}

int tt_map_walk(int map_fd, tt_map_visit_fn fn, void *ctx, bool force_iter,
		struct tt_map_walk_stats *stats)
{
	struct tt_map_walk_stats local;
	uint32_t ks, vs, max;
	int ret;

	if (!stats)
		stats = &local;
	memset(stats, 0, sizeof(*stats));
	ret = map_sizes(map_fd, &ks, &vs, &max);
	if (ret)
		return ret;
	if (!force_iter) {
		ret = walk_batched(map_fd, ks, vs, fn, ctx, stats);
		/* Map types without batch ops say EINVAL/ENOTSUPP at the first call. */
		if (ret == 0 || stats->entries)
			goto done;
		stats->entries = 0;
	}
	ret = walk_keys(map_fd, ks, vs, fn, ctx, stats);
	return ret;
done:
	stats->batched = true;
	return ret;
}

static int collect_visit(const void *key, const void *value, void *ctx)
{
	struct tt_map_entries *e = ctx;

	if (e->n == e->cap) {
		size_t cap = e->cap ? 2 * e->cap : 256;
		uint8_t *k = realloc(e->keys, cap * e->key_size);

		if (!k)
			return 1;
		e->keys = k;
		k = realloc(e->values, cap * e->value_size);
		if (!k)
			return 1;
		e->values = k;
		e->cap = cap;
	}
	memcpy(e->keys + e->n * e->key_size, key, e->key_size);
	memcpy(e->values + e->n * e->value_size, value, e->value_size);
	e->n++;
	return 0;
}

int tt_map_collect(int map_fd, bool force_iter, struct tt_map_entries *out)
{
	struct tt_map_walk_stats st;
	uint32_t max;
	int ret;

	memset(out, 0, sizeof(*out));
	ret = map_sizes(map_fd, &out->key_size, &out->value_size, &max);
	if (ret)
		return ret;
	ret = tt_map_walk(map_fd, collect_visit, out, force_iter, &st);
	out->batched = st.batched;
	/* The visitor stops the walk only when it cannot grow the copy. */
	if (!ret && out->n != st.entries)
		ret = -ENOMEM;
	if (ret)
		tt_map_entries_free(out);
	return ret;
}

void tt_map_entries_free(struct tt_map_entries *e)
{
	free(e->keys);
	free(e->values);
	e->keys = e->values = NULL;
	e->n = e->cap = 0;
}

size_t tt_map_sweep_tgid(int map_fd, bool key_side, size_t tgid_off, uint32_t tgid)
{
	struct tt_map_entries all;
	size_t deleted = 0;

	/* Copy, then delete: deleting during the walk would restart it. */
	if (tt_map_collect(map_fd, false, &all) ||
	    tgid_off + sizeof(tgid) > (key_side ? all.key_size : all.value_size))
		goto out;
	for (size_t i = 0; i < all.n; i++) {
		const uint8_t *key = all.keys + i * all.key_size;
		const uint8_t *p = key_side ? key : all.values + i * all.value_size;
		uint32_t t;

		memcpy(&t, p + tgid_off, sizeof(t));
		if (t == tgid)
			deleted += bpf_map_delete_elem(map_fd, key) == 0;
	}
out:
	tt_map_entries_free(&all);
	return deleted;
}
