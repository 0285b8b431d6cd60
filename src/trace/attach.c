// SPDX-License-Identifier: MIT
/*
 * Attach manager: each file once per scope.  What to attach comes from the
 * resolver's plan (tt_plan_object); Go binaries get an entry uprobe and one
 * uprobe per RET site (never a uretprobe), native libraries an entry uprobe
 * and a uretprobe.  One uprobe_multi link per program and file where the
 * kernel has them, else one perf-event uprobe per site.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tlstap/compiler.h"
#include "trace/attach.h"
#include "trace/clock.h"
#include "trace/reaper.h"
/* After tracer.h: the skeleton refers to the shared structures. */
#include "tlstap.skel.h"

/* The sites one BPF program goes on in one file, with their cookies. */
struct probe_set {
	struct bpf_program *prog;
	bool retprobe;
	uint64_t *offsets;
	uint64_t *cookies;
	size_t n, cap;
};

static int probe_set_add(struct probe_set *ps, uint64_t offset, uint64_t cookie)
{
	if (ps->n == ps->cap) {
		size_t cap = ps->cap ? 2 * ps->cap : 32;
		uint64_t *o = realloc(ps->offsets, cap * sizeof(*o));
		uint64_t *c;

		if (!o)
			return -ENOMEM;
		ps->offsets = o;
		c = realloc(ps->cookies, cap * sizeof(*c));
		if (!c)
			return -ENOMEM;
		ps->cookies = c;
		ps->cap = cap;
	}
	ps->offsets[ps->n] = offset;
	ps->cookies[ps->n++] = cookie;
	return 0;
}

static void probe_set_free(struct probe_set *ps)
{
	free(ps->offsets);
	free(ps->cookies);
	memset(ps, 0, sizeof(*ps));
}

static int add_link(struct tt_attached *a, struct bpf_link *link)
{
	struct bpf_link **l = realloc(a->links, (a->n_links + 1) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	a->links = l;
	a->links[a->n_links++] = link;
	return 0;
}

/*
 * Test-only fault injection: TLSTAP_FAULT_ATTACH=SUBSTRING makes the first
 * attach of an object whose path contains SUBSTRING fail, as a kernel that
 * refuses a probe would, so tests can prove nothing of it stays behind and
 * that it is tried again.
 */
static bool fault_injected(const char *path)
{
	static bool fired;
	const char *want = getenv("TLSTAP_FAULT_ATTACH");

	if (fired || !want || !*want || !strstr(path, want))
		return false;
	fired = true;
	return true;
}

/* Put ps->prog on every site of the set. */
static int attach_set(struct tt_tracer *t, struct tt_attached *a, const char *bpath,
		      const struct probe_set *ps, struct tt_error *err)
{
	struct bpf_link *link;

	if (!ps->n)
		return 0;
	if (fault_injected(a->path))
		return tt_error_set(err, EINVAL, "%s: attach failed (injected by "
				    "TLSTAP_FAULT_ATTACH)", a->path);
	if (t->multi) {
		LIBBPF_OPTS(bpf_uprobe_multi_opts, opts, .offsets = (const unsigned long *)ps->offsets,
			    .cookies = (const __u64 *)ps->cookies, .cnt = ps->n,
			    .retprobe = ps->retprobe);

		link = bpf_program__attach_uprobe_multi(ps->prog, a->scope, bpath, NULL, &opts);
		if (!link)
			return tt_error_set(err, errno, "uprobe_multi on %zu sites of %s: %s",
					    ps->n, a->path, strerror(errno));
		if (add_link(a, link)) {
			bpf_link__destroy(link);
			return tt_error_set(err, ENOMEM, "out of memory");
		}
		return 0;
	}
	for (size_t i = 0; i < ps->n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = ps->cookies[i],
			    .retprobe = ps->retprobe);

		link = bpf_program__attach_uprobe_opts(ps->prog, a->scope, bpath, ps->offsets[i],
						       &opts);
		if (!link)
			return tt_error_set(err, errno, "%s at %s+0x%" PRIx64 ": %s",
					    ps->retprobe ? "uretprobe" : "uprobe", a->path,
					    ps->offsets[i], strerror(errno));
		if (add_link(a, link)) {
			bpf_link__destroy(link);
			return tt_error_set(err, ENOMEM, "out of memory");
		}
	}
	return 0;
}

