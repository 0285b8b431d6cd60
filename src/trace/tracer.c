// SPDX-License-Identifier: MIT
/* BPF lifecycle of the tracer: open and load the skeleton, the ring buffer,
 * the counters. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "tlstap/compiler.h"
#include "trace/attach.h"
#include "trace/clock.h"
#include "trace/guardian.h"
#include "trace/mapwalk.h"
#include "trace/origin.h"
#include "trace/reaper.h"
#include "trace/source.h"
#include "trace/tracer.h"
/* After tracer.h: the skeleton refers to the shared structures. */
#include "tlstap.skel.h"

/* Files resolved and kept (a host runs more distinct programs than this
 * over weeks; a file mapped again after it was forgotten is read again). */
#define OBJ_CACHE_MAX 4096

#define TT_COUNTER_NAME(e, n, d) [TT_C_##e] = n,
static const char *const counter_names[TT_C_COUNT] = { TT_COUNTERS(TT_COUNTER_NAME) };
#undef TT_COUNTER_NAME
#define TT_MAP_NAME(e, n, k) [TT_M_##e] = n,
static const char *const state_map_names[TT_M_COUNT] = { TT_STATE_MAPS(TT_MAP_NAME) };
#undef TT_MAP_NAME
#define TT_MAP_KIND(e, n, k) [TT_M_##e] = TT_KEY_##k,
static const enum tt_key_kind state_map_kinds[TT_M_COUNT] = { TT_STATE_MAPS(TT_MAP_KIND) };
#undef TT_MAP_KIND

const char *tt_counter_name(enum tt_counter c)
{
	return (unsigned)c < TT_C_COUNT ? counter_names[c] : "?";
}

const char *tt_state_map_name(enum tt_state_map m)
{
	return (unsigned)m < TT_M_COUNT ? state_map_names[m] : "?";
}

enum tt_key_kind tt_state_map_kind(enum tt_state_map m)
{
	return (unsigned)m < TT_M_COUNT ? state_map_kinds[m] : TT_KEY_KIND_COUNT;
}

struct bpf_map *tt_tracer_state_map(const struct tt_tracer *t, enum tt_state_map m)
{
	return t->skel ? bpf_object__find_map_by_name(t->skel->obj, tt_state_map_name(m)) : NULL;
}

static void on_data(const struct tt_tracer *t, const struct tt_data_rec *r, size_t len,
		    const struct tt_sink *sink)
{
	struct tt_chunk c;

	if (len < sizeof(*r) || len - sizeof(*r) < r->chunk_len)
		return;
	memset(&c, 0, sizeof(c));
	c.time_ns = (int64_t)r->hdr.time_ns + t->boot_to_real_ns;
	c.pid = r->hdr.tgid;
	c.tid = r->tid;
	memcpy(c.comm, r->comm, sizeof(r->comm));
	c.lib = r->lib;
	c.dir = r->dir;
	c.attribution = r->attribution;
	c.flags = r->flags;
	c.fd = r->fd;
	c.goid = r->goid;
	c.conn = r->conn_ptr;
	c.call_len = r->len;
	c.chunk_off = r->chunk_off;
	c.stream_off = r->stream_off;
	c.tuple = r->tuple;
	tt_origins_lookup(t->origins, r->cgroup_id, &c.origin);
	c.origin.ns_pid = r->ns_tgid;
	c.data = (const uint8_t *)(r + 1);
	c.data_len = r->chunk_len;
	if (sink->chunk)
		sink->chunk(sink->ctx, &c);
}

static void on_conn_end(const struct tt_tracer *t, const struct tt_conn_end_rec *r, size_t len,
			const struct tt_sink *sink)
{
	struct tt_conn_end e;

	if (len < sizeof(*r) || !sink->conn_end)
		return;
	e.time_ns = (int64_t)r->hdr.time_ns + t->boot_to_real_ns;
	e.pid = r->hdr.tgid;
	e.tuple = r->tuple;
	sink->conn_end(sink->ctx, &e);
}

