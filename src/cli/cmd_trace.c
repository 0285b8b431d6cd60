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
#include "cli/outputs.h"
#include "trace/caps.h"
#include "trace/clock.h"
#include "trace/hostwide.h"
#include "trace/launch.h"
#include "trace/proc.h"
#include "trace/session.h"
#include "cli/pipeline.h"
#include "out/raw.h"

/* Records queued in memory between the ring buffer and the writers: a
 * writer stalled on a slow disk costs memory up to this, not records. */
#define QUEUE_MAX ((size_t)1 << 30)
/* The ring buffer: a 100 ms burst at 200 MB/s (20 MB) fits. */
#define DEFAULT_BUFFER (32u << 20)
/* --all: a file unused this long is detached; a program run every minute
 * (cron, a probe) keeps its attach. */
#define DEFAULT_DETACH_IDLE_S 300.0

static const char trace_usage[] =
	"Usage: tlstap trace [OPTIONS] -p PID [-p PID...]\n"
	"       tlstap trace [OPTIONS] -- CMD [ARGS...]\n"
	"       tlstap trace [OPTIONS] --all\n"
	"\n"
	"Attach uprobes to the processes and print every TLS read and write as\n"
	"plaintext with pid, tid, comm, library, direction, local and remote address\n"
	"and how the connection was attributed (go-memory, syscall-fd, cache,\n"
	"ciphertext, ambiguous, none).  Needs root (or CAP_BPF, CAP_PERFMON,\n"
	"CAP_SYS_PTRACE, and CAP_KILL for --hold-new), in the initial pid namespace.\n"
	"\n"
	"Traced: Go crypto/tls (register ABI: amd64 go1.17+, arm64 go1.18+):\n"
	"(*Conn).Read when n > 0, (*Conn).Write when err == nil; OpenSSL 1.1/3.x\n"
	"SSL_read/SSL_write/SSL_read_ex/SSL_write_ex and GnuTLS gnutls_record_recv/\n"
	"gnutls_record_send in the executable and every mapped library, including\n"
	"libraries loaded later (rescanned twice a second).  TLS that the program\n"
	"moves itself through memory BIOs (Node.js, Python asyncio) is attributed\n"
	"by matching its ciphertext records with its sockets' bytes; a Go tls.Conn\n"
	"that wraps another net.Conn, by the socket I/O of the call's goroutine.\n"
	"\n"
	"With -- CMD, CMD is started and traced before any of its code runs: it is\n"
	"held at exec while tlstap attaches, and again each time the dynamic loader\n"
	"has mapped libraries (at start-up and at dlopen), before their constructors\n"
	"run; a program it execs is followed, and so is every process its tree\n"
	"forks (a script's commands), held from its fork until attached (Linux\n"
	"6.13+; older kernels let a forked child run at once): an interactive\n"
	"shell as CMD sees its jobs stop.  tlstap exits when CMD does, with its\n"
	"exit status; what its tree still runs is let go.  When tlstap stops first\n"
	"(--duration, SIGTERM; SIGINT, which a terminal sends CMD too, after 2 s)\n"
	"it ends CMD with SIGTERM and still exits with CMD's status.\n"
	"A -p process that maps no TLS library yet is watched until it does.  With\n"
	"--children, the -p processes' descendants are traced too, each under its\n"
	"own pid: those running at start and those forked later (a pre-forking\n"
	"server's new workers), not held: a child's TLS calls in the few\n"
	"milliseconds before its attach are not seen.  tlstap then ends when the\n"
	"last of them is gone.\n"
	"\n"
	"With --all, every process of the host is traced, those running and every\n"
	"one started later, containers included: each distinct file (libssl,\n"
	"libgnutls, a Go binary) is resolved and attached once, for every process\n"
	"that maps it, so a new process that maps files already attached is traced\n"
	"from its first instruction.  A program never seen before is attached\n"
	"within milliseconds of its exec; --hold-new stops it (SIGSTOP) until\n"
	"then, so that even its first TLS call is seen, but its parent sees it stop\n"
	"and continue (a job-control shell or a supervisor may act on that).\n"
	"The filters below apply in the kernel, before any data is copied, to\n"
	"--all, -p and -- CMD alike; each may be given up to " TT_STR(TT_FILTER_MAX) " times (any of its\n"
	"values matches) and all the filters given must match.\n"
	"\n"
	"Options:\n"
	"  -p, --pid PID          trace this process (repeatable)\n"
	"      --children         with -p: and its descendants, present and future\n"
	"      --all              trace every process of the host, present and future\n"
	"      --hold-new         with --all: hold a program not seen before at its\n"
	"                         exec until its probes are live (needs CAP_KILL)\n"
	"      --detach-idle SECS with --all: detach a file (a program, a library) no\n"
	"                         process has mapped for SECS seconds (default 300;\n"
	"                         0 never); its next process is new again\n"
	"      --comm NAME        only processes with this command name (comm)\n"
	"      --exe PATH         only processes running this executable file\n"
	"      --port N           only connections with this port at either end\n"
	"                         (events without a connection are left out)\n"
	"      --cgroup PATH      only processes in this cgroup v2 directory or below\n"
	"  -f, --format FMT       text (default) or json (NDJSON, see README)\n"
	"  -o, --output FILE      write events to FILE instead of stdout\n"
	"  -w, --pcapng FILE      also write the plaintext as TCP segments on each\n"
	"                         connection's real addresses and ports, in pcapng\n"
	"                         for Wireshark/tshark (0600; - for stdout: then\n"
	"                         events go to -o FILE only); events without a\n"
	"                         trusted tuple are left out and counted\n"
	"      --http             one line (text) or NDJSON object (-f json) per HTTP\n"
	"                         exchange (HTTP/1.1, HTTP/2, gRPC) instead of raw events\n"
	"      --summary[=N]      an endpoint table at exit (and every N seconds):\n"
	"                         count, errors, p50/p99 latency per process, role,\n"
	"                         server, method and path\n"
	"      --max-bytes N      plaintext bytes captured per TLS call (default "
	TT_STR(TT_CHUNK_MAX) ",\n"
	"                         max " TT_STR(TT_MAX_BYTES) "); the rest is counted and flagged\n"
	"                         truncated\n"
	"      --chunk-size N     bytes per event, 64 to " TT_STR(TT_CHUNK_MAX) " (the default)\n"
	"      --buffer-size SIZE ring buffer between the kernel and tlstap (default\n"
	"                         32M: a 100 ms burst at 200 MB/s; a power of two,\n"
	"                         64K to 1G, K/M/G suffixes)\n"
	"      --assume-go-version V\n"
	"                         Go version of binaries whose build info is gone\n"
	"                         (\"1.22\"); only needed when no layout source works\n"
	"  -d, --duration SECS    stop after SECS seconds\n"
	"      --stats            print counters and map pressure to stderr every second\n"
	"      --probe-only       attach every probe but let them do nothing (for\n"
	"                         benchmarks: the cost of the probes themselves)\n"
	"  -v, --verbose          say what is attached\n"
	"  -h, --help             show this help\n"
	"\n"
	"Counters (events, ring-buffer drops, truncated bytes, map update failures,\n"
	"..., each state map's entries/max_entries) are printed to stderr at exit; a\n"
	"state map that fills up is said at once, by name.  SIGINT/SIGTERM detach\n"
	"cleanly.  `tlstap doctor` checks a running tracer's maps from outside.\n";