/* Which program and set a planned site goes to. */
enum {
	SET_GO_ENTRY,
	SET_GO_RET,
	SET_NATIVE_ENTRY,
	SET_NATIVE_RET,
	SET_BIO_ENTRY,
	SET_BIO_RET,
	SET_COUNT
};

static int sort_sites(struct tt_tracer *t, const struct tt_probe_site *sites, size_t n,
		      uint32_t go_obj, struct probe_set sets[SET_COUNT])
{
	struct tlstap_bpf *s = t->skel;

	sets[SET_GO_ENTRY].prog = s->progs.go_tls_entry;
	sets[SET_GO_RET].prog = s->progs.go_tls_return;
	sets[SET_NATIVE_ENTRY].prog = s->progs.native_tls_entry;
	sets[SET_NATIVE_RET].prog = s->progs.native_tls_return;
	sets[SET_NATIVE_RET].retprobe = true;
	sets[SET_BIO_ENTRY].prog = s->progs.bio_entry;
	sets[SET_BIO_RET].prog = s->progs.bio_return;
	sets[SET_BIO_RET].retprobe = true;
	for (size_t i = 0; i < n; i++) {
		const struct tt_probe_site *site = &sites[i];
		const struct tt_hook *h = site->hook;
		uint64_t cookie = h->cookie;
		int set;

		if (h->lib == TT_LIB_GO) {
			set = site->ret ? SET_GO_RET : SET_GO_ENTRY;
			cookie = TT_GO_COOKIE(TT_GO_COOKIE_FUNC(h->cookie), go_obj);
		} else if (h->prog == TT_PROG_BIO) {
			set = site->ret ? SET_BIO_RET : SET_BIO_ENTRY;
		} else {
			set = site->ret ? SET_NATIVE_RET : SET_NATIVE_ENTRY;
		}
		if (probe_set_add(&sets[set], site->file_offset, cookie))
			return -ENOMEM;
	}
	return 0;
}

/*
 * Return probes first: an entry probe alone would leave records of calls
 * whose return is never seen (they are replaced, but no need to make them).
 */
static int attach_plan(struct tt_tracer *t, struct tt_attached *a, const char *bpath,
		       const struct tt_plan *plan, struct tt_error *err)
{
	static const int order[] = { SET_GO_RET,   SET_NATIVE_RET,   SET_BIO_RET,
				     SET_GO_ENTRY, SET_NATIVE_ENTRY, SET_BIO_ENTRY };
	struct probe_set sets[SET_COUNT] = { 0 };
	int ret;

	ret = a->lazy ? sort_sites(t, plan->lazy, plan->n_lazy, 0, sets)
		      : sort_sites(t, plan->sites, plan->n_sites, a->go_obj, sets);
	if (ret)
		ret = tt_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; !ret && i < ARRAY_SIZE(order); i++)
		ret = attach_set(t, a, bpath, &sets[order[i]], err);
	if (!ret) {
		a->n_go_probes = sets[SET_GO_ENTRY].n + sets[SET_GO_RET].n;
		a->n_native_probes = sets[SET_NATIVE_ENTRY].n + sets[SET_NATIVE_RET].n +
				     sets[SET_BIO_ENTRY].n + sets[SET_BIO_RET].n;
	}
	for (size_t i = 0; i < SET_COUNT; i++)
		probe_set_free(&sets[i]);
	return ret;
}

static void detach(struct tt_tracer *t, struct tt_attached *a)
{
	for (size_t i = 0; i < a->n_links; i++)
		bpf_link__destroy(a->links[i]);
	free(a->links);
	a->links = NULL;
	a->n_links = 0;
	if (a->go_obj && t->skel)
		bpf_map_delete_elem(bpf_map__fd(t->skel->maps.go_objects), &a->go_obj);
	a->go_obj = 0;
}

