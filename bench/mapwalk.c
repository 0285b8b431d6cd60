// SPDX-License-Identifier: MIT
/*
 * Reading a whole BPF map of N entries from user space, as doctor does
 * (tt_map_walk): BPF_MAP_LOOKUP_BATCH against key-by-key iteration
 * (get_next_key + lookup), runs interleaved so that a noisy machine biases
 * neither.  Maps of the tracer's shape: 24-byte keys and 72-byte values (a
 * Go connection), hash and LRU hash.  Prints one line per run:
 *
 *   TYPE MODE SECONDS ENTRIES
 *
 * Usage: mapwalk [N] [RUNS]   (root; a benchmark, nothing is asserted)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "tlstap/state.h"
#include "trace/mapwalk.h"

/* Entries written per BPF_MAP_UPDATE_BATCH while filling. */
#define FILL_BATCH 65536

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int fill(int fd, uint32_t n)
{
	struct tt_go_conn_key *keys = calloc(FILL_BATCH, sizeof(*keys));
	struct tt_go_conn *vals = calloc(FILL_BATCH, sizeof(*vals));
	int ret = -ENOMEM;

	if (!keys || !vals)
		goto out;
	for (uint32_t done = 0; done < n;) {
		uint32_t count = n - done < FILL_BATCH ? n - done : FILL_BATCH;

		for (uint32_t i = 0; i < count; i++) {
			keys[i] = (struct tt_go_conn_key){ .tgid = 1000 + (done + i) % 64,
							   .conn = 0xc000000000ULL + done + i,
							   .netfd = 0xc100000000ULL + done + i };
			vals[i] = (struct tt_go_conn){ .sk = 0xffff888000000000ULL + done + i,
						       .fd = (int)(done + i) };
		}
		if (bpf_map_update_batch(fd, keys, vals, &count, NULL)) {
			ret = -errno;
			goto out;
		}
		done += count;
	}
	ret = 0;
out:
	free(keys);
	free(vals);
	return ret;
}

static int create(enum bpf_map_type type, uint32_t n)
{
	int fd = bpf_map_create(type, "bench_walk", sizeof(struct tt_go_conn_key),
				sizeof(struct tt_go_conn), n, NULL);
	int ret;

	if (fd < 0)
		return -errno;
	ret = fill(fd, n);
	if (ret < 0) {
		close(fd);
		return ret;
	}
	return fd;
}

int main(int argc, char **argv)
{
	static const struct {
		enum bpf_map_type type;
		const char *name;
	} types[] = { { BPF_MAP_TYPE_HASH, "hash" }, { BPF_MAP_TYPE_LRU_HASH, "lru_hash" } };
	uint32_t n = argc > 1 ? (uint32_t)atol(argv[1]) : 1000000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;

	for (size_t t = 0; t < sizeof(types) / sizeof(types[0]); t++) {
		int fd = create(types[t].type, n);

		if (fd < 0) {
			fprintf(stderr, "mapwalk: %s of %u entries: %s\n", types[t].name, n,
				strerror(-fd));
			return 1;
		}
		for (int r = 0; r < runs; r++) {
			for (int iter = 0; iter < 2; iter++) {
				struct tt_map_walk_stats st;
				double t0 = now_s();
				int ret = tt_map_walk(fd, NULL, NULL, iter, &st);

				if (ret < 0) {
					fprintf(stderr, "mapwalk: %s\n", strerror(-ret));
					return 1;
				}
				printf("%s %s %.6f %zu\n", types[t].name,
				       st.batched ? "batch" : "iteration", now_s() - t0, st.entries);
				fflush(stdout);
			}
		}
		close(fd);
	}
	return 0;
}
