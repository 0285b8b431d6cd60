// SPDX-License-Identifier: MIT
/* `tlstap replay`: the streams, decoders and writers over a recorded capture. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/outputs.h"
#include "cli/pipeline.h"
#include "trace/ndjson.h"

static const char replay_usage[] =
    "Usage: tlstap replay [OPTIONS] FILE.ndjson\n"
    "\n"
    "Run a capture recorded with 'tlstap trace -f json' (FILE, or - for stdin)\n"
    "through the same streams, HTTP decoders and writers as a live trace: no\n"
    "root, no BPF.  Without --http or --summary the raw events are written\n"
    "again (text, or the same NDJSON with -f json).\n"
    "\n"
    "Options:\n"
    "      --http             one line (text) or NDJSON object (-f json) per HTTP\n"
    "                         exchange: HTTP/1.1, HTTP/2, gRPC (docs/ndjson.md)\n"
    "      --summary[=N]      an endpoint table at the end (and every N seconds\n"
    "                         of capture time): per process, role, server,\n"
    "                         method and path: count, errors, p50/p99 latency\n"
    "  -f, --format FMT       text (default) or json\n"
    "  -o, --output FILE      write to FILE (mode 0600) instead of stdout\n"
    "  -w, --pcapng FILE      also write the plaintext as TCP segments in pcapng\n"
    "                         for Wireshark/tshark (0600; - for stdout: then the\n"
    "                         events go to -o FILE only): converts a capture\n"
    "      --stats            print the events read, and the streams and HTTP\n"
    "                         counters, to stderr at the end (printed anyway\n"
    "                         with --http, --summary and -w)\n"
    "      --idle SECS        a connection silent this long (capture time) ends\n"
    "                         (default 300)\n"
    "      --max-conns N      connections followed at once (default "
    TT_STR(TT_STREAM_DEFAULT_MAX_CONNS) "; the\n"
    "                         least recently used one ends to make room)\n"
    "  -h, --help             show this help\n"
    "\n"
    "A malformed line stops the replay with its line number (exit 1).\n";

enum { OPT_STATS = 256, OPT_IDLE, OPT_MAX_CONNS };

static const struct option replay_options[] = {
    TT_OUTPUT_OPTIONS,
    {"stats", no_argument, NULL, OPT_STATS},
    {"idle", required_argument, NULL, OPT_IDLE},
    {"max-conns", required_argument, NULL, OPT_MAX_CONNS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};
static const char replay_shortopts[] = "f:o:w:h";

struct replay_args {
	struct tt_output_args out; /* -f, -o, -w, --http, --summary */
	const char *input;
	bool stats;
};

#define usage_error(...) tt_cli_usage_error("replay", __VA_ARGS__)

static int parse_args(int argc, char **argv, struct replay_args *a)
{
	const char *why;
	long v;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, replay_shortopts, replay_options, NULL)) != -1) {
		switch (tt_output_option(c, optarg, &a->out, &why)) {
		case 1:
			continue;
		case -1:
			return usage_error(why, optarg);
		}
		switch (c) {
		case OPT_STATS:
			a->stats = true;
			break;
		case OPT_IDLE:
			if (tt_cli_parse_long(optarg, 1, 86400 * 365, &v))
				return usage_error("--idle: '%s' is not a whole number of seconds "
						   "(1 to %d)", optarg, 86400 * 365);
			a->out.po.limits.idle_ns = v * 1000000000LL;
			break;
		case OPT_MAX_CONNS:
			if (tt_cli_parse_long(optarg, 1, 1 << 24, &v))
				return usage_error("--max-conns: '%s' is not in 1..%d", optarg,
						   1 << 24);
			a->out.po.limits.max_conns = (uint32_t)v;
			break;
		case 'h':
			fputs(replay_usage, stdout);
			return -1;
		default:
			return tt_cli_bad_option("replay", argv, replay_shortopts, replay_options);
		}
	}
	if (optind >= argc)
		return usage_error("no capture given (FILE.ndjson, or - for stdin)");
	if (optind + 1 < argc)
		return usage_error("one capture at a time ('%s' is one too many)",
				   argv[optind + 1]);
	a->input = argv[optind];
	why = tt_output_args_check(&a->out);
	return why ? usage_error("%s", why) : 0;
}