static void attached_free(struct tt_attached *a)
{
	if (!a)
		return;
	free(a->links);
	free(a->path);
	free(a->reason);
	free(a);
}

static struct tt_attached *find(struct tt_tracer *t, uint64_t dev, uint64_t ino,
				const char *build_id, int scope, bool loader, bool lazy)
{
	for (size_t i = 0; i < t->n_objects; i++) {
		struct tt_attached *a = t->objects[i];

		if (a->dev == dev && a->ino == ino && a->scope == scope && a->loader == loader &&
		    a->lazy == lazy && !strcmp(a->build_id, build_id))
			return a;
	}
	return NULL;
}

/* One more reference on an attach found. */
static void take(struct tt_attached *a)
{
	a->refs++;
	a->unused_since = 0;
}

static int remember(struct tt_tracer *t, struct tt_attached *a)
{
	struct tt_attached **o = realloc(t->objects, (t->n_objects + 1) * sizeof(*o));

	if (!o)
		return -ENOMEM;
	t->objects = o;
	t->objects[t->n_objects++] = a;
	return 0;
}

/*
 * Which file an attach is on.  A uprobe goes to the real file under an
 * overlay mount, which every container of an image shares, while each
 * overlay mount shows its own device: there the inode and the build-id
 * (compared by the caller) tell the file, the device does not (0).
 */
static int file_identity(int fd, uint64_t *dev, uint64_t *ino)
{
	struct statfs fs;
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	*dev = st.st_dev;
	*ino = st.st_ino;
	if (!fstatfs(fd, &fs) && fs.f_type == OVERLAYFS_SUPER_MAGIC)
		*dev = 0;
	return 0;
}

static struct tt_attached *attached_new(uint64_t dev, uint64_t ino, const char *path, int scope,
					const char *build_id)
{
	struct tt_attached *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->path = strdup(path);
	if (!a->path) {
		attached_free(a);
		return NULL;
	}
	a->dev = dev;
	a->ino = ino;
	a->scope = scope;
	a->refs = 1;
	snprintf(a->build_id, sizeof(a->build_id), "%s", build_id);
	return a;
}

/* A Go binary's configuration goes into go_objects before its probes. */
static int write_go_config(struct tt_tracer *t, struct tt_attached *a, const struct tt_plan *plan,
			   struct tt_error *err)
{
	uint32_t key = ++t->next_go_obj;

	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.go_objects), &key, &plan->go, BPF_ANY))
		return tt_error_set(err, errno, "go_objects map: %s", strerror(errno));
	a->go_obj = key;
	return 0;
}

/* The plan's main sites (lazy false) or its on-demand ones. */
static int attach_object(struct tt_tracer *t, int fd, const char *path, int scope, bool lazy,
			 struct tt_attached **out, char *why, size_t why_len, struct tt_error *err)
{
	const struct tt_resolution *r;
	struct tt_attached *a;
	struct tt_plan plan;
	uint64_t dev = 0, ino = 0;
	char bpath[64];
	int ret;

