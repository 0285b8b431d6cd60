// SPDX-License-Identifier: MIT
/*
 * Process discovery: /proc/PID/{exe,comm,maps} and files opened through
 * /proc/PID/root.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "trace/proc.h"

#define DELETED_SUFFIX " (deleted)"
/* A file under /proc/PID (or a test's proc root). */
#define PROC_FILE (PATH_MAX + 16)

static void strip_deleted(char *path, bool *deleted)
{
	size_t n = strlen(path), s = strlen(DELETED_SUFFIX);

	*deleted = n > s && !strcmp(path + n - s, DELETED_SUFFIX);
	if (*deleted)
		path[n - s] = 0;
}

/* errno of a failed /proc/PID access, as one of our messages. */
static int proc_errno(int pid, int e, const char *what, struct tt_error *err)
{
	if (e == ENOENT || e == ESRCH)
		return tt_error_set(err, ESRCH, "no such process");
	if ((e == EACCES || e == EPERM) && geteuid())
		return tt_error_set(err, EACCES,
				    "permission denied (reading /proc/%d/%s; "
				    "another user's process needs root)",
				    pid, what);
	if (e == EACCES || e == EPERM)
		return tt_error_set(err, EACCES,
				    "permission denied (reading /proc/%d/%s; "
				    "root without CAP_SYS_PTRACE over it?)",
				    pid, what);
	return tt_error_set(err, e, "reading /proc/%d/%s: %s", pid, what, strerror(e));
}

/*
 * The fields of a /proc/PID/stat after "pid (comm) ", from field 3 (the
 * state) on, in buf; NULL when it cannot be read.  comm may hold ')': the
 * last one ends it.
 */
/* The start of a small /proc file (one read), NUL-terminated; false when
 * it cannot be read. */
static bool read_head(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return true;
}

static char *stat_fields(const char *path, char *buf, size_t len)
{
	char *p;

	if (!read_head(path, buf, len))
		return NULL;
	p = strrchr(buf, ')');
	return p && p[1] == ' ' ? p + 2 : NULL;
}

char tt_proc_state(int pid)
{
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	p = stat_fields(path, buf, sizeof(buf));
	return p ? p[0] : 0;
}

int tt_proc_ppid(int pid)
{
	char path[64], buf[512], *p;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	p = stat_fields(path, buf, sizeof(buf));
	/* Fields 3 and 4: the state, then the parent. */
	if (!p || sscanf(p, "%*c %d", &ppid) != 1)
		return -1;
	return ppid;
}

int tt_proc_tgid(int pid)
{
	char path[64], buf[1024], *t;
	int tgid;

	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	/* Tgid is on the fourth line, well inside the first KiB. */
	if (!read_head(path, buf, sizeof(buf)))
		return -1;
	t = strstr(buf, "\nTgid:");
	if (!t || sscanf(t + 6, "%d", &tgid) != 1)
		return -1;
	return tgid;
}

bool tt_proc_alive(int pid)
{
	/* kill(pid, 0) is true for zombies and needs permission: read stat. */
	char state = tt_proc_state(pid);

	return state && state != 'Z' && state != 'X';
}

static int read_comm(const char *dir, int pid, struct tt_proc *p, struct tt_error *err)
{
	char path[PROC_FILE];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/comm", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return proc_errno(pid, errno, "comm", err);
	n = read(fd, p->comm, sizeof(p->comm) - 1);
	close(fd);
	if (n < 0)
		return proc_errno(pid, errno, "comm", err);
	p->comm[n] = 0;
	p->comm[strcspn(p->comm, "\n")] = 0;
	return 0;
}

static int read_exe(const char *dir, int pid, struct tt_proc *p, struct tt_error *err)
{
	char path[PROC_FILE], buf[PATH_MAX];
	bool deleted;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/exe", dir);
	n = readlink(path, buf, sizeof(buf) - 1);
	if (n < 0) {
		/* Kernel threads have no executable; their /proc/PID exists. */
		if (errno == ENOENT && tt_proc_alive(pid))
			return tt_error_set(err, ENOENT, "no executable (kernel thread?)");
		return proc_errno(pid, errno, "exe", err);
	}
	buf[n] = 0;
	strip_deleted(buf, &deleted);
	p->exe = strdup(buf);
	if (!p->exe)
		return tt_error_set(err, ENOMEM, "out of memory");
	return 0;
}