enum {
	OPT_MAX_BYTES = 256,
	OPT_CHUNK,
	OPT_STATS,
	OPT_PROBE_ONLY,
	OPT_BUFFER,
	OPT_ASSUME_GO,
	OPT_ALL,
	OPT_COMM,
	OPT_EXE,
	OPT_PORT,
	OPT_CGROUP,
	OPT_HOLD_NEW,
	OPT_DETACH_IDLE,
	OPT_CHILDREN,
};

static const struct option trace_options[] = {
	{ "pid", required_argument, NULL, 'p' },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "exe", required_argument, NULL, OPT_EXE },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "hold-new", no_argument, NULL, OPT_HOLD_NEW },
	{ "children", no_argument, NULL, OPT_CHILDREN },
	{ "detach-idle", required_argument, NULL, OPT_DETACH_IDLE },
	TT_OUTPUT_OPTIONS,
	{ "max-bytes", required_argument, NULL, OPT_MAX_BYTES },
	{ "chunk-size", required_argument, NULL, OPT_CHUNK },
	{ "buffer-size", required_argument, NULL, OPT_BUFFER },
	{ "assume-go-version", required_argument, NULL, OPT_ASSUME_GO },
	{ "duration", required_argument, NULL, 'd' },
	{ "stats", no_argument, NULL, OPT_STATS },
	{ "probe-only", no_argument, NULL, OPT_PROBE_ONLY },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};
static const char trace_shortopts[] = "+p:f:o:w:d:vh";

