// SPDX-License-Identifier: MIT
/* cgroup ids to cgroup paths, container ids and pod UIDs. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tlstap/compiler.h"
#include "trace/clock.h"
#include "trace/origin.h"

/* Prefixes container runtimes give a container's cgroup (systemd driver:
 * "docker-<id>.scope"; plain "<id>" under the cgroupfs driver). */
static const char *const container_prefixes[] = {
	"docker-", "cri-containerd-", "crio-", "libpod-", "containerd-",
};

/* The kernfs file handle of a cgroup is its id (FILEID_KERNFS). */
#define FILEID_KERNFS 0xfe
/* A cgroup tree deeper than this is not walked further. */
#define WALK_DEPTH_MAX 32
/* A walk of the whole tree (when handles cannot be opened) at most this
 * often, in seconds: ids not found meanwhile stay unknown. */
#define WALK_INTERVAL_S 1.0

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* 8-4-4-4-12 hex digits, the separators '-' or (systemd escaping) '_'. */
static bool is_uuid(const char *s)
{
	static const int groups[] = { 8, 4, 4, 4, 12 };

	for (size_t g = 0; g < ARRAY_SIZE(groups); g++) {
		if (!is_hex(s, (size_t)groups[g]))
			return false;
		s += groups[g];
		if (g < 4 && *s != '-' && *s != '_')
			return false;
		if (g < 4)
			s++;
	}
	return true;
}

/* One path component, without its ".scope"/".slice" suffix. */
static void parse_component(const char *c, size_t n, char *container, char *pod_uid)
{
	const char *pod;

	if (n > 6 && (!strncmp(c + n - 6, ".scope", 6) || !strncmp(c + n - 6, ".slice", 6)))
		n -= 6;
	/* "pod<uid>" ends the component: "kubepods-burstable-pod<uid>" or "pod<uid>". */
	if (n >= 3 + TT_POD_UID_LEN) {
		pod = c + n - TT_POD_UID_LEN - 3;
		if (!strncmp(pod, "pod", 3) && (pod == c || pod[-1] == '-') && is_uuid(pod + 3)) {
			for (int i = 0; i < TT_POD_UID_LEN; i++)
				pod_uid[i] = pod[3 + i] == '_' ? '-' : pod[3 + i];
			pod_uid[TT_POD_UID_LEN] = '\0';
			return;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(container_prefixes); i++) {
		size_t p = strlen(container_prefixes[i]);

		if (n > p && !strncmp(c, container_prefixes[i], p)) {
			c += p;
			n -= p;
			break;
		}
	}
	if (n == TT_CONTAINER_ID_LEN && is_hex(c, n)) {
		memcpy(container, c, n);
		container[n] = '\0';
	}
}

void tt_origin_parse(const char *path, char *container, char *pod_uid)
{
	container[0] = '\0';
	pod_uid[0] = '\0';
	while (path && *path) {
		size_t n = strcspn(path, "/");

		/* The innermost wins: nested runtimes name the container last. */
		if (n)
			parse_component(path, n, container, pod_uid);
		path += n;
		path += *path == '/';
	}
}

/* --- the cache ----------------------------------------------------------- */

struct entry {
	uint64_t id; /* 0: free slot */
	char *path;  /* NULL: unknown (gone, or not readable) */
	char *container, *pod_uid;
};

struct tt_origins {
	char root[PATH_MAX]; /* cgroup v2 mount point, "" if none */
	size_t root_len;
	int root_fd;
	bool handles; /* open_by_handle_at works (CAP_DAC_READ_SEARCH) */
	struct entry *slots;
	size_t cap, used; /* cap a power of two */
	size_t max;       /* used at most, but for a walk's directories */
	struct entry *last;
	double last_walk;
};

/* The cgroup v2 mount point, from the mount table. */
int tt_cgroup2_root(char *buf, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX];
		const char *sep = strstr(line, " - cgroup2 ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if (strlen(mnt) < len) {
			snprintf(buf, len, "%s", mnt);
			ret = 0;
		}
		break;
	}
	fclose(f);
	return ret;
}

struct tt_origins *tt_origins_new(const char *root, size_t max)
{
	struct tt_origins *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->max = max ? max : TT_ORIGINS_MAX;
	c->cap = 256;
	c->slots = calloc(c->cap, sizeof(*c->slots));
	if (!c->slots) {
		free(c);
		return NULL;
	}
	c->root_fd = -1;
	if (root)
		snprintf(c->root, sizeof(c->root), "%s", root);
	else if (tt_cgroup2_root(c->root, sizeof(c->root)) < 0)
		c->root[0] = '\0';
	c->root_len = strlen(c->root);
	if (c->root_len)
		c->root_fd = open(c->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	c->handles = c->root_fd >= 0;
	c->last_walk = -WALK_INTERVAL_S;
	return c;
}

static void free_entry(struct entry *e)
{
	free(e->path);
	free(e->container);
	free(e->pod_uid);
}

void tt_origins_free(struct tt_origins *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->cap; i++)
		free_entry(&c->slots[i]);
	free(c->slots);
	if (c->root_fd >= 0)
		close(c->root_fd);
	free(c);
}

/* Forget every id: the cache starts over (cgroups that still exist are
 * found again, one lookup each). */
static void clear(struct tt_origins *c)
{
	for (size_t i = 0; i < c->cap; i++)
		free_entry(&c->slots[i]);
	memset(c->slots, 0, c->cap * sizeof(*c->slots));
	c->used = 0;
	c->last = NULL;
}

size_t tt_origins_held(const struct tt_origins *c)
{
	return c ? c->used : 0;
}

static size_t slot_of(const struct tt_origins *c, uint64_t id)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ull) >> 32) & (c->cap - 1);
}

