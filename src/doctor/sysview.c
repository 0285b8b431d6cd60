// SPDX-License-Identifier: MIT
/* Facts about processes from a proc tree, for the doctor's checks. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "doctor/sysview.h"

/* Field of /proc/PID/stat holding the start time (clock ticks since boot). */
#define STAT_STARTTIME 22

/* Read a small file whole (NUL-terminated); bytes read or -errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	else
		buf[n] = 0;
	close(fd);
	return n;
}

/* State letter and start time from a stat file ("pid (comm) S ..."):
 * whether the task is alive, 0 if the file cannot be read. */
static bool read_stat(const struct tt_sysview *v, const char *path, uint64_t *start_ns)
{
	char buf[1024], *s;
	unsigned long long ticks;
	int field = 3;
	bool alive;

	*start_ns = 0;
	if (read_small(path, buf, sizeof(buf)) <= 0)
		return false;
	/* comm may hold ')' and blanks: the fields start after the last ')'. */
	s = strrchr(buf, ')');
	if (!s || s[1] != ' ')
		return false;
	s += 2;
	alive = *s != 'Z' && *s != 'X';
	while (field < STAT_STARTTIME && (s = strchr(s, ' ')))
		s++, field++;
	if (s && sscanf(s, "%llu", &ticks) == 1 && v->clk_tck > 0)
		*start_ns = ticks * (1000000000ULL / (unsigned long long)v->clk_tck);
	return alive;
}