struct trace_args {
	int *pids; /* -p */
	size_t n_pids;
	bool all;
	bool hold_new;
	bool children; /* -p: their descendants too */
	double detach_idle; /* --detach-idle */
	bool detach_idle_set;
	struct tt_trace_settings filters; /* --comm, --exe, --port */
	char cgroup[PATH_MAX]; /* --cgroup, as an absolute path */
	struct tt_output_args out; /* -f, -o, -w, --http, --summary */
	long max_bytes;
	long chunk_size;
	uint32_t buffer_size;
	const char *assume_go_version;
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

#define usage_error(...) tt_cli_usage_error("trace", __VA_ARGS__)


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

/* The longest time an option takes: a year. */
#define MAX_SECONDS 31536000

/* A bound on -p's list, checked before anything is attached. */
#define MAX_TARGETS 4096

/* The count is bounded before anything is attached or run. */
static int add_pid(struct trace_args *a, int pid)
{
	if (!a->pids) {
		a->pids = calloc(MAX_TARGETS, sizeof(*a->pids));
		if (!a->pids)
			return -ENOMEM;
	}
	if (a->n_pids == MAX_TARGETS)
		return -E2BIG;
	a->pids[a->n_pids++] = pid;
	return 0;
}

static int parse_args(int argc, char **argv, struct trace_args *a)
{
	struct tt_error err = { "" };
	const char *why;
	long v;
	int c;

	a->max_bytes = TT_CHUNK_MAX;
	a->chunk_size = TT_CHUNK_MAX;
	a->buffer_size = DEFAULT_BUFFER;
	a->detach_idle = DEFAULT_DETACH_IDLE_S;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, trace_shortopts, trace_options, NULL)) != -1) {
		switch (tt_output_option(c, optarg, &a->out, &why)) {
		case 1:
			continue;
		case -1:
			return usage_error(why, optarg);
		}
		switch (c) {
		case 'p':
			if (tt_cli_parse_long(optarg, 1, INT_MAX, &v))
				return usage_error("invalid pid '%s'", optarg);
			if (add_pid(a, (int)v))
				return usage_error("more than %d processes", MAX_TARGETS);
			break;
		case OPT_ALL:
			a->all = true;
			break;
		case OPT_HOLD_NEW:
			a->hold_new = true;
			break;
		case OPT_CHILDREN:
			a->children = true;
			break;
		case OPT_DETACH_IDLE:
			if (tt_cli_parse_seconds(optarg, MAX_SECONDS, &a->detach_idle))
				return usage_error("--detach-idle: '%s' is not a number of seconds "
						   "(0 to %d)", optarg, MAX_SECONDS);
			a->detach_idle_set = true;
			break;
		case OPT_COMM:
			if (tt_filter_comm(&a->filters, optarg, &err))
				return usage_error("%s", err.msg);
			break;
		case OPT_EXE:
			if (tt_filter_exe(&a->filters, optarg, &err))
				return usage_error("%s", err.msg);
			break;
		case OPT_PORT:
			if (tt_cli_parse_long(optarg, 1, 65535, &v))
				return usage_error("--port: '%s' is not a port (1..65535)", optarg);
			if (tt_filter_port(&a->filters, v, &err))
				return usage_error("%s", err.msg);
			break;
		case OPT_CGROUP:
			if (tt_filter_cgroup_path(&a->filters, optarg, a->cgroup,
						  sizeof(a->cgroup), &err))
				return usage_error("%s", err.msg);
			break;
		case OPT_MAX_BYTES:
			if (tt_cli_parse_long(optarg, 1, TT_MAX_BYTES, &a->max_bytes))
				return usage_error("--max-bytes: '%s' is not in 1..%d", optarg,
						   TT_MAX_BYTES);
			break;
		case OPT_BUFFER:
			if (parse_size(optarg, &a->buffer_size))
				return usage_error("--buffer-size: '%s' is not a power of two from "
						   "64K to 1G (K, M, G suffixes)", optarg);
			break;
		case OPT_ASSUME_GO:
			a->assume_go_version = optarg;
			break;
		case OPT_CHUNK:
			if (tt_cli_parse_long(optarg, 64, TT_CHUNK_MAX, &a->chunk_size))
				return usage_error("--chunk-size: '%s' is not in 64..%d", optarg,
						   TT_CHUNK_MAX);
			break;
		case 'd':
			if (tt_cli_parse_seconds(optarg, MAX_SECONDS, &a->duration) ||
			    a->duration <= 0)
				return usage_error("--duration: '%s' is not a number of seconds "
						   "(above 0, up to %d)", optarg, MAX_SECONDS);
			break;
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
			return tt_cli_bad_option("trace", argv, trace_shortopts, trace_options);
		}
	}
	if (optind < argc) {
		if (strcmp(argv[optind - 1], "--") != 0)
			return usage_error("unexpected argument '%s' (use -- CMD)", argv[optind]);
		a->cmd = argv + optind;
	}
	if (!a->cmd && !a->n_pids && !a->all)
		return usage_error("nothing to trace: give -p PID, -- CMD or --all");
	if (!!a->cmd + !!a->n_pids + a->all > 1)
		return usage_error("give one of -p PID, -- CMD and --all");
	if (a->hold_new && !a->all)
		return usage_error("--hold-new goes with --all");
	if (a->children && !a->n_pids)
		return usage_error("--children goes with -p (-- CMD follows its tree anyway)");
	if (a->detach_idle_set && !a->all)
		return usage_error("--detach-idle goes with --all");
	why = tt_output_args_check(&a->out);
	if (why)
		return usage_error("%s", why);
	return 0;
}

