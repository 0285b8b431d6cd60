// SPDX-License-Identifier: MIT
/* What every subcommand's argument parsing shares. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"

int tt_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "tlstap: %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'tlstap %s --help'.\n", cmd);
	return TT_EXIT_USAGE;
}

int tt_cli_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *s == '\0' || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

int tt_cli_parse_pid(const char *s, int *pid)
{
	long v;

	if (tt_cli_parse_long(s, 1, INT_MAX, &v))
		return -EINVAL;
	*pid = (int)v;
	return 0;
}

int tt_cli_parse_seconds(const char *s, double max, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || *s == '\0' || *end != '\0' || !isfinite(v) || v < 0 || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}
