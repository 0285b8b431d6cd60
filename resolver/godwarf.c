// SPDX-License-Identifier: MIT
/*
 * Go struct field offsets from the binary's own DWARF, read with libdwarf.
 *
 * libdwarf does not get the file: it gets an object-access interface backed
 * by struct tt_elf, so it sees the same bounds-checked mapping as the rest of
 * the resolver (and fuzzing on memory buffers covers this path too).  Go
 * compresses its DWARF, as SHF_COMPRESSED sections (Elf64_Chdr, since Go
 * 1.12) or, in older linkers, as .zdebug_* sections ("ZLIB" + 8-byte
 * big-endian size).  libdwarf 20210528 only recognises SHF_COMPRESSED through
 * its own ELF reader, so both forms are inflated here, lazily, when libdwarf
 * loads a section, and presented under their .debug_* names.
 *
 * The walk visits the top-level DIEs of each compilation unit once and stops
 * as soon as every wanted struct has been seen: O(size of .debug_info).
 */
#include <errno.h>
#include <elf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <dwarf.h>
#include <libdwarf.h>
#include <zlib.h>

#include "golayout.h"

/* Upper bound of an inflated section, whatever its header claims. */
#define TT_DW_MAX_SECTION (1ULL << 30)
/* zlib cannot expand more than ~1032:1; a bigger claim is a lie. */
#define TT_DW_MAX_RATIO 1100
/* We expose the null section plus the DWARF sections, nothing else. */
#define TT_DW_MAX_SECS 64

enum tt_dw_comp {
	TT_DW_PLAIN,
	TT_DW_ZDEBUG, /* "ZLIB" + be64 size + zlib stream */
	TT_DW_CHDR,   /* SHF_COMPRESSED: Elf64_Chdr + zlib stream */
};

struct tt_dw_sec {
	char name[48];       /* as libdwarf must see it: .zdebug_x -> .debug_x */
	uint32_t type;
	uint64_t size;       /* uncompressed */
	const uint8_t *raw;  /* bytes in the file */
	uint64_t raw_size;
	enum tt_dw_comp comp;
	uint8_t *owned;      /* inflated copy, freed with the object */
};

struct tt_dw_obj {
	struct tt_dw_sec secs[TT_DW_MAX_SECS];
	size_t n;
	char why[160]; /* first load failure, for the caller's message */
};

static void obj_fail(struct tt_dw_obj *o, const char *fmt, const char *name)
{
	if (!o->why[0])
		snprintf(o->why, sizeof(o->why), fmt, name);
}

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/*
 * Work out the uncompressed size of an ELF section and where its zlib
 * stream starts.  The ELF layer guarantees raw/raw_size are in the file.
 */
static int dw_sec_setup(struct tt_dw_sec *s, const struct tt_elf_section *es,
			struct tt_error *err)
{
	const char *name = es->name;
	uint64_t max;

	s->type = es->type;
	s->raw = es->data;
	s->raw_size = es->size;
	s->size = es->size;
	s->comp = TT_DW_PLAIN;
	if (!strncmp(name, ".zdebug_", 8)) {
		/* Rename so that libdwarf finds it by its standard name. */
		if (snprintf(s->name, sizeof(s->name), ".debug_%s", name + 8) >=
		    (int)sizeof(s->name))
			return tt_error_set(err, EINVAL, "DWARF section name too long: %s", name);
		if (s->raw_size < 12 || memcmp(s->raw, "ZLIB", 4))
			return tt_error_set(err, EINVAL, "corrupted: %s has no ZLIB header", name);
		s->comp = TT_DW_ZDEBUG;
		s->size = be64(s->raw + 4);
	} else {
		if (snprintf(s->name, sizeof(s->name), "%s", name) >= (int)sizeof(s->name))
			return tt_error_set(err, EINVAL, "DWARF section name too long: %s", name);
		if (!(es->flags & SHF_COMPRESSED))
			return 0;
		if (s->raw_size < sizeof(Elf64_Chdr))
			return tt_error_set(err, EINVAL, "corrupted: %s: compression header truncated",
					    name);
		if (le32(s->raw) != ELFCOMPRESS_ZLIB)
			return tt_error_set(err, ENOTSUP, "%s: unsupported compression type %u",
					    name, le32(s->raw));
		s->comp = TT_DW_CHDR;
		s->size = le64(s->raw + offsetof(Elf64_Chdr, ch_size));
	}
	max = s->raw_size * TT_DW_MAX_RATIO;
	if (s->size > TT_DW_MAX_SECTION || s->size > max)
		return tt_error_set(err, EINVAL,
				    "corrupted: %s claims %llu bytes uncompressed from %llu", name,
				    (unsigned long long)s->size, (unsigned long long)s->raw_size);
	return 0;
}

