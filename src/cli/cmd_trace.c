// SPDX-License-Identifier: MIT
/* `tlstap trace`: attach to processes, print TLS plaintext with attribution. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli/commands.h"
#include "trace/launch.h"
#include "trace/proc.h"
#include "trace/tracer.h"
#include "out/file.h"
#include "out/raw.h"

/* Bytes formatted before each write() of the output. */
#define OUTPUT_BUFFER (1u << 20)
/* The ring buffer: a 100 ms burst at 200 MB/s (20 MB) fits. */
#define DEFAULT_BUFFER (32u << 20)

static const char trace_usage[] =
	"Usage: tlstap trace [OPTIONS] -p PID [-p PID...]\n"
	"       tlstap trace [OPTIONS] -- CMD [ARGS...]\n"
	"\n"
	"Attach uprobes to the processes and print every TLS read and write as\n"
	"plaintext with pid, tid, comm, library, direction, local and remote address\n"
	"and how the connection was attributed (go-memory, syscall-fd, cache,\n"
	"ambiguous, none).  Needs root, in the initial pid namespace.\n"
	"\n"
	"Traced: Go crypto/tls (register ABI: amd64 go1.17+, arm64 go1.18+):\n"
	"(*Conn).Read when n > 0, (*Conn).Write when err == nil; OpenSSL 1.1/3.x\n"
	"SSL_read/SSL_write/SSL_read_ex/SSL_write_ex and GnuTLS gnutls_record_recv/\n"
	"gnutls_record_send in the executable and every mapped library, including\n"
	"libraries loaded later (rescanned twice a second).\n"
	"\n"
	"With -- CMD, CMD is started and traced before any of its code runs: it is\n"
	"held at exec while tlstap attaches, and again each time the dynamic loader\n"
	"has mapped libraries (at start-up and at dlopen), before their constructors\n"
	"run; a program it execs is followed.  tlstap exits with CMD's exit status.\n"
	"A -p process that maps no TLS library yet is watched until it does.\n"
	"\n"
	"Options:\n"
	"  -p, --pid PID          trace this process (repeatable)\n"
	"  -f, --format FMT       text (default) or json (NDJSON, see README)\n"
	"  -o, --output FILE      write events to FILE instead of stdout\n"
	"      --max-bytes N      plaintext bytes captured per TLS call (default 16384,\n"
	"                         max 262144); the rest is flagged truncated\n"
	"      --chunk-size N     bytes per event (default and max 16384)\n"
	"      --buffer-size SIZE ring buffer between the kernel and tlstap (default\n"
	"                         32M: a 100 ms burst at 200 MB/s; a power of two,\n"
	"                         64K to 1G, K/M/G suffixes)\n"
	"  -d, --duration SECS    stop after SECS seconds\n"
	"      --stats            print counters to stderr every second\n"
	"      --probe-only       attach every probe but let them do nothing (for\n"
	"                         benchmarks: the cost of the probes themselves)\n"
	"  -v, --verbose          say what is attached\n"
	"  -h, --help             show this help\n"
	"\n"
	"Counters (events, ring-buffer drops, truncated bytes, map update failures,\n"
	"...) are printed to stderr at exit.  SIGINT/SIGTERM detach cleanly.\n";

enum { OPT_MAX_BYTES = 256, OPT_CHUNK, OPT_STATS, OPT_PROBE_ONLY, OPT_BUFFER };

static const struct option trace_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "format", required_argument, NULL, 'f' },
	{ "output", required_argument, NULL, 'o' },
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "chunk-size", required_argument, NULL, OPT_CHUNK },
	{ "buffer-size", required_argument, NULL, OPT_BUFFER },
	{ "duration", required_argument, NULL, 'd' },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "probe-only", no_argument, NULL, OPT_PROBE_ONLY },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct trace_args {
	struct tt_target *targets;
	size_t n_targets;
	enum tt_raw_format format;
	const char *output;
	long max_bytes;
	long chunk_size;
	uint32_t buffer_size;
	double duration;
	bool stats;
	bool probe_only;
	bool verbose;
	char **cmd;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int usage_error(const char *fmt, ...) TT_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("tlstap: trace: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'tlstap trace --help'.\n", stderr);
	return TT_EXIT_USAGE;
}

static int parse_long(const char *s, long min, long max, long *out)
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

