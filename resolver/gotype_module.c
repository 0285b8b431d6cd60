// SPDX-License-Identifier: MIT
/*
 * The moduledata (runtime/symtab.go): the linker's table of where the
 * runtime's own tables are, among them the type descriptors.  Its first
 * word points at the pclntab header and the next one at the function name
 * table inside it, so even without symbols it is the one structure in the
 * data that points at the pclntab the resolver already found.
 *
 * Its layout changed with Go releases (64-bit offsets, from the runtime's
 * sources of each version):
 *
 *   go1.16-1.17  types 280 etypes 288                  typelinks 320 itablinks 344
 *   go1.18-1.19  + rodata, gofunc                       typelinks 336 itablinks 360
 *   go1.20-1.24  + covctrs, ecovctrs: types 296 etypes 304, typelinks 352 itablinks 376
 *   go1.26       + epclntab 328                         typelinks 360 itablinks 384
 *   go1.27       types 296 typedesclen 304 etypes 312 itaboffset 320 itabsize 328
 *                epclntab 352; no typelinks: the linker lays the linked type
 *                descriptors end to end, then the others, then the itabs.
 *
 * No Go 1.25 toolchain was available to check which of the go1.20-1.24 and
 * go1.26 layouts it has, so for 1.25 (and for any version newer than this
 * table) every layout is tried and the one that validates is taken
 * (layout_guessed).  Validation checks the pclntab pointers, the text range
 * against an executable section, and every range against the section it
 * lies in.
 */
#include <errno.h>
#include <string.h>

#include "gotype.h"

/* Offsets of the words we read; 0 = the layout has no such field (offset
 * 0 is pcHeader, never one of these). */
struct md_layout {
	const char *name;
	int min_minor, max_minor; /* Go 1.x versions known to have it */
	uint16_t types, etypes, typelinks, itablinks, epclntab;
	uint16_t typedesclen, itaboffset, itabsize;
};

static const struct md_layout layouts[] = {
	{ "go1.27", 27, 27, .types = 296, .etypes = 312, .epclntab = 352, .typedesclen = 304,
	  .itaboffset = 320, .itabsize = 328 },
	{ "go1.26", 26, 26, .types = 296, .etypes = 304, .typelinks = 360, .itablinks = 384,
	  .epclntab = 328 },
	{ "go1.20-1.24", 20, 24, .types = 296, .etypes = 304, .typelinks = 352, .itablinks = 376 },
	{ "go1.18-1.19", 18, 19, .types = 280, .etypes = 288, .typelinks = 336, .itablinks = 360 },
	{ "go1.16-1.17", 16, 17, .types = 280, .etypes = 288, .typelinks = 320, .itablinks = 344 },
};

/* Fields every layout shares. */
#define MD_PCHEADER 0
#define MD_FUNCNAMETAB 8
#define MD_FTAB 128
#define MD_MINPC 160
#define MD_MAXPC 168
#define MD_TEXT 176
#define MD_ETEXT 184

/* Upper bounds far above any real binary, against lengths from corrupted
 * files (they are also checked against their section). */
#define MAX_LINKS (1u << 24)

struct md_check {
	const struct tt_go_image *im;
	const struct tt_pclntab *pt;
	uint64_t addr;
	const char *why; /* first failed check, for the message */
};

static bool word(struct md_check *c, uint16_t off, uint64_t *v)
{
	if (tt_go_image_word(c->im, c->addr + off, v))
		return true;
	c->why = "moduledata runs past its section";
	return false;
}

static bool fail(struct md_check *c, const char *why)
{
	c->why = why;
	return false;
}

/* A Go slice {ptr, len, cap} of elem-byte entries, inside one section. */
static bool slice(struct md_check *c, uint16_t off, unsigned elem, uint64_t *ptr, uint64_t *len)
{
	uint64_t cap;

	if (!word(c, off, ptr) || !word(c, off + 8, len) || !word(c, off + 16, &cap))
		return false;
	if (*len != cap || *len > MAX_LINKS)
		return fail(c, "a moduledata slice has len != cap or is too long");
	if (*len && !tt_go_image_ptr(c->im, *ptr, *len * elem))
		return fail(c, "a moduledata slice lies outside its section");
	return true;
}

static bool check_pclntab(struct md_check *c)
{
	const struct tt_pclntab *pt = c->pt;
	uint64_t v, len;

	if (!word(c, MD_PCHEADER, &v) || v != pt->vaddr)
		return fail(c, "does not point at the pclntab");
	if (!word(c, MD_FUNCNAMETAB, &v) || v != pt->vaddr + (pt->funcnametab - pt->data))
		return fail(c, "funcnametab is not the pclntab's");
	if (!word(c, MD_FTAB + 8, &len) || len != pt->nfunc + 1)
		return fail(c, "ftab length is not the pclntab's function count");
	return true;
}

