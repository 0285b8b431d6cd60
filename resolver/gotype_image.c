// SPDX-License-Identifier: MIT
/*
 * A bounds-checked view of a Go binary's loaded image, for the type
 * descriptor reader.  A read is allowed only inside one region: an allocated
 * section with bytes in the file (the unit eu-readelf checks lengths
 * against), or a file-backed PT_LOAD when the file has no section headers.
 * Pointers are read as the dynamic loader leaves them at load bias 0: in a
 * PIE, a word with an R_*_RELATIVE relocation holds the relocation's addend
 * (the file itself may hold 0 there, as GNU ld leaves it).
 */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gotype.h"

static bool sec_usable(const struct tt_elf_section *s)
{
	return (s->flags & SHF_ALLOC) && s->type != SHT_NOBITS && s->data && s->size &&
	       s->addr + s->size > s->addr;
}

static int add_region(struct tt_go_image *im, size_t *cap, const struct tt_go_region *r)
{
	if (im->n_regions == *cap) {
		size_t n = *cap ? 2 * *cap : 32;
		struct tt_go_region *p = realloc(im->regions, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		im->regions = p;
		*cap = n;
	}
	im->regions[im->n_regions++] = *r;
	return 0;
}

static int regions_from_sections(struct tt_go_image *im, size_t *cap)
{
	struct tt_elf_section s;
	int ret;

	for (size_t i = 1; !tt_elf_section_at(im->elf, i, &s); i++) {
		struct tt_go_region r = { s.addr, s.addr + s.size, s.data, s.name,
					  (s.flags & SHF_EXECINSTR) != 0 };

		if (!sec_usable(&s))
			continue;
		ret = add_region(im, cap, &r);
		if (ret)
			return ret;
	}
	return 0;
}

static int regions_from_segments(struct tt_go_image *im, size_t *cap)
{
	struct tt_elf_segment g;
	int ret;

	for (size_t i = 0; !tt_elf_segment_at(im->elf, i, &g); i++) {
		struct tt_go_region r = { g.vaddr, g.vaddr + g.filesz, g.data, "PT_LOAD",
					  (g.flags & PF_X) != 0 };

		if (g.type != PT_LOAD || !g.data || r.end <= r.start)
			continue;
		ret = add_region(im, cap, &r);
		if (ret)
			return ret;
	}
	return 0;
}

static int cmp_region(const void *a, const void *b)
{
	const struct tt_go_region *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static int cmp_reloc(const void *a, const void *b)
{
	const struct tt_go_reloc *x = a, *y = b;

	return x->where < y->where ? -1 : x->where > y->where;
}

static uint32_t relative_type(enum tt_arch arch)
{
	return arch == TT_ARCH_ARM64 ? R_AARCH64_RELATIVE : R_X86_64_RELATIVE;
}

/* Count, then collect, the RELATIVE relocations of every SHT_RELA section. */
static int load_relocs(struct tt_go_image *im)
{
	uint32_t rel = relative_type(tt_elf_arch(im->elf));
	struct tt_elf_section s;
	size_t n = 0;

	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 1; !tt_elf_section_at(im->elf, i, &s); i++) {
			if (s.type != SHT_RELA || !s.data)
				continue;
			for (uint64_t off = 0; off + sizeof(Elf64_Rela) <= s.size;
			     off += sizeof(Elf64_Rela)) {
				Elf64_Rela r;

				memcpy(&r, s.data + off, sizeof(r));
				if (ELF64_R_TYPE(r.r_info) != rel)
					continue;
				if (pass)
					im->relocs[im->n_relocs++] =
						(struct tt_go_reloc){ r.r_offset, r.r_addend };
				else
					n++;
			}
		}
		if (pass || !n)
			break;
		im->relocs = calloc(n, sizeof(*im->relocs));
		if (!im->relocs)
			return -ENOMEM;
	}
	if (im->n_relocs) /* qsort's base must not be NULL */
		qsort(im->relocs, im->n_relocs, sizeof(*im->relocs), cmp_reloc);
	return 0;
}

int tt_go_image_init(struct tt_go_image *im, const struct tt_elf *elf, struct tt_error *err)
{
	size_t cap = 0;
	int ret;

	memset(im, 0, sizeof(*im));
	im->elf = elf;
	ret = regions_from_sections(im, &cap);
	if (!ret && !im->n_regions)
		ret = regions_from_segments(im, &cap);
	if (!ret)
		ret = load_relocs(im);
	if (!ret && im->n_regions)
		qsort(im->regions, im->n_regions, sizeof(*im->regions), cmp_region);
	if (ret) {
		tt_go_image_free(im);
		return tt_error_set(err, -ret, "out of memory");
	}
	return 0;
}

void tt_go_image_free(struct tt_go_image *im)
{
	free(im->regions);
	free(im->relocs);
	im->regions = NULL;
	im->relocs = NULL;
	im->n_regions = im->n_relocs = 0;
}

/* Sections of an executable do not overlap: the last one starting at or
 * below va is the only one that can hold it. */
const struct tt_go_region *tt_go_image_region(const struct tt_go_image *im, uint64_t va)
{
	size_t lo = 0, hi = im->n_regions;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (im->regions[mid].start <= va)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo || va >= im->regions[lo - 1].end)
		return NULL;
	return &im->regions[lo - 1];
}

const uint8_t *tt_go_image_ptr(const struct tt_go_image *im, uint64_t va, uint64_t len)
{
	const struct tt_go_region *r = tt_go_image_region(im, va);

	if (!r || len > r->end - va)
		return NULL;
	return r->data + (va - r->start);
}

static const struct tt_go_reloc *find_reloc(const struct tt_go_image *im, uint64_t va)
{
	size_t lo = 0, hi = im->n_relocs;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (im->relocs[mid].where == va)
			return &im->relocs[mid];
		if (im->relocs[mid].where < va)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

bool tt_go_image_word(const struct tt_go_image *im, uint64_t va, uint64_t *out)
{
	const uint8_t *p = tt_go_image_ptr(im, va, 8);
	const struct tt_go_reloc *r;

	if (!p)
		return false;
	r = find_reloc(im, va);
	if (r)
		*out = r->value;
	else
		memcpy(out, p, 8); /* little-endian targets only */
	return true;
}
