/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_COMMANDS_H
#define TLSTAP_COMMANDS_H

/* Subcommands: each returns the process exit status (0 ok, 1 error, 2 usage). */
int tt_cmd_resolve(int argc, char **argv);
int tt_cmd_trace(int argc, char **argv);
int tt_cmd_replay(int argc, char **argv);
int tt_cmd_doctor(int argc, char **argv);

/* Exit statuses. */
#define TT_EXIT_OK 0
#define TT_EXIT_ERROR 1
#define TT_EXIT_USAGE 2

#include "tlstap/compiler.h"

/* "tlstap CMD: <message>" and where to find help, on stderr; TT_EXIT_USAGE. */
int tt_cli_usage_error(const char *cmd, const char *fmt, ...) TT_PRINTF(2, 3);
/* getopt_long returned '?' (with opterr 0): say what was wrong with the
 * option, in one line; returns TT_EXIT_USAGE. */
struct option;
int tt_cli_bad_option(const char *cmd, char *const argv[], const char *shortopts,
		      const struct option *longopts);
/* A pid (1..INT_MAX); 0 or -EINVAL. */
int tt_cli_parse_pid(const char *s, int *pid);
/* A whole decimal number in min..max; 0 or -EINVAL. */
int tt_cli_parse_long(const char *s, long min, long max, long *out);
/* Seconds, a decimal number from 0 to max; 0 or -EINVAL. */
int tt_cli_parse_seconds(const char *s, double max, double *out);

/*
 * A report on stdout that carries text others chose (paths, module and
 * version strings of binaries, file names a process opened): printed into
 * memory, then made terminal-safe (tt_text_safe) on its way out.
 * tt_safe_text_begin gives the stream to print into (NULL when out of
 * memory), tt_safe_text_end writes it to out; 0, or -ENOMEM said on stderr
 * as command cmd's.
 */
#include <stdio.h>

struct tt_safe_text {
	FILE *f;
	char *buf;
	size_t len;
};

FILE *tt_safe_text_begin(struct tt_safe_text *t);
int tt_safe_text_end(struct tt_safe_text *t, FILE *out, const char *cmd);

#endif
