// SPDX-License-Identifier: MIT
/*
 * mkseed_gotypes BINARY OUT: a seed for fuzz_gotypes (gotypes_input.h) cut
 * from a Go binary: its module's type links, itab links and types bytes,
 * found by the resolver's own moduledata search.  Run by mkcorpus.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "elf.h"
#include "goint.h"
#include "gotype.h"
#include "gotypes_input.h"

static int write_range(FILE *f, const struct tt_go_image *im, uint64_t va, uint64_t len)
{
	const uint8_t *p = len ? tt_go_image_ptr(im, va, len) : NULL;

	if (len && !p)
		return -1;
	return len && fwrite(p, 1, len, f) != len ? -1 : 0;
}

static int seed(const char *path, const char *out, struct tt_error *err)
{
	struct gotypes_input h = { 0 };
	struct tt_buildinfo bi;
	struct tt_go_module md;
	struct tt_go_image im;
	struct tt_pclntab pt;
	struct tt_elf *elf;
	int ret;
	FILE *f;

	ret = tt_elf_open(path, &elf, err);
	if (ret)
		return ret;
	ret = tt_go_buildinfo(elf, &bi, err);
	if (!ret)
		ret = tt_pclntab_open(elf, &pt, err);
	if (!ret)
		ret = tt_go_image_init(&im, elf, err);
	if (ret)
		goto out_elf;
	ret = tt_go_module_find(&im, &pt, bi.major, bi.minor, &md, err);
	if (ret)
		goto out;
	h.fmt = md.fmt;
	h.sequential = md.sequential;
	h.n_typelinks = md.n_typelinks;
	h.n_itablinks = md.n_itablinks;
	h.types = md.types;
	h.typedesclen = md.typedesclen;
	h.itaboffset = md.itaboffset;
	h.itabsize = md.itabsize;
	ret = tt_error_set(err, EIO, "cannot write %s", out);
	f = fopen(out, "wb");
	if (!f)
		goto out;
	if (fwrite(&h, sizeof(h), 1, f) == 1 &&
	    !write_range(f, &im, md.typelinks, 4 * md.n_typelinks) &&
	    !write_range(f, &im, md.itablinks, 8 * md.n_itablinks) &&
	    !write_range(f, &im, md.types, md.etypes - md.types))
		ret = 0;
	if (fclose(f))
		ret = tt_error_set(err, EIO, "cannot write %s", out);
out:
	tt_go_image_free(&im);
out_elf:
	tt_elf_close(elf);
	return ret;
}

int main(int argc, char **argv)
{
	struct tt_error err = { "" };

	if (argc != 3) {
		fprintf(stderr, "usage: mkseed_gotypes BINARY OUT\n");
		return 2;
	}
	if (seed(argv[1], argv[2], &err)) {
		fprintf(stderr, "mkseed_gotypes: %s: %s\n", argv[1], err.msg);
		return 1;
	}
	return 0;
}
