// SPDX-License-Identifier: MIT
/* BPF lifecycle of the tracer: open/load skeletons, ring buffer, counters. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "trace/tracer.h"
/* After tracer.h: the skeleton refers to struct tt_trace_settings. */
#include "gotls.skel.h"
#include "nativetls.skel.h"
#include "procwatch.skel.h"
#include "trace/uprobe_multi.h"
#include "trace/proc.h"

static const char *const counter_names[TT_C_COUNT] = {
	[TT_C_EVENTS] = "events",
	[TT_C_RB_DROPS] = "ringbuf_drops",
	[TT_C_TRUNC_BYTES] = "truncated_bytes",
	[TT_C_MAP_FULL] = "map_update_failures",
	[TT_C_READ_FAULTS] = "user_read_faults",
	[TT_C_TUPLE_MISMATCH] = "tuple_mismatches",
	[TT_C_MULTI_FD] = "multi_fd_calls",
	[TT_C_NO_CALL_STATE] = "returns_without_entry",
	[TT_C_SCRATCH_BUSY] = "scratch_busy_drops",
};

const char *tt_counter_name(enum tt_counter c)
{
	return (unsigned)c < TT_C_COUNT ? counter_names[c] : "?";
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void on_data(struct tt_tracer *t, const struct tt_data_rec *r, size_t len)
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
	c.origin.ns_pid = r->ns_tgid;
	c.data = (const uint8_t *)(r + 1);
	c.data_len = r->chunk_len;
	t->events_seen++;
	if (t->sink.chunk)
		t->sink.chunk(t->sink.ctx, &c);
}

static void on_conn_end(struct tt_tracer *t, const struct tt_conn_end_rec *r, size_t len)
{
	struct tt_conn_end e;

	if (len < sizeof(*r) || !t->sink.conn_end)
		return;
	e.time_ns = (int64_t)r->hdr.time_ns + t->boot_to_real_ns;
	e.pid = r->hdr.tgid;
	e.tuple = r->tuple;
	t->sink.conn_end(t->sink.ctx, &e);
}

/* Every record says what it is in its header. */
static int on_record(void *ctx, void *data, size_t len)
{
	const struct tt_rec_hdr *h = data;
	struct tt_tracer *t = ctx;

	if (len < sizeof(*h))
		return 0;
	switch (h->type) {
	case TT_REC_DATA:
		on_data(t, data, len);
		break;
	case TT_REC_PROC: {
		const struct tt_proc_rec *p = data;

		if (len >= sizeof(*p) && t->sink.proc)
			t->sink.proc(t->sink.ctx, (int)h->tgid, p->kind, p->stopped);
		break;
	}
	case TT_REC_CONN_END:
		on_conn_end(t, data, len);
		break;
	}
	return 0;
}

/* libbpf prints through this; keep its warnings, drop its debug chatter. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void unload_tls_objects(struct tt_tracer *t)
{
	nativetls_bpf__destroy(t->native);
	t->native = NULL;
	gotls_bpf__destroy(t->go);
	t->go = NULL;
}

/* Load the Go and native TLS objects; with multi, their uprobe programs are
 * loaded for uprobe_multi links. */
static int load_tls_objects(struct tt_tracer *t, const struct tt_trace_settings *settings,
			    bool multi, struct tt_error *err)
{
	struct bpf_program *uprobes[4];
	int ret;

	t->multi = multi;
	t->go = gotls_bpf__open();
	if (!t->go)
		return tt_error_set(err, errno, "cannot open the Go TLS BPF object: %s",
				    strerror(errno));
	t->native = nativetls_bpf__open();
	if (!t->native)
		return tt_error_set(err, errno, "cannot open the native TLS BPF object: %s",
				    strerror(errno));
	uprobes[0] = t->go->progs.go_tls_entry;
	uprobes[1] = t->go->progs.go_tls_return;
	uprobes[2] = t->native->progs.native_tls_entry;
	uprobes[3] = t->native->progs.native_tls_return;
	for (int i = 0; multi && i < 4; i++)
		bpf_program__set_expected_attach_type(uprobes[i], TT_BPF_TRACE_UPROBE_MULTI);
	t->go->rodata->settings = *settings;
	t->native->rodata->settings = *settings;
	/* Quiet: a kernel without uprobe_multi rejects the first try. */
	libbpf_set_print(multi ? NULL : libbpf_print);
	ret = gotls_bpf__load(t->go);
	libbpf_set_print(libbpf_print);
	if (ret)
		return tt_error_set(err, -ret, "cannot load the Go TLS BPF programs: %s",
				    strerror(-ret));
	/* The native object shares the Go object's ring buffer and counters. */
	if (bpf_map__reuse_fd(t->native->maps.events, bpf_map__fd(t->go->maps.events)) ||
	    bpf_map__reuse_fd(t->native->maps.counters, bpf_map__fd(t->go->maps.counters)))
		return tt_error_set(err, errno, "cannot share the ring buffer: %s",
				    strerror(errno));
	ret = nativetls_bpf__load(t->native);
	if (ret)
		return tt_error_set(err, -ret, "cannot load the native TLS BPF programs: %s",
				    strerror(-ret));
	return 0;
}

