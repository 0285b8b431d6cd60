// SPDX-License-Identifier: MIT
/*
 * Target of the uprobe/ring-buffer end-to-end test: waits for a byte on
 * stdin (so the test can attach first), then calls tt_target_marker()
 * COUNT times with (i, MAGIC) and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* noinline + used: the probe needs a real symbol with a real call. */
__attribute__((noinline, used)) long tt_target_marker(long seq, long magic)
{
	__asm__ volatile("" ::: "memory");
	return seq ^ magic;
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
	long magic = argc > 2 ? strtol(argv[2], NULL, 0) : 0x7157;
	long acc = 0;
	char go;

	if (read(0, &go, 1) != 1)
		return 1;
	for (long i = 0; i < count; i++)
		acc += tt_target_marker(i, magic);
	printf("%ld\n", acc);
	return 0;
}