/* "32M", "65536", "1G": a power of two from 64 KiB to 1 GiB. */
static int parse_size(const char *s, uint32_t *out)
{
	unsigned long long v;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'K': case 'k': v <<= 10; end++; break;
	case 'M': case 'm': v <<= 20; end++; break;
	case 'G': case 'g': v <<= 30; end++; break;
	}
	if (*end || v < (64u << 10) || v > (1u << 30) || (v & (v - 1)))
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

/* The processes one tlstap traces: the BPF watch map holds this many. */
#define MAX_TARGETS 4096

/* Targets live in one array allocated at the first: pointers to them stay
 * valid, and the count is bounded before anything is attached or run. */
static int add_target(struct trace_args *a, int pid)
{
	if (!a->targets) {
		a->targets = calloc(MAX_TARGETS, sizeof(*a->targets));
		if (!a->targets)
			return -ENOMEM;
	}
	if (a->n_targets == MAX_TARGETS)
		return -E2BIG;
	a->targets[a->n_targets++].pid = pid;
	return 0;
}

static int parse_args(int argc, char **argv, struct trace_args *a)
{
	long v;
	int c;

	a->max_bytes = 16384;
	a->chunk_size = TT_CHUNK_MAX;
	a->buffer_size = DEFAULT_BUFFER;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+p:f:o:d:vh", trace_options, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_long(optarg, 1, INT_MAX, &v))
				return usage_error("invalid pid '%s'", optarg);
			if (add_target(a, (int)v))
				return usage_error("more than %d processes", MAX_TARGETS);
			break;
		case 'f':
			if (!strcmp(optarg, "text"))
				a->format = TT_RAW_TEXT;
			else if (!strcmp(optarg, "json"))
				a->format = TT_RAW_JSON;
			else
				return usage_error("unknown format '%s' (text, json)", optarg);
			break;
		case 'o':
			a->output = optarg;
			break;
		case OPT_MAX_BYTES:
			if (parse_long(optarg, 1, (long)TT_MAX_CHUNKS * TT_CHUNK_MAX, &a->max_bytes))
				return usage_error("--max-bytes: '%s' is not in 1..%d", optarg,
						   TT_MAX_CHUNKS * TT_CHUNK_MAX);
			break;
		case OPT_BUFFER:
			if (parse_size(optarg, &a->buffer_size))
				return usage_error("--buffer-size: '%s' is not a power of two from "
						   "64K to 1G (K, M, G suffixes)", optarg);
			break;
		case OPT_CHUNK:
			if (parse_long(optarg, 64, TT_CHUNK_MAX, &a->chunk_size))
				return usage_error("--chunk-size: '%s' is not in 64..%d", optarg,
						   TT_CHUNK_MAX);
			break;
		case 'd': {
			char *end;

			errno = 0;
			a->duration = strtod(optarg, &end);
			if (errno || *end || a->duration <= 0)
				return usage_error("invalid duration '%s'", optarg);
			break;
		}
		case OPT_STATS:
			a->stats = true;
			break;
		case OPT_PROBE_ONLY:
			a->probe_only = true;
			break;
		case 'v':
			a->verbose = true;
			break;
		case 'h':
			fputs(trace_usage, stdout);
			return -1;
		default:
			if (optopt)
				return usage_error("option '-%c' is unknown or needs a value", optopt);
			return usage_error("unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return usage_error("unexpected argument '%s' (use -- CMD)", argv[optind]);
		a->cmd = argv + optind;
	}
	if (!a->cmd && !a->n_targets)
		return usage_error("nothing to trace: give -p PID or -- CMD");
	if (a->cmd && a->n_targets)
		return usage_error("give -p PID or -- CMD, not both");
	/* The launched command's place, taken before it runs. */
	if (a->cmd && add_target(a, 0))
		return usage_error("out of memory");
	if (a->max_bytes > a->chunk_size * TT_MAX_CHUNKS)
		return usage_error("--max-bytes %ld needs more than %d chunks of %ld", a->max_bytes,
				   TT_MAX_CHUNKS, a->chunk_size);
	return 0;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The counters on one line; a map whose updates failed is named. */
static void print_counters(struct tt_tracer *t, const char *prefix)
{
	uint64_t c[TT_C_COUNT], m[TT_M_COUNT];

	tt_tracer_counters(t, c);
	tt_tracer_map_full(t, m);
	fprintf(stderr, "%s", prefix);
	for (int i = 0; i < TT_C_COUNT; i++)
		fprintf(stderr, "%s%s=%llu", i ? " " : "", tt_counter_name(i),
			(unsigned long long)c[i]);
	for (int i = 0; i < TT_M_COUNT; i++)
		if (m[i])
			fprintf(stderr, " map_full[%s]=%llu", tt_state_map_name(i),
				(unsigned long long)m[i]);
	fputc('\n', stderr);
}

/* Is the process stopped (state T)? */
static bool pid_stopped(int pid)
{
	return tt_proc_state(pid) == 'T';
}

struct run_state {
	pid_t child;
	int child_status;
	bool child_exited;
};

static void check_targets(struct tt_tracer *t, struct trace_args *a, struct run_state *rs)
{
	for (size_t i = 0; i < a->n_targets; i++) {
		struct tt_target *tg = &a->targets[i];
		int status;

		if (tg->gone)
			continue;
		if (rs->child > 0 && tg->pid == rs->child) {
			if (waitpid(rs->child, &status, WNOHANG) != rs->child)
				continue;
			rs->child_status = status;
			rs->child_exited = true;
		} else if (!tg->exited && tt_proc_alive(tg->pid)) {
			continue;
		}
		/* Drain what it sent before it went, then drop its probes. */
		tt_tracer_poll(t, 0);
		tt_tracer_detach(t, tg);
		tg->gone = true;
		if (a->verbose)
			fprintf(stderr, "tlstap: pid %d exited\n", tg->pid);
	}
}

static bool all_gone(const struct trace_args *a)
{
	for (size_t i = 0; i < a->n_targets; i++)
		if (!a->targets[i].gone)
			return false;
	return true;
}

static int exit_status_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return TT_EXIT_ERROR;
}

