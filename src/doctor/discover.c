// SPDX-License-Identifier: MIT
/* Finding running tracers and their maps (see discover.h). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "doctor/discover.h"
#include "doctor/entry.h"
#include "trace/mapwalk.h"
#include "trace/tracer.h"

/* A tracer holds its skeleton's maps: a dozen.  More ids than this in one
 * process is something else. */
#define MAX_MAPS 256

/* The BPF objects a process holds: map ids and whether it holds programs. */
struct held {
	uint32_t ids[MAX_MAPS];
	size_t n;
	bool progs;
};

static bool numeric(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* The map_id: line of one fd's fdinfo; 0 if none. */
static uint32_t fdinfo_map_id(int pid, const char *fd)
{
	char path[320], line[128];
	unsigned id = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%s", pid, fd);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "map_id: %u", &id) == 1)
			break;
	fclose(f);
	return id;
}

static void add_id(struct held *h, uint32_t id)
{
	for (size_t i = 0; i < h->n; i++)
		if (h->ids[i] == id)
			return;
	if (h->n < MAX_MAPS)
		h->ids[h->n++] = id;
}

/* What BPF objects pid holds; 0 or -errno (-EACCES: not ours to look at). */
static int held_by(int pid, struct held *h)
{
	char path[64], target[64];
	struct dirent *d;
	DIR *dir;
	int dfd;

	memset(h, 0, sizeof(*h));
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	dfd = dirfd(dir);
	while ((d = readdir(dir))) {
		ssize_t n = readlinkat(dfd, d->d_name, target, sizeof(target) - 1);

		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, "anon_inode:bpf-prog"))
			h->progs = true;
		else if (!strcmp(target, "anon_inode:bpf-map"))
			add_id(h, fdinfo_map_id(pid, d->d_name));
	}
	closedir(dir);
	return 0;
}

static void close_maps(struct tt_doc_tracer *t)
{
	for (size_t i = 0; i < t->n_maps; i++)
		if (t->maps[i].fd >= 0)
			close(t->maps[i].fd);
	free(t->maps);
	t->maps = NULL;
	t->n_maps = 0;
}

static int open_map(uint32_t id, struct tt_doc_map *m)
{
	LIBBPF_OPTS(bpf_get_fd_by_id_opts, opts, .open_flags = BPF_F_RDONLY);
	struct bpf_map_info info = {0};
	uint32_t len = sizeof(info);

	memset(m, 0, sizeof(*m));
	m->id = id;
	m->state = -1;
	m->entries = -1;
	/* Read-only: doctor never changes what it looks at. */
	m->fd = bpf_map_get_fd_by_id_opts(id, &opts);
	if (m->fd < 0)
		return -errno;
	if (bpf_map_get_info_by_fd(m->fd, &info, &len)) {
		int ret = -errno;

		close(m->fd);
		m->fd = -1;
		return ret;
	}
	snprintf(m->name, sizeof(m->name), "%s", info.name);
	m->type = info.type;
	m->key_size = info.key_size;
	m->value_size = info.value_size;
	m->max_entries = info.max_entries;
	m->state = tt_doc_map_find(m->name);
	return 0;
}

/* The state maps by name, each once and with the layout of tlstap/state.h. */
static int check_state_maps(struct tt_doc_tracer *t, struct tt_error *err)
{
	for (int s = 0; s < TT_M_COUNT; s++)
		t->state[s] = -1;
	for (size_t i = 0; i < t->n_maps; i++) {
		const struct tt_doc_map *m = &t->maps[i];
		enum tt_key_kind k;

		if (m->state < 0)
			continue;
		if (t->state[m->state] >= 0)
			return tt_error_set(err, ENOTUNIQ, "pid %d holds two maps named %s", t->pid,
					    m->name);
		t->state[m->state] = (int)i;
		k = tt_state_map_kind(m->state);
		if (m->key_size != tt_doc_key_size(k) ||
		    (tt_doc_value_size(k) && m->value_size != tt_doc_value_size(k)))
			return tt_error_set(err, EPROTO,
					    "pid %d: map %s has %u-byte keys and %u-byte values, "
					    "this tlstap expects %u and %u: another version of "
					    "tlstap runs it",
					    t->pid, m->name, m->key_size, m->value_size,
					    tt_doc_key_size(k), tt_doc_value_size(k));
	}
	for (int s = 0; s < TT_M_COUNT; s++)
		if (t->state[s] < 0)
			return -ESRCH;
	return 0;
}

