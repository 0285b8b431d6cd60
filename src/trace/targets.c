// SPDX-License-Identifier: MIT
/*
 * The processes traced: what each maps, attached through the attach manager
 * (each file once per scope), libraries loaded later, programs executed, and
 * the BPF state a process leaves when it exits or executes something else.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tlstap/state.h"
#include "trace/attach.h"
#include "trace/mapwalk.h"
#include "trace/proc.h"
#include "trace/tracer.h"
/* After tracer.h: the skeleton refers to the shared structures. */
#include "tlstap.skel.h"

/* An object that failed to attach is tried again at the next rescans. */
#define ATTACH_TRIES 3

/* The process's record of an object, created on first sight. */
static struct tt_seen *seen_entry(struct tt_target *tg, uint64_t dev, uint64_t ino)
{
	struct tt_seen *s;

	for (size_t i = 0; i < tg->n_seen; i++)
		if (tg->seen[i].dev == dev && tg->seen[i].ino == ino)
			return &tg->seen[i];
	s = realloc(tg->seen, (tg->n_seen + 1) * sizeof(*s));
	if (!s)
		return NULL;
	tg->seen = s;
	s = &tg->seen[tg->n_seen++];
	*s = (struct tt_seen){ .dev = dev, .ino = ino };
	return s;
}

static int hold(struct tt_target *tg, struct tt_attached *a)
{
	struct tt_attached **o = realloc(tg->objs, (tg->n_objs + 1) * sizeof(*o));

	if (!o)
		return -ENOMEM;
	tg->objs = o;
	tg->objs[tg->n_objs++] = a;
	if (a->loader) {
		tg->dl_watched = true;
		return 0;
	}
	tg->n_go_probes += a->n_go_probes;
	tg->n_native_probes += a->n_native_probes;
	tg->n_native_objects += a->n_native_probes > 0;
	return 0;
}

static bool is_dynamic_loader(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "ld-linux", 8) || !strncmp(base, "ld-musl", 7) ||
	       !strncmp(base, "ld.so", 5);
}

/* Control records for this process: exec, loader changes, exit. */
static int watch_process(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err)
{
	uint8_t flags = TT_WATCH_NOTIFY | (tg->stop_on_dlopen ? TT_WATCH_STOP : 0) |
			(t->follow ? TT_WATCH_FOLLOW : 0); /* -- CMD's tree: all of it */
	int fd = bpf_map__fd(t->skel->maps.watch);
	uint32_t key = tg->pid;
	uint8_t old;

	/* What BPF learned of the process stays: the filters let it through
	 * (its exit is output). */
	if (!bpf_map_lookup_elem(fd, &key, &old))
		flags |= old & TT_WATCH_PASSED;
	if (bpf_map_update_elem(fd, &key, &flags, BPF_ANY))
		return tt_error_set(err, errno, "watch map: %s", strerror(errno));
	return 0;
}

/*
 * Attach one mapped object for the process.  0: attached, or nothing to
 * attach (marked seen); negative: it failed, and it is tried again at the
 * next rescan (a failure leaves nothing behind).
 */
static int attach_one(struct tt_tracer *t, struct tt_target *tg, const struct tt_proc *p,
		      const struct tt_proc_object *o, struct tt_seen *seen, struct tt_error *err)
{
	struct tt_attached *a = NULL;
	char why[512] = "";
	int fd, ret;

	fd = tt_proc_open_object(p, o, err);
	if (fd < 0)
		return fd;
	if (is_dynamic_loader(o->path)) {
		ret = tg->dl_watched ? 0 : tt_attach_loader(t, fd, o->path, tg->scope, &a, err);
	} else {
		ret = tt_attach_object(t, fd, o->path, tg->scope, &a, why, sizeof(why), err);
		/* Known now, so that a memory-BIO process's probes come fast. */
		seen->lazy = tt_object_has_lazy(t, fd, o->path);
	}
	close(fd);
	if (ret < 0)
		return ret;
	if (!a)
		return 0;
	if (hold(tg, a)) {
		tt_attach_put(t, a);
		return tt_error_set(err, ENOMEM, "out of memory");
	}
	if (t->verbose && (!t->all || !a->said))
		tt_diag("tlstap: pid %d: %s %s: %s%s\n", tg->pid,
			a->loader ? "watch" : "attach", o->path, a->reason,
			a->refs > 1 ? " (attached already)" : "");
	a->said = true;
	return 0;
}