/* -v: what is attached to the process now ("probes" is what tests wait for). */
static void say_probes(const struct trace_args *a, const struct tt_target *tg, const char *what)
{
	if (a->verbose)
		fprintf(stderr,
			"tlstap: pid %d (%s)%s: %zu Go probes, %zu native probes in %zu objects\n",
			tg->pid, tg->exe, what, tg->n_go_probes, tg->n_native_probes,
			tg->n_native_objects);
}

/* Attach what the process loaded since (TT_PROC_RESCAN), or its new program
 * after an exec (TT_PROC_EXEC), and say so. */
static void reattach(struct tt_tracer *t, const struct trace_args *a, struct tt_target *tg,
		     unsigned kind)
{
	size_t before = tg->n_go_probes + tg->n_native_probes;
	struct tt_error err = { "" };
	int n;

	n = kind == TT_PROC_EXEC ? tt_tracer_reexec(t, tg, &err) : tt_tracer_rescan(t, tg, &err);
	if (n < 0 && tt_proc_alive(tg->pid))
		fprintf(stderr, "tlstap: %s\n", err.msg);
	else if (kind == TT_PROC_EXEC || tg->n_go_probes + tg->n_native_probes != before)
		say_probes(a, tg, kind == TT_PROC_EXEC ? " exec'd" : " loaded code");
}

static int attach_all(struct tt_tracer *t, struct trace_args *a)
{
	int attached = 0;

	for (size_t i = 0; i < a->n_targets; i++) {
		struct tt_target *tg = &a->targets[i];
		struct tt_error err = { "" };

		if (tt_tracer_attach(t, tg, &err) < 0) {
			fprintf(stderr, "tlstap: %s\n", err.msg);
			tg->gone = true;
			continue;
		}
		attached++;
		/* A launched command is held at exec: its libraries come later. */
		if (!tg->n_go_probes && !tg->n_native_objects && !tg->stop_on_dlopen)
			fprintf(stderr,
				"tlstap: pid %d (%s): no Go crypto/tls and no OpenSSL/GnuTLS mapped "
				"yet; watching for libraries it loads and programs it executes\n",
				tg->pid, tg->exe);
		say_probes(a, tg, "");
	}
	return attached;
}

/* Libraries loaded after attach (dlopen) are found by looking again. */
#define RESCAN_INTERVAL_S 0.5

