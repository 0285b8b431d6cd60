/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_RESOLVER_GOTYPE_H
#define TLSTAP_RESOLVER_GOTYPE_H

/*
 * The Go runtime's type descriptors, read from the file: the struct layouts
 * reflect and the garbage collector use, present in every Go binary whether
 * or not it was stripped.  Internal to resolver/.
 *
 *   gotype_image.c   a bounds-checked view of the loaded image: every read
 *                    lies inside one section, pointers are relocated
 *   gotype_module.c  the moduledata (runtime.firstmoduledata): found by
 *                    symbol or as the structure that points at the pclntab,
 *                    validated; its type links and itabs
 *   gotype.c         decoding of type descriptors, names and struct fields;
 *                    the offsets of tt_go_fields[]
 *
 * Formats: Go 1.16 to 1.27 on 64-bit little-endian targets.  Older binaries
 * (1.15 and before: another moduledata and pclntab) are not supported; the
 * pclntab reader refuses them first.
 */

#include "goint.h"

/* --- gotype_image.c ---------------------------------------------------------- */

struct tt_go_region {
	uint64_t start, end;  /* [start, end) virtual addresses */
	const uint8_t *data;  /* end - start bytes */
	const char *name;     /* section name, or "PT_LOAD" */
	bool exec;
};

/* A RELATIVE dynamic relocation: the word at where holds base + value. */
struct tt_go_reloc {
	uint64_t where, value;
};

struct tt_go_image {
	const struct tt_elf *elf;
	struct tt_go_region *regions; /* allocated sections with file bytes, else PT_LOADs */
	size_t n_regions;
	struct tt_go_reloc *relocs;   /* sorted by where */
	size_t n_relocs;
};

int tt_go_image_init(struct tt_go_image *im, const struct tt_elf *elf, struct tt_error *err);
void tt_go_image_free(struct tt_go_image *im);
/* The region holding va, or NULL. */
const struct tt_go_region *tt_go_image_region(const struct tt_go_image *im, uint64_t va);
/* len bytes at va, all inside one region; NULL otherwise. */
const uint8_t *tt_go_image_ptr(const struct tt_go_image *im, uint64_t va, uint64_t len);
/* The 8-byte word at va as the loader leaves it (RELATIVE relocation
 * applied, load bias 0); false when va+8 is not inside one region. */
bool tt_go_image_word(const struct tt_go_image *im, uint64_t va, uint64_t *out);

/* --- gotype_module.c --------------------------------------------------------- */

/* How names and struct fields are encoded. */
enum tt_go_typefmt {
	TT_GO_TYPEFMT_116, /* names: 2-byte big-endian lengths; field offset<<1 | embedded */
	TT_GO_TYPEFMT_117, /* names: varint lengths; field offset<<1 | embedded (1.17, 1.18) */
	TT_GO_TYPEFMT_119, /* varint lengths; plain offsets, embedded flag in the name */
};

struct tt_go_module {
	uint64_t addr;       /* of the moduledata */
	const char *layout;  /* the layout that validated: "go1.20-1.24", ... */
	bool layout_guessed; /* the Go version claims no layout; this one validated */
	enum tt_go_typefmt fmt;
	uint64_t types, etypes;
	/* up to go1.26: int32 offsets from types, and *itab */
	uint64_t typelinks, n_typelinks;
	uint64_t itablinks, n_itablinks;
	/* go1.27: descriptors end to end in [types+8, types+typedesclen),
	 * itabs end to end in [types+itaboffset, +itabsize) */
	bool sequential;
	uint64_t typedesclen, itaboffset, itabsize;
};

/*
 * Find and validate the moduledata of a Go major.minor binary whose pclntab
 * is pt.  -ENOENT when there is none that validates (message says why).
 */
int tt_go_module_find(const struct tt_go_image *im, const struct tt_pclntab *pt, int major,
		      int minor, struct tt_go_module *md, struct tt_error *err);
/* Same, ignoring runtime.firstmoduledata: the search a stripped binary
 * gets (tests compare the two). */
