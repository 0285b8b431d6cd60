// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the /proc/PID/net/tcp{,6} parser (doctor,
 * listen.c): the input is a table file; whatever it holds, reading it
 * either fails with a message or gives sockets that the tuple and inode
 * indexes find again.
 * Seeds: this machine's own tables and hand-written lines (mkcorpus.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "trace/tcptab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_tcp_table t = { 0 };
	struct tt_error err = { "" };
	FILE *f = fmemopen((void *)data, size, "r");

	if (!f)
		return 0;
	if (tt_tcp_table_read(&t, f, "fuzz", &err) == 0 && tt_tcp_table_index(&t) == 0) {
		for (size_t i = 0; i < t.n; i++) {
			/* Every socket read is found by its tuple and inode. */
			if (!tt_tcp_find_tuple(&t, &t.socks[i].tuple))
				abort();
			if (t.socks[i].inode && !tt_tcp_find_inode(&t, t.socks[i].inode))
				abort();
		}
	}
	fclose(f);
	tt_tcp_table_free(&t);
	return 0;
}
