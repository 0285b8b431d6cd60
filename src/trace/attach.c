// SPDX-License-Identifier: MIT
/*
 * Attach manager: resolve a process's objects and attach the probes they
 * need.  Go functions get an entry uprobe and one uprobe per RET site (never
 * a uretprobe); every probe is filtered to the process by the kernel (pid
 * argument of the uprobe) and by the per-tgid config map in BPF.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
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

static int add_link(struct tt_target *tg, struct bpf_link *link)
{
	struct bpf_link **l = realloc(tg->links, (tg->n_links + 1) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	tg->links = l;
	tg->links[tg->n_links++] = link;
	return 0;
}

/* The sites one BPF program goes on in one file, with their cookies. */
struct probe_set {
	uint64_t *offsets;
	uint64_t *cookies;
	uint32_t n, cap;
};

static int probe_set_add(struct probe_set *ps, uint64_t offset, uint64_t cookie)
{
	if (ps->n == ps->cap) {
		uint32_t cap = ps->cap ? 2 * ps->cap : 32;
		uint64_t *o = realloc(ps->offsets, cap * sizeof(*o));
		uint64_t *c = o ? realloc(ps->cookies, cap * sizeof(*c)) : NULL;

		if (o)
			ps->offsets = o;
		if (!o || !c)
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

static int add_link_fd(struct tt_target *tg, int fd)
{
	int *l = realloc(tg->link_fds, (tg->n_link_fds + 1) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	tg->link_fds = l;
	tg->link_fds[tg->n_link_fds++] = fd;
	return 0;
}

/* Put prog on every site of the set: one uprobe_multi link where the
 * kernel has them, else one perf-event uprobe (or uretprobe) per site. */
static int attach_set(struct tt_tracer *t, struct tt_target *tg, struct bpf_program *prog,
		      const char *path, const struct probe_set *ps, bool retprobe,
		      struct tt_error *err)
{
	if (!ps->n)
		return 0;
	if (t->multi) {
		int fd = tt_uprobe_multi_attach(bpf_program__fd(prog), path, ps->offsets,
						ps->cookies, ps->n, retprobe, tg->pid);

		if (fd < 0)
			return tt_error_set(err, -fd, "uprobe_multi on %u sites of %s: %s", ps->n,
					    path, strerror(-fd));
		if (add_link_fd(tg, fd)) {
			close(fd);
			return tt_error_set(err, ENOMEM, "out of memory");
		}
		return 0;
	}
	for (uint32_t i = 0; i < ps->n; i++) {
		LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = ps->cookies[i],
			    .retprobe = retprobe);
		struct bpf_link *link;

		link = bpf_program__attach_uprobe_opts(prog, tg->pid, path, ps->offsets[i], &opts);
		if (!link)
			return tt_error_set(err, errno, "%s at %s+0x%" PRIx64 ": %s",
					    retprobe ? "uretprobe" : "uprobe", path,
					    ps->offsets[i], strerror(errno));
		if (add_link(tg, link)) {
			bpf_link__destroy(link);
			return tt_error_set(err, ENOMEM, "out of memory");
		}
	}
	return 0;
}

/*
 * Load bias of an object in the process (runtime address minus ELF virtual
 * address), from its executable mapping and a function of it: fo and vaddr
 * are that function's file offset and address.
 */
static int load_bias(const struct tt_proc_object *o, uint64_t fo, uint64_t vaddr, uint64_t *bias)
{
	if (fo < o->exec_offset || fo >= o->exec_offset + (o->exec_end - o->exec_start))
		return -ENOENT;
	*bias = o->exec_start + (fo - o->exec_offset) - vaddr;
	return 0;
}

static const struct {
	const char *name;
	enum tt_go_func func;
	bool required;
} go_hooks[] = {
	{ "crypto/tls.(*Conn).Read", TT_GO_READ, true },
	{ "crypto/tls.(*Conn).Write", TT_GO_WRITE, true },
	{ "crypto/tls.(*Conn).Close", TT_GO_CLOSE, false },
};

static int go_config_from(const struct tt_resolution *r, uint64_t bias, struct tt_go_config *c,
			  struct tt_error *err)
{
	const int64_t *f = r->fields;

	for (int i = 0; i < TT_F_COUNT; i++) {
		if (i == TT_F_G_GOID || i == TT_F_NETFD_FAMILY)
			continue;
		if (f[i] == TT_FIELD_UNKNOWN)
			return tt_error_set(err, ENOENT, "%s: offset of %s unknown", r->path,
					    tt_go_field_name(i));
	}
	memset(c, 0, sizeof(*c));
	c->abi = r->go.abi;
	c->itab_tcpconn = r->go.has_itab_tcpconn ? r->go.itab_tcpconn + bias : 0;
	c->tls_conn_conn = f[TT_F_TLS_CONN_CONN];
	c->tcpconn_conn = f[TT_F_TCPCONN_CONN];
	c->conn_fd = f[TT_F_CONN_FD];
	c->netfd_pfd = f[TT_F_NETFD_PFD];
	c->pollfd_sysfd = f[TT_F_POLLFD_SYSFD];
	c->netfd_laddr = f[TT_F_NETFD_LADDR];
	c->netfd_raddr = f[TT_F_NETFD_RADDR];
	c->tcpaddr_ip = f[TT_F_TCPADDR_IP];
	c->tcpaddr_port = f[TT_F_TCPADDR_PORT];
	c->g_goid = f[TT_F_G_GOID] == TT_FIELD_UNKNOWN ? -1 : f[TT_F_G_GOID];
	return 0;
}

/* Go ABI registers the entry probe reads: c, b.ptr, b.len. */
#define GO_ENTRY_ARGS_MASK 0x7u

/*
 * Where the entry probe of a Go function goes.  A probe on an instruction
 * the kernel emulates (jcc, push, nop) costs about a quarter of one it must
 * single-step (the `cmp rsp, [r14+16]` at the entry), so take the first
 * emulated instruction of the prologue, provided nothing before it writes
 * an argument register the probe reads.  Every call passes it: before it
 * the prologue is straight-line code.  (The stack check's jcc sends a call
 * through morestack and back to the entry, so the probe may fire twice for
 * one call, exactly as at the entry: the second save overwrites the first.)
 */
static bool moves_stack_pointer(const struct tt_insn *in)
{
	static const char *const prefixes[] = { "push", "pop", "sub rsp", "add rsp", "lea rsp",
						"mov rsp", "stp", "str", "sub sp", "add sp",
						"mov sp", "call", "bl" };

	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(in->text, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

/* The BPF side keys a call by g.stack.hi - SP, which must be the same at the
 * entry probe and at the RET: nothing before the probe may move SP. */
static uint64_t go_entry_probe_offset(const struct tt_function *fn)
{
	for (size_t i = 0; i < fn->n_prologue; i++) {
		const struct tt_insn *in = &fn->prologue[i];

		if (in->emulated)
			return in->file_offset;
		if ((in->regs_written & GO_ENTRY_ARGS_MASK) || moves_stack_pointer(in))
			break;
	}
	return fn->file_offset;
}

static int attach_go_sites(struct tt_tracer *t, struct tt_target *tg,
			   const struct tt_resolution *r, const char *path, struct tt_error *err);

static int attach_go(struct tt_tracer *t, struct tt_target *tg, const struct tt_resolution *r,
		     const struct tt_proc_object *o, const char *path, struct tt_error *err)
{
	const struct tt_function *read = tt_resolution_function(r, go_hooks[0].name);
	struct tt_go_config cfg;
	uint64_t bias = 0;
	uint32_t key = tg->pid;
	int ret;

	if (r->go.abi != TT_GO_ABI_REGISTER)
		return tt_error_set(err, ENOTSUP, "%s: %s uses the stack ABI, not supported",
				    r->path, r->go.version);
	if (!read || !read->found)
		return tt_error_set(err, ENOENT, "%s: crypto/tls.(*Conn).Read not found", r->path);
	ret = load_bias(o, read->file_offset, read->address, &bias);
	if (ret < 0)
		return tt_error_set(err, -ret, "%s: not mapped in process %d", r->path, tg->pid);
	ret = go_config_from(r, bias, &cfg, err);
	if (ret < 0)
		return ret;
	if (bpf_map_update_elem(bpf_map__fd(t->go->maps.go_config), &key, &cfg, BPF_ANY))
		return tt_error_set(err, errno, "go_config map: %s", strerror(errno));

	return attach_go_sites(t, tg, r, path, err);
}

static int go_sites(const struct tt_resolution *r, struct probe_set *entries,
		    struct probe_set *returns, struct tt_error *err)
{
	for (size_t i = 0; i < sizeof(go_hooks) / sizeof(go_hooks[0]); i++) {
		const struct tt_function *fn = tt_resolution_function(r, go_hooks[i].name);

		if (!fn || !fn->found) {
			if (go_hooks[i].required)
				return tt_error_set(err, ENOENT, "%s: %s not found", r->path,
						    go_hooks[i].name);
			continue;
		}
		if (go_hooks[i].func != TT_GO_CLOSE && !fn->n_returns)
			return tt_error_set(err, ENOENT, "%s: no RET site found in %s", r->path,
					    fn->name);
		if (probe_set_add(entries, go_entry_probe_offset(fn), go_hooks[i].func))
			return tt_error_set(err, ENOMEM, "out of memory");
		if (go_hooks[i].func == TT_GO_CLOSE)
			continue;
		for (size_t k = 0; k < fn->n_returns; k++)
			if (probe_set_add(returns, fn->returns[k], go_hooks[i].func))
				return tt_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/* RET probes first: an entry probe alone would leave call records whose
 * return is never seen (they are replaced, but no need to make them). */
static int attach_go_sites(struct tt_tracer *t, struct tt_target *tg,
			   const struct tt_resolution *r, const char *path, struct tt_error *err)
{
	struct probe_set entries = { 0 }, returns = { 0 };
	int ret;

	ret = go_sites(r, &entries, &returns, err);
	if (ret == 0)
		ret = attach_set(t, tg, t->go->progs.go_tls_return, path, &returns, false, err);
	if (ret == 0)
		ret = attach_set(t, tg, t->go->progs.go_tls_entry, path, &entries, false, err);
	if (ret == 0)
		tg->n_go_probes += entries.n + returns.n;
	probe_set_free(&entries);
	probe_set_free(&returns);
	return ret;
}

static const struct {
	const char *name;
	uint64_t cookie;
	bool ret_probe;
} native_hooks[] = {
	{ "SSL_read", TT_NCOOKIE(TT_LIB_OPENSSL, TT_DIR_READ) | TT_NCOOKIE_INT_RET, true },
	{ "SSL_write", TT_NCOOKIE(TT_LIB_OPENSSL, TT_DIR_WRITE) | TT_NCOOKIE_INT_RET, true },
	{ "SSL_read_ex",
	  TT_NCOOKIE(TT_LIB_OPENSSL, TT_DIR_READ) | TT_NCOOKIE_EX | TT_NCOOKIE_INT_RET, true },
	{ "SSL_write_ex",
	  TT_NCOOKIE(TT_LIB_OPENSSL, TT_DIR_WRITE) | TT_NCOOKIE_EX | TT_NCOOKIE_INT_RET, true },
	{ "gnutls_record_recv", TT_NCOOKIE(TT_LIB_GNUTLS, TT_DIR_READ), true },
	{ "gnutls_record_send", TT_NCOOKIE(TT_LIB_GNUTLS, TT_DIR_WRITE), true },
	/* The connection cache of the object ends here, or gets a new transport. */
	{ "SSL_free", TT_NCOOKIE_FORGET, false },
	{ "SSL_shutdown", TT_NCOOKIE_FORGET, false },
	{ "SSL_set_fd", TT_NCOOKIE_FORGET, false },
	{ "SSL_set_bio", TT_NCOOKIE_FORGET, false },
	{ "gnutls_deinit", TT_NCOOKIE_FORGET, false },
	{ "gnutls_bye", TT_NCOOKIE_FORGET, false },
	{ "gnutls_transport_set_int2", TT_NCOOKIE_FORGET, false },
	{ "gnutls_transport_set_ptr", TT_NCOOKIE_FORGET, false },
};

/* The syscall hook is system-wide (it filters on the thread being inside a
 * traced TLS call): attach it once, with the first native target. */
static int ensure_sys_enter(struct tt_tracer *t, struct tt_error *err)
{
	if (t->sys_enter_link)
		return 0;
	t->sys_enter_link = bpf_program__attach(t->native->progs.native_sys_enter);
	if (!t->sys_enter_link)
		return tt_error_set(err, errno, "tp_btf/sys_enter: %s", strerror(errno));
	return 0;
}

static int attach_native(struct tt_tracer *t, struct tt_target *tg, const struct tt_resolution *r,
			 const char *path, struct tt_error *err)
{
	struct probe_set entries = { 0 }, returns = { 0 };
	uint32_t key = tg->pid;
	uint8_t one = 1;
	int ret;

	ret = ensure_sys_enter(t, err);
	if (ret < 0)
		return ret;
	if (bpf_map_update_elem(bpf_map__fd(t->native->maps.native_tgids), &key, &one, BPF_ANY))
		return tt_error_set(err, errno, "native_tgids map: %s", strerror(errno));
	for (size_t i = 0; i < sizeof(native_hooks) / sizeof(native_hooks[0]); i++) {
		const struct tt_function *fn = tt_resolution_function(r, native_hooks[i].name);

		if (!fn || !fn->found)
			continue;
		if (probe_set_add(&entries, fn->file_offset, native_hooks[i].cookie) ||
		    (native_hooks[i].ret_probe &&
		     probe_set_add(&returns, fn->file_offset, native_hooks[i].cookie))) {
			ret = tt_error_set(err, ENOMEM, "out of memory");
			goto out;
		}
	}
	/* Return probes first: an entry probe alone would leave records of
	 * calls whose return is never seen. */
	ret = attach_set(t, tg, t->native->progs.native_tls_return, path, &returns, true, err);
	if (ret == 0)
		ret = attach_set(t, tg, t->native->progs.native_tls_entry, path, &entries, false,
				 err);
	if (ret == 0 && returns.n) {
		tg->n_native_probes += entries.n + returns.n;
		tg->n_native_objects++;
	}
out:
	probe_set_free(&entries);
	probe_set_free(&returns);
	return ret;
}

static bool target_has_object(const struct tt_target *tg, uint64_t dev, uint64_t ino)
{
	for (size_t i = 0; i < tg->n_objects; i++)
		if (tg->objects[i].dev == dev && tg->objects[i].ino == ino)
			return true;
	return false;
}

static int remember_object(struct tt_target *tg, uint64_t dev, uint64_t ino)
{
	struct tt_target_object *o = realloc(tg->objects, (tg->n_objects + 1) * sizeof(*o));

	if (!o)
		return -ENOMEM;
	tg->objects = o;
	tg->objects[tg->n_objects++] = (struct tt_target_object){ dev, ino };
	return 0;
}

static bool is_dynamic_loader(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strncmp(base, "ld-linux", 8) || !strncmp(base, "ld-musl", 7) ||
	       !strncmp(base, "ld.so", 5);
}

/*
 * Probe the loader's _dl_debug_state() so that libraries loaded later
 * (dlopen) are attached at once, not at the next periodic rescan.
 */
static int watch_loader(struct tt_tracer *t, struct tt_target *tg, const char *path,
			struct tt_error *err)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .func_name = "_dl_debug_state");
	struct bpf_link *link;

	link = bpf_program__attach_uprobe_opts(t->watch->progs.dl_debug_state, tg->pid, path, 0,
					       &opts);
	if (!link)
		return tt_error_set(err, errno, "_dl_debug_state in %s: %s", path,
				    strerror(errno));
	if (add_link(tg, link)) {
		bpf_link__destroy(link);
		return tt_error_set(err, ENOMEM, "out of memory");
	}
	tg->dl_watched = true;
	return 0;
}

/* Control events for this process: exec, loader changes, exit. */
static int watch_process(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err)
{
	uint8_t flags = TT_WATCH_NOTIFY | (tg->stop_on_dlopen ? TT_WATCH_STOP : 0);
	uint32_t key = tg->pid;

	if (bpf_map_update_elem(bpf_map__fd(t->watch->maps.watch), &key, &flags, BPF_ANY))
		return tt_error_set(err, errno, "watch map: %s", strerror(errno));
	return 0;
}

/* Resolve one mapped object and attach what it needs. */
static int attach_object(struct tt_tracer *t, struct tt_target *tg, const struct tt_proc *p,
			 const struct tt_proc_object *o, struct tt_error *err)
{
	const struct tt_resolution *r;
	size_t links_before = tg->n_links, fds_before = tg->n_link_fds;
	char path[64];
	int fd, ret;

	fd = tt_proc_open_object(p, o, err);
	if (fd < 0)
		return fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	if (!tg->dl_watched && is_dynamic_loader(o->path)) {
		ret = watch_loader(t, tg, path, err);
		goto out;
	}
	ret = tt_obj_cache_resolve(t->cache, fd, o->path, &t->ropts, &r, err);
	if (ret < 0)
		goto out;
	/* The kernel follows the magic link to the very inode we resolved. */
	if (r->kind == TT_KIND_GO && o->is_exe)
		ret = attach_go(t, tg, r, o, path, err);
	else if (r->kind == TT_KIND_NATIVE)
		ret = attach_native(t, tg, r, path, err);
	/* An object is attached whole or not at all. */
	if (ret < 0) {
		while (tg->n_links > links_before)
			bpf_link__destroy(tg->links[--tg->n_links]);
		while (tg->n_link_fds > fds_before)
			close(tg->link_fds[--tg->n_link_fds]);
	}
out:
	close(fd);
	return ret;
}

/* Attach every object of the process not handled yet. */
static int attach_new_objects(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err)
{
	struct tt_proc p = { 0 };
	int ret, added = 0;

	ret = tt_proc_read(tg->pid, &p, err);
	if (ret < 0) {
		struct tt_error why = *err;

		return tt_error_set(err, -ret, "pid %d: %s", tg->pid, why.msg);
	}
	snprintf(tg->exe, sizeof(tg->exe), "%s", p.exe ? p.exe : "?");
	for (size_t i = 0; i < p.n_objects; i++) {
		const struct tt_proc_object *o = &p.objects[i];
		struct tt_error oerr = { "" };

		if (target_has_object(tg, o->dev, o->ino))
			continue;
		if (remember_object(tg, o->dev, o->ino)) {
			ret = tt_error_set(err, ENOMEM, "out of memory");
			break;
		}
		ret = attach_object(t, tg, &p, o, &oerr);
		if (ret < 0) {
			/* The executable is what was asked for: its failure is fatal.
			 * A library that cannot be handled is reported and skipped. */
			if (o->is_exe) {
				tt_error_set(err, -ret, "pid %d: %s", tg->pid, oerr.msg);
				break;
			}
			fprintf(stderr, "tlstap: pid %d: skipping %s: %s\n", tg->pid, o->path,
				oerr.msg);
			ret = 0;
			continue;
		}
		added++;
	}
	tt_proc_free(&p);
	return ret < 0 ? ret : added;
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

static void sweep_tgid(int map_fd, size_t key_size, size_t tgid_off, uint32_t tgid);

/* Every BPF state of a process but its watch: config, calls, connections. */
static void forget_state(struct tt_tracer *t, uint32_t tgid)
{
	if (t->go) {
		bpf_map_delete_elem(bpf_map__fd(t->go->maps.go_config), &tgid);
		sweep_tgid(bpf_map__fd(t->go->maps.go_calls), sizeof(struct tt_go_call_key), 0,
			   tgid);
		sweep_tgid(bpf_map__fd(t->go->maps.go_conns), sizeof(struct tt_go_conn_key), 0,
			   tgid);
	}
	if (t->native) {
		bpf_map_delete_elem(bpf_map__fd(t->native->maps.native_tgids), &tgid);
		/* native_calls is keyed by pid_tgid: tgid is the upper half. */
		sweep_tgid(bpf_map__fd(t->native->maps.native_calls), sizeof(uint64_t), 4, tgid);
		sweep_tgid(bpf_map__fd(t->native->maps.native_conns),
			   sizeof(struct tt_native_conn_key), 0, tgid);
		sweep_tgid(bpf_map__fd(t->native->maps.fd_conns), sizeof(struct tt_fd_key), 0,
			   tgid);
	}
}

static void drop_links(struct tt_target *tg)
{
	for (size_t i = 0; i < tg->n_links; i++)
		bpf_link__destroy(tg->links[i]);
	free(tg->links);
	tg->links = NULL;
	tg->n_links = 0;
	for (size_t i = 0; i < tg->n_link_fds; i++)
		close(tg->link_fds[i]);
	free(tg->link_fds);
	tg->link_fds = NULL;
	tg->n_link_fds = 0;
	free(tg->objects);
	tg->objects = NULL;
	tg->n_objects = 0;
	tg->n_go_probes = 0;
	tg->n_native_probes = 0;
	tg->n_native_objects = 0;
	tg->dl_watched = false;
}

int tt_tracer_reexec(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err)
{
	/* The old image's probes went with its address space; its per-process
	 * state (Go config, calls, connections) means nothing now. */
	drop_links(tg);
	forget_state(t, tg->pid);
	return attach_new_objects(t, tg, err);
}

#define SWEEP_MAX_STEPS (4u << 20)

/*
 * Delete every key of map that holds tgid at byte tgid_off (0 for the struct
 * keys, 4 for a little-endian pid_tgid __u64): collect, then delete, since
 * deleting during the walk would restart it.
 */
static void sweep_tgid(int map_fd, size_t key_size, size_t tgid_off, uint32_t tgid)
{
	uint8_t prev[64], next[64], *keys = NULL;
	size_t n = 0, cap = 0, steps = 0;
	bool first = true;

	if (key_size > sizeof(next) || tgid_off + sizeof(tgid) > key_size)
		return;
	/* BPF deletes entries meanwhile, which can restart the walk: bound it. */
	while (steps++ < SWEEP_MAX_STEPS &&
	       bpf_map_get_next_key(map_fd, first ? NULL : prev, next) == 0) {
		first = false;
		memcpy(prev, next, key_size);
		if (memcmp(next + tgid_off, &tgid, sizeof(tgid)) != 0)
			continue;
		if (n == cap) {
			uint8_t *k = realloc(keys, (cap ? 2 * cap : 64) * key_size);

			if (!k)
				break;
			keys = k;
			cap = cap ? 2 * cap : 64;
		}
		memcpy(keys + n++ * key_size, next, key_size);
	}
	for (size_t i = 0; i < n; i++)
		bpf_map_delete_elem(map_fd, keys + i * key_size);
	free(keys);
}

void tt_tracer_detach(struct tt_tracer *t, struct tt_target *tg)
{
	uint32_t key = tg->pid;

	drop_links(tg);
	tg->attached = false;
	if (t->watch)
		bpf_map_delete_elem(bpf_map__fd(t->watch->maps.watch), &key);
	forget_state(t, tg->pid);
}