/* The writers, on the source's delivery thread. */
struct output {
	struct tt_outputs files;  /* -o (or stdout), -w */
	struct tt_pipeline pipe; /* raw events, or streams -> HTTP -> exchanges, pcapng */
	volatile bool failed; /* set by the delivery thread, read by the control one */
	/* Set by the session once its targets are traced: until then nothing
	 * is flushed, so that a run that fails to start leaves the files as
	 * they were (a buffer that fills up is written anyway). */
	bool started;
};

static void on_chunk(void *ctx, const struct tt_chunk *c)
{
	tt_pipeline_chunk(&((struct output *)ctx)->pipe, c);
}

static void on_conn_end(void *ctx, const struct tt_conn_end *e)
{
	tt_pipeline_conn_end(&((struct output *)ctx)->pipe, e);
}

/* A process's streams end with it. */
static void on_proc(void *ctx, int tgid, unsigned kind, bool stopped)
{
	(void)stopped;
	if (kind == TT_PROC_EXIT)
		tt_pipeline_proc_exit(&((struct output *)ctx)->pipe, (uint32_t)tgid, tt_clock_ns(CLOCK_REALTIME));
}

static void print_stats(void *ctx, FILE *f)
{
	tt_pipeline_print_counters(&((struct output *)ctx)->pipe, f, " ");
}

static void on_flush(void *ctx)
{
	struct output *o = ctx;

	if (!__atomic_load_n(&o->started, __ATOMIC_ACQUIRE))
		return;
	tt_pipeline_tick(&o->pipe, tt_clock_ns(CLOCK_REALTIME));
	/* Each output is flushed until it fails itself: what the other
	 * holds still reaches its file when one fails. */
	if (tt_outputs_flush(&o->files, &o->pipe.pcapng, "tlstap: "))
		o->failed = true;
}

/* Every record is delivered: what is left open ends here. */
static void on_finish(void *ctx)
{
	struct output *o = ctx;

	if (!__atomic_load_n(&o->started, __ATOMIC_ACQUIRE))
		return;
	tt_pipeline_finish(&o->pipe, tt_clock_ns(CLOCK_REALTIME));
	on_flush(o);
}

static bool output_failed(void *ctx)
{
	return ((struct output *)ctx)->failed;
}

/* The inode number of the initial pid namespace (PROC_PID_INIT_INO): fixed
 * by the kernel, so no /proc of another namespace can fake it. */
#define PID_NS_INIT_INO 0xEFFFFFFCu

/* tlstap's BPF keys are the kernel's (init namespace) pids; /proc, -p and
 * the signals it sends must mean the same numbers. */
static int check_pid_namespace(void)
{
	struct stat self;

	if (stat("/proc/self/ns/pid", &self))
		return 0; /* cannot tell: proceed */
	if (self.st_ino == PID_NS_INIT_INO)
		return 0;
	tt_diag("tlstap: trace: runs only in the initial pid namespace "
			"(its BPF programs see host pids)\n");
	return -1;
}

static void copy_filters(struct tt_trace_settings *s, const struct tt_trace_settings *f)
{
	s->filters = f->filters;
	s->n_comms = f->n_comms;
	s->n_exes = f->n_exes;
	s->n_ports = f->n_ports;
	memcpy(s->comms, f->comms, sizeof(s->comms));
	memcpy(s->exes, f->exes, sizeof(s->exes));
	memcpy(s->ports, f->ports, sizeof(s->ports));
}

/* What can be checked before any file is opened or probe attached: each
 * -p process exists, CMD can be executed.  0, or the exit status. */