static int dw_obj_init(struct tt_dw_obj *o, const struct tt_elf *elf, struct tt_error *err)
{
	struct tt_elf_section es;
	int ret;

	memset(o, 0, sizeof(*o));
	o->n = 1; /* index 0: the null section, as in ELF */
	for (size_t i = 1; !tt_elf_section_at(elf, i, &es); i++) {
		if (strncmp(es.name, ".debug_", 7) && strncmp(es.name, ".zdebug_", 8))
			continue;
		if (es.type == SHT_NOBITS || !es.data)
			continue;
		if (o->n == TT_DW_MAX_SECS)
			return tt_error_set(err, EINVAL, "corrupted: more than %d DWARF sections",
					    TT_DW_MAX_SECS - 1);
		ret = dw_sec_setup(&o->secs[o->n], &es, err);
		if (ret)
			return ret;
		o->n++;
	}
	return 0;
}

static void dw_obj_free(struct tt_dw_obj *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->secs[i].owned);
}

static int dw_inflate(struct tt_dw_obj *o, struct tt_dw_sec *s)
{
	size_t hdr = s->comp == TT_DW_ZDEBUG ? 12 : sizeof(Elf64_Chdr);
	uLongf out_len = s->size;
	int zret;

	/* malloc(0) may return NULL; an empty section still needs a buffer. */
	s->owned = malloc(s->size ? s->size : 1);
	if (!s->owned) {
		obj_fail(o, "%s: out of memory", s->name);
		return -1;
	}
	zret = uncompress(s->owned, &out_len, s->raw + hdr, s->raw_size - hdr);
	if (zret != Z_OK || out_len != s->size) {
		obj_fail(o, "corrupted: %s does not inflate to its stated size", s->name);
		free(s->owned);
		s->owned = NULL;
		return -1;
	}
	return 0;
}

/* --- libdwarf object-access methods ---------------------------------------- */

static int dw_get_section_info(void *obj, Dwarf_Half index, Dwarf_Obj_Access_Section *ret,
			       int *error)
{
	struct tt_dw_obj *o = obj;
	const struct tt_dw_sec *s;

	if (index >= o->n)
		return DW_DLV_NO_ENTRY;
	s = &o->secs[index];
	memset(ret, 0, sizeof(*ret));
	ret->type = s->type;
	ret->size = s->size;
	ret->name = s->name;
	*error = 0;
	return DW_DLV_OK;
}

static Dwarf_Endianness dw_get_byte_order(void *obj)
{
	(void)obj;
	return DW_OBJECT_LSB; /* the ELF layer only accepts ELFDATA2LSB */
}

static Dwarf_Small dw_get_length_size(void *obj)
{
	(void)obj;
	return 4;
}

static Dwarf_Small dw_get_pointer_size(void *obj)
{
	(void)obj;
	return 8; /* ELFCLASS64 only */
}

static Dwarf_Unsigned dw_get_section_count(void *obj)
{
	return ((struct tt_dw_obj *)obj)->n;
}

static int dw_load_section(void *obj, Dwarf_Half index, Dwarf_Small **data, int *error)
{
	struct tt_dw_obj *o = obj;
	struct tt_dw_sec *s;

	*error = 0;
	if (index == 0 || index >= o->n)
		return DW_DLV_NO_ENTRY;
	s = &o->secs[index];
	if (s->comp == TT_DW_PLAIN) {
		/* libdwarf takes a non-const pointer but only reads. */
		*data = (Dwarf_Small *)s->raw;
		return DW_DLV_OK;
	}
	if (!s->owned && dw_inflate(o, s)) {
		*error = DW_DLE_ZLIB_UNCOMPRESS_ERROR;
		return DW_DLV_ERROR;
	}
	*data = s->owned;
	return DW_DLV_OK;
}

static const Dwarf_Obj_Access_Methods dw_methods = {
	.get_section_info = dw_get_section_info,
	.get_byte_order = dw_get_byte_order,
	.get_length_size = dw_get_length_size,
	.get_pointer_size = dw_get_pointer_size,
	.get_section_count = dw_get_section_count,
	.load_section = dw_load_section,
	.relocate_a_section = NULL, /* executables carry no DWARF relocations */
};

/* --- the walk ---------------------------------------------------------------- */

struct tt_dw_walk {
	Dwarf_Debug dbg;
	struct tt_dw_obj *obj;
	int64_t *fields;
	const char *types[TT_F_COUNT]; /* the struct names of tt_go_fields[] */
	size_t n_types;
	bool type_done[TT_F_COUNT];
	size_t types_left;
	struct tt_error *err;
};