/* tracefs is not needed: uprobes go through the perf PMU (or uprobe_multi
 * links) and the syscall hook is a BTF tracepoint. */
int tt_tracer_open(struct tt_tracer *t, const struct tt_trace_settings *settings,
		   const struct tt_sink *sink, struct tt_error *err)
{
	int ret;

	libbpf_set_print(libbpf_print);
	t->sink = *sink;
	t->boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
	t->cache = tt_obj_cache_new();
	if (!t->cache)
		return tt_error_set(err, ENOMEM, "out of memory");
	/* uprobe_multi links where the kernel has them (>= 6.6), else one
	 * perf-event uprobe per site. */
	ret = load_tls_objects(t, settings, true, err);
	if (ret < 0) {
		struct tt_error first = *err;

		unload_tls_objects(t);
		ret = load_tls_objects(t, settings, false, err);
		if (ret < 0) {
			tt_error_set(err, -ret, "%s (with uprobe_multi: %s)", err->msg, first.msg);
			return ret;
		}
	}

	t->watch = procwatch_bpf__open();
	if (!t->watch)
		return tt_error_set(err, errno, "cannot open the process watch BPF object: %s",
				    strerror(errno));
	if (bpf_map__reuse_fd(t->watch->maps.events, bpf_map__fd(t->go->maps.events)) ||
	    bpf_map__reuse_fd(t->watch->maps.counters, bpf_map__fd(t->go->maps.counters)))
		return tt_error_set(err, errno, "cannot share the ring buffer: %s",
				    strerror(errno));
	ret = procwatch_bpf__load(t->watch);
	if (ret)
		return tt_error_set(err, -ret, "cannot load the process watch BPF programs: %s",
				    strerror(-ret));
	/* exec and exit are system-wide hooks filtered by the watch map. */
	t->watch->links.watch_exec = bpf_program__attach(t->watch->progs.watch_exec);
	t->watch->links.watch_exit = bpf_program__attach(t->watch->progs.watch_exit);
	if (!t->watch->links.watch_exec || !t->watch->links.watch_exit)
		return tt_error_set(err, errno, "cannot attach sched_process_exec/exit: %s",
				    strerror(errno));

	t->rb = ring_buffer__new(bpf_map__fd(t->go->maps.events), on_record, t, NULL);
	if (!t->rb)
		return tt_error_set(err, errno, "cannot create the ring buffer reader: %s",
				    strerror(errno));
	return 0;
}

void tt_tracer_close(struct tt_tracer *t)
{
	ring_buffer__free(t->rb);
	t->rb = NULL;
	bpf_link__destroy(t->sys_enter_link);
	t->sys_enter_link = NULL;
	procwatch_bpf__destroy(t->watch);
	t->watch = NULL;
	unload_tls_objects(t);
	tt_obj_cache_free(t->cache);
	t->cache = NULL;
}

/*
 * Events are submitted without a wakeup until enough data waits (see
 * rb_flags() in bpf/tlstap.bpf.h), so epoll may sleep through the timeout
 * while events are queued: always consume after the wait.
 */
int tt_tracer_poll(struct tt_tracer *t, int timeout_ms)
{
	int ret = ring_buffer__poll(t->rb, timeout_ms);

	if (ret < 0 && ret != -EINTR)
		return ret;
	ret = ring_buffer__consume(t->rb);
	return ret == -EINTR ? 0 : ret;
}

void tt_tracer_counters(const struct tt_tracer *t, uint64_t out[TT_C_COUNT])
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *vals;

	memset(out, 0, sizeof(uint64_t) * TT_C_COUNT);
	if (ncpu <= 0 || !t->go)
		return;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return;
	for (uint32_t i = 0; i < TT_C_COUNT; i++) {
		if (bpf_map_lookup_elem(bpf_map__fd(t->go->maps.counters), &i, vals))
			continue;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	free(vals);
}
