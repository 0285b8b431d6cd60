// SPDX-License-Identifier: MIT
/* What every subcommand's argument parsing shares. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "tlstap/error.h"

int tt_cli_usage_error(const char *cmd, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg = NULL; /* undefined after a failure */
	tt_diag("tlstap: %s: %s\nTry 'tlstap %s --help'.\n", cmd, msg ? msg : "out of memory",
		cmd);
	free(msg);
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

/* The long option an argument "--name[=value]" names: exact, else the one
 * it abbreviates (getopt_long's rule); NULL when none or (*ambiguous) more
 * than one. */
static const struct option *long_option(const char *arg, const struct option *longopts,
					bool *ambiguous)
{
	const struct option *found = NULL;
	size_t n = strcspn(arg, "=");

	*ambiguous = false;
	for (const struct option *o = longopts; o->name; o++) {
		if (strncmp(o->name, arg, n))
			continue;
		if (strlen(o->name) == n)
			return o;
		if (found)
			*ambiguous = true;
		found = o;
	}
	return *ambiguous ? NULL : found;
}

int tt_cli_bad_option(const char *cmd, char *const argv[], const char *shortopts,
		      const struct option *longopts)
{
	const char *arg = optind > 0 ? argv[optind - 1] : NULL;
	const struct option *lo = NULL;
	bool ambiguous = false;
	unsigned char b;

	if (arg && !strncmp(arg, "--", 2) && arg[2])
		lo = long_option(arg + 2, longopts, &ambiguous);
	/* getopt_long's optopt: a long option's val when its value is
	 * missing or not allowed, the byte of a short one (negative above
	 * 0x7f), 0 for an unknown long one.  arg is the last element getopt
	 * finished, not always the one at fault: a short option's byte is
	 * told from optopt alone. */
	if (lo && optopt && lo->val == optopt) {
		if (lo->has_arg == no_argument)
			return tt_cli_usage_error(cmd, "option '--%s' takes no value", lo->name);
		return tt_cli_usage_error(cmd, "option '--%s' needs a value", lo->name);
	}
	if (optopt) {
		b = (unsigned char)optopt;
		if (!isgraph(b))
			return tt_cli_usage_error(cmd, "unknown option '-\\x%02x'", b);
		/* ':' and '+' are the option string's syntax, not options. */
		if (b != ':' && b != '+' && strchr(shortopts, b))
			return tt_cli_usage_error(cmd, "option '-%c' needs a value", b);
		return tt_cli_usage_error(cmd, "unknown option '-%c'", b);
	}
	if (arg && !strncmp(arg, "--", 2))
		return tt_cli_usage_error(cmd, "%s option '--%.*s'",
					  ambiguous ? "ambiguous" : "unknown",
					  (int)strcspn(arg + 2, "="), arg + 2);
	return tt_cli_usage_error(cmd, "unknown option '%s'", arg ? arg : "?");
}

FILE *tt_safe_text_begin(struct tt_safe_text *t)
{
	t->buf = NULL;
	t->len = 0;
	t->f = open_memstream(&t->buf, &t->len);
	return t->f;
}

int tt_safe_text_end(struct tt_safe_text *t, FILE *out, const char *cmd)
{
	int ret = -ENOMEM;

	if (t->f && !fclose(t->f))
		ret = tt_text_safe_write(out, t->buf, t->len);
	free(t->buf);
	t->f = NULL;
	t->buf = NULL;
	if (ret)
		tt_diag("tlstap: %s: out of memory\n", cmd);
	return ret;
}
