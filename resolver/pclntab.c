// SPDX-License-Identifier: MIT
/*
 * The Go pclntab (runtime/symtab.go, debug/gosym/pclntab.go): the function
 * table that survives stripping.  Header:
 *
 *   magic u32, 0, 0, quantum u8, ptrsize u8, then ptrsize-wide words:
 *   go1.16 (0xfffffffa): nfunc nfiles funcnameOff cuOff filetabOff pctabOff pclnOff
 *   go1.18 (0xfffffff0), go1.20 (0xfffffff1):
 *                        nfunc nfiles textStart funcnameOff cuOff filetabOff pctabOff pclnOff
 *
 * At pclnOff: functab, nfunc+1 pairs {entry, funcOff} (uintptr in 1.16,
 * uint32 text offsets from 1.18), the last entry being the end of text; then
 * the _func records, whose second field is the name offset into funcnametab.
 *
 * Lookup by name cannot bisect (the table is sorted by PC), so we search the
 * name blob once with memmem for each wanted name, then compare name offsets
 * (integers) while walking the functab: no string compare per function.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>

#include "goint.h"

#define MAGIC_116 0xfffffffaU
#define MAGIC_118 0xfffffff0U
#define MAGIC_120 0xfffffff1U
#define MAGIC_12 0xfffffffbU

static uint64_t rd(const uint8_t *p, unsigned sz)
{
	uint64_t v = 0;

	memcpy(&v, p, sz); /* little-endian targets only */
	return v;
}

static bool in_bounds(uint64_t off, uint64_t len, uint64_t total)
{
	return off <= total && len <= total - off;
}

static uint64_t hdr_word(const uint8_t *p, unsigned ptrsize, unsigned i)
{
	return rd(p + 8 + i * ptrsize, ptrsize);
}

/* Validate a candidate header at p with avail bytes; fill pt on success. */
static int parse_header(const uint8_t *p, uint64_t avail, uint64_t vaddr, struct tt_pclntab *pt)
{
	unsigned ps, fsz, base;
	uint64_t nameoff, pclnoff, ftsize;
	uint32_t magic;

	if (avail < 8)
		return -EINVAL;
	magic = (uint32_t)rd(p, 4);
	ps = p[7];
	if (p[4] || p[5] || (p[6] != 1 && p[6] != 2 && p[6] != 4) || (ps != 4 && ps != 8))
		return -EINVAL;
	if (magic == MAGIC_12)
		return -ENOTSUP;
	if (magic != MAGIC_116 && magic != MAGIC_118 && magic != MAGIC_120)
		return -EINVAL;
	base = magic == MAGIC_116 ? 2 : 3;
	if (avail < 8 + (uint64_t)(base + 5) * ps)
		return -EINVAL;
	memset(pt, 0, sizeof(*pt));
	pt->data = p;
	pt->size = avail;
	pt->vaddr = vaddr;
	pt->magic = magic;
	pt->quantum = p[6];
	pt->ptrsize = ps;
	pt->nfunc = hdr_word(p, ps, 0);
	if (magic != MAGIC_116)
		pt->text_start = hdr_word(p, ps, 2);
	nameoff = hdr_word(p, ps, base);
	pclnoff = hdr_word(p, ps, base + 4);
	fsz = magic == MAGIC_116 ? ps : 4;
	if (!pt->nfunc || pt->nfunc > avail / (2 * fsz) || nameoff >= avail || pclnoff >= avail ||
	    nameoff > pclnoff)
		return -EINVAL;
	ftsize = (2 * pt->nfunc + 1) * fsz;
	if (!in_bounds(pclnoff, ftsize, avail))
		return -EINVAL;
	pt->funcnametab = p + nameoff;
	pt->funcnametab_size = hdr_word(p, ps, base + 1) - nameoff; /* up to cutab */
	if (hdr_word(p, ps, base + 1) < nameoff || hdr_word(p, ps, base + 1) > avail)
		pt->funcnametab_size = pclnoff - nameoff;
	pt->functab = p + pclnoff;
	pt->functab_size = ftsize;
	pt->funcdata = p + pclnoff;
	pt->funcdata_size = avail - pclnoff;
	return 0;
}