static bool check_text(struct md_check *c)
{
	const struct tt_go_region *r;
	uint64_t minpc, maxpc, text, etext;

	if (!word(c, MD_MINPC, &minpc) || !word(c, MD_MAXPC, &maxpc) || !word(c, MD_TEXT, &text) ||
	    !word(c, MD_ETEXT, &etext))
		return false;
	if (!(text <= minpc && minpc < maxpc && maxpc <= etext))
		return fail(c, "text range out of order");
	/* Both ends: Go's text may span several sections (.text, and the
	 * C code an external linker adds). */
	r = tt_go_image_region(c->im, text);
	if (!r || !r->exec)
		return fail(c, "text is not in an executable section");
	r = tt_go_image_region(c->im, etext - 1);
	if (!r || !r->exec)
		return fail(c, "etext is not in an executable section");
	return true;
}

/* go1.27: the descriptor and itab ranges inside [types, etypes). */
static bool check_sequential(struct md_check *c, const struct md_layout *l,
			     struct tt_go_module *md)
{
	uint64_t span = md->etypes - md->types;

	if (!word(c, l->typedesclen, &md->typedesclen) || !word(c, l->itaboffset, &md->itaboffset) ||
	    !word(c, l->itabsize, &md->itabsize))
		return false;
	if (md->typedesclen < 8 || md->typedesclen > span || md->itaboffset < md->typedesclen ||
	    md->itaboffset > span || md->itabsize > span - md->itaboffset)
		return fail(c, "type descriptor ranges outside [types, etypes)");
	md->sequential = true;
	return true;
}

static bool check_layout(struct md_check *c, const struct md_layout *l, struct tt_go_module *md)
{
	const struct tt_go_region *r;
	uint64_t v;

	memset(md, 0, sizeof(*md));
	md->addr = c->addr;
	md->layout = l->name;
	if (!check_pclntab(c) || !check_text(c))
		return false;
	if (!word(c, l->types, &md->types) || !word(c, l->etypes, &md->etypes))
		return false;
	r = tt_go_image_region(c->im, md->types);
	if (md->types >= md->etypes || !r || md->etypes > r->end)
		return fail(c, "types range is not inside one section");
	if (l->epclntab) {
		r = tt_go_image_region(c->im, c->pt->vaddr);
		if (!word(c, l->epclntab, &v) || v <= c->pt->vaddr || !r || v > r->end)
			return fail(c, "epclntab is not the end of the pclntab's section");
	}
	if (l->typedesclen)
		return check_sequential(c, l, md);
	return slice(c, l->typelinks, 4, &md->typelinks, &md->n_typelinks) &&
	       slice(c, l->itablinks, 8, &md->itablinks, &md->n_itablinks);
}

static bool claims(const struct md_layout *l, int major, int minor)
{
	return major == 1 && minor >= l->min_minor && minor <= l->max_minor;
}

static bool version_known(int major, int minor)
{
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++) {
		if (claims(&layouts[i], major, minor))
			return true;
	}
	return false;
}

/*
 * The moduledata at addr under the version's layout, or, for a version no
 * layout claims, under the first (newest) that validates.
 */
static bool try_at(struct md_check *c, int major, int minor, struct tt_go_module *md)
{
	bool known = version_known(major, minor);

	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++) {
		if (known && !claims(&layouts[i], major, minor))
			continue;
		if (check_layout(c, &layouts[i], md)) {
			md->layout_guessed = !known;
			return true;
		}
	}
	return false;
}

static enum tt_go_typefmt typefmt(int major, int minor)
{
	if (major == 1 && minor <= 16)
		return TT_GO_TYPEFMT_116;
	if (major == 1 && minor <= 18)
		return TT_GO_TYPEFMT_117;
	return TT_GO_TYPEFMT_119;
}

/* Candidates: 8-aligned words equal to the pclntab's address, and words a
 * RELATIVE relocation sets to it. */
static bool scan_regions(struct md_check *c, int major, int minor, struct tt_go_module *md)
{
	const struct tt_go_image *im = c->im;

	for (size_t i = 0; i < im->n_relocs; i++) {
		c->addr = im->relocs[i].where;
		if (im->relocs[i].value == c->pt->vaddr && try_at(c, major, minor, md))
			return true;
	}
	for (size_t i = 0; i < im->n_regions; i++) {
		const struct tt_go_region *r = &im->regions[i];

		if (r->exec)
			continue;
		for (uint64_t a = (r->start + 7) & ~7ULL; a + 8 <= r->end; a += 8) {
			uint64_t v;

			memcpy(&v, r->data + (a - r->start), 8);
			if (v != c->pt->vaddr)
				continue;
			c->addr = a;
			if (try_at(c, major, minor, md))
				return true;
		}
	}
	return false;
}

