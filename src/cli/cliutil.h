/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_CLI_CLIUTIL_H
#define TLSTAP_CLI_CLIUTIL_H

/* What every subcommand's argument parsing needs. */

#include "tlstap/compiler.h"

/* "tlstap: CMD: <message>" and "Try 'tlstap CMD --help'." on stderr;
 * returns TT_EXIT_USAGE. */
int tt_usage_error(const char *cmd, const char *fmt, ...) TT_PRINTF(2, 3);
/* A whole decimal number in min..max; 0 or -EINVAL. */
int tt_parse_long(const char *s, long min, long max, long *out);

#endif