/* Attach every object of the process not handled yet; how many were. */
static int attach_new_objects(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err)
{
	struct tt_proc p = { 0 };
	size_t before = tg->n_objs;
	int ret;

	ret = tt_proc_read(tg->pid, &p, err);
	if (ret < 0) {
		struct tt_error why = *err;

		return tt_error_set(err, -ret, "pid %d: %s", tg->pid, why.msg);
	}
	snprintf(tg->exe, sizeof(tg->exe), "%s", p.exe ? p.exe : "?");
	for (size_t i = 0; i < p.n_objects; i++) {
		const struct tt_proc_object *o = &p.objects[i];
		struct tt_seen *s = seen_entry(tg, o->dev, o->ino);
		struct tt_error oerr = { "" };

		if (!s) {
			ret = tt_error_set(err, ENOMEM, "out of memory");
			break;
		}
		if (s->done)
			continue;
		ret = attach_one(t, tg, &p, o, s, &oerr);
		/* The process is gone: nothing more to look at, nothing to say. */
		if (ret < 0 && !tt_proc_alive(tg->pid)) {
			ret = tt_error_set(err, ESRCH, "pid %d: exited", tg->pid);
			break;
		}
		if (ret == -ENOMEM || (ret < 0 && o->is_exe)) {
			/* The executable is what was asked for: its failure is fatal. */
			tt_error_set(err, -ret, "pid %d: %s", tg->pid, oerr.msg);
			break;
		}
		s->done = ret == 0 || ret == -ENOTSUP || ++s->fails >= ATTACH_TRIES;
		/* Said once: cannot be traced ever, or failed (tried again). */
		if (ret == -ENOTSUP)
			tt_diag("tlstap: pid %d: skipping %s\n", tg->pid, oerr.msg);
		else if (ret < 0 && s->fails == 1)
			tt_diag("tlstap: pid %d: %s: %s (trying again)\n", tg->pid,
				o->path, oerr.msg);
		ret = 0;
	}
	tt_proc_free(&p);
	return ret < 0 ? ret : (int)(tg->n_objs - before);
}

/* Sweep the process's entries of one map; how many (also added to *deleted). */
static size_t sweep_map(struct bpf_map *m, bool key_side, size_t off, uint32_t tgid,
			size_t *deleted)
{
	size_t n = tt_map_sweep_tgid(bpf_map__fd(m), key_side, off, tgid);

	if (deleted)
		*deleted += n;
	return n;
}

/* An entry names its process by its key's first bytes, by the upper half
 * of a pid_tgid key, or (what belongs to a socket) by its value's first
 * bytes. */
_Static_assert(offsetof(struct tt_go_call_key, tgid) == 0, "tgid first");
_Static_assert(offsetof(struct tt_go_conn_key, tgid) == 0, "tgid first");
_Static_assert(offsetof(struct tt_go_gkey, tgid) == 0, "tgid first");
_Static_assert(offsetof(struct tt_native_conn_key, tgid) == 0, "tgid first");
_Static_assert(offsetof(struct tt_cipher_key, tgid) == 0, "tgid first");
_Static_assert(offsetof(struct tt_sock, tgid) == 0, "tgid first");
_Static_assert(offsetof(struct tt_frame, tgid) == 0, "tgid first");

/* Where the entries of a kind of key name their process (false: they name
 * none, as an executable file). */
static bool tgid_place(enum tt_key_kind k, bool *key_side, size_t *off)
{
	*key_side = true;
	*off = 0;
	switch (k) {
	case TT_KEY_FILE:
	case TT_KEY_KIND_COUNT:
		return false;
	case TT_KEY_PID_TGID:
		*off = 4; /* tgid << 32 | tid, little-endian */
		return true;
	case TT_KEY_SOCK:
	case TT_KEY_FRAME:
		*key_side = false;
		return true;
	default:
		return true;
	}
}

/* Every BPF state of a process, from the state maps' table, but its watch
 * and its hold (the control loop's): calls, connections, goroutines,
 * sockets, ciphertext.  What was swept is counted (t->swept). */
static void forget_state(struct tt_tracer *t, struct tt_target *tg)
{
	struct tlstap_bpf *s = t->skel;
	uint32_t tgid = tg->pid;
	size_t watchers = 0, go_watchers = 0, n = 0;

	if (!s)
		return;
	for (int m = 0; m < TT_M_COUNT; m++) {
		enum tt_key_kind kind = tt_state_map_kind(m);
		struct bpf_map *map;
		size_t *counted = NULL, off;
		bool key_side;

		if (m == TT_M_WATCH || m == TT_M_HELD || !tgid_place(kind, &key_side, &off))
			continue;
		map = tt_tracer_state_map(t, m);
		if (!map)
			continue;
		if (kind == TT_KEY_TGID) {
			n += bpf_map_delete_elem(bpf_map__fd(map), &tgid) == 0;
			continue;
		}
		/* The calls in flight that keep the socket hooks looking. */
		if (m == TT_M_NATIVE_CALLS)
			counted = &watchers;
		else if (m == TT_M_GO_GCALLS)
			counted = &go_watchers;
		n += sweep_map(map, key_side, off, tgid, counted);
	}
	t->swept += n;
	if (tg->membio)
		__atomic_fetch_sub(&s->bss->membio_active, 1, __ATOMIC_RELAXED);
	tg->membio = false;
	/* Calls that will never return must not keep the socket hooks busy. */
	if (watchers || go_watchers)
		__atomic_fetch_sub(&s->bss->sock_watchers, watchers + go_watchers,
				   __ATOMIC_RELAXED);
	if (go_watchers)
		__atomic_fetch_sub(&s->bss->go_sock_watchers, go_watchers, __ATOMIC_RELAXED);
}