/* Feed every event; 0 at the end of input, the reader's error, or 1 when
 * an output failed (reported). */
static int run_events(struct tt_ndjson_reader *r, struct tt_pipeline *p, struct tt_outputs *out,
		      uint64_t *events, struct tt_error *err)
{
	struct tt_ndjson_event ev;
	int ret;

	while ((ret = tt_ndjson_next(r, &ev, err)) > 0) {
		(*events)++;
		switch (ev.kind) {
		case TT_ND_CHUNK:
			tt_pipeline_chunk(p, &ev.chunk);
			break;
		case TT_ND_CONN_END:
			tt_pipeline_conn_end(p, &ev.end);
			break;
		case TT_ND_EXIT:
			tt_pipeline_proc_exit(p, ev.pid, ev.time_ns);
			break;
		}
		/* A buffer that filled up has been written: an error shows. */
		if ((out->out.err || out->pcap.err) &&
		    tt_outputs_flush(out, &p->pcapng, "tlstap: replay: "))
			return 1;
	}
	return ret;
}

static int run(struct replay_args *a)
{
	struct tt_ndjson_reader r = {.fd = -1};
	struct tt_error err = {""};
	struct tt_outputs out;
	struct tt_pipeline p;
	uint64_t events = 0;
	int ret = TT_EXIT_ERROR, rr;
	bool started;

	if (tt_ndjson_open(&r, a->input, &err) < 0) {
		tt_diag("tlstap: replay: %s\n", err.msg);
		return TT_EXIT_ERROR;
	}
	if (tt_outputs_open(&out, a->out.output, a->out.pcapng, &err) < 0) {
		tt_diag("tlstap: replay: %s\n", err.msg);
		tt_ndjson_close(&r);
		return TT_EXIT_ERROR;
	}
	if (tt_outputs_include(&out, r.fd)) {
		ret = tt_cli_usage_error("replay", "%s is the capture being read; refusing to "
						   "overwrite it", a->input);
		goto out_close;
	}
	a->out.po.no_out = out.out.fd < 0;
	a->out.po.pcapng = a->out.pcapng ? &out.pcap : NULL;
	if (tt_pipeline_init(&p, &a->out.po, a->out.po.no_out ? NULL : &out.out, &err) < 0) {
		tt_diag("tlstap: replay: out of memory\n");
		goto out_close;
	}
	rr = run_events(&r, &p, &out, &events, &err);
	if (rr < 0)
		tt_diag("tlstap: replay: %s: %s\n", a->input, err.msg);
	/* The run started at its first event read whole (or with an empty
	 * capture read to its end): a capture bad from its first line leaves
	 * the outputs as they were. */
	started = events > 0 || rr == 0;
	if (started && tt_outputs_commit(&out, &err) < 0) {
		tt_diag("tlstap: replay: %s\n", err.msg);
		started = false;
		rr = -1;
	}
	if (started) {
		/* What was read before an error is still reported. */
		tt_pipeline_finish(&p, p.now_ns);
		if (!tt_outputs_flush(&out, &p.pcapng, "tlstap: replay: ") && rr == 0)
			ret = TT_EXIT_OK;
		else if (rr >= 0)
			ret = tt_outputs_status(&out);
	}
	if (started && (a->stats || p.streams)) {
		tt_diag("tlstap: events=%" PRIu64, events);
		tt_pipeline_print_counters(&p, stderr, " ");
		fputc('\n', stderr);
	}
	tt_pipeline_free(&p);
out_close:
	tt_outputs_close(&out);
	tt_ndjson_close(&r);
	return ret;
}

int tt_cmd_replay(int argc, char **argv)
{
	struct replay_args a = {0};
	int ret = parse_args(argc, argv, &a);

	if (ret)
		return ret < 0 ? TT_EXIT_OK : ret;
	signal(SIGPIPE, SIG_IGN);
	return run(&a);
}
