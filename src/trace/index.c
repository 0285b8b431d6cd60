// SPDX-License-Identifier: MIT
/* Hash index of 64-bit keys to array positions (see index.h). */
#include <errno.h>
#include <stdlib.h>

#include "trace/index.h"

int tt_index_init(struct tt_index *x, size_t n)
{
	size_t slots = 16;

	/* At most half full: probes stay short. */
	while (slots < 2 * n)
		slots <<= 1;
	x->slots = calloc(slots, sizeof(*x->slots));
	if (!x->slots)
		return -ENOMEM;
	x->mask = slots - 1;
	x->n = 0;
	return 0;
}

void tt_index_free(struct tt_index *x)
{
	free(x->slots);
	x->slots = NULL;
	x->mask = 0;
	x->n = 0;
}

/* Integer keys (inodes, kernel addresses) are not spread: mix them. */
static size_t slot_of(const struct tt_index *x, uint64_t key)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & x->mask;
}

void tt_index_add(struct tt_index *x, uint64_t key, uint32_t pos)
{
	size_t i = slot_of(x, key);

	if (x->n >= x->mask) /* full: never happens when sized by init */
		return;
	while (x->slots[i].pos)
		i = (i + 1) & x->mask;
	x->slots[i].key = key;
	x->slots[i].pos = pos + 1;
	x->n++;
}

long tt_index_next(const struct tt_index *x, uint64_t key, size_t *cursor)
{
	size_t i;

	if (!x->slots)
		return -1;
	/* The cursor counts the probes already made from the key's slot. */
	for (i = (slot_of(x, key) + *cursor) & x->mask; x->slots[i].pos; i = (i + 1) & x->mask) {
		++*cursor;
		if (x->slots[i].key == key)
			return (long)x->slots[i].pos - 1;
	}
	return -1;
}

uint64_t tt_index_hash(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}