static unsigned field_size(const struct tt_pclntab *pt)
{
	return pt->magic == MAGIC_116 ? pt->ptrsize : 4;
}

/* Entry PC of functab slot i (0..nfunc; nfunc is the end of text). */
static uint64_t ft_pc(const struct tt_pclntab *pt, uint64_t i)
{
	unsigned fsz = field_size(pt);
	uint64_t v = rd(pt->functab + 2 * i * fsz, fsz);

	return pt->magic == MAGIC_116 ? v : v + pt->text_start;
}

static uint64_t ft_funcoff(const struct tt_pclntab *pt, uint64_t i)
{
	unsigned fsz = field_size(pt);

	return rd(pt->functab + (2 * i + 1) * fsz, fsz);
}

/* The text start of a 1.18+ table whose header word is unrelocated (0 in
 * some PIE files, filled by a dynamic relocation): runtime.text, else the
 * start of .text. */
static void fix_text_start(const struct tt_elf *elf, struct tt_pclntab *pt)
{
	struct tt_elf_symbol sym;
	struct tt_elf_section s;

	if (pt->magic == MAGIC_116 || pt->text_start)
		return;
	if (!tt_elf_find_symbol(elf, "runtime.text", TT_ELF_SYMTAB, &sym))
		pt->text_start = sym.value;
	else if (!tt_elf_section(elf, ".text", &s))
		pt->text_start = s.addr;
}

static int try_blob(const struct tt_elf *elf, const uint8_t *p, uint64_t len, uint64_t vaddr,
		    struct tt_pclntab *pt)
{
	int ret = parse_header(p, len, vaddr, pt);

	if (!ret)
		fix_text_start(elf, pt);
	return ret;
}

/* Scan allocated, non-executable sections for a header that validates. */
static int scan_for_magic(const struct tt_elf *elf, struct tt_pclntab *pt)
{
	static const char *const names[] = { ".data.rel.ro", ".rodata", ".noptrdata", NULL };
	struct tt_elf_section s;

	for (size_t n = 0; names[n]; n++) {
		if (tt_elf_section(elf, names[n], &s) || !s.data)
			continue;
		/* The table is a pointer-aligned symbol. */
		for (uint64_t off = 0; off + 16 <= s.size; off += 8) {
			uint32_t m = (uint32_t)rd(s.data + off, 4);

			if (m != MAGIC_116 && m != MAGIC_118 && m != MAGIC_120)
				continue;
			if (!try_blob(elf, s.data + off, s.size - off, s.addr + off, pt))
				return 0;
		}
	}
	return -ENOENT;
}

static int locate(const struct tt_elf *elf, struct tt_pclntab *pt)
{
	static const char *const secs[] = { ".gopclntab", ".data.rel.ro.gopclntab", NULL };
	struct tt_elf_symbol sym, esym;
	struct tt_elf_section s;
	int ret = -ENOENT;

	for (size_t i = 0; secs[i]; i++) {
		if (tt_elf_section(elf, secs[i], &s) || !s.data)
			continue;
		ret = try_blob(elf, s.data, s.size, s.addr, pt);
		if (ret != -EINVAL)
			return ret;
	}
	if (!tt_elf_find_symbol(elf, "runtime.pclntab", TT_ELF_SYMTAB, &sym) &&
	    !tt_elf_find_symbol(elf, "runtime.epclntab", TT_ELF_SYMTAB, &esym) &&
	    esym.value > sym.value) {
		const uint8_t *p = tt_elf_ptr_vaddr(elf, sym.value, esym.value - sym.value);

		if (p) {
			ret = try_blob(elf, p, esym.value - sym.value, sym.value, pt);
			if (ret != -EINVAL)
				return ret;
		}
	}
	if (ret == -EINVAL)
		return ret;
	return scan_for_magic(elf, pt);
}