static int module_at(const struct tt_go_image *im, const struct tt_pclntab *pt, int major,
		     int minor, bool use_symbol, struct tt_go_module *md, struct tt_error *err)
{
	struct md_check c = { .im = im, .pt = pt, .why = "no word points at the pclntab" };
	struct tt_elf_symbol sym;
	bool ok;

	if (pt->ptrsize != 8 || !pt->vaddr)
		return tt_error_set(err, ENOTSUP, "type descriptors: only 64-bit binaries");
	if (major == 1 && minor < 16)
		return tt_error_set(err, ENOTSUP, "type descriptors: Go 1.%d is older than 1.16",
				    minor);
	if (use_symbol && !tt_elf_find_symbol(im->elf, "runtime.firstmoduledata",
					      TT_ELF_SYMTAB | TT_ELF_DYNSYM, &sym)) {
		c.addr = sym.value;
		ok = try_at(&c, major, minor, md);
	} else {
		ok = scan_regions(&c, major, minor, md);
	}
	if (!ok)
		return tt_error_set(err, ENOENT, "no moduledata for go%d.%d: %s", major, minor, c.why);
	md->fmt = typefmt(major, minor);
	return 0;
}

int tt_go_module_find(const struct tt_go_image *im, const struct tt_pclntab *pt, int major,
		      int minor, struct tt_go_module *md, struct tt_error *err)
{
	return module_at(im, pt, major, minor, true, md, err);
}

int tt_go_module_scan(const struct tt_go_image *im, const struct tt_pclntab *pt, int major,
		      int minor, struct tt_go_module *md, struct tt_error *err)
{
	return module_at(im, pt, major, minor, false, md, err);
}

/* --- walks ----------------------------------------------------------------- */