/* "net:[4026531840]" */
static uint64_t read_netns(const struct tt_sysview *v, int pid)
{
	char path[320], buf[64];
	unsigned long long ino;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/ns/net", v->proc, pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	return sscanf(buf, "net:[%llu]", &ino) == 1 ? ino : 0;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int tt_sysview_init(struct tt_sysview *v, const char *proc, const uint32_t *pids, size_t n)
{
	uint32_t *sorted = NULL;
	int ret = -ENOMEM;
	char path[320];

	memset(v, 0, sizeof(*v));
	snprintf(v->proc, sizeof(v->proc), "%s", proc);
	v->clk_tck = sysconf(_SC_CLK_TCK);
	sorted = malloc((n ? n : 1) * sizeof(*sorted));
	v->procs = calloc(n ? n : 1, sizeof(*v->procs));
	if (!sorted || !v->procs || tt_index_init(&v->by_pid, n))
		goto out;
	memcpy(sorted, pids, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_u32);
	for (size_t i = 0; i < n; i++) {
		struct tt_sys_proc *p;

		if (i && sorted[i] == sorted[i - 1])
			continue;
		p = &v->procs[v->n_procs];
		p->pid = (int)sorted[i];
		snprintf(path, sizeof(path), "%s/%d/stat", v->proc, p->pid);
		p->alive = read_stat(v, path, &p->start_ns);
		if (p->alive)
			p->netns = read_netns(v, p->pid);
		tt_index_add(&v->by_pid, sorted[i], (uint32_t)v->n_procs++);
	}
	ret = 0;
out:
	free(sorted);
	if (ret)
		tt_sysview_free(v);
	return ret;
}

void tt_sysview_free(struct tt_sysview *v)
{
	for (size_t i = 0; i < v->n_procs; i++) {
		free(v->procs[i].socks);
		tt_index_free(&v->procs[i].by_inode);
	}
	for (size_t i = 0; i < v->n_netns; i++)
		tt_tcp_table_free(&v->netns[i].tcp);
	free(v->netns);
	free(v->procs);
	tt_index_free(&v->by_pid);
	memset(v, 0, sizeof(*v));
}

const struct tt_sys_proc *tt_sysview_proc(const struct tt_sysview *v, int pid)
{
	size_t cur = 0;
	long pos;

	while ((pos = tt_index_next(&v->by_pid, (uint64_t)pid, &cur)) >= 0)
		if (v->procs[pos].pid == pid)
			return &v->procs[pos];
	return NULL;
}

static struct tt_sys_netns *netns_slot(struct tt_sysview *v, uint64_t ino)
{
	struct tt_sys_netns *ns;

	for (size_t i = 0; i < v->n_netns; i++)
		if (v->netns[i].ino == ino)
			return &v->netns[i];
	ns = realloc(v->netns, (v->n_netns + 1) * sizeof(*ns));
	if (!ns)
		return NULL;
	v->netns = ns;
	ns = &v->netns[v->n_netns++];
	memset(ns, 0, sizeof(*ns));
	ns->ino = ino;
	return ns;
}

const struct tt_tcp_table *tt_sysview_tcp(struct tt_sysview *v, const struct tt_sys_proc *p,
					  const char **why)
{
	struct tt_sys_netns *ns;
	struct tt_error err = {""};
	char dir[320];

	*why = "its network namespace is unknown (it exited?)";
	if (!p->netns)
		return NULL;
	ns = netns_slot(v, p->netns);
	if (!ns) {
		*why = "out of memory";
		return NULL;
	}
	/* Read through one of its processes: /proc/net is the reader's own. */
	if (!ns->loaded) {
		snprintf(dir, sizeof(dir), "%s/%d/net", v->proc, p->pid);
		ns->err = tt_tcp_table_load(&ns->tcp, dir, &err);
		snprintf(ns->why, sizeof(ns->why), "%s", err.msg);
		ns->loaded = true;
	}
	*why = ns->why;
	return ns->err ? NULL : &ns->tcp;
}

int tt_sysview_fd(const struct tt_sysview *v, int pid, int fd, uint64_t *inode, char *target,
		  size_t len)
{
	char path[320];
	unsigned long long ino;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%d/fd/%d", v->proc, pid, fd);
	n = readlink(path, target, len - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	if (sscanf(target, "socket:[%llu]", &ino) != 1)
		return 0;
	*inode = ino;
	return 1;
}

/* The sockets the process's fds hold, into p->socks, indexed by inode. */
static int read_sockets(const struct tt_sysview *v, struct tt_sys_proc *p)
{
	char path[320], target[64];
	unsigned long long ino;
	size_t n = 0, cap = 0;
	struct dirent *d;
	int ret = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "%s/%d/fd", v->proc, p->pid);
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((d = readdir(dir))) {
		ssize_t len = readlinkat(dirfd(dir), d->d_name, target, sizeof(target) - 1);

		if (len <= 0)
			continue;
		target[len] = 0;
		if (sscanf(target, "socket:[%llu]", &ino) != 1)
			continue;
		if (n == cap) {
			struct tt_sys_fd *x =
			    realloc(p->socks, (cap = cap ? 2 * cap : 64) * sizeof(*x));

			if (!x) {
				ret = -ENOMEM;
				goto out;
			}
			p->socks = x;
		}
		p->socks[n++] = (struct tt_sys_fd){.fd = atoi(d->d_name), .inode = ino};
	}
	if (tt_index_init(&p->by_inode, n)) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		tt_index_add(&p->by_inode, p->socks[i].inode, (uint32_t)i);
out:
	closedir(dir);
	return ret;
}

/* The view's own record of p (one of its processes), its fds read. */
static struct tt_sys_proc *with_fds(struct tt_sysview *v, const struct tt_sys_proc *p, int *err)
{
	struct tt_sys_proc *own = &v->procs[p - v->procs];

	*err = 0;
	if (!own->fds_read) {
		*err = read_sockets(v, own);
		own->fds_read = *err == 0;
	}
	return *err ? NULL : own;
}

int tt_sysview_socket_fd(struct tt_sysview *v, const struct tt_sys_proc *p, uint64_t inode, int *fd)
{
	struct tt_sys_proc *own;
	size_t cur = 0;
	long pos;
	int err;

	own = with_fds(v, p, &err);
	if (!own)
		return err;
	while ((pos = tt_index_next(&own->by_inode, inode, &cur)) >= 0) {
		if (own->socks[pos].inode == inode) {
			*fd = own->socks[pos].fd;
			return 1;
		}
	}
	return 0;
}

bool tt_sysview_thread(const struct tt_sysview *v, int pid, int tid, uint64_t *start_ns)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/%d/task/%d/stat", v->proc, pid, tid);
	return read_stat(v, path, start_ns);
}

int tt_sysview_thread_sp(const struct tt_sysview *v, int pid, int tid, uint64_t *sp)
{
	char path[320], buf[256], *tok[10], *save = NULL;
	size_t n = 0;
	ssize_t r;

	snprintf(path, sizeof(path), "%s/%d/task/%d/syscall", v->proc, pid, tid);
	r = read_small(path, buf, sizeof(buf));
	if (r < 0)
		return (int)r;
	if (!strncmp(buf, "running", 7))
		return 0;
	/* "NR ARG1..ARG6 SP PC" in a system call, "-1 SP PC" when blocked
	 * elsewhere: the stack pointer is always the last but one. */
	for (char *t = strtok_r(buf, " \n", &save); t && n < 10; t = strtok_r(NULL, " \n", &save))
		tok[n++] = t;
	if (n != 3 && n != 9)
		return -EINVAL;
	if (sscanf(tok[n - 2], "0x%" SCNx64, sp) != 1)
		return -EINVAL;
	return 1;
}