/* Every record says what it is in its header. */
void tt_tracer_decode(const struct tt_tracer *t, const void *data, size_t len,
		      const struct tt_sink *sink)
{
	const struct tt_rec_hdr *h = data;

	if (len < sizeof(*h))
		return;
	switch (h->type) {
	case TT_REC_DATA:
		on_data(t, data, len, sink);
		break;
	case TT_REC_PROC: {
		const struct tt_proc_rec *p = data;

		/* The output hears of no process the filters excluded. */
		if (len >= sizeof(*p) && sink->proc &&
		    !(p->kind == TT_PROC_EXIT && (p->flags & TT_PROCF_EXCLUDED)))
			sink->proc(sink->ctx, (int)h->tgid, p->kind, p->stopped);
		break;
	}
	case TT_REC_CONN_END:
		on_conn_end(t, data, len, sink);
		break;
	}
}

/* libbpf prints through this; keep its warnings, drop its debug chatter. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	char *msg;
	int n = vasprintf(&msg, fmt, ap);

	if (n < 0 || tt_text_safe_write(stderr, msg, (size_t)n))
		tt_diag("tlstap: a message of libbpf was lost: out of memory\n");
	if (n >= 0)
		free(msg);
	return n;
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level, (void)fmt, (void)ap;
	return 0;
}

/* Does the running kernel have this BTF tracepoint (raw tracepoint type)? */
static bool btf_has_tracepoint(const struct btf *btf, const char *name)
{
	char tname[128];

	snprintf(tname, sizeof(tname), "btf_trace_%s", name);
	return btf__find_by_name_kind(btf, tname, BTF_KIND_TYPEDEF) > 0;
}

/* What the running kernel offers the programs, from its BTF (read once):
 * the socket tracepoints (>= 6.2) and bpf_rdonly_cast (>= 6.2). */
static void kernel_features(struct tt_tracer *t)
{
	struct btf *btf = btf__load_vmlinux_btf();

	t->sock_tp = false;
	t->kfunc_cast = false;
	if (!btf)
		return;
	t->sock_tp = btf_has_tracepoint(btf, "sock_send_length") &&
		     btf_has_tracepoint(btf, "sock_recv_length");
	t->kfunc_cast = btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0;
	btf__free(btf);
}

/*
 * Open and load the skeleton.  With multi, the uprobe programs are loaded
 * for uprobe_multi links (a kernel without them rejects the load, and the
 * caller tries again without).
 */
static int load_skeleton(struct tt_tracer *t, const struct tt_tracer_opts *opts, bool multi,
			 struct tt_error *err)
{
	struct tlstap_bpf *s;
	int ret;

	s = tlstap_bpf__open();
	if (!s)
		return tt_error_set(err, errno, "cannot open the BPF object: %s", strerror(errno));
	t->skel = s;
	t->multi = multi;
	s->rodata->settings = opts->settings;
	s->rodata->settings.wakeup_bytes = tt_source_wakeup_bytes(opts->buffer_size);
	s->rodata->settings.kfunc_cast = t->kfunc_cast;
	ret = bpf_map__set_max_entries(s->maps.events, opts->buffer_size);
	if (ret)
		return tt_error_set(err, -ret, "ring buffer of %u bytes: %s", opts->buffer_size,
				    strerror(-ret));
	/* The socket tracepoints where the kernel has them (>= 6.2); the
	 * syscall hook, which costs every syscall of the host, only where not. */
	bpf_program__set_autoload(s->progs.sock_send, t->sock_tp);
	bpf_program__set_autoload(s->progs.sock_recv, t->sock_tp);
	bpf_program__set_autoload(s->progs.sock_sys_enter, !t->sock_tp);
	/* Memory BIOs are matched on the socket tracepoints only: without
	 * them the ciphertext probes are never attached, nor loaded. */
	bpf_program__set_autoload(s->progs.bio_entry, t->sock_tp);
	bpf_program__set_autoload(s->progs.bio_return, t->sock_tp);
	if (multi) {
		struct bpf_program *up[] = { s->progs.go_tls_entry,     s->progs.go_tls_return,
					     s->progs.native_tls_entry, s->progs.native_tls_return,
					     s->progs.bio_entry,        s->progs.bio_return,
					     s->progs.dl_debug_state };

		for (size_t i = 0; i < ARRAY_SIZE(up); i++)
			bpf_program__set_expected_attach_type(up[i], BPF_TRACE_UPROBE_MULTI);
	}
	libbpf_set_print(multi ? libbpf_quiet : libbpf_print);
	ret = tlstap_bpf__load(s);
	libbpf_set_print(libbpf_print);
	if (ret)
		return tt_error_set(err, -ret, "cannot load the BPF programs: %s", strerror(-ret));
	return 0;
}

