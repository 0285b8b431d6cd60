// SPDX-License-Identifier: MIT
/* Host-wide tracing: the processes of the host, executables seen, filters. */
#include <dirent.h>
#include <glob.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tlstap/compiler.h"
#include "tlstap/state.h"
#include "trace/attach.h"
#include "trace/clock.h"
#include "trace/hostwide.h"
#include "trace/origin.h"
#include "trace/proc.h"
/* After tracer.h: the skeleton refers to the shared structures. */
#include "tlstap.skel.h"

/* A process, not a kernel thread: it has an executable. */
static bool has_exe(int pid)
{
	char path[64], buf[8];

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	return readlink(path, buf, sizeof(buf)) > 0;
}

int tt_host_pids(int **pids, size_t *n, struct tt_error *err)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	size_t cap = 0;
	int self = getpid();

	*pids = NULL;
	*n = 0;
	if (!d)
		return tt_error_set(err, errno, "/proc: %s", strerror(errno));
	while ((e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);

		if (*end || pid <= 0 || pid == self || !has_exe((int)pid))
			continue;
		if (*n == cap) {
			int *p = realloc(*pids, (cap ? 2 * cap : 256) * sizeof(*p));

			if (!p) {
				closedir(d);
				free(*pids);
				*pids = NULL;
				return tt_error_set(err, ENOMEM, "out of memory");
			}
			*pids = p;
			cap = cap ? 2 * cap : 256;
		}
		(*pids)[(*n)++] = (int)pid;
	}
	closedir(d);
	return 0;
}

/* The kernel's internal encoding (MINORBITS 20), what s_dev holds. */
uint64_t tt_kernel_dev(dev_t dev)
{
	return (uint64_t)major(dev) << 20 | minor(dev);
}

int tt_host_known_exe(struct tt_tracer *t, uint64_t kdev, uint64_t ino)
{
	struct tt_file_key k = { .dev = kdev, .ino = ino };
	uint8_t one = 1;

	if (!kdev && !ino)
		return 0;
	return bpf_map_update_elem(bpf_map__fd(t->skel->maps.known_exes), &k, &one, BPF_ANY)
		       ? -errno
		       : 0;
}

int tt_host_known_exe_of(struct tt_tracer *t, int pid)
{
	char path[64];
	struct stat st;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	if (stat(path, &st))
		return -errno;
	return tt_host_known_exe(t, tt_kernel_dev(st.st_dev), st.st_ino);
}

int tt_filter_comm(struct tt_trace_settings *s, const char *comm, struct tt_error *err)
{
	if (s->n_comms == TT_FILTER_MAX)
		return tt_error_set(err, E2BIG, "--comm: at most %d names", TT_FILTER_MAX);
	if (!*comm || strlen(comm) >= sizeof(s->comms[0]))
		return tt_error_set(err, EINVAL, "--comm: '%s' is not a command name (1 to %zu "
				    "characters)", comm, sizeof(s->comms[0]) - 1);
	snprintf(s->comms[s->n_comms++], sizeof(s->comms[0]), "%s", comm);
	s->filters |= TT_FILTER_COMM;
	return 0;
}

