// SPDX-License-Identifier: MIT
/*
 * Resolutions by device + inode + build-id: each distinct object is analysed
 * once however many processes map it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "elf.h"
#include "tlstap/resolve.h"

struct cache_entry {
	uint64_t dev, ino;
	char build_id[65];
	struct tt_resolution *r; /* NULL: resolving failed with ret/msg */
	int ret;
	char msg[sizeof(((struct tt_error *)0)->msg)];
};

struct tt_obj_cache {
	struct cache_entry *e;
	size_t n;
	size_t max; /* 0: no bound */
	size_t analyses;
};

struct tt_obj_cache *tt_obj_cache_new(void)
{
	return calloc(1, sizeof(struct tt_obj_cache));
}

/* Forget every object (the array is kept for the next ones). */
static void cache_clear(struct tt_obj_cache *c)
{
	for (size_t i = 0; i < c->n; i++)
		tt_resolution_free(c->e[i].r);
	c->n = 0;
}

void tt_obj_cache_free(struct tt_obj_cache *c)
{
	if (!c)
		return;
	cache_clear(c);
	free(c->e);
	free(c);
}

size_t tt_obj_cache_analyses(const struct tt_obj_cache *c)
{
	return c->analyses;
}

void tt_obj_cache_set_max(struct tt_obj_cache *c, size_t max)
{
	c->max = max;
}

size_t tt_obj_cache_size(const struct tt_obj_cache *c)
{
	return c->n;
}

static struct cache_entry *cache_find(struct tt_obj_cache *c, uint64_t dev, uint64_t ino,
				      const char *build_id)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->e[i].dev == dev && c->e[i].ino == ino && !strcmp(c->e[i].build_id, build_id))
			return &c->e[i];
	return NULL;
}

void tt_obj_cache_forget(struct tt_obj_cache *c, uint64_t dev, uint64_t ino,
			 const char *build_id)
{
	for (size_t i = 0; i < c->n; i++) {
		struct cache_entry *e = &c->e[i];

		if (e->ino != ino || (dev && e->dev != dev) || strcmp(e->build_id, build_id))
			continue;
		tt_resolution_free(e->r);
		c->e[i--] = c->e[--c->n];
	}
}

static int cache_hit(const struct cache_entry *e, const struct tt_resolution **out,
		     struct tt_error *err)
{
	if (e->r) {
		*out = e->r;
		return 0;
	}
	return tt_error_set(err, -e->ret, "%s", e->msg);
}

/*
 * The build-id costs a header walk, the analysis a symbol walk and (for Go)
 * pclntab and DWARF: reading the key first keeps a hit cheap.  A file that is
 * not even ELF is cached under an empty build-id.
 */
static void read_build_id(int fd, const char *path, char *build_id, size_t len)
{
	struct tt_elf *elf;

	build_id[0] = 0;
	if (tt_elf_open_fd(fd, path, &elf, NULL))
		return;
	snprintf(build_id, len, "%s", tt_elf_build_id(elf));
	tt_elf_close(elf);
}

int tt_obj_cache_resolve(struct tt_obj_cache *c, int fd, const char *display_path,
			 const struct tt_resolve_opts *opts, const struct tt_resolution **out,
			 struct tt_error *err)
{
	struct cache_entry *e, *grown;
	struct tt_resolution *r = NULL;
	struct tt_error rerr = {""};
	char build_id[65];
	struct stat st;
	int ret;

	if (fstat(fd, &st))
		return tt_error_set(err, errno, "fstat: %s", strerror(errno));
	read_build_id(fd, display_path, build_id, sizeof(build_id));
	e = cache_find(c, st.st_dev, st.st_ino, build_id);
	if (e)
		return cache_hit(e, out, err);

	if (c->max && c->n >= c->max)
		cache_clear(c);
	grown = realloc(c->e, (c->n + 1) * sizeof(*grown));
	if (!grown)
		return tt_error_set(err, ENOMEM, "out of memory");
	c->e = grown;
	c->analyses++;
	ret = tt_resolve_fd(fd, display_path, opts, &r, &rerr);
	e = &c->e[c->n++];
	memset(e, 0, sizeof(*e));
	e->dev = st.st_dev;
	e->ino = st.st_ino;
	snprintf(e->build_id, sizeof(e->build_id), "%s", build_id);
	e->r = ret ? NULL : r;
	e->ret = ret;
	snprintf(e->msg, sizeof(e->msg), "%s", rerr.msg[0] ? rerr.msg : strerror(-ret));
	return cache_hit(e, out, err);
}
