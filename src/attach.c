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

#include "tracer.h"
/* After tracer.h: the skeleton refers to struct tt_trace_settings. */
#include "gotls.skel.h"

static int add_link(struct tt_target *tg, struct bpf_link *link)
{
	struct bpf_link **l = realloc(tg->links, (tg->n_links + 1) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	tg->links = l;
	tg->links[tg->n_links++] = link;
	return 0;
}

static int attach_one(struct tt_target *tg, struct bpf_program *prog, const char *path,
		      uint64_t offset, uint64_t cookie, struct tt_error *err)
{
	LIBBPF_OPTS(bpf_uprobe_opts, opts, .bpf_cookie = cookie);
	struct bpf_link *link;

	link = bpf_program__attach_uprobe_opts(prog, tg->pid, path, offset, &opts);
	if (!link)
		return tt_error_set(err, errno, "uprobe at %s+0x%" PRIx64 ": %s", path, offset,
				    strerror(errno));
	if (add_link(tg, link)) {
		bpf_link__destroy(link);
		return tt_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

/*
 * Load bias of an object in the process: runtime address minus ELF virtual
 * address, from the mapping of file offset fo of the file (dev, ino).
 */
static int load_bias(int pid, uint64_t dev, uint64_t ino, uint64_t fo, uint64_t vaddr,
		     uint64_t *bias)
{
	char path[64], line[4096];
	int ret = -ENOENT;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long start, end, pgoff, inode;
		unsigned int maj, min;

		if (sscanf(line, "%llx-%llx %*s %llx %x:%x %llu", &start, &end, &pgoff, &maj, &min,
			   &inode) != 6)
			continue;
		if (inode != ino || makedev(maj, min) != dev)
			continue;
		if (fo < pgoff || fo >= pgoff + (end - start))
			continue;
		*bias = start + (fo - pgoff) - vaddr;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
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

static int attach_go(struct tt_tracer *t, struct tt_target *tg, const struct tt_resolution *r,
		     const char *path, struct tt_error *err)
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
	ret = load_bias(tg->pid, r->dev, r->ino, read->file_offset, read->address, &bias);
	if (ret < 0)
		return tt_error_set(err, -ret, "%s: not mapped in process %d", r->path, tg->pid);
	ret = go_config_from(r, bias, &cfg, err);
	if (ret < 0)
		return ret;
	if (bpf_map_update_elem(bpf_map__fd(t->go->maps.go_config), &key, &cfg, BPF_ANY))
		return tt_error_set(err, errno, "go_config map: %s", strerror(errno));

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
		ret = attach_one(tg, t->go->progs.go_tls_entry, path, fn->file_offset,
				 go_hooks[i].func, err);
		if (ret < 0)
			return ret;
		tg->n_go_probes++;
		if (go_hooks[i].func == TT_GO_CLOSE)
			continue;
		for (size_t k = 0; k < fn->n_returns; k++) {
			ret = attach_one(tg, t->go->progs.go_tls_return, path, fn->returns[k],
					 go_hooks[i].func, err);
			if (ret < 0)
				return ret;
			tg->n_go_probes++;
		}
	}
	return 0;
}

int tt_tracer_attach(struct tt_tracer *t, struct tt_target *tg, struct tt_error *err)
{
	struct tt_resolution *r = NULL;
	char path[64];
	ssize_t n;
	int fd, ret;

	snprintf(path, sizeof(path), "/proc/%d/exe", tg->pid);
	n = readlink(path, tg->exe, sizeof(tg->exe) - 1);
	if (n < 0)
		return tt_error_set(err, errno, "pid %d: %s", tg->pid,
				    errno == ENOENT ? "no such process" : strerror(errno));
	tg->exe[n] = '\0';
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tt_error_set(err, errno, "pid %d: cannot open %s: %s", tg->pid, tg->exe,
				    strerror(errno));
	ret = tt_resolve_fd(fd, tg->exe, &t->ropts, &r, err);
	close(fd);
	if (ret < 0)
		return ret;
	if (r->kind == TT_KIND_GO)
		ret = attach_go(t, tg, r, path, err);
	else
		ret = tt_error_set(err, ENOTSUP, "pid %d: %s: no Go TLS in it (native TLS is not "
					  "traced yet)", tg->pid, tg->exe);
	tt_resolution_free(r);
	if (ret < 0) {
		tt_tracer_detach(t, tg);
		return ret;
	}
	tg->attached = true;
	return 0;
}

/* Delete every key of map whose first __u32 is tgid: collect, then delete,
 * since deleting during the walk would restart it. */
static void sweep_tgid(int map_fd, size_t key_size, uint32_t tgid)
{
	uint8_t prev[64], next[64], *keys = NULL;
	size_t n = 0, cap = 0;
	bool first = true;

	if (key_size > sizeof(next))
		return;
	while (bpf_map_get_next_key(map_fd, first ? NULL : prev, next) == 0) {
		first = false;
		memcpy(prev, next, key_size);
		if (*(uint32_t *)next != tgid)
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

	for (size_t i = 0; i < tg->n_links; i++)
		bpf_link__destroy(tg->links[i]);
	free(tg->links);
	tg->links = NULL;
	tg->n_links = 0;
	tg->attached = false;
	if (!t->go)
		return;
	bpf_map_delete_elem(bpf_map__fd(t->go->maps.go_config), &key);
	sweep_tgid(bpf_map__fd(t->go->maps.go_calls), sizeof(struct tt_go_call_key), tg->pid);
	sweep_tgid(bpf_map__fd(t->go->maps.go_conns), sizeof(struct tt_go_conn_key), tg->pid);
}