int tt_go_module_scan(const struct tt_go_image *im, const struct tt_pclntab *pt, int major,
		      int minor, struct tt_go_module *md, struct tt_error *err);

/* Call fn with the address of every type the module links (what reflect can
 * look up); a non-zero return of fn stops the walk and is returned. */
int tt_go_module_types(const struct tt_go_image *im, const struct tt_go_module *md,
		       int (*fn)(uint64_t type, void *ctx), void *ctx, struct tt_error *err);
/* Same for every itab the linker laid out. */
int tt_go_module_itabs(const struct tt_go_image *im, const struct tt_go_module *md,
		       int (*fn)(uint64_t itab, void *ctx), void *ctx, struct tt_error *err);

/* --- gotype.c ---------------------------------------------------------------- */

enum tt_go_kind {
	TT_GO_KIND_ARRAY = 17,
	TT_GO_KIND_CHAN = 18,
	TT_GO_KIND_FUNC = 19,
	TT_GO_KIND_INTERFACE = 20,
	TT_GO_KIND_MAP = 21,
	TT_GO_KIND_PTR = 22,
	TT_GO_KIND_SLICE = 23,
	TT_GO_KIND_STRING = 24,
	TT_GO_KIND_STRUCT = 25,
	TT_GO_KIND_UNSAFE_POINTER = 26,
};

/* A string inside the image (not NUL-terminated). */
struct tt_go_str {
	const char *p;
	size_t len;
};

/* The part of a type descriptor every kind shares (abi.Type). */
struct tt_go_rtype {
	uint64_t addr, size;
	uint8_t tflag, kind;
	uint32_t str; /* nameOff of the type's string */
};

/* Read the shared header at addr; -EINVAL (message) unless it lies inside
 * [types, etypes) with a valid kind. */
int tt_go_rtype_read(const struct tt_go_image *im, const struct tt_go_module *md, uint64_t addr,
		     struct tt_go_rtype *t, struct tt_error *err);
/* The type's string ("*tls.Conn", "tls.Conn"). */
int tt_go_type_string(const struct tt_go_image *im, const struct tt_go_module *md,
		      const struct tt_go_rtype *t, struct tt_go_str *s, struct tt_error *err);

/* One decoded struct field. */
struct tt_go_member {
	struct tt_go_str name;
	uint64_t type;   /* address of its type descriptor */
	uint64_t offset;
	bool embedded;
};

/* Field i of the struct type st; every length and pointer checked, and the
 * offset against the struct's size. */
int tt_go_struct_field(const struct tt_go_image *im, const struct tt_go_module *md,
		       const struct tt_go_rtype *st, uint64_t i, struct tt_go_member *f,
		       struct tt_error *err);
/* The number of fields of st (checked as a whole: in bounds, sorted). */
int tt_go_struct_nfields(const struct tt_go_image *im, const struct tt_go_module *md,
			 const struct tt_go_rtype *st, uint64_t *n, struct tt_error *err);

/* The descriptor of the named struct type ("net.netFD", full package path),
 * found as the offsets of tt_go_fields[] are; -ENOENT when absent. */
int tt_go_find_struct(const struct tt_go_image *im, const struct tt_go_module *md,
		      const char *type, uint64_t *addr, struct tt_error *err);

/*
 * Offsets of tt_go_fields[] from the type descriptors.  fields[f] is set for
 * each field found (else TT_FIELD_UNKNOWN) with why[f] saying why not.
 * Returns 0 when the module was found (whatever the fields), else a
 * negative errno with status saying why; status otherwise says where the
 * module is.  itab: the *net.TCPConn,net.Conn itab when found (else 0).
 */
struct tt_go_types_result {
	int64_t fields[TT_F_COUNT];
	char why[TT_F_COUNT][128];
	uint64_t itab_tcpconn;
	char status[128];
};

int tt_go_layout_from_types(const struct tt_elf *elf, int major, int minor,
			    struct tt_go_types_result *res, struct tt_error *err);
/* The same from an image and module already found (tests, fuzzing). */
int tt_go_types_fields(const struct tt_go_image *im, const struct tt_go_module *md,
		       struct tt_go_types_result *res, struct tt_error *err);

#endif