	*out = NULL;
	ret = tt_obj_cache_resolve(t->cache, fd, path, &t->ropts, &r, err);
	if (ret < 0)
		return ret;
	ret = file_identity(fd, &dev, &ino);
	if (ret < 0)
		return tt_error_set(err, -ret, "%s: %s", path, strerror(-ret));
	/* Without a build-id an overlay file is told by its device after all. */
	if (!dev && !r->build_id[0]) {
		struct stat st;

		if (!fstat(fd, &st))
			dev = st.st_dev;
	}
	a = find(t, dev, ino, r->build_id, scope, false, lazy);
	if (a) {
		take(a);
		*out = a;
		return 0;
	}
	ret = tt_plan_object(r, &plan, err);
	if (ret < 0)
		return ret;
	if (lazy ? !plan.n_lazy : !plan.attach) {
		snprintf(why, why_len, "%s", plan.reason);
		tt_plan_free(&plan);
		/* TLS code that cannot be traced is an error; the rest is not
		 * for us. */
		return !lazy && plan.tls ? tt_error_set(err, ENOTSUP, "%s: %s", path, why) : 0;
	}
	a = attached_new(dev, ino, path, scope, r->build_id);
	if (a)
		a->reason = strdup(lazy ? "memory BIO: ciphertext probes" : plan.reason);
	if (!a || !a->reason) {
		attached_free(a);
		tt_plan_free(&plan);
		return tt_error_set(err, ENOMEM, "out of memory");
	}
	a->lazy = lazy;
	/* The kernel follows the magic link to the very inode we resolved. */
	snprintf(bpath, sizeof(bpath), "/proc/self/fd/%d", fd);
	ret = r->kind == TT_KIND_GO && !lazy ? write_go_config(t, a, &plan, err) : 0;
	if (!ret)
		ret = attach_plan(t, a, bpath, &plan, err);
	if (!ret)
		ret = remember(t, a) ? tt_error_set(err, ENOMEM, "out of memory") : 0;
	tt_plan_free(&plan);
	if (ret < 0) {
		/* An object is attached whole or not at all. */
		detach(t, a);
		attached_free(a);
		return ret;
	}
	*out = a;
	return 0;
}

int tt_attach_object(struct tt_tracer *t, int fd, const char *path, int scope,
		     struct tt_attached **out, char *why, size_t why_len, struct tt_error *err)
{
	return attach_object(t, fd, path, scope, false, out, why, why_len, err);
}

bool tt_object_has_lazy(struct tt_tracer *t, int fd, const char *path)
{
	const struct tt_resolution *r;
	struct tt_plan plan;
	bool has;

	if (tt_obj_cache_resolve(t->cache, fd, path, &t->ropts, &r, NULL) < 0 ||
	    tt_plan_object(r, &plan, NULL) < 0)
		return false;
	has = plan.n_lazy > 0;
	tt_plan_free(&plan);
	return has;
}

int tt_attach_lazy(struct tt_tracer *t, int fd, const char *path, int scope,
		   struct tt_attached **out, struct tt_error *err)
{
	char why[512];

	return attach_object(t, fd, path, scope, true, out, why, sizeof(why), err);
}

/* The dynamic loader calls it after each change to the list of loaded
 * objects (dlopen, dlclose): the tracer's cue to attach to a new library. */
#define LOADER_HOOK "_dl_debug_state"

int tt_attach_loader(struct tt_tracer *t, int fd, const char *path, int scope,
		     struct tt_attached **out, struct tt_error *err)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = LOADER_HOOK);
	struct tt_attached *a;
	struct bpf_link *link;
	struct stat st;
	char bpath[64];

	*out = NULL;
	if (fstat(fd, &st))
		return tt_error_set(err, errno, "%s: %s", path, strerror(errno));
	a = find(t, st.st_dev, st.st_ino, "", scope, true, false);
	if (a) {
		take(a);
		*out = a;
		return 0;
	}
	a = attached_new(st.st_dev, st.st_ino, path, scope, "");
	if (!a)
		return tt_error_set(err, ENOMEM, "out of memory");
	a->loader = true;
	a->reason = strdup("dynamic loader (" LOADER_HOOK ": libraries loaded later)");
	snprintf(bpath, sizeof(bpath), "/proc/self/fd/%d", fd);
	/* A uprobe_multi link where the kernel has them, as every other probe:
	 * it needs CAP_BPF and CAP_PERFMON only, a perf-event uprobe for every
	 * process needs CAP_SYS_ADMIN too. */
	if (t->multi) {
		struct tt_error serr = { "" };
		unsigned long off;
		uint64_t o;
		LIBBPF_OPTS(bpf_uprobe_multi_opts, mopts, .offsets = &off, .cnt = 1);

		/* Local to the loader: libbpf resolves only global names for these. */
		if (tt_resolve_symbol_offset(fd, LOADER_HOOK, &o, &serr)) {
			attached_free(a);
			return tt_error_set(err, ENOENT, "%s: %s", path, serr.msg);
		}
		off = (unsigned long)o;
		link = bpf_program__attach_uprobe_multi(t->skel->progs.dl_debug_state, scope,
							bpath, NULL, &mopts);
	} else {
		link = bpf_program__attach_uprobe_opts(t->skel->progs.dl_debug_state, scope,
						       bpath, 0, &opts);
	}
	if (!link || add_link(a, link) || remember(t, a)) {
		int e = link ? ENOMEM : errno;

		bpf_link__destroy(link);
		attached_free(a);
		return tt_error_set(err, e, LOADER_HOOK " in %s: %s", path, strerror(e));
	}
	*out = a;
	return 0;
}