int tt_filter_exe(struct tt_trace_settings *s, const char *path, struct tt_error *err)
{
	struct stat st;

	if (s->n_exes == TT_FILTER_MAX)
		return tt_error_set(err, E2BIG, "--exe: at most %d files", TT_FILTER_MAX);
	if (stat(path, &st))
		return tt_error_set(err, errno, "--exe: %s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return tt_error_set(err, EINVAL, "--exe: %s: not a regular file", path);
	s->exes[s->n_exes].dev = tt_kernel_dev(st.st_dev);
	s->exes[s->n_exes].ino = st.st_ino;
	s->n_exes++;
	s->filters |= TT_FILTER_EXE;
	return 0;
}

int tt_filter_port(struct tt_trace_settings *s, long port, struct tt_error *err)
{
	if (s->n_ports == TT_FILTER_MAX)
		return tt_error_set(err, E2BIG, "--port: at most %d ports", TT_FILTER_MAX);
	if (port < 1 || port > 65535)
		return tt_error_set(err, EINVAL, "--port: %ld is not a port", port);
	s->ports[s->n_ports++] = (uint16_t)port;
	s->filters |= TT_FILTER_PORT;
	return 0;
}

static bool is_cgroup2_dir(const char *path)
{
	struct statfs fs;
	struct stat st;

	return !statfs(path, &fs) && fs.f_type == CGROUP2_SUPER_MAGIC && !stat(path, &st) &&
	       S_ISDIR(st.st_mode);
}

int tt_filter_cgroup_path(struct tt_trace_settings *s, const char *path, char *abs,
			  size_t len, struct tt_error *err)
{
	char root[PATH_MAX];

	if (snprintf(abs, len, "%s", path) < (int)len && is_cgroup2_dir(abs))
		goto ok;
	if (path[0] == '/' && !tt_cgroup2_root(root, sizeof(root)) &&
	    snprintf(abs, len, "%s%s", root, path) < (int)len && is_cgroup2_dir(abs))
		goto ok;
	abs[0] = '\0';
	return tt_error_set(err, ENOENT, "--cgroup: %s: not a cgroup v2 directory", path);
ok:
	s->filters |= TT_FILTER_CGROUP;
	return 0;
}

int tt_filter_cgroup(struct tt_tracer *t, const char *path, struct tt_error *err)
{
	uint32_t key = 0;
	int fd, ret = 0;

	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return tt_error_set(err, errno, "--cgroup: %s: %s", path, strerror(errno));
	if (bpf_map_update_elem(bpf_map__fd(t->skel->maps.cgroup_filter), &key, &fd, BPF_ANY))
		ret = tt_error_set(err, errno, "--cgroup: %s: not a cgroup v2 directory (%s)", path,
				   strerror(errno));
	close(fd);
	return ret;
}

/*
 * Bucket of a latency: values below 16 ns exactly, then 16 buckets per
 * power of two, so that a bucket is at most 1/16 of its values wide.
 */
static size_t latency_bucket(uint64_t ns)
{
	unsigned int msb;

	if (ns < TT_LATENCY_SUB)
		return (size_t)ns;
	msb = 63 - (unsigned int)__builtin_clzll(ns);
	return ((size_t)(msb - TT_LATENCY_SUB_BITS + 1) << TT_LATENCY_SUB_BITS) +
	       ((ns >> (msb - TT_LATENCY_SUB_BITS)) & (TT_LATENCY_SUB - 1));
}

/* The largest value bucket i holds. */
static uint64_t latency_bucket_max(size_t i)
{
	unsigned int shift;

	if (i < TT_LATENCY_SUB)
		return i;
	shift = (unsigned int)(i >> TT_LATENCY_SUB_BITS) - 1;
	return ((uint64_t)(TT_LATENCY_SUB + (i & (TT_LATENCY_SUB - 1)) + 1) << shift) - 1;
}

void tt_latency_add(struct tt_latency *l, uint64_t ns)
{
	l->count[latency_bucket(ns)]++;
	l->n++;
}

uint64_t tt_latency_pct(const struct tt_latency *l, double p)
{
	uint64_t rank, seen = 0;

	if (!l->n)
		return 0;
	/* Nearest rank, at least the first. */
	rank = (uint64_t)(p * (double)l->n + 0.999999);
	if (!rank)
		rank = 1;
	for (size_t i = 0; i < ARRAY_SIZE(l->count); i++) {
		seen += l->count[i];
		if (seen >= rank)
			return latency_bucket_max(i);
	}
	return latency_bucket_max(ARRAY_SIZE(l->count) - 1);
}

/* Where the host's TLS libraries live (multiarch Debian/Ubuntu, then the
 * lib64 and plain layouts), and their names: attached before any process
 * maps them. */
static const char *const lib_dirs[] = {
	"/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64",
	"/usr/lib", "/usr/local/lib64", "/usr/local/lib",
};
static const char *const lib_names[] = { "libssl.so.*", "libgnutls.so.*" };

static void attach_lib(struct tt_tracer *t, const char *path, size_t *n)
{
	struct tt_error err = { "" };
	struct tt_attached *a = NULL;
	char why[256];
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (tt_attach_object(t, fd, path, -1, &a, why, sizeof(why), &err) == 0 && a) {
		if (!a->pinned) {
			(*n)++;
			/* Told as the host's, even if a process attached it first. */
			if (t->verbose)
				tt_diag("tlstap: attach %s: %s\n", path, a->reason);
			a->said = true;
			a->pinned = true; /* this reference is the host's */
		} else {
			tt_attach_put(t, a); /* the same file by another name */
		}
	} else if (t->verbose && err.msg[0]) {
		tt_diag("tlstap: %s: %s\n", path, err.msg);
	}
	close(fd);
}

int tt_host_attach_libraries(struct tt_tracer *t)
{
	size_t n = 0;

	for (size_t d = 0; d < ARRAY_SIZE(lib_dirs); d++) {
		for (size_t i = 0; i < ARRAY_SIZE(lib_names); i++) {
			char pattern[PATH_MAX];
			glob_t g;

			snprintf(pattern, sizeof(pattern), "%s/%s", lib_dirs[d], lib_names[i]);
			if (glob(pattern, 0, NULL, &g))
				continue;
			for (size_t k = 0; k < g.gl_pathc; k++)
				attach_lib(t, g.gl_pathv[k], &n);
			globfree(&g);
		}
	}
	return (int)n;
}

/* --- files no process maps any more ------------------------------------------ */

/* Files detached together (their links destroyed concurrently). */
#define RELEASE_BATCH 64

/* Keep every candidate (used from now): unsure whether one is mapped. */
static void keep_all(struct tt_attached **c, size_t n, double now)
{
	for (size_t i = 0; i < n; i++) {
		if (c[i]) {
			c[i]->unused_since = now;
			c[i] = NULL;
		}
	}
}

/*
 * Keep (used from now) each candidate some process maps.  Every process is
 * read, targets too: a target may map a file it holds no reference on (an
 * exec whose attach failed), and a process forked without exec holds none.
 * Its inode number alone is compared: the device maps shows for a file
 * under an overlay is not always the one it was attached by, and a
 * stranger sharing its inode number only keeps it one more sweep.  A
 * process that cannot be read keeps them all.
 */
static void keep_mapped(const struct tt_tracer *t, struct tt_attached **c, size_t n, double now)
{
	struct tt_error err = { "" };
	size_t n_pids = 0;
	int *pids = NULL;

	if (tt_host_pids(&pids, &n_pids, &err) < 0)
		goto unsure;
	for (size_t k = 0; k < n_pids; k++) {
		struct tt_proc p = { 0 };
		int ret = tt_proc_read(pids[k], &p, &err);

		if (ret == -ESRCH || ret == -ENOENT)
			continue; /* gone, or a kernel thread */
		if (ret < 0)
			goto unsure;
		for (size_t j = 0; j < p.n_objects; j++) {
			for (size_t i = 0; i < n; i++) {
				if (c[i] && c[i]->ino == p.objects[j].ino) {
					c[i]->unused_since = now;
					c[i] = NULL;
				}
			}
		}
		tt_proc_free(&p);
	}
	free(pids);
	return;
unsure:
	if (t->verbose)
		tt_diag("tlstap: no file detached this time: %s\n", err.msg);
	keep_all(c, n, now);
	free(pids);
}

/* Forget the executables seen with these inode numbers (devices aside, as
 * above): their next processes are new again, held by --hold-new. */
static void forget_exes(struct tt_tracer *t, struct tt_attached **c, size_t n)
{
	int fd = bpf_map__fd(t->skel->maps.known_exes);
	struct tt_file_key k, next, *gone = NULL;
	size_t n_gone = 0, cap = 0;
	bool first = true;

	while (!bpf_map_get_next_key(fd, first ? NULL : &k, &next)) {
		first = false;
		k = next;
		for (size_t i = 0; i < n; i++) {
			if (k.ino != c[i]->ino)
				continue;
			if (n_gone == cap) {
				struct tt_file_key *g = realloc(gone, (cap ? 2 * cap : 8) * sizeof(*g));

				if (!g)
					goto out;
				gone = g;
				cap = cap ? 2 * cap : 8;
			}
			gone[n_gone++] = k;
			break;
		}
	}
out:
	for (size_t i = 0; i < n_gone; i++)
		bpf_map_delete_elem(fd, &gone[i]);
	free(gone);
}

/*
 * A host library whose path names another file now (an upgrade replaced
 * it): the old one is the host's no more, only its processes' (then, unused,
 * it goes like any other), and the new one is attached for the processes
 * to come.
 */
void tt_host_refresh_libraries(struct tt_tracer *t)
{
	bool replaced = false;

	for (size_t i = 0; i < t->n_objects; i++) {
		struct tt_attached *a = t->objects[i];
		struct stat st;

		if (!a->pinned || (!stat(a->path, &st) && st.st_ino == a->ino &&
				   (!a->dev || st.st_dev == a->dev)))
			continue;
		if (t->verbose)
			tt_diag("tlstap: %s is another file now: its old one is the "
				"host's no more\n", a->path);
		a->pinned = false;
		replaced = true;
		tt_attach_put(t, a); /* stays: a host-wide attach goes when unused */
	}
	if (replaced)
		tt_host_attach_libraries(t);
}

size_t tt_host_release_unused(struct tt_tracer *t, double now, double idle_s, double budget_s,
			      bool *more)
{
	struct tt_attached **c = NULL;
	size_t n = 0, released = 0;
	double start, spent = 0;

	*more = false;
	if (tt_attach_unused(t, now, idle_s, &c, &n) < 0 || !n)
		goto out;
	/* First: a process that runs one of them from now on is held and
	 * reported as new, not let run on probes about to go (one kept is
	 * only held once more). */
	forget_exes(t, c, n);
	keep_mapped(t, c, n, now);
	start = tt_mono_s();
	for (size_t i = 0, k; i < n; i += k) {
		size_t m = 0;

		if (spent >= budget_s) {
			for (size_t j = i; j < n && !*more; j++)
				*more = c[j] != NULL; /* the next sweep goes on */
			break;
		}
		/* A batch of those that go, moved to the front of c. */
		for (k = 0; i + k < n && m < RELEASE_BATCH; k++) {
			struct tt_attached *a = c[i + k];

			if (!a)
				continue;
			if (t->verbose)
				tt_diag("tlstap: detach %s%s: no process has mapped it for "
					"%.0f s\n", a->path, a->loader ? " (loader)" : "",
					now - a->unused_since);
			/* Its resolution too: a file detached is mostly one never
			 * seen again. */
			tt_obj_cache_forget(t->cache, a->dev, a->ino, a->build_id);
			c[i + m++] = a;
		}
		tt_attach_release_many(t, c + i, m);
		released += m;
		spent = tt_mono_s() - start;
	}
	if (t->verbose && released)
		tt_diag("tlstap: %zu files detached in %.2f s%s\n", released, spent,
			*more ? ", more next time" : "");
	/* What they held (resolutions, links) is freed, but glibc keeps the
	 * freed pages of its heap resident: give them back, so that a tracer
	 * left running on a host whose programs come and go stays near its
	 * working set. */
	if (released)
		malloc_trim(0);
out:
	free(c);
	return released;
}
