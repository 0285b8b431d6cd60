/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_OUT_FILE_H
#define TLSTAP_OUT_FILE_H

#include <stdbool.h>

#include "tlstap/error.h"

/*
 * A file tlstap writes (captures hold plaintext: passwords, tokens), in two
 * steps so that a run that fails before it starts leaves nothing behind:
 * tt_output_open() opens it, never through a symbolic link (the last
 * component is not followed) and never when it has other hard links,
 * creating it with mode 0600 when it does not exist, but changes nothing in
 * a file that exists; tt_output_commit() makes it the run's (an existing
 * file set to 0600 and truncated), before anything is written to it;
 * tt_output_close() keeps a committed file and discards one that is not: a
 * file the open created is removed, an existing one is left as it was.
 * "-" is stdout; devices and pipes (/dev/null, a FIFO) are written as they
 * are.
 */
struct tt_output_file {
	const char *path;
	int fd;         /* -1: not open */
	bool created;   /* by tt_output_open */
	bool regular;   /* a regular file: committing truncates it */
	bool committed; /* the run's: closing keeps it */
};

/* 0 or a negative errno with the reason in err (f->fd is then -1). */
int tt_output_open(struct tt_output_file *f, const char *path, struct tt_error *err);
/* Make the file the run's: 0600, empty (once).  0 or -errno with err set. */
int tt_output_commit(struct tt_output_file *f, struct tt_error *err);
/* Close: a committed file as it is; else remove it if the open created it. */
void tt_output_close(struct tt_output_file *f);

/* Both opened and one file (a regular file under two names). */
bool tt_output_same(int fd_a, int fd_b);

#endif
