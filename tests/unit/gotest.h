/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_GOTEST_H
#define TLSTAP_GOTEST_H

/*
 * Helpers of the Go resolver's unit tests: the testdata manifest
 * (build/testdata/go/manifest.txt, testdata/go.mk), the layout oracle of
 * each version (layoutoracle.txt: reflect at run time) and whole files.
 * Missing testdata is a failure, not a skip: make unit builds it.
 */

#include <errno.h>

#include "testutil.h"

#include "tlstap/resolve.h"

struct tt_go_bin {
	char minor[16];   /* "1.22" */
	char version[32]; /* "go1.22.12" */
	char prog[32];    /* "tlsclient" */
	char variant[16]; /* "default" | "stripped" | "pie" | "cgo" | "arm64" */
	char arch[16];    /* "amd64" | "arm64" */
	char path[512];
};

#define TT_GO_MAX_BINS 256

/* Every binary of the manifest into bins (at most max); how many. */
static inline size_t tt_go_manifest(struct tt_go_bin *bins, size_t max)
{
	char path[512], line[1024], rel[256];
	size_t n = 0;
	FILE *f;

	TT_BUILD_PATH(path, "testdata/go/manifest.txt");
	f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "cannot open %s: run make testdata\n", path);
		return 0;
	}
	while (fgets(line, sizeof(line), f) && n < max) {
		struct tt_go_bin *b = &bins[n];

		if (line[0] == '#')
			continue;
		if (sscanf(line, "%15s %31s %31s %15s %15s %255s", b->minor, b->version, b->prog,
			   b->variant, b->arch, rel) != 6)
			continue;
		snprintf(b->path, sizeof(b->path), "%s/testdata/go/%s", tt_test_build_dir(), rel);
		n++;
	}
	fclose(f);
	return n;
}

/* The manifest of a test group (its setup: cmocka_run_group_tests(...,
 * tt_go_setup, NULL)). */
static struct tt_go_bin tt_go_bins[TT_GO_MAX_BINS];
static size_t tt_go_n_bins;

static inline int tt_go_setup(void **state)
{
	(void)state;
	tt_go_n_bins = tt_go_manifest(tt_go_bins, TT_GO_MAX_BINS);
	return tt_go_n_bins ? 0 : -1;
}

static inline const struct tt_go_bin *tt_go_find_bin(const struct tt_go_bin *bins, size_t n,
						     const char *minor, const char *prog,
						     const char *variant)
{
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(bins[i].minor, minor) && !strcmp(bins[i].prog, prog) &&
		    !strcmp(bins[i].variant, variant))
			return &bins[i];
	}
	fail_msg("no %s %s-%s in the manifest", minor, prog, variant);
	return NULL;
}

#define TT_GO_ORACLE_ITAB "go:itab.*net.TCPConn,net.Conn"

/*
 * VER/layoutoracle.txt ("NAME VALUE" lines) into fields[] and, when itab
 * is not NULL, the *net.TCPConn,net.Conn itab address; every field must be
 * there.
 */
static inline void tt_go_read_oracle(const char *minor, int64_t fields[TT_F_COUNT],
				     uint64_t *itab)
{
	char path[512], line[256], name[128];
	long long v;
	FILE *f;

	for (int i = 0; i < TT_F_COUNT; i++)
		fields[i] = TT_FIELD_UNKNOWN;
	if (itab)
		*itab = 0;
	TT_BUILD_PATH(path, "testdata/go/%s/layoutoracle.txt", minor);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%127s %lld", name, &v) != 2 || name[0] == '#')
			continue;
		if (itab && !strcmp(name, TT_GO_ORACLE_ITAB))
			*itab = v;
		for (int i = 0; i < TT_F_COUNT; i++) {
			if (!strcmp(name, tt_go_field_name(i)))
				fields[i] = v;
		}
	}
	fclose(f);
	for (int i = 0; i < TT_F_COUNT; i++) {
		if (fields[i] == TT_FIELD_UNKNOWN)
			fail_msg("%s has no %s", path, tt_go_field_name(i));
	}
	if (itab && !*itab)
		fail_msg("%s has no %s (make testdata)", path, TT_GO_ORACLE_ITAB);
}

/* Value of a symbol in the .nm oracle; returns 0 when found. */
static inline int tt_go_nm_lookup(const char *nmpath, const char *name, uint64_t *addr,
				  uint64_t *size)
{
	char line[2048], sym[1024], type;
	unsigned long long a, s;
	FILE *f = fopen(nmpath, "r");
	int ret = -ENOENT;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %llu %c %1023[^\n]", &a, &s, &type, sym) != 4)
			continue;
		if (strcmp(sym, name))
			continue;
		*addr = a;
		*size = s;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* A whole file in memory (free() it). */
static inline uint8_t *tt_test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, n, f), (size_t)n);
	fclose(f);
	*len = n;
	return buf;
}

static inline void tt_go_assert_fields(const char *what, const int64_t *got, const int64_t *want)
{
	for (int i = 0; i < TT_F_COUNT; i++) {
		if (got[i] != want[i])
			fail_msg("%s: %s = %lld, oracle says %lld", what, tt_go_field_name(i),
				 (long long)got[i], (long long)want[i]);
	}
}

#endif