struct maps_line {
	uint64_t start, end, offset, ino;
	unsigned dev_major, dev_minor;
	char perms[5];
	char *path; /* into the line buffer */
};

/* "start-end perms offset major:minor inode   path" */
static bool parse_maps_line(char *line, struct maps_line *m)
{
	int pos = 0;

	if (sscanf(line, "%" SCNx64 "-%" SCNx64 " %4s %" SCNx64 " %x:%x %" SCNu64 " %n", &m->start,
		   &m->end, m->perms, &m->offset, &m->dev_major, &m->dev_minor, &m->ino, &pos) < 7)
		return false;
	m->path = line + pos;
	m->path[strcspn(m->path, "\n")] = 0;
	return m->end > m->start;
}

static struct tt_proc_object *find_object(struct tt_proc *p, const struct maps_line *m)
{
	uint64_t dev = makedev(m->dev_major, m->dev_minor);

	for (size_t i = 0; i < p->n_objects; i++) {
		struct tt_proc_object *o = &p->objects[i];

		if (o->dev == dev && o->ino == m->ino && !strcmp(o->path, m->path))
			return o;
	}
	return NULL;
}

static struct tt_proc_object *new_object(struct tt_proc *p, const struct maps_line *m, bool deleted)
{
	struct tt_proc_object *objs, *o;

	objs = realloc(p->objects, (p->n_objects + 1) * sizeof(*objs));
	if (!objs)
		return NULL;
	p->objects = objs;
	o = &objs[p->n_objects];
	memset(o, 0, sizeof(*o));
	o->path = strdup(m->path);
	if (!o->path)
		return NULL;
	p->n_objects++;
	o->deleted = deleted;
	o->dev = makedev(m->dev_major, m->dev_minor);
	o->ino = m->ino;
	o->base = m->start - m->offset;
	return o;
}

/* Fold one mapping into its object (creating it on first sight). */
static int add_mapping(struct tt_proc *p, struct maps_line *m, struct tt_error *err)
{
	struct tt_proc_object *o;
	bool deleted;

	/* Anonymous, [heap], [vdso], ...: nothing to open or probe. */
	if (m->path[0] != '/' || !m->ino)
		return 0;
	strip_deleted(m->path, &deleted);
	o = find_object(p, m);
	if (!o) {
		o = new_object(p, m, deleted);
		if (!o)
			return tt_error_set(err, ENOMEM, "out of memory");
	}
	if (m->start - m->offset < o->base)
		o->base = m->start - m->offset;
	if (m->perms[2] != 'x')
		return 0;
	if (!o->n_exec++) {
		o->exec_start = m->start;
		o->exec_end = m->end;
		o->exec_offset = m->offset;
	}
	return 0;
}

/* Objects without an executable mapping (data files, locale archives) go. */
static void drop_non_exec(struct tt_proc *p)
{
	size_t k = 0;

	for (size_t i = 0; i < p->n_objects; i++) {
		if (!p->objects[i].n_exec) {
			free(p->objects[i].path);
			continue;
		}
		p->objects[k++] = p->objects[i];
	}
	p->n_objects = k;
}

/*
 * The start of the executable's code (field 26 of /proc/PID/stat, the
 * kernel's mm->start_code); 0 when it cannot be read (the kernel shows 0 to
 * a reader without ptrace access).
 */
static uint64_t read_startcode(const char *dir)
{
	char path[PROC_FILE], buf[1024], *p;
	unsigned long long v = 0;

	snprintf(path, sizeof(path), "%s/stat", dir);
	p = stat_fields(path, buf, sizeof(buf));
	/* p is field 3 (the state); startcode is field 26. */
	for (int field = 3; field < 26 && p; field++) {
		p = strchr(p, ' ');
		p = p ? p + 1 : NULL;
	}
	if (!p || sscanf(p, "%llu", &v) != 1)
		return 0;
	return v;
}

/*
 * Which mapped object is the executable.  The mapping that holds the start
 * of its code decides; without it (no ptrace access), the device and inode
 * of /proc/PID/exe, then (overlayfs shows the lower file's in maps) the
 * inode and the path.
 */
