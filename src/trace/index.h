/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_INDEX_H
#define TLSTAP_TRACE_INDEX_H

/*
 * A hash index from 64-bit keys to positions in an array the caller owns
 * (sockets by inode, sockets by tuple hash, map entries by socket
 * address): open addressing, several positions per key allowed, built once
 * and then only read.
 */

#include <stddef.h>
#include <stdint.h>

struct tt_index {
	struct tt_index_slot {
		uint64_t key;
		uint32_t pos; /* position + 1; 0 = empty slot */
	} * slots;
	size_t mask; /* slots - 1, a power of two */
	size_t n;
};

/* Room for at least n positions; 0 or -ENOMEM. */
int tt_index_init(struct tt_index *x, size_t n);
void tt_index_free(struct tt_index *x);
/* Add one position under key (the index must have room: tt_index_init). */
void tt_index_add(struct tt_index *x, uint64_t key, uint32_t pos);

/*
 * Positions under key, one per call: *cursor starts at 0; returns the
 * position, or -1 when there are no more.
 */
long tt_index_next(const struct tt_index *x, uint64_t key, size_t *cursor);

/* A 64-bit hash of n bytes (FNV-1a), for keys that are not integers. */
uint64_t tt_index_hash(const void *p, size_t n);

#endif