int tt_pclntab_open(const struct tt_elf *elf, struct tt_pclntab *pt, struct tt_error *err)
{
	int ret = locate(elf, pt);

	if (ret == -ENOTSUP)
		return tt_error_set(err, ENOTSUP, "unsupported pclntab format (Go older than 1.16)");
	if (ret == -EINVAL)
		return tt_error_set(err, EINVAL, "corrupted pclntab header");
	if (ret)
		return tt_error_set(err, ENOENT, "no pclntab (not a Go binary, or stripped of it)");
	return 0;
}

/* Offset of name as a whole NUL-terminated string in funcnametab, from
 * *from on; -1 when absent. */
static int64_t find_name(const struct tt_pclntab *pt, const char *name, uint64_t from)
{
	size_t nl = strlen(name) + 1; /* with the NUL */
	const uint8_t *tab = pt->funcnametab, *hit;
	uint64_t sz = pt->funcnametab_size;

	while (from < sz) {
		hit = memmem(tab + from, sz - from, name, nl);
		if (!hit)
			return -1;
		if (hit == tab || hit[-1] == '\0')
			return hit - tab;
		from = (uint64_t)(hit - tab) + 1;
	}
	return -1;
}

/* Name offset of the function at functab slot i, or -1 if out of bounds. */
static int64_t func_nameoff(const struct tt_pclntab *pt, uint64_t i)
{
	uint64_t fo = ft_funcoff(pt, i);
	unsigned e0 = pt->magic == MAGIC_116 ? pt->ptrsize : 4;

	if (!in_bounds(fo, e0 + 4, pt->funcdata_size))
		return -1;
	return (int32_t)rd(pt->funcdata + fo + e0, 4);
}

/* Up to this many copies of one name (an ABI wrapper and its target). */
#define MAX_OFFS 4

int tt_pclntab_lookup(const struct tt_pclntab *pt, const char *const *names, size_t n,
		      uint64_t *entry, uint64_t *size, struct tt_error *err)
{
	int64_t offs[16][MAX_OFFS];
	uint64_t prev = 0;

	if (n > 16)
		return tt_error_set(err, EINVAL, "too many names for one pclntab lookup");
	for (size_t k = 0; k < n; k++) {
		uint64_t from = 0;

		entry[k] = size[k] = 0;
		for (int j = 0; j < MAX_OFFS; j++) {
			offs[k][j] = find_name(pt, names[k], from);
			if (offs[k][j] >= 0)
				from = (uint64_t)offs[k][j] + 1;
		}
	}
	for (uint64_t i = 0; i < pt->nfunc; i++) {
		uint64_t pc = ft_pc(pt, i), end;
		int64_t no;

		/* The table is sorted: a step backwards means corruption. */
		if (pc < prev)
			return tt_error_set(err, EINVAL, "corrupted pclntab: function table not sorted");
		prev = pc;
		no = func_nameoff(pt, i);
		if (no < 0)
			return tt_error_set(err, EINVAL, "corrupted pclntab: function %llu out of bounds",
					    (unsigned long long)i);
		for (size_t k = 0; k < n; k++) {
			for (int j = 0; j < MAX_OFFS && offs[k][j] >= 0; j++) {
				if (no != offs[k][j])
					continue;
				end = ft_pc(pt, i + 1);
				if (end < pc)
					return tt_error_set(err, EINVAL, "corrupted pclntab: negative function size");
				/* Duplicates: the larger body, not the wrapper. */
				if (end - pc > size[k]) {
					entry[k] = pc;
					size[k] = end - pc;
				}
			}
		}
	}
	return 0;
}

int tt_pclntab_foreach(const struct tt_pclntab *pt,
		       int (*fn)(uint64_t entry, uint64_t end, const char *name, void *ctx), void *ctx)
{
	for (uint64_t i = 0; i < pt->nfunc; i++) {
		int64_t no = func_nameoff(pt, i);
		const char *name = NULL;
		int ret;

		if (no >= 0 && (uint64_t)no < pt->funcnametab_size &&
		    memchr(pt->funcnametab + no, '\0', pt->funcnametab_size - no))
			name = (const char *)pt->funcnametab + no;
		ret = fn(ft_pc(pt, i), ft_pc(pt, i + 1), name, ctx);
		if (ret)
			return ret;
	}
	return 0;
}