static void rescan_all(struct tt_tracer *t, struct trace_args *a)
{
	for (size_t i = 0; i < a->n_targets; i++)
		if (!a->targets[i].gone && a->targets[i].attached)
			reattach(t, a, &a->targets[i], TT_PROC_RESCAN);
}

/* What the sink callbacks need. */
struct ctl_ctx {
	struct tt_tracer *t;
	struct trace_args *a;
	struct tt_raw_writer *raw;
};

static void on_chunk(void *ctx, const struct tt_chunk *c)
{
	struct ctl_ctx *cc = ctx;

	tt_raw_chunk(cc->raw, c);
}

/*
 * A control event from BPF: the process exec'd (attach to the new program),
 * its loader changed the link map (attach what it loaded), or it exited.  A
 * launched process was stopped for this: release it once attached.
 */
static void on_ctl(void *ctx, int tgid, unsigned kind, bool stopped)
{
	struct ctl_ctx *cc = ctx;

	for (size_t i = 0; i < cc->a->n_targets; i++) {
		struct tt_target *tg = &cc->a->targets[i];

		if (tg->pid != tgid || tg->gone) {
			if (stopped && tg->pid == tgid)
				kill(tgid, SIGCONT);
			continue;
		}
		if (kind == TT_PROC_EXIT) {
			tg->exited = true;
			continue;
		}
		if (kind == TT_PROC_EXEC || (kind == TT_PROC_RESCAN && tg->attached))
			reattach(cc->t, cc->a, tg, kind);
		if (stopped)
			kill(tg->pid, SIGCONT);
	}
}

static void loop(struct tt_tracer *t, struct trace_args *a, struct run_state *rs,
		 struct tt_wbuf *out)
{
	double start = now_s(), last_stats = start, last_rescan = start;

	while (!stop_signal) {
		double now;

		if (tt_tracer_poll(t, 100) < 0)
			break;
		if (tt_wbuf_flush(out)) {
			if (out->err != EPIPE)
				fprintf(stderr, "tlstap: output: %s\n", strerror(out->err));
			break;
		}
		check_targets(t, a, rs);
		if (all_gone(a))
			break;
		now = now_s();
		if (a->duration > 0 && now - start >= a->duration)
			break;
		if (now - last_rescan >= RESCAN_INTERVAL_S) {
			rescan_all(t, a);
			last_rescan = now;
		}
		if (a->stats && now - last_stats >= 1.0) {
			print_counters(t, "tlstap: stats: ");
			last_stats = now;
		}
	}
}

/* Seconds a launched command has to end by itself after tlstap was asked
 * to stop with SIGINT (a terminal sends it to the command too), before it
 * gets SIGTERM. */
#define CHILD_GRACE_S 2.0

/*
 * Wait for the launched command to end, still handling events: it may load
 * a library while it shuts down, and is then held stopped until we attach.
 * Never a blocking waitpid(), which does not see that stop.
 */
static void finish_child(struct tt_tracer *t, struct trace_args *a, struct run_state *rs)
{
	double start = now_s();
	bool termed = false;
	int seen_signal = stop_signal;

	if (rs->child <= 0 || rs->child_exited)
		return;
	if (seen_signal != SIGINT) {
		kill(rs->child, SIGTERM); /* SIGTERM to us, or --duration elapsed */
		termed = true;
	}
	while (!rs->child_exited) {
		tt_tracer_poll(t, 100);
		check_targets(t, a, rs);
		if (rs->child_exited)
			break;
		if (!termed && now_s() - start >= CHILD_GRACE_S) {
			kill(rs->child, SIGTERM);
			termed = true;
		}
		if (stop_signal != seen_signal) {
			/* Asked again: stop waiting. */
			kill(rs->child, SIGKILL);
			seen_signal = stop_signal;
		}
	}
}

/* A launched command held at its exec that must not run after all. */
static void abandon_child(struct run_state *rs)
{
	kill(rs->child, SIGKILL);
	waitpid(rs->child, NULL, 0);
	rs->child = -1;
}

/* tlstap's BPF keys are the kernel's (init namespace) pids; /proc and -p
 * here must mean the same numbers. */
static int check_pid_namespace(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/pid", &self) || stat("/proc/1/ns/pid", &init))
		return 0; /* cannot tell: proceed */
	if (self.st_ino == init.st_ino && self.st_dev == init.st_dev)
		return 0;
	fprintf(stderr, "tlstap: trace: runs only in the initial pid namespace "
			"(its BPF programs see host pids)\n");
	return -1;
}