int tt_attach_unused(struct tt_tracer *t, double now, double idle_s, struct tt_attached ***out,
		     size_t *n)
{
	struct tt_attached **v = NULL;

	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < t->n_objects; i++) {
		struct tt_attached *a = t->objects[i];

		if (a->refs || a->scope >= 0 || !a->unused_since || now - a->unused_since < idle_s)
			continue;
		if (!v && !(v = calloc(t->n_objects, sizeof(*v))))
			return -ENOMEM;
		v[(*n)++] = a;
	}
	*out = v;
	return 0;
}

/* Take the links of v[0..n) out of them, into one array (NULL: none, or no
 * memory, and then they stay). */
static struct bpf_link **take_links(struct tt_attached **v, size_t n, size_t *n_links)
{
	struct bpf_link **links;
	size_t k = 0;

	*n_links = 0;
	for (size_t i = 0; i < n; i++)
		k += v[i]->n_links;
	links = k ? malloc(k * sizeof(*links)) : NULL;
	if (!links)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		memcpy(links + *n_links, v[i]->links, v[i]->n_links * sizeof(*links));
		*n_links += v[i]->n_links;
		v[i]->n_links = 0;
	}
	return links;
}

void tt_attach_release_many(struct tt_tracer *t, struct tt_attached **v, size_t n)
{
	size_t n_links;
	struct bpf_link **links = take_links(v, n, &n_links);

	tt_links_destroy(links, n_links);
	free(links);
	for (size_t i = 0; i < n; i++)
		tt_attach_release(t, v[i]); /* what is left: one by one */
}

/* A per-process attach: its links go to the reaper, so that the caller (the
 * control thread, which holds new processes until attached) does not wait
 * for their destroy; what it cannot take is destroyed here. */
static void release_soon(struct tt_tracer *t, struct tt_attached *a)
{
	size_t n_links;
	struct bpf_link **links = take_links(&a, 1, &n_links);

	if (links && !tt_reaper_give(t->reaper, links, n_links))
		tt_links_destroy(links, n_links);
	free(links);
	tt_attach_release(t, a);
}

void tt_attach_put(struct tt_tracer *t, struct tt_attached *a)
{
	if (!a || --a->refs)
		return;
	/* A file attached for every process stays attached a while: the next
	 * process that maps it (the next curl) costs no attach. */
	if (a->scope < 0) {
		a->unused_since = tt_mono_s();
		return;
	}
	release_soon(t, a);
}

void tt_attach_release(struct tt_tracer *t, struct tt_attached *a)
{
	detach(t, a);
	for (size_t i = 0; i < t->n_objects; i++) {
		if (t->objects[i] != a)
			continue;
		t->objects[i] = t->objects[--t->n_objects];
		break;
	}
	attached_free(a);
}

void tt_attach_release_all(struct tt_tracer *t)
{
	/* Their links destroyed together: a tracer of a busy host has hundreds. */
	size_t n = t->n_objects;
	struct tt_attached **v = n ? malloc(n * sizeof(*v)) : NULL;

	if (v) {
		memcpy(v, t->objects, n * sizeof(*v));
		tt_attach_release_many(t, v, n);
		free(v);
	}
	while (t->n_objects) /* no memory for that: one by one */
		tt_attach_release(t, t->objects[t->n_objects - 1]);
	free(t->objects);
	t->objects = NULL;
}