/* The host-wide hooks: process lifecycle and the socket layer. */
static int attach_tracepoints(struct tt_tracer *t, struct tt_error *err)
{
	struct tlstap_bpf *s = t->skel;
	struct bpf_program *progs[ARRAY_SIZE(t->tp_links)] = {
		s->progs.watch_exec,
		s->progs.watch_exit,
		s->progs.sock_state,
		t->sock_tp ? s->progs.sock_send : s->progs.sock_sys_enter,
		t->sock_tp ? s->progs.sock_recv : NULL,
		/* Forks matter to --all and to -- CMD's tree only. */
		t->all || t->follow ? s->progs.watch_fork : NULL,
	};

	for (size_t i = 0; i < ARRAY_SIZE(progs); i++) {
		if (!progs[i])
			continue;
		t->tp_links[i] = bpf_program__attach(progs[i]);
		if (!t->tp_links[i])
			return tt_error_set(err, errno, "cannot attach %s: %s",
					    bpf_program__name(progs[i]), strerror(errno));
	}
	return 0;
}

/* tracefs is not needed: uprobes go through the perf PMU (or uprobe_multi
 * links) and the other hooks are BTF tracepoints. */
int tt_tracer_open(struct tt_tracer *t, const struct tt_tracer_opts *opts, struct tt_error *err)
{
	int ret;

	t->guardian.fd = -1;
	libbpf_set_print(libbpf_print);
	t->verbose = opts->verbose;
	t->all = opts->all;
	t->follow = opts->follow;
	t->ropts.want_prologue = true;
	t->ropts.assume_go_version = opts->assume_go_version;
	t->boot_to_real_ns = tt_clock_ns(CLOCK_REALTIME) - tt_clock_ns(CLOCK_BOOTTIME);
	t->cache = tt_obj_cache_new();
	t->origins = tt_origins_new(NULL, 0);
	t->reaper = tt_reaper_new();
	if (!t->cache || !t->origins || !t->reaper)
		return tt_error_set(err, ENOMEM, "out of memory");
	/* A file's attach outlives its resolution: it has what it needs. */
	tt_obj_cache_set_max(t->cache, OBJ_CACHE_MAX);
	kernel_features(t);
	/* uprobe_multi links where the kernel has them (>= 6.6), else one
	 * perf-event uprobe per site. */
	ret = load_skeleton(t, opts, true, err);
	if (ret < 0) {
		struct tt_error first = *err;

		tlstap_bpf__destroy(t->skel);
		t->skel = NULL;
		ret = load_skeleton(t, opts, false, err);
		if (ret < 0)
			return tt_error_set(err, -ret, "%s (with uprobe_multi: %s)", err->msg,
					    first.msg);
	}
	ret = attach_tracepoints(t, err);
	if (ret < 0)
		return ret;
	/* Before any thread: the guardian is a fork of a single thread. */
	ret = tt_guardian_start(&t->guardian, bpf_map__fd(t->skel->maps.held));
	if (ret < 0)
		return tt_error_set(err, -ret, "cannot start the guardian of held processes: %s",
				    strerror(-ret));
	if (t->verbose)
		tt_diag("tlstap: socket attribution through %s; uprobes as %s\n",
			t->sock_tp ? "the sock_send_length/sock_recv_length tracepoints"
				   : "raw_syscalls:sys_enter (kernel < 6.2: every syscall of "
				     "the host pays for it)",
			t->multi ? "uprobe_multi links" : "perf-event uprobes");
	return 0;
}