static struct entry *find(struct tt_origins *c, uint64_t id)
{
	for (size_t i = slot_of(c, id);; i = (i + 1) & (c->cap - 1)) {
		if (c->slots[i].id == id)
			return &c->slots[i];
		if (!c->slots[i].id)
			return NULL;
	}
}

static int grow(struct tt_origins *c)
{
	struct tt_origins n = *c;

	n.cap = 2 * c->cap;
	n.slots = calloc(n.cap, sizeof(*n.slots));
	if (!n.slots)
		return -ENOMEM;
	for (size_t i = 0; i < c->cap; i++) {
		size_t j;

		if (!c->slots[i].id)
			continue;
		for (j = slot_of(&n, c->slots[i].id); n.slots[j].id; j = (j + 1) & (n.cap - 1))
			;
		n.slots[j] = c->slots[i];
	}
	free(c->slots);
	c->slots = n.slots;
	c->cap = n.cap;
	c->last = NULL;
	return 0;
}

/* Insert (or complete an unknown entry with) id -> path; path may be NULL. */
static struct entry *store(struct tt_origins *c, uint64_t id, const char *path)
{
	char container[TT_CONTAINER_ID_LEN + 1], pod[TT_POD_UID_LEN + 1];
	struct entry *e = find(c, id);
	size_t i;

	if (e && (e->path || !path))
		return e;
	if (!e) {
		if (2 * (c->used + 1) > c->cap && grow(c) < 0)
			return NULL;
		for (i = slot_of(c, id); c->slots[i].id; i = (i + 1) & (c->cap - 1))
			;
		e = &c->slots[i];
		e->id = id;
		c->used++;
	}
	if (!path)
		return e;
	e->path = strdup(path);
	tt_origin_parse(path, container, pod);
	e->container = container[0] ? strdup(container) : NULL;
	e->pod_uid = pod[0] ? strdup(pod) : NULL;
	return e;
}

/* "/sys/fs/cgroup/a/b" -> "/a/b"; the root itself is "/". */
static const char *relative(const struct tt_origins *c, const char *abs)
{
	if (strncmp(abs, c->root, c->root_len) || (abs[c->root_len] && abs[c->root_len] != '/'))
		return NULL;
	return abs[c->root_len] ? abs + c->root_len : "/";
}

/* The id's directory through its kernfs handle. */
static int by_handle(struct tt_origins *c, uint64_t id, char *path, size_t len)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS } };
	char link[64], abs[PATH_MAX];
	const char *rel;
	ssize_t n;
	int fd;

	memcpy(h.fh.f_handle, &id, sizeof(id));
	fd = open_by_handle_at(c->root_fd, &h.fh, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == EPERM || errno == EOPNOTSUPP || errno == EINVAL)
			c->handles = false;
		return -errno;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, abs, sizeof(abs) - 1);
	close(fd);
	if (n <= 0)
		return -ENOENT;
	abs[n] = '\0';
	rel = relative(c, abs);
	if (!rel || strlen(rel) >= len)
		return -ENOENT;
	snprintf(path, len, "%s", rel);
	return 0;
}

/* Every directory of the tree into the cache (without handles). */
static void walk(struct tt_origins *c, char *abs, size_t len, int depth)
{
	size_t n = strlen(abs);
	struct dirent *d;
	DIR *dir;

	if (depth > WALK_DEPTH_MAX || !(dir = opendir(abs)))
		return;
	while ((d = readdir(dir))) {
		struct stat st;

		if (d->d_type != DT_DIR || !strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (n + 1 + strlen(d->d_name) >= len)
			continue;
		snprintf(abs + n, len - n, "/%s", d->d_name);
		if (!stat(abs, &st))
			store(c, st.st_ino, relative(c, abs));
		walk(c, abs, len, depth + 1);
		abs[n] = '\0';
	}
	closedir(dir);
}

/* A new id, known or not, once there is room for it. */
static struct entry *store_new(struct tt_origins *c, uint64_t id, const char *path)
{
	if (c->used >= c->max)
		clear(c);
	return store(c, id, path);
}

static struct entry *resolve(struct tt_origins *c, uint64_t id)
{
	char path[PATH_MAX];
	struct entry *e;
	double now;

	if (!c->root_len)
		return store_new(c, id, NULL);
	if (c->handles && !by_handle(c, id, path, sizeof(path)))
		return store_new(c, id, path);
	now = tt_mono_s();
	if (now - c->last_walk >= WALK_INTERVAL_S) {
		struct stat st;

		c->last_walk = now;
		/* A walk stores every cgroup there is, however many: what it
		 * finds is what a full cache starts over with. */
		if (c->used >= c->max)
			clear(c);
		snprintf(path, sizeof(path), "%s", c->root);
		if (!stat(path, &st))
			store(c, st.st_ino, "/");
		walk(c, path, sizeof(path), 0);
	}
	e = find(c, id);
	if (e)
		return e;
	/* Unknown, and no room: not remembered (it is looked up again). */
	return c->used < c->max ? store(c, id, NULL) : NULL;
}

void tt_origins_lookup(struct tt_origins *c, uint64_t cgroup_id, struct tt_origin *o)
{
	struct entry *e;

	o->cgroup = o->container = o->pod_uid = NULL;
	if (!c || !cgroup_id)
		return;
	e = c->last && c->last->id == cgroup_id ? c->last : find(c, cgroup_id);
	/* An unknown id is looked up again once the tree may have changed. */
	if (!e || !e->path)
		e = resolve(c, cgroup_id);
	if (!e)
		return;
	c->last = e;
	o->cgroup = e->path;
	o->container = e->container;
	o->pod_uid = e->pod_uid;
}
