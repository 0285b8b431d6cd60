// SPDX-License-Identifier: MIT
/* `tlstap resolve`: static analysis of Go binaries, TLS libraries, processes. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/resolve_pid.h"
#include "cli/resolve_print.h"
#include "tlstap/resolve.h"

static const char resolve_usage[] =
	"Usage: tlstap resolve [OPTIONS] FILE...\n"
	"       tlstap resolve [OPTIONS] -p PID [-p PID...]\n"
	"\n"
	"Static analysis of Go binaries and native TLS libraries: everything a uprobe\n"
	"tracer needs, without running anything and without root.\n"
	"\n"
	"For a Go binary: Go version, module, ABI, PIE, build-id, DWARF/symtab/cgo;\n"
	"entry address, file offset, size and every RET site (file offsets) of\n"
	"crypto/tls.(*Conn).Read/Write/Close with their decoded prologue and argument\n"
	"and result locations; the struct field offsets the tracer reads (from DWARF,\n"
	"the binary's runtime type descriptors and a per-Go-version table, which must\n"
	"agree); the address of the *net.TCPConn,net.Conn itab.\n"
	"For a native object: OpenSSL/GnuTLS entry points (file offsets) and version.\n"
	"With -p: the process's executable and every mapped TLS library, and what the\n"
	"tracer would attach to.\n"
	"\n"
	"Options:\n"
	"  -p, --pid PID               resolve a running process (repeatable)\n"
	"      --json                  one JSON object per input (docs/resolve-json.md)\n"
	"      --assume-go-version V   use the layout table row of Go V (e.g. 1.22) for a\n"
	"                              stripped binary whose version has no row\n"
	"      --no-prologue           do not decode function prologues\n"
	"  -h, --help                  show this help\n"
	"\n"
	"Exit status: 0 if every input resolved, 1 if any failed or has nothing to\n"
	"trace (the others are still printed), 2 on a usage error.\n";

enum { OPT_JSON = 256, OPT_ASSUME, OPT_NO_PROLOGUE };

static const struct option resolve_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "assume-go-version", required_argument, NULL, OPT_ASSUME },
	{ "no-prologue", no_argument, NULL, OPT_NO_PROLOGUE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};
static const char resolve_shortopts[] = "+p:h";

struct resolve_args {
	bool json;
	struct tt_resolve_opts opts;
	int *pids;
	size_t n_pids;
};

#define usage_error(...) tt_cli_usage_error("resolve", __VA_ARGS__)

/* Would the tracer attach to it?  If not, say why on stderr. */
static bool traceable(const struct tt_resolution *r, const char *path)
{
	struct tt_error err = { "" };
	struct tt_plan plan = { 0 };
	bool ok;

	if (tt_plan_object(r, &plan, &err) < 0) {
		fflush(stdout);
		tt_diag("tlstap: %s: %s\n", path, err.msg);
		return false;
	}
	ok = plan.attach;
	if (!ok) {
		fflush(stdout);
		tt_diag("tlstap: %s: the tracer would not attach: %s\n", path, plan.reason);
	}
	tt_plan_free(&plan);
	return ok;
}

static int resolve_files(char **paths, int n, const struct resolve_args *a)
{
	struct tt_json j;
	int failed = 0, printed = 0;

	tt_json_init(&j, stdout);
	for (int i = 0; i < n; i++) {
		struct tt_resolution *r = NULL;
		struct tt_error err = { "" };

		if (tt_resolve_path(paths[i], &a->opts, &r, &err) < 0) {
			fflush(stdout);
			tt_diag("tlstap: %s: %s\n", paths[i], err.msg);
			failed++;
			continue;
		}
		/* An ELF with nothing to trace is an error for the user who asked,
		 * with the resolver's reason when it has one (e.g. TLS code that
		 * cannot be hooked); --json still gives its object (kind "none"),
		 * one per ELF input. */
		if (r->kind == TT_KIND_NONE) {
			if (a->json) {
				tt_print_resolution_json(&j, r);
				tt_json_newline(&j);
			}
			fflush(stdout);
			tt_diag("tlstap: %s: not a Go binary and no OpenSSL/GnuTLS entry "
					"points%s%s\n",
				paths[i], r->n_notes ? ": " : "", r->n_notes ? r->notes[0].text : "");
			tt_resolution_free(r);
			failed++;
			continue;
		}
		if (a->json) {
			tt_print_resolution_json(&j, r);
			tt_json_newline(&j);
		} else {
			struct tt_safe_text st;

			if (printed)
				putchar('\n');
			if (tt_safe_text_begin(&st))
				tt_print_resolution_text(st.f, r, "");
			tt_safe_text_end(&st, stdout, "resolve");
		}
		printed++;
		/* Resolved, but the tracer would attach nothing (an unknown
		 * layout, an ABI it cannot read): as good as nothing to trace. */
		if (!traceable(r, paths[i]))
			failed++;
		tt_resolution_free(r);
	}
	fflush(stdout);
	return failed ? TT_EXIT_ERROR : TT_EXIT_OK;
}

int tt_cmd_resolve(int argc, char **argv)
{
	struct resolve_args a = { .opts = { .want_prologue = true } };
	int c, ret, pid;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, resolve_shortopts, resolve_options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (tt_cli_parse_pid(optarg, &pid) < 0)
				return usage_error("invalid pid '%s'", optarg);
			a.pids = realloc(a.pids, (a.n_pids + 1) * sizeof(*a.pids));
			if (!a.pids) {
				tt_diag("tlstap: out of memory\n");
				return TT_EXIT_ERROR;
			}
			a.pids[a.n_pids++] = pid;
			break;
		case OPT_JSON:
			a.json = true;
			break;
		case OPT_ASSUME:
			a.opts.assume_go_version = optarg;
			break;
		case OPT_NO_PROLOGUE:
			a.opts.want_prologue = false;
			break;
		case 'h':
			fputs(resolve_usage, stdout);
			free(a.pids);
			return TT_EXIT_OK;
		default:
			free(a.pids);
			return tt_cli_bad_option("resolve", argv, resolve_shortopts, resolve_options);
		}
	}
	if (a.n_pids && optind < argc) {
		free(a.pids);
		return usage_error("give files or -p PID, not both (%s)", argv[optind]);
	}
	if (!a.n_pids && optind >= argc)
		return usage_error("%s", "nothing to resolve: give a FILE or -p PID");

	if (a.n_pids)
		ret = tt_resolve_pids(a.pids, a.n_pids, &a.opts, a.json, stdout) ? TT_EXIT_ERROR
										: TT_EXIT_OK;
	else
		ret = resolve_files(argv + optind, argc - optind, &a);
	free(a.pids);
	return ret;
}