void tt_tracer_flush_links(struct tt_tracer *t)
{
	tt_reaper_flush(t->reaper);
}

void tt_tracer_stop_holding(struct tt_tracer *t)
{
	if (t->skel)
		__atomic_store_n(&t->skel->bss->stopping, 1, __ATOMIC_RELAXED);
}

void tt_tracer_close(struct tt_tracer *t)
{
	/* Nothing may stop a process once the guardian has released the held
	 * ones: no new hold, then every hook off, then the release. */
	tt_tracer_stop_holding(t);
	for (size_t i = 0; i < ARRAY_SIZE(t->tp_links); i++) {
		bpf_link__destroy(t->tp_links[i]);
		t->tp_links[i] = NULL;
	}
	tt_attach_release_all(t);
	tt_reaper_free(t->reaper); /* what it still has, before the programs go */
	t->reaper = NULL;
	tt_guardian_stop(&t->guardian); /* releases what is still held */
	tlstap_bpf__destroy(t->skel);
	t->skel = NULL;
	tt_obj_cache_free(t->cache);
	tt_origins_free(t->origins);
	t->cache = NULL;
	t->origins = NULL;
}

/* Sum a per-CPU array map of n __u64 counters. */
static void sum_percpu(int fd, uint32_t n, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	memset(out, 0, sizeof(uint64_t) * n);
	if (ncpu <= 0 || fd < 0)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (uint32_t i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &i, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
}

void tt_tracer_counters(const struct tt_tracer *t, uint64_t out[TT_C_COUNT])
{
	sum_percpu(t->skel ? bpf_map__fd(t->skel->maps.counters) : -1, TT_C_COUNT, out);
}

void tt_tracer_map_full(const struct tt_tracer *t, uint64_t out[TT_M_COUNT])
{
	sum_percpu(t->skel ? bpf_map__fd(t->skel->maps.map_full) : -1, TT_M_COUNT, out);
}

void tt_tracer_map_pressure(const struct tt_tracer *t, size_t entries[TT_M_COUNT],
			    uint32_t max[TT_M_COUNT], bool lru[TT_M_COUNT])
{
	for (int i = 0; i < TT_M_COUNT; i++) {
		struct bpf_map *m = tt_tracer_state_map(t, i);
		struct tt_map_walk_stats st = { 0 };

		entries[i] = 0;
		max[i] = m ? bpf_map__max_entries(m) : 0;
		lru[i] = m && (bpf_map__type(m) == BPF_MAP_TYPE_LRU_HASH ||
			       bpf_map__type(m) == BPF_MAP_TYPE_LRU_PERCPU_HASH);
		if (m && tt_map_walk(bpf_map__fd(m), NULL, NULL, false, &st) == 0)
			entries[i] = st.entries;
	}
}

/*
 * Test-only fault injection: TLSTAP_FAULT_RELEASE_MS=N delays every release
 * of a held process by N ms, so that a test can kill the tracer while it
 * holds one (the guardian must then release it).
 */
static void fault_release_delay(void)
{
	const char *ms = getenv("TLSTAP_FAULT_RELEASE_MS");

	if (ms && *ms)
		usleep((useconds_t)strtoul(ms, NULL, 10) * 1000);
}

void tt_tracer_release(struct tt_tracer *t, int pid)
{
	fault_release_delay();
	if (t->skel)
		tt_release_held(bpf_map__fd(t->skel->maps.held), pid);
	else
		kill(pid, SIGCONT);
}