static int run(struct trace_args *a)
{
	struct tt_tracer_opts topts = {
		.settings = {
			.max_bytes = (uint32_t)a->max_bytes,
			.chunk_size = (uint32_t)a->chunk_size,
			.wakeup_bytes = 256 * 1024,
			.probe_only = a->probe_only,
			.self_tgid = (uint32_t)getpid(),
		},
		.buffer_size = a->buffer_size,
		.verbose = a->verbose,
	};
	struct run_state rs = { .child = -1 };
	struct tt_tracer t = { .ropts = { .want_prologue = true }, .verbose = a->verbose };
	struct tt_error err = { "" };
	struct tt_raw_writer raw;
	struct ctl_ctx cctx = { &t, a, &raw };
	struct tt_sink sink = { .chunk = on_chunk, .proc = on_ctl, .ctx = &cctx };
	struct tt_wbuf out = { .fd = -1 };
	int ret = TT_EXIT_ERROR, fd;

	fd = tt_open_output(a->output ? a->output : "-", &err);
	if (fd < 0) {
		fprintf(stderr, "tlstap: %s\n", err.msg);
		return TT_EXIT_ERROR;
	}
	if (tt_wbuf_init(&out, fd, OUTPUT_BUFFER)) {
		fprintf(stderr, "tlstap: out of memory\n");
		close(fd);
		return TT_EXIT_ERROR;
	}
	tt_raw_init(&raw, a->format, &out);
	if (tt_tracer_open(&t, &topts, &sink, &err) < 0) {
		fprintf(stderr, "tlstap: %s\n", err.msg);
		goto out;
	}
	if (a->cmd) {
		/* Stopped at its exec: the executable and the dynamic loader are
		 * mapped, nothing has run.  The loader's _dl_debug_state() then
		 * stops it again once it has mapped the libraries, before their
		 * constructors run, and we attach to those. */
		rs.child = tt_launch_stopped(a->cmd, &err);
		if (rs.child < 0) {
			fprintf(stderr, "tlstap: %s\n", err.msg);
			ret = 127;
			goto out;
		}
		a->targets[0].pid = rs.child;
		a->targets[0].stop_on_dlopen = true;
	}
	if (!attach_all(&t, a) && !a->cmd)
		goto out;
	if (rs.child > 0 && a->targets[0].gone) {
		/* Do not run a command we could not trace. */
		abandon_child(&rs);
		goto out;
	}
	if (rs.child > 0 && tt_launch_resume(rs.child, &err) < 0) {
		fprintf(stderr, "tlstap: %s\n", err.msg);
		abandon_child(&rs);
		goto out;
	}
	loop(&t, a, &rs, &out);
	finish_child(&t, a, &rs);
	ret = rs.child > 0 ? exit_status_of(rs.child_status) : TT_EXIT_OK;
out:
	/* Probes off first, then what they sent before, then the counters. */
	for (size_t i = 0; i < a->n_targets; i++)
		if (a->targets[i].pid > 0)
			tt_tracer_detach(&t, &a->targets[i]);
	if (rs.child > 0 && !rs.child_exited && pid_stopped(rs.child))
		kill(rs.child, SIGCONT); /* never leave it held by a watch stop */
	if (t.rb)
		tt_tracer_poll(&t, 0);
	if (tt_wbuf_flush(&out) && out.err != EPIPE)
		fprintf(stderr, "tlstap: output: %s\n", strerror(out.err));
	if (t.skel)
		print_counters(&t, "tlstap: ");
	tt_tracer_close(&t);
	tt_wbuf_free(&out);
	close(fd);
	return ret;
}

int tt_cmd_trace(int argc, char **argv)
{
	struct trace_args a = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret) {
		free(a.targets);
		return ret < 0 ? TT_EXIT_OK : ret;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "tlstap: trace: needs root (loads BPF programs)\n");
		free(a.targets);
		return TT_EXIT_ERROR;
	}
	if (check_pid_namespace() < 0) {
		free(a.targets);
		return TT_EXIT_ERROR;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed output (| head) ends the trace through EPIPE, not SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	ret = run(&a);
	free(a.targets);
	return ret;
}