static void drop_objects(struct tt_tracer *t, struct tt_target *tg)
{
	for (size_t i = 0; i < tg->n_objs; i++)
		tt_attach_put(t, tg->objs[i]);
	free(tg->objs);
	tg->objs = NULL;
	tg->n_objs = 0;
	free(tg->seen);
	tg->seen = NULL;
	tg->n_seen = 0;
	tg->n_go_probes = 0;
	tg->n_native_probes = 0;
	tg->n_native_objects = 0;
	tg->dl_watched = false;
}

int tt_tracer_attach(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err)
{
	int ret = watch_process(t, tg, err);

	/* Nothing traceable yet is not an error: a process may load its TLS
	 * library later (python's `import ssl`) or exec the program that does
	 * TLS (a wrapper script); the watch catches both.  The caller says so. */
	if (ret >= 0)
		ret = attach_new_objects(t, tg, err);
	if (ret < 0) {
		tt_tracer_detach(t, tg);
		return ret;
	}
	tg->attached = true;
	return 0;
}

int tt_tracer_rescan(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err)
{
	return attach_new_objects(t, tg, err);
}

int tt_tracer_reexec(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err)
{
	/* The old image's probes went with its address space; its per-process
	 * state (calls, connections) means nothing now. */
	drop_objects(t, tg);
	forget_state(t, tg);
	return attach_new_objects(t, tg, err);
}

void tt_tracer_unprobe(struct tt_tracer *t, struct tt_target *tg)
{
	drop_objects(t, tg);
}

void tt_tracer_detach(struct tt_tracer *t, struct tt_target *tg)
{
	uint32_t key = tg->pid;

	drop_objects(t, tg);
	tg->attached = false;
	if (t->skel)
		bpf_map_delete_elem(bpf_map__fd(t->skel->maps.watch), &key);
	forget_state(t, tg);
}

void tt_tracer_forget(struct tt_tracer *t, int pid)
{
	struct tt_target tg = { .pid = pid, .scope = -1 };

	tt_tracer_detach(t, &tg);
}

/* Attach the on-demand probes of every object the process maps. */
static int attach_lazy_objects(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err)
{
	struct tt_proc p = { 0 };
	int ret, added = 0;

	ret = tt_proc_read(tg->pid, &p, err);
	if (ret < 0)
		return ret;
	for (size_t i = 0; i < p.n_objects; i++) {
		struct tt_seen *s = seen_entry(tg, p.objects[i].dev, p.objects[i].ino);
		struct tt_attached *a = NULL;
		struct tt_error oerr = { "" };
		int fd;

		/* Only the objects known to have such probes: a process's
		 * calls go unattributed until they are attached. */
		if (!s || !s->lazy)
			continue;
		fd = tt_proc_open_object(&p, &p.objects[i], &oerr);
		if (fd < 0)
			continue;
		ret = tt_attach_lazy(t, fd, p.objects[i].path, tg->pid, &a, &oerr);
		close(fd);
		if (ret < 0) {
			tt_diag("tlstap: pid %d: %s\n", tg->pid, oerr.msg);
			continue;
		}
		if (!a)
			continue;
		if (hold(tg, a)) {
			tt_attach_put(t, a);
			ret = tt_error_set(err, ENOMEM, "out of memory");
			break;
		}
		added++;
		if (t->verbose)
			tt_diag("tlstap: pid %d: attach %s: %s\n", tg->pid,
				p.objects[i].path, a->reason);
	}
	tt_proc_free(&p);
	return ret < 0 ? ret : added;
}

int tt_tracer_membio(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err)
{
	uint8_t active = TT_MEMBIO_ACTIVE;
	uint32_t key = tg->pid;
	int n;

	if (tg->membio || !t->sock_tp)
		return 0; /* done, or the kernel cannot show what sockets move */
	n = attach_lazy_objects(t, tg, err);
	if (n <= 0)
		return n;
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.membio_tgids), &key, &active, BPF_ANY))
		return tt_error_set(err, errno, "membio_tgids map: %s", strerror(errno));
	__atomic_fetch_add(&t->skel->bss->membio_active, 1, __ATOMIC_RELAXED);
	tg->membio = true;
	return n;
}