static int check_can_start(const struct trace_args *a)
{
	struct tt_error err = { "" };
	int ret;

	for (size_t i = 0; i < a->n_pids; i++) {
		int tgid;

		if (!tt_proc_alive(a->pids[i])) {
			tt_diag("tlstap: trace: -p %d: no such process\n", a->pids[i]);
			return TT_EXIT_ERROR;
		}
		/* A thread's id reads like a process in /proc, but probes and
		 * filters work on processes. */
		tgid = tt_proc_tgid(a->pids[i]);
		if (tgid > 0 && tgid != a->pids[i]) {
			tt_diag("tlstap: trace: -p %d: a thread of process %d (give -p %d)\n",
				a->pids[i], tgid, tgid);
			return TT_EXIT_ERROR;
		}
	}
	if (a->cmd) {
		ret = tt_launch_find(a->cmd[0], &err);
		if (ret < 0) {
			tt_diag("tlstap: %s\n", err.msg);
			return tt_launch_failure_status(ret);
		}
	}
	return 0;
}

static int run(struct trace_args *a)
{
	struct output o = { 0 };
	struct tt_session_opts so = {
		.tracer = {
			.settings = {
				.max_bytes = (uint32_t)a->max_bytes,
				.chunk_size = (uint32_t)a->chunk_size,
				.probe_only = a->probe_only,
				.self_tgid = (uint32_t)getpid(),
				.all = a->all,
				.hold_new = a->hold_new,
			},
			.all = a->all,
			.follow = (a->cmd && !a->all) || a->children,
			.buffer_size = a->buffer_size,
			.assume_go_version = a->assume_go_version,
			.verbose = a->verbose,
		},
		.pids = a->pids,
		.n_pids = a->n_pids,
		.cmd = a->cmd,
		.all = a->all,
		.children = a->children,
		.detach_idle = a->detach_idle,
		.cgroup = a->cgroup[0] ? a->cgroup : NULL,
		.duration = a->duration,
		.stats = a->stats,
		.queue_max = QUEUE_MAX,
		.sink = { .chunk = on_chunk, .conn_end = on_conn_end, .proc = on_proc, .ctx = &o },
		.flush = on_flush,
		.failed = output_failed,
		.print_stats = print_stats,
		.finish = on_finish,
		.ctx = &o,
	};
	struct tt_pipeline_opts po = a->out.po;
	struct tt_error err = { "" };
	int ret;

	so.started = &o.started;
	po.role_from_proc = true;
	po.no_out = !tt_outputs_events(a->out.pcapng, a->out.output);
	copy_filters(&so.tracer.settings, &a->filters);
	ret = check_can_start(a);
	if (ret)
		return ret;
	if (tt_outputs_open(&o.files, a->out.output, a->out.pcapng, &err) < 0) {
		tt_diag("tlstap: %s\n", err.msg);
		return TT_EXIT_ERROR;
	}
	if (a->out.pcapng)
		po.pcapng = &o.files.pcap;
	if (tt_pipeline_init(&o.pipe, &po, po.no_out ? NULL : &o.files.out, &err) < 0) {
		tt_diag("tlstap: %s\n", err.msg);
		tt_outputs_close(&o.files);
		return TT_EXIT_ERROR;
	}
	ret = tt_session_run(&so, &stop_signal);
	tt_pipeline_free(&o.pipe);
	/* A run that started owns its files, written to or not. */
	if (o.started && tt_outputs_commit(&o.files, &err) < 0) {
		tt_diag("tlstap: %s\n", err.msg);
		ret = TT_EXIT_ERROR;
	}
	if (o.started && tt_outputs_status(&o.files) != TT_EXIT_OK)
		ret = TT_EXIT_ERROR;
	tt_outputs_close(&o.files);
	return ret;
}

int tt_cmd_trace(int argc, char **argv)
{
	struct trace_args a = { 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	char missing[128];
	int ret;

	ret = parse_args(argc, argv, &a);
	if (ret) {
		free(a.pids);
		return ret < 0 ? TT_EXIT_OK : ret;
	}
	tt_caps_missing(a.hold_new, missing, sizeof(missing));
	if (missing[0]) {
		tt_diag("tlstap: trace: needs root or the capabilities CAP_BPF, "
				"CAP_PERFMON, CAP_SYS_PTRACE%s; missing: %s\n",
			a.hold_new ? " and, for --hold-new, CAP_KILL" : "", missing);
		free(a.pids);
		return TT_EXIT_ERROR;
	}
	if (check_pid_namespace() < 0) {
		free(a.pids);
		return TT_EXIT_ERROR;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* A closed output (| head) ends the trace through EPIPE, not SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	ret = run(&a);
	free(a.pids);
	return ret;
}
