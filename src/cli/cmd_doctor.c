// SPDX-License-Identifier: MIT
/* `tlstap doctor`: are the running tracers' maps under pressure, or leaking? */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "doctor/doctor.h"

/* Defaults: the re-check comes after the races it filters are over (a
 * connection's close takes well under a second on loopback); a TLS call
 * that is not parked on I/O takes microseconds. */
#define DEFAULT_RECHECK_DELAY 2.0
#define DEFAULT_CALL_AGE 300.0
#define MAX_SECONDS 86400.0

static const char doctor_usage[] =
	"Usage: tlstap doctor [-p TRACER_PID] [--json] [--recheck-delay SECS]\n"
	"                     [--call-age SECS] [--iterate]\n"
	"\n"
	"Check the running tlstap tracers (every one, or the one given): for each\n"
	"of its BPF maps the type, entries, max_entries and pressure (entries /\n"
	"max_entries), read with BPF_MAP_LOOKUP_BATCH where the kernel has it, key\n"
	"by key otherwise (the report says which); and every entry of its state\n"
	"maps against the system, by what its key holds:\n"
	"  - a process that is gone, no longer traced, or younger than the entry\n"
	"    (its pid was reused);\n"
	"  - a connection whose socket is gone: its tuple is no open TCP connection\n"
	"    of the process's own network namespace (/proc/PID/net/tcp, tcp6), or\n"
	"    its fd no longer holds a socket that is one (a socks entry, what a\n"
	"    socket carried, is judged by its tuple alone: it lives until the\n"
	"    socket closes, whoever holds the socket by then);\n"
	"  - a call whose thread is gone, or in flight longer than --call-age with\n"
	"    its thread blocked outside it.  A call parked on I/O (a Go server's Read\n"
	"    on an idle keep-alive connection) is judged by its connection.\n"
	"What looks leaked is read and judged again after --recheck-delay: an entry\n"
	"gone, changed or judged alive by then was a race with the scan (counted,\n"
	"not reported).  Needs root.\n"
	"\n"
	"Options:\n"
	"  -p, --pid PID          check only the tracer with this pid\n"
	"      --json             one JSON object: maps (name, type, entries,\n"
	"                         max_entries, pressure, read), leaks (map, key,\n"
	"                         value, reason, detail), leaked (total)\n"
	"      --recheck-delay S  seconds before suspects are checked again (default\n"
	"                         2; 0: report every suspect)\n"
	"      --call-age S       a call in flight longer than this is looked at\n"
	"                         closer (default 300)\n"
	"      --iterate          read the maps key by key even where batches work\n"
	"  -h, --help             show this help\n"
	"\n"
	"Exit status: 0 nothing leaked, 1 something leaked or the check failed (no\n"
	"tracer, no permission), 2 usage error.\n";

enum { OPT_JSON = 256, OPT_RECHECK, OPT_CALL_AGE, OPT_ITERATE };

static const struct option doctor_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "recheck-delay", required_argument, NULL, OPT_RECHECK },
	{ "call-age", required_argument, NULL, OPT_CALL_AGE },
	{ "iterate", no_argument, NULL, OPT_ITERATE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};
static const char doctor_shortopts[] = "p:h";

#define usage_error(...) tt_cli_usage_error("doctor", __VA_ARGS__)

/* -1: go on; else the exit status (help, usage error). */
static int parse_args(int argc, char **argv, struct tt_doctor_opts *o, bool *json)
{
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, doctor_shortopts, doctor_options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (tt_cli_parse_pid(optarg, &o->pid))
				return usage_error("invalid pid '%s'", optarg);
			break;
		case OPT_JSON:
			*json = true;
			break;
		case OPT_RECHECK:
			if (tt_cli_parse_seconds(optarg, MAX_SECONDS, &o->recheck_delay))
				return usage_error("invalid --recheck-delay '%s'", optarg);
			break;
		case OPT_CALL_AGE:
			if (tt_cli_parse_seconds(optarg, MAX_SECONDS, &o->call_age))
				return usage_error("invalid --call-age '%s'", optarg);
			break;
		case OPT_ITERATE:
			o->force_iter = true;
			break;
		case 'h':
			fputs(doctor_usage, stdout);
			return TT_EXIT_OK;
		default:
			return tt_cli_bad_option("doctor", argv, doctor_shortopts, doctor_options);
		}
	}
	if (optind < argc)
		return usage_error("unexpected argument '%s'", argv[optind]);
	return -1;
}

int tt_cmd_doctor(int argc, char **argv)
{
	struct tt_doctor_opts o = { .recheck_delay = DEFAULT_RECHECK_DELAY,
				    .call_age = DEFAULT_CALL_AGE };
	struct tt_error err = { "" };
	struct tt_doctor d;
	bool json = false;
	int ret = parse_args(argc, argv, &o, &json);

	if (ret >= 0)
		return ret;
	if (tt_doctor_run(&d, &o, &err) < 0) {
		tt_diag("tlstap: doctor: %s\n", err.msg);
		tt_doctor_free(&d);
		return TT_EXIT_ERROR;
	}
	ret = d.n_leaks ? TT_EXIT_ERROR : TT_EXIT_OK;
	if (json) {
		tt_doctor_print_json(&d, stdout);
	} else {
		/* The report names files the traced processes opened. */
		struct tt_safe_text st;

		if (tt_safe_text_begin(&st))
			tt_doctor_print_text(&d, st.f);
		if (tt_safe_text_end(&st, stdout, "doctor"))
			ret = TT_EXIT_ERROR;
	}
	tt_doctor_free(&d);
	return ret;
}