static int walk_links(const struct tt_go_image *im, const struct tt_go_module *md,
		      int (*fn)(uint64_t type, void *ctx), void *ctx, struct tt_error *err)
{
	const uint8_t *links = tt_go_image_ptr(im, md->typelinks, md->n_typelinks * 4);
	uint64_t span = md->etypes - md->types;

	if (md->n_typelinks && !links)
		return tt_error_set(err, EINVAL, "corrupted: typelinks outside their section");
	for (uint64_t i = 0; i < md->n_typelinks; i++) {
		int32_t off;
		int ret;

		memcpy(&off, links + 4 * i, 4);
		if (off < 0 || (uint64_t)off >= span)
			return tt_error_set(err, EINVAL, "corrupted: typelink %llu (%d) outside types",
					    (unsigned long long)i, off);
		ret = fn(md->types + off, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

/* Sizes of the kind-specific parts (abi.Type.DescriptorSize, go1.27). */
static int descriptor_size(const struct tt_go_image *im, const struct tt_go_module *md,
			   uint64_t t, uint64_t *size, struct tt_error *err);

static int walk_sequential(const struct tt_go_image *im, const struct tt_go_module *md,
			   int (*fn)(uint64_t type, void *ctx), void *ctx, struct tt_error *err)
{
	uint64_t end = md->types + md->typedesclen;

	/* The runtime starts one word in (runtime.moduleTypelinks). */
	for (uint64_t td = md->types + 8; td < end;) {
		uint64_t size = 0;
		int ret;

		td = (td + 7) & ~7ULL;
		if (td >= end)
			break;
		ret = descriptor_size(im, md, td, &size, err);
		if (ret)
			return ret;
		ret = fn(td, ctx);
		if (ret)
			return ret;
		td += size;
	}
	return 0;
}

int tt_go_module_types(const struct tt_go_image *im, const struct tt_go_module *md,
		       int (*fn)(uint64_t type, void *ctx), void *ctx, struct tt_error *err)
{
	if (md->sequential)
		return walk_sequential(im, md, fn, ctx, err);
	return walk_links(im, md, fn, ctx, err);
}

/* Number of methods of the interface type at inter (its Methods slice). */
static int imethods(const struct tt_go_image *im, uint64_t inter, uint64_t *n)
{
	uint64_t len;

	if (!tt_go_image_word(im, inter + 48 + 8 + 8, &len) || len > (1u << 16))
		return -EINVAL;
	*n = len;
	return 0;
}

/* go1.27: itabs end to end; an itab is 4 words (Inter, Type, Hash, Fun[1])
 * plus one per method beyond the first unless fun[0] == 0 (abi.ITab.Size). */
static int walk_itab_block(const struct tt_go_image *im, const struct tt_go_module *md,
			   int (*fn)(uint64_t itab, void *ctx), void *ctx, struct tt_error *err)
{
	uint64_t p = md->types + md->itaboffset, end = p + md->itabsize;

	while (p < end) {
		uint64_t inter, fun0, n = 1;
		int ret;

		if (end - p < 32 || !tt_go_image_word(im, p, &inter) ||
		    !tt_go_image_word(im, p + 16 + 8, &fun0))
			return tt_error_set(err, EINVAL, "corrupted: itab at 0x%llx truncated",
					    (unsigned long long)p);
		if (fun0 && imethods(im, inter, &n))
			return tt_error_set(err, EINVAL, "corrupted: itab at 0x%llx: bad interface",
					    (unsigned long long)p);
		ret = fn(p, ctx);
		if (ret)
			return ret;
		p += 32 + (fun0 && n ? n - 1 : 0) * 8;
	}
	return 0;
}

int tt_go_module_itabs(const struct tt_go_image *im, const struct tt_go_module *md,
		       int (*fn)(uint64_t itab, void *ctx), void *ctx, struct tt_error *err)
{
	if (md->sequential)
		return walk_itab_block(im, md, fn, ctx, err);
	for (uint64_t i = 0; i < md->n_itablinks; i++) {
		uint64_t itab;
		int ret;

		if (!tt_go_image_word(im, md->itablinks + 8 * i, &itab))
			return tt_error_set(err, EINVAL, "corrupted: itablinks outside their section");
		ret = fn(itab, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

/* --- go1.27 descriptor sizes -------------------------------------------------- */

static int read_u16(const struct tt_go_image *im, uint64_t va, uint16_t *v)
{
	const uint8_t *p = tt_go_image_ptr(im, va, 2);

	if (!p)
		return -EINVAL;
	memcpy(v, p, 2);
	return 0;
}

/* Base size and per-kind additional bytes of the descriptor at t. */
static int kind_sizes(const struct tt_go_image *im, uint64_t t, uint8_t kind, uint64_t *base,
		      uint64_t *add)
{
	uint16_t in, out;
	uint64_t n;

	*add = 0;
	switch (kind) {
	case TT_GO_KIND_ARRAY: *base = 72; return 0;
	case TT_GO_KIND_CHAN: *base = 64; return 0;
	case TT_GO_KIND_PTR:
	case TT_GO_KIND_SLICE: *base = 56; return 0;
	case TT_GO_KIND_MAP: *base = 136; return 0; /* abi.MapType, go1.27 */
	case TT_GO_KIND_FUNC:
		*base = 56;
		if (read_u16(im, t + 48, &in) || read_u16(im, t + 50, &out))
			return -EINVAL;
		*add = ((uint64_t)in + (out & 0x7fff)) * 8;
		return 0;
	case TT_GO_KIND_INTERFACE:
		*base = 80;
		if (imethods(im, t, &n))
			return -EINVAL;
		*add = n * 8; /* abi.Imethod */
		return 0;
	case TT_GO_KIND_STRUCT:
		*base = 80;
		if (!tt_go_image_word(im, t + 64, &n) || n > (1u << 16))
			return -EINVAL;
		*add = n * 24; /* abi.StructField */
		return 0;
	default:
		*base = 48; /* the scalar kinds: abi.Type alone */
		return 0;
	}
}

static int descriptor_size(const struct tt_go_image *im, const struct tt_go_module *md,
			   uint64_t t, uint64_t *size, struct tt_error *err)
{
	struct tt_go_rtype rt;
	uint64_t base, add, mcount = 0;
	uint16_t m;
	int ret;

	ret = tt_go_rtype_read(im, md, t, &rt, err);
	if (ret)
		return ret;
	if (kind_sizes(im, t, rt.kind, &base, &add))
		goto bad;
	if (rt.tflag & 1) { /* TFlagUncommon: abi.UncommonType follows the base */
		if (read_u16(im, t + base + 4, &m))
			goto bad;
		mcount = m;
		base += 16;
	}
	*size = base + add + mcount * 16; /* abi.Method */
	if (*size > md->etypes - t)
		goto bad;
	return 0;
bad:
	return tt_error_set(err, EINVAL, "corrupted: type descriptor at 0x%llx: size unknown",
			    (unsigned long long)t);
}