static int dw_fail(struct tt_dw_walk *w, Dwarf_Error derr, const char *what)
{
	int ret;

	if (w->obj->why[0])
		ret = tt_error_set(w->err, EINVAL, "DWARF: %s: %s", what, w->obj->why);
	else
		ret = tt_error_set(w->err, EINVAL, "DWARF: %s: %s", what,
				   derr ? dwarf_errmsg(derr) : "malformed");
	if (derr)
		dwarf_dealloc_error(w->dbg, derr);
	return ret;
}

/* ULEB128 inside [p, end); false when it runs off the end or overflows. */
static bool uleb(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;

	for (unsigned shift = 0; p < end && shift < 64; shift += 7, p++) {
		v |= (uint64_t)(*p & 0x7f) << shift;
		if (!(*p & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

/*
 * DW_AT_data_member_location: a constant (what Go emits), or, in DWARF 2
 * style, a location expression DW_OP_plus_uconst N.  -1: absent or another
 * form (the member is then treated as not found).
 */
static int64_t member_offset(struct tt_dw_walk *w, Dwarf_Die die)
{
	Dwarf_Attribute attr;
	Dwarf_Error derr = NULL;
	Dwarf_Unsigned u;
	Dwarf_Block *blk;
	Dwarf_Half form;
	int64_t off = -1;

	if (dwarf_attr(die, DW_AT_data_member_location, &attr, &derr) != DW_DLV_OK)
		goto out;
	if (dwarf_whatform(attr, &form, &derr) != DW_DLV_OK)
		goto out_attr;
	if (form == DW_FORM_block1 || form == DW_FORM_block2 || form == DW_FORM_block4 ||
	    form == DW_FORM_block || form == DW_FORM_exprloc) {
		const uint8_t *p, *end;
		uint64_t v;

		if (dwarf_formblock(attr, &blk, &derr) != DW_DLV_OK)
			goto out_attr;
		p = blk->bl_data;
		end = p + blk->bl_len;
		if (blk->bl_len > 1 && (*p == DW_OP_plus_uconst || *p == DW_OP_constu) &&
		    uleb(p + 1, end, &v) && v <= INT32_MAX)
			off = v;
		dwarf_dealloc(w->dbg, blk, DW_DLA_BLOCK);
	} else if (dwarf_formudata(attr, &u, &derr) == DW_DLV_OK && u <= INT32_MAX) {
		off = u;
	}
out_attr:
	dwarf_dealloc_attribute(attr);
out:
	if (derr)
		dwarf_dealloc_error(w->dbg, derr);
	return off;
}

/*
 * Record the wanted members of struct type t (index into w->types).
 * Returns the number of members seen, or a negative errno.
 */
static int scan_members(struct tt_dw_walk *w, Dwarf_Die st, size_t t)
{
	Dwarf_Die die = NULL, next;
	Dwarf_Error derr = NULL;
	Dwarf_Half tag;
	char *name;
	int ret, seen = 0;

	ret = dwarf_child(st, &die, &derr);
	if (ret == DW_DLV_NO_ENTRY)
		return 0;
	if (ret != DW_DLV_OK)
		return dw_fail(w, derr, w->types[t]);
	for (;;) {
		if (dwarf_tag(die, &tag, &derr) == DW_DLV_OK && tag == DW_TAG_member &&
		    dwarf_diename(die, &name, &derr) == DW_DLV_OK) {
			seen++;
			for (size_t f = 0; f < TT_F_COUNT; f++) {
				if (strcmp(tt_go_fields[f].type, w->types[t]) ||
				    strcmp(tt_go_fields[f].member, name))
					continue;
				w->fields[f] = member_offset(w, die);
			}
		}
		if (derr) {
			dwarf_dealloc_error(w->dbg, derr);
			derr = NULL;
		}
		ret = dwarf_siblingof_b(w->dbg, die, true, &next, &derr);
		dwarf_dealloc_die(die);
		if (ret == DW_DLV_NO_ENTRY)
			return seen;
		if (ret != DW_DLV_OK)
			return dw_fail(w, derr, w->types[t]);
		die = next;
	}
}

/* A top-level DIE: is it one of the structs we want, not seen yet? */
static int visit(struct tt_dw_walk *w, Dwarf_Die die)
{
	Dwarf_Error derr = NULL;
	Dwarf_Half tag;
	char *name;

	if (dwarf_tag(die, &tag, &derr) != DW_DLV_OK || tag != DW_TAG_structure_type)
		goto out;
	if (dwarf_diename(die, &name, &derr) != DW_DLV_OK)
		goto out;
	for (size_t t = 0; t < w->n_types; t++) {
		int n;

		if (w->type_done[t] || strcmp(name, w->types[t]))
			continue;
		/*
		 * The first definition with members wins: the linker emits each
		 * type once, but an empty one (a declaration) must not hide it.
		 */
		n = scan_members(w, die, t);
		if (n < 0)
			return n;
		if (n > 0) {
			w->type_done[t] = true;
			w->types_left--;
		}
		return 0;
	}
out:
	if (derr)
		dwarf_dealloc_error(w->dbg, derr);
	return 0;
}

/* Visit the children of one CU DIE, until every wanted struct is seen. */
static int walk_cu(struct tt_dw_walk *w, Dwarf_Die cu)
{
	Dwarf_Die die = NULL, next;
	Dwarf_Error derr = NULL;
	int ret;

	ret = dwarf_child(cu, &die, &derr);
	if (ret == DW_DLV_NO_ENTRY)
		return 0;
	if (ret != DW_DLV_OK)
		return dw_fail(w, derr, "compilation unit");
	for (;;) {
		ret = visit(w, die);
		if (ret || !w->types_left) {
			dwarf_dealloc_die(die);
			return ret;
		}
		ret = dwarf_siblingof_b(w->dbg, die, true, &next, &derr);
		dwarf_dealloc_die(die);
		if (ret == DW_DLV_NO_ENTRY)
			return 0;
		if (ret != DW_DLV_OK)
			return dw_fail(w, derr, "DIE sibling");
		die = next;
	}
}

static int walk(struct tt_dw_walk *w)
{
	Dwarf_Unsigned hdr_len, typeoff, next_off;
	Dwarf_Half version, addr_size, off_size, ext_size, cu_type;
	Dwarf_Off abbrev;
	Dwarf_Sig8 sig;
	Dwarf_Error derr = NULL;
	Dwarf_Die cu;
	int ret;

	while (w->types_left) {
		ret = dwarf_next_cu_header_d(w->dbg, true, &hdr_len, &version, &abbrev,
					     &addr_size, &off_size, &ext_size, &sig, &typeoff,
					     &next_off, &cu_type, &derr);
		if (ret == DW_DLV_NO_ENTRY)
			return 0;
		if (ret != DW_DLV_OK)
			return dw_fail(w, derr, "compilation unit header");
		ret = dwarf_siblingof_b(w->dbg, NULL, true, &cu, &derr);
		if (ret == DW_DLV_NO_ENTRY)
			continue;
		if (ret != DW_DLV_OK)
			return dw_fail(w, derr, "compilation unit DIE");
		ret = walk_cu(w, cu);
		dwarf_dealloc_die(cu);
		if (ret)
			return ret;
	}
	return 0;
}

/* The first field not found, for the message. */
static int report_missing(const int64_t *fields, struct tt_error *err)
{
	for (size_t f = 0; f < TT_F_COUNT; f++) {
		if (fields[f] == TT_FIELD_UNKNOWN)
			return tt_error_set(err, ENOENT, "DWARF has no %s", tt_go_fields[f].name);
	}
	return 0;
}

static bool has_section(const struct tt_dw_obj *o, const char *name)
{
	for (size_t i = 1; i < o->n; i++) {
		if (!strcmp(o->secs[i].name, name))
			return true;
	}
	return false;
}

int tt_go_layout_from_dwarf(const struct tt_elf *elf, int64_t fields[TT_F_COUNT],
			    struct tt_error *err)
{
	Dwarf_Obj_Access_Interface iface;
	struct tt_dw_walk w = { .fields = fields, .err = err };
	struct tt_dw_obj *obj;
	Dwarf_Error derr = NULL;
	int ret;

	for (int f = 0; f < TT_F_COUNT; f++)
		fields[f] = TT_FIELD_UNKNOWN;
	w.n_types = tt_go_field_types(w.types);
	w.types_left = w.n_types;
	/* The object is big (section table) and must outlive libdwarf's use. */
	obj = malloc(sizeof(*obj));
	if (!obj)
		return tt_error_set(err, ENOMEM, "out of memory");
	ret = dw_obj_init(obj, elf, err);
	if (ret)
		goto out;
	if (!has_section(obj, ".debug_info") || !has_section(obj, ".debug_abbrev")) {
		ret = tt_error_set(err, ENOENT, "no DWARF (.debug_info/.debug_abbrev)");
		goto out;
	}
	w.obj = obj;
	iface.object = obj;
	iface.methods = &dw_methods;
	ret = dwarf_object_init_b(&iface, NULL, NULL, DW_GROUPNUMBER_ANY, &w.dbg, &derr);
	if (ret != DW_DLV_OK) {
		ret = ret == DW_DLV_NO_ENTRY ? tt_error_set(err, ENOENT, "no DWARF") :
					       dw_fail(&w, derr, "init");
		goto out;
	}
	ret = walk(&w);
	dwarf_object_finish(w.dbg, &derr);
	if (!ret)
		ret = report_missing(fields, err);
out:
	dw_obj_free(obj);
	free(obj);
	return ret;
}