static void mark_exe(const char *dir, struct tt_proc *p)
{
	uint64_t start = read_startcode(dir);
	char path[PROC_FILE];
	struct stat st;

	for (size_t i = 0; start && i < p->n_objects; i++) {
		struct tt_proc_object *o = &p->objects[i];

		if (o->n_exec && start >= o->exec_start && start < o->exec_end) {
			o->is_exe = true;
			return;
		}
	}
	snprintf(path, sizeof(path), "%s/exe", dir);
	if (stat(path, &st))
		return;
	for (size_t i = 0; i < p->n_objects; i++) {
		struct tt_proc_object *o = &p->objects[i];

		if (o->dev == st.st_dev && o->ino == st.st_ino) {
			o->is_exe = true;
			return;
		}
	}
	for (size_t i = 0; i < p->n_objects; i++) {
		struct tt_proc_object *o = &p->objects[i];

		if (o->ino == st.st_ino && p->exe && !strcmp(o->path, p->exe)) {
			o->is_exe = true;
			return;
		}
	}
}

static int read_maps(const char *dir, int pid, struct tt_proc *p, struct tt_error *err)
{
	struct maps_line m;
	char path[PROC_FILE], *line = NULL;
	size_t cap = 0;
	int ret = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/maps", dir);
	f = fopen(path, "re");
	if (!f)
		return proc_errno(pid, errno, "maps", err);
	while (getline(&line, &cap, f) > 0) {
		if (!parse_maps_line(line, &m))
			continue;
		ret = add_mapping(p, &m, err);
		if (ret)
			goto out;
	}
	if (ferror(f))
		ret = proc_errno(pid, errno, "maps", err);
out:
	free(line);
	fclose(f);
	return ret;
}

int tt_proc_read(int pid, struct tt_proc *p, struct tt_error *err)
{
	return tt_proc_read_at("/proc", pid, p, err);
}

int tt_proc_read_at(const char *proc, int pid, struct tt_proc *p, struct tt_error *err)
{
	char dir[PATH_MAX];
	struct stat st;
	int ret;

	memset(p, 0, sizeof(*p));
	p->pid = pid;
	snprintf(dir, sizeof(dir), "%s/%d", proc, pid);
	if (pid <= 0 || stat(dir, &st))
		return tt_error_set(err, ESRCH, "no such process");
	ret = read_comm(dir, pid, p, err);
	if (!ret)
		ret = read_exe(dir, pid, p, err);
	if (!ret)
		ret = read_maps(dir, pid, p, err);
	if (ret) {
		tt_proc_free(p);
		return ret;
	}
	drop_non_exec(p);
	mark_exe(dir, p);
	/* A process that exits while we read gives an empty maps file. */
	if (!p->n_objects && !tt_proc_alive(pid)) {
		tt_proc_free(p);
		return tt_error_set(err, ESRCH, "no such process");
	}
	return 0;
}

void tt_proc_free(struct tt_proc *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_objects; i++)
		free(p->objects[i].path);
	free(p->objects);
	free(p->exe);
	p->objects = NULL;
	p->exe = NULL;
	p->n_objects = 0;
}

static int open_map_file(const struct tt_proc *p, const struct tt_proc_object *o, const char *why,
			 struct tt_error *err)
{
	char path[96];
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/map_files/%" PRIx64 "-%" PRIx64, p->pid,
		 o->exec_start, o->exec_end);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (!tt_proc_alive(p->pid))
		return tt_error_set(err, ESRCH, "process exited during analysis");
	return tt_error_set(err, errno, "%s, and the mapping itself cannot be opened (%s: %s)", why,
			    path, strerror(errno));
}

int tt_proc_open_object(const struct tt_proc *p, const struct tt_proc_object *o,
			struct tt_error *err)
{
	char path[PATH_MAX + 64];
	struct stat st;
	int fd;

	if (o->deleted)
		return open_map_file(p, o, "deleted or replaced on disk since it was mapped", err);
	if (snprintf(path, sizeof(path), "/proc/%d/root%s", p->pid, o->path) >= (int)sizeof(path))
		return tt_error_set(err, ENAMETOOLONG, "path too long");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (!tt_proc_alive(p->pid))
			return tt_error_set(err, ESRCH, "process exited during analysis");
		if (errno == EACCES || errno == EPERM)
			return tt_error_set(err, EACCES, "permission denied (opening %s)", path);
		return open_map_file(p, o, "not found through /proc/PID/root", err);
	}
	if (fstat(fd, &st) == 0 && st.st_ino == o->ino)
		return fd;
	/* Same name, other inode: replaced since mapped (or a bind mount hides
	 * it).  Its offsets would be wrong: only the mapped file will do. */
	close(fd);
	return open_map_file(p, o, "the file at this path is not the mapped one", err);
}