static void read_ident(struct tt_doc_tracer *t)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", t->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, t->comm, sizeof(t->comm) - 1);
		t->comm[n > 0 ? n : 0] = 0;
		t->comm[strcspn(t->comm, "\n")] = 0;
		close(fd);
	}
	snprintf(path, sizeof(path), "/proc/%d/cmdline", t->pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = read(fd, t->cmdline, sizeof(t->cmdline) - 1);
	close(fd);
	if (n <= 0)
		return;
	t->cmdline[n] = 0;
	for (ssize_t i = 0; i < n - 1; i++)
		if (!t->cmdline[i])
			t->cmdline[i] = ' ';
}

/*
 * Is pid a tracer?  1 and *t filled, 0 not one, -errno when its maps cannot
 * be opened or are of another layout (err set).
 */
static int probe_pid(int pid, const struct held *h, struct tt_doc_tracer *t, struct tt_error *err)
{
	int ret;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if (!h->progs || h->n < TT_M_COUNT)
		return 0;
	t->maps = calloc(h->n, sizeof(*t->maps));
	if (!t->maps)
		return tt_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < h->n; i++) {
		ret = open_map(h->ids[i], &t->maps[t->n_maps]);
		if (ret == -ENOENT)
			continue; /* freed meanwhile */
		if (ret < 0) {
			close_maps(t);
			return tt_error_set(err, -ret, "cannot open BPF map %u of pid %d: %s",
					    h->ids[i], pid, strerror(-ret));
		}
		t->n_maps++;
	}
	ret = check_state_maps(t, err);
	if (ret < 0) {
		close_maps(t);
		return ret == -ESRCH ? 0 : ret;
	}
	read_ident(t);
	return 1;
}

/* A process forked by a tracer holds its maps for a moment: one tracer. */
static bool same_tracer(const struct tt_doc_tracer *a, const struct tt_doc_tracer *b)
{
	return a->maps[a->state[TT_M_GO_CALLS]].id == b->maps[b->state[TT_M_GO_CALLS]].id;
}

static int add_tracer(struct tt_doc_tracer **out, size_t *n, struct tt_doc_tracer *t)
{
	struct tt_doc_tracer *p;

	for (size_t i = 0; i < *n; i++) {
		if (same_tracer(&(*out)[i], t)) {
			close_maps(t);
			return 0;
		}
	}
	p = realloc(*out, (*n + 1) * sizeof(*p));
	if (!p) {
		close_maps(t);
		return -ENOMEM;
	}
	*out = p;
	p[(*n)++] = *t;
	return 0;
}

static int look_at(int pid, struct tt_doc_tracer **out, size_t *n, int *denied,
		   struct tt_error *err)
{
	struct tt_doc_tracer t;
	struct held h;
	int ret = held_by(pid, &h);

	if (ret == -EACCES || ret == -EPERM)
		*denied = ret;
	if (ret < 0)
		return 0; /* gone, or not ours to look at */
	ret = probe_pid(pid, &h, &t, err);
	if (ret == -EPERM || ret == -EACCES) {
		*denied = ret;
		return 0;
	}
	if (ret <= 0)
		return ret;
	return add_tracer(out, n, &t) ? tt_error_set(err, ENOMEM, "out of memory") : 0;
}

/* Processes are listed in pid order: a tracer before what it forked. */
static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

static int list_pids(int **pids, size_t *n)
{
	struct dirent *d;
	size_t cap = 0;
	DIR *dir = opendir("/proc");

	*pids = NULL;
	*n = 0;
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		if (!numeric(d->d_name))
			continue;
		if (*n == cap) {
			int *p = realloc(*pids, (cap = cap ? 2 * cap : 512) * sizeof(*p));

			if (!p) {
				closedir(dir);
				return -ENOMEM;
			}
			*pids = p;
		}
		(*pids)[(*n)++] = atoi(d->d_name);
	}
	closedir(dir);
	qsort(*pids, *n, sizeof(**pids), cmp_int);
	return 0;
}

static int discover_one(int pid, struct tt_doc_tracer **out, size_t *n, struct tt_error *err)
{
	int denied = 0, ret;

	if (kill(pid, 0) && errno == ESRCH)
		return tt_error_set(err, ESRCH, "pid %d: no such process", pid);
	ret = look_at(pid, out, n, &denied, err);
	if (ret < 0)
		return ret;
	if (denied)
		return tt_error_set(err, -denied,
				    "pid %d: %s (reading a tracer's BPF maps needs root)", pid,
				    strerror(-denied));
	if (!*n)
		return tt_error_set(err, ESRCH,
				    "pid %d is not a tlstap tracer (it holds no "
				    "tlstap BPF maps)",
				    pid);
	return 0;
}

int tt_doc_discover(int pid, struct tt_doc_tracer **out, size_t *n, struct tt_error *err)
{
	int denied = 0, ret = 0, *pids;
	size_t n_pids;

	*out = NULL;
	*n = 0;
	if (pid > 0)
		return discover_one(pid, out, n, err);
	ret = list_pids(&pids, &n_pids);
	if (ret < 0)
		return tt_error_set(err, -ret, "/proc: %s", strerror(-ret));
	for (size_t i = 0; i < n_pids && ret >= 0; i++)
		if (pids[i] != getpid())
			ret = look_at(pids[i], out, n, &denied, err);
	free(pids);
	if (ret < 0)
		return ret;
	if (!*n && denied)
		return tt_error_set(err, -denied,
				    "%s: reading other processes' BPF maps needs root",
				    strerror(-denied));
	if (!*n)
		return tt_error_set(err, ESRCH, "no running tlstap tracer found");
	return 0;
}

void tt_doc_tracers_free(struct tt_doc_tracer *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		close_maps(&t[i]);
	free(t);
}

/*
 * A ring buffer's fill: producer - consumer position, each on its own
 * page.  The kernel maps no page of a read-only fd: a second fd, whose
 * pages are mapped read-only all the same.
 */
static long long ringbuf_pending(uint32_t id)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long *cons, *prod;
	long long n = -1;
	int fd = bpf_map_get_fd_by_id(id);

	if (fd < 0)
		return -1;
	cons = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, 0);
	if (cons == MAP_FAILED)
		goto out;
	prod = mmap(NULL, page, PROT_READ, MAP_SHARED, fd, page);
	if (prod != MAP_FAILED) {
		n = (long long)(__atomic_load_n(prod, __ATOMIC_ACQUIRE) -
				__atomic_load_n(cons, __ATOMIC_ACQUIRE));
		munmap(prod, page);
	}
	munmap(cons, page);
out:
	close(fd);
	return n;
}

static bool is_array(uint32_t type)
{
	return type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_PROG_ARRAY || type == BPF_MAP_TYPE_PERF_EVENT_ARRAY ||
	       type == BPF_MAP_TYPE_ARRAY_OF_MAPS || type == BPF_MAP_TYPE_CGROUP_ARRAY;
}

void tt_doc_count_maps(struct tt_doc_tracer *t, bool force_iter)
{
	for (size_t i = 0; i < t->n_maps; i++) {
		struct tt_doc_map *m = &t->maps[i];
		struct tt_map_walk_stats st;

		if (m->state >= 0 || m->counted)
			continue;
		m->counted = true;
		if (m->type == BPF_MAP_TYPE_RINGBUF) {
			m->entries = ringbuf_pending(m->id);
		} else if (is_array(m->type)) {
			m->preallocated = true;
			m->entries = m->max_entries;
		} else if (tt_map_walk(m->fd, NULL, NULL, force_iter, &st) == 0) {
			m->entries = (long long)st.entries;
			m->batched = st.batched;
		}
	}
}

double tt_doc_pressure(const struct tt_doc_map *m)
{
	if (m->preallocated || m->entries < 0 || !m->max_entries)
		return -1;
	return (double)m->entries / m->max_entries;
}
