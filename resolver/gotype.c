// SPDX-License-Identifier: MIT
/*
 * Go type descriptors (internal/abi/type.go; runtime/type.go before 1.21),
 * 64-bit:
 *
 *   abi.Type      Size_ 0, PtrBytes 8, Hash 16, TFlag 20, Align_ 21,
 *                 FieldAlign_ 22, Kind_ 23, Equal 24, GCData 32, Str 40
 *                 (nameOff from moduledata.types), PtrToThis 44; 48 bytes
 *   PtrType       Type, Elem *Type                                  56 bytes
 *   StructType    Type, PkgPath Name, Fields []StructField          80 bytes
 *   StructField   Name Name, Typ *Type, Offset uintptr              24 bytes
 *                 (before 1.19 the third word is offset<<1 | embedded)
 *   UncommonType  PkgPath nameOff, Mcount, Xcount, Moff, _     16 bytes, right
 *                 after the kind's struct when TFlagUncommon is set
 *   ITab          Inter *InterfaceType, Type *Type, Hash, Fun[]
 *
 * A Name is a flag byte (1<<0 exported, 1<<1 tag follows, 1<<2 pkgPath
 * follows, 1<<3 embedded field since 1.19), the name's length (varint
 * since 1.17, 2 bytes big-endian before), the name, then the optional tag.
 *
 * The layouts the tracer needs are named structs (net.netFD); the type links
 * hold the unnamed types reflect can build, among them the pointers to them
 * (*net.netFD), so a struct is found through its pointer type, else through
 * a field of a struct already found (net.conn from net.TCPConn.conn).  Type
 * strings carry only the last element of the package path ("poll.FD"), so
 * the full path is checked in the uncommon type ("internal/poll").
 *
 * Every descriptor must lie inside [types, etypes); every name, field array
 * and offset is checked against it and against the struct's size, so a
 * corrupted descriptor is an error for the fields it holds, never a wrong
 * offset.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "golayout.h"
#include "gotype.h"

#define TFLAG_UNCOMMON (1u << 0)
#define TFLAG_EXTRA_STAR (1u << 1)
#define TFLAG_NAMED (1u << 2)
#define KIND_MASK 0x1f
#define NAME_EMBEDDED (1u << 3)
#define MAX_FIELDS (1u << 16)

static bool in_types(const struct tt_go_module *md, uint64_t va, uint64_t len)
{
	return va >= md->types && va < md->etypes && len <= md->etypes - va;
}

static const uint8_t *types_ptr(const struct tt_go_image *im, const struct tt_go_module *md,
				uint64_t va, uint64_t len)
{
	return in_types(md, va, len) ? tt_go_image_ptr(im, va, len) : NULL;
}

int tt_go_rtype_read(const struct tt_go_image *im, const struct tt_go_module *md, uint64_t addr,
		     struct tt_go_rtype *t, struct tt_error *err)
{
	const uint8_t *p = types_ptr(im, md, addr, 48);

	if (!p || addr & 7)
		return tt_error_set(err, EINVAL,
				    "corrupted: type descriptor at 0x%llx outside the types",
				    (unsigned long long)addr);
	t->addr = addr;
	memcpy(&t->size, p, 8);
	t->tflag = p[20];
	t->kind = p[23] & KIND_MASK;
	memcpy(&t->str, p + 40, 4);
	if (!t->kind || t->kind > TT_GO_KIND_UNSAFE_POINTER)
		return tt_error_set(err, EINVAL, "corrupted: type descriptor at 0x%llx: kind %u",
				    (unsigned long long)addr, t->kind);
	return 0;
}

/* Decode the Name at va: flags and the name itself. */
static int read_name(const struct tt_go_image *im, const struct tt_go_module *md, uint64_t va,
		     uint8_t *flags, struct tt_go_str *s, struct tt_error *err)
{
	const uint8_t *p = types_ptr(im, md, va, 3);
	uint64_t len = 0, hdr;

	if (!p)
		goto bad;
	*flags = p[0];
	if (md->fmt == TT_GO_TYPEFMT_116) {
		len = (uint64_t)p[1] << 8 | p[2];
		hdr = 3;
	} else {
		/* A varint of at most 3 bytes: names are shorter than 2 MiB. */
		for (hdr = 1; hdr <= 3; hdr++) {
			len |= (uint64_t)(p[hdr] & 0x7f) << (7 * (hdr - 1));
			if (!(p[hdr] & 0x80))
				break;
		}
		if (hdr > 3)
			goto bad;
		hdr++;
	}
	s->p = (const char *)types_ptr(im, md, va + hdr, len);
	s->len = len;
	if (!s->p && len)
		goto bad;
	return 0;
bad:
	return tt_error_set(err, EINVAL, "corrupted: name at 0x%llx outside the types",
			    (unsigned long long)va);
}

static bool str_eq(const struct tt_go_str *s, const char *c)
{
	return s->len == strlen(c) && !memcmp(s->p, c, s->len);
}

int tt_go_type_string(const struct tt_go_image *im, const struct tt_go_module *md,
		      const struct tt_go_rtype *t, struct tt_go_str *s, struct tt_error *err)
{
	uint8_t flags;
	int ret;

	ret = read_name(im, md, md->types + t->str, &flags, s, err);
	if (ret)
		return ret;
	if ((t->tflag & TFLAG_EXTRA_STAR) && s->len) {
		s->p++;
		s->len--;
	}
	return 0;
}

/* The package path of a named struct or pointer type (its UncommonType). */
static int type_pkgpath(const struct tt_go_image *im, const struct tt_go_module *md,
			const struct tt_go_rtype *t, struct tt_go_str *s, struct tt_error *err)
{
	uint64_t base = t->kind == TT_GO_KIND_STRUCT ? 80 : 56;
	const uint8_t *p;
	uint32_t off;
	uint8_t flags;

	if (!(t->tflag & TFLAG_UNCOMMON) ||
	    (t->kind != TT_GO_KIND_STRUCT && t->kind != TT_GO_KIND_PTR))
		return tt_error_set(err, ENOENT, "no package path");
	p = types_ptr(im, md, t->addr + base, 16);
	if (!p)
		return tt_error_set(err, EINVAL, "corrupted: uncommon type at 0x%llx",
				    (unsigned long long)(t->addr + base));
	memcpy(&off, p, 4);
	return read_name(im, md, md->types + off, &flags, s, err);
}

/* The fields array of st: address and count, checked as a whole. */
static int struct_fields(const struct tt_go_image *im, const struct tt_go_module *md,
			 const struct tt_go_rtype *st, uint64_t *arr, uint64_t *n,
			 struct tt_error *err)
{
	uint64_t cap;

	if (st->kind != TT_GO_KIND_STRUCT)
		return tt_error_set(err, EINVAL, "type at 0x%llx is not a struct",
				    (unsigned long long)st->addr);
	if (!tt_go_image_word(im, st->addr + 56, arr) || !tt_go_image_word(im, st->addr + 64, n) ||
	    !tt_go_image_word(im, st->addr + 72, &cap) || *n != cap || *n > MAX_FIELDS ||
	    (*n && !types_ptr(im, md, *arr, *n * 24)))
		return tt_error_set(err, EINVAL, "corrupted: fields of the struct at 0x%llx",
				    (unsigned long long)st->addr);
	return 0;
}

int tt_go_struct_nfields(const struct tt_go_image *im, const struct tt_go_module *md,
			 const struct tt_go_rtype *st, uint64_t *n, struct tt_error *err)
{
	uint64_t arr, prev = 0;
	int ret;

	ret = struct_fields(im, md, st, &arr, n, err);
	for (uint64_t i = 0; !ret && i < *n; i++) {
		struct tt_go_member f;

		ret = tt_go_struct_field(im, md, st, i, &f, err);
		/* The compiler lays fields out in declaration order. */
		if (!ret && f.offset < prev)
			ret = tt_error_set(err, EINVAL,
					   "corrupted: fields of the struct at 0x%llx out of order",
					   (unsigned long long)st->addr);
		prev = f.offset;
	}
	return ret;
}

int tt_go_struct_field(const struct tt_go_image *im, const struct tt_go_module *md,
		       const struct tt_go_rtype *st, uint64_t i, struct tt_go_member *f,
		       struct tt_error *err)
{
	uint64_t arr, n, name, off;
	struct tt_go_rtype ft;
	uint8_t flags;
	int ret;

	ret = struct_fields(im, md, st, &arr, &n, err);
	if (ret)
		return ret;
	if (i >= n || !tt_go_image_word(im, arr + 24 * i, &name) ||
	    !tt_go_image_word(im, arr + 24 * i + 8, &f->type) ||
	    !tt_go_image_word(im, arr + 24 * i + 16, &off))
		return tt_error_set(err, EINVAL, "corrupted: field %llu of the struct at 0x%llx",
				    (unsigned long long)i, (unsigned long long)st->addr);
	ret = read_name(im, md, name, &flags, &f->name, err);
	if (ret)
		return ret;
	if (md->fmt == TT_GO_TYPEFMT_119) {
		f->offset = off;
		f->embedded = flags & NAME_EMBEDDED;
	} else {
		f->offset = off >> 1;
		f->embedded = off & 1;
	}
	ret = tt_go_rtype_read(im, md, f->type, &ft, err);
	if (ret)
		return ret;
	if (f->offset > st->size || ft.size > st->size - f->offset)
		return tt_error_set(err, EINVAL,
				    "corrupted: field %.*s (offset %llu, size %llu) outside its struct (%llu bytes)",
				    (int)f->name.len, f->name.p, (unsigned long long)f->offset,
				    (unsigned long long)ft.size, (unsigned long long)st->size);
	return 0;
}

/* --- finding the structs of tt_go_fields[] ----------------------------------- */

struct want {
	const char *type;  /* "internal/poll.FD" */
	char pkg[64];      /* "internal/poll" */
	char str[64];      /* "poll.FD": what the type string says */
	uint64_t addr;     /* the struct's descriptor, 0 until found */
	bool ambiguous;    /* two different descriptors match */
	char why[96];      /* a pointer named like it leads to a corrupted descriptor */
};

struct finder {
	const struct tt_go_image *im;
	const struct tt_go_module *md;
	struct want want[TT_F_COUNT + 1];
	size_t n_want;
	struct tt_error *err;
};

static int want_init(struct want *w, const char *type)
{
	const char *dot = strrchr(type, '.');
	const char *slash = strrchr(type, '/');
	const char *last = slash ? slash + 1 : type;

	memset(w, 0, sizeof(*w));
	w->type = type;
	if (!dot || dot < last || (size_t)(dot - type) >= sizeof(w->pkg))
		return -EINVAL;
	memcpy(w->pkg, type, dot - type);
	w->pkg[dot - type] = '\0';
	if (snprintf(w->str, sizeof(w->str), "%s", last) >= (int)sizeof(w->str))
		return -EINVAL;
	return 0;
}

/*
 * Is the descriptor at addr the named struct w?  1 yes, 0 no (another
 * type, or another package's type of the same name), negative errno with
 * err set when it cannot be read.
 */
static int is_wanted(struct finder *fd, const struct want *w, uint64_t addr,
		     struct tt_error *err)
{
	struct tt_go_rtype t;
	struct tt_go_str s;
	int ret;

	ret = tt_go_rtype_read(fd->im, fd->md, addr, &t, err);
	if (!ret)
		ret = tt_go_type_string(fd->im, fd->md, &t, &s, err);
	if (ret)
		return ret;
	if (t.kind != TT_GO_KIND_STRUCT || !(t.tflag & TFLAG_NAMED) || !str_eq(&s, w->str))
		return 0;
	ret = type_pkgpath(fd->im, fd->md, &t, &s, err);
	if (ret)
		return ret;
	return str_eq(&s, w->pkg);
}

static void found(struct want *w, uint64_t addr)
{
	if (!w->addr)
		w->addr = addr;
	else if (w->addr != addr)
		w->ambiguous = true;
}

/* A type linked by the module: a pointer to one of the wanted structs? */
static int visit_link(uint64_t addr, void *ctx)
{
	struct finder *fd = ctx;
	struct tt_go_rtype t;
	struct tt_go_str s;
	uint64_t elem;

	if (tt_go_rtype_read(fd->im, fd->md, addr, &t, fd->err))
		return -EINVAL; /* a link to garbage: the walk is lost */
	if (t.kind != TT_GO_KIND_PTR || tt_go_type_string(fd->im, fd->md, &t, &s, NULL) ||
	    s.len < 2 || s.p[0] != '*')
		return 0;
	for (size_t i = 0; i < fd->n_want; i++) {
		struct want *w = &fd->want[i];
		struct tt_error err = { "corrupted: pointer type's element outside its section" };
		int ret = -EINVAL;

		if (s.len - 1 != strlen(w->str) || memcmp(s.p + 1, w->str, s.len - 1))
			continue;
		if (tt_go_image_word(fd->im, addr + 48, &elem))
			ret = is_wanted(fd, w, elem, &err);
		if (ret > 0)
			found(w, elem);
		else if (ret < 0 && !w->why[0])
			snprintf(w->why, sizeof(w->why), "*%s: %.80s", w->str, err.msg);
	}
	return 0;
}

/* The struct a field's type names, through one pointer. */
static uint64_t field_struct(struct finder *fd, uint64_t type)
{
	struct tt_go_rtype t;
	uint64_t elem;

	if (tt_go_rtype_read(fd->im, fd->md, type, &t, NULL))
		return 0;
	if (t.kind == TT_GO_KIND_PTR)
		return tt_go_image_word(fd->im, type + 48, &elem) ? elem : 0;
	return type;
}

/* Wanted structs not linked directly: look among the fields of those
 * found (net.TCPConn.conn is a net.conn, net.conn.fd a *net.netFD). */
static bool through_fields(struct finder *fd, const struct want *from)
{
	struct tt_go_rtype st;
	struct tt_go_member f;
	uint64_t n;
	bool progress = false;

	if (tt_go_rtype_read(fd->im, fd->md, from->addr, &st, NULL) ||
	    tt_go_struct_nfields(fd->im, fd->md, &st, &n, NULL))
		return false;
	for (uint64_t i = 0; i < n; i++) {
		uint64_t s;

		if (tt_go_struct_field(fd->im, fd->md, &st, i, &f, NULL))
			continue;
		s = field_struct(fd, f.type);
		for (size_t k = 0; s && k < fd->n_want; k++) {
			if (fd->want[k].addr || is_wanted(fd, &fd->want[k], s, NULL) <= 0)
				continue;
			found(&fd->want[k], s);
			progress = true;
		}
	}
	return progress;
}

static void close_over_fields(struct finder *fd)
{
	bool progress = true;

	while (progress) {
		progress = false;
		for (size_t i = 0; i < fd->n_want; i++) {
			if (fd->want[i].addr && through_fields(fd, &fd->want[i]))
				progress = true;
		}
	}
}

/* --- the *net.TCPConn,net.Conn itab ------------------------------------------- */

struct itab_search {
	struct finder *fd;
	struct want tcpconn; /* net.TCPConn */
	uint64_t found;
	bool ambiguous;
};

static bool named(struct finder *fd, uint64_t addr, uint8_t kind, const char *str,
		  const char *pkg)
{
	struct tt_go_rtype t;
	struct tt_go_str s;

	if (tt_go_rtype_read(fd->im, fd->md, addr, &t, NULL) || t.kind != kind ||
	    tt_go_type_string(fd->im, fd->md, &t, &s, NULL) || !str_eq(&s, str))
		return false;
	if (kind == TT_GO_KIND_INTERFACE) {
		/* InterfaceType.PkgPath is a Name, at 48. */
		uint64_t name;
		uint8_t flags;

		return tt_go_image_word(fd->im, addr + 48, &name) &&
		       !read_name(fd->im, fd->md, name, &flags, &s, NULL) && str_eq(&s, pkg);
	}
	return true;
}

static int visit_itab(uint64_t itab, void *ctx)
{
	struct itab_search *is = ctx;
	struct finder *fd = is->fd;
	uint64_t inter, type, elem;

	if (!tt_go_image_word(fd->im, itab, &inter) || !tt_go_image_word(fd->im, itab + 8, &type))
		return 0;
	if (!named(fd, inter, TT_GO_KIND_INTERFACE, "net.Conn", "net") ||
	    !named(fd, type, TT_GO_KIND_PTR, "*net.TCPConn", "net") ||
	    !tt_go_image_word(fd->im, type + 48, &elem))
		return 0;
	/* The element's package path proves it is net's TCPConn. */
	if (is_wanted(fd, &is->tcpconn, elem, NULL) <= 0)
		return 0;
	if (is->found && is->found != itab)
		is->ambiguous = true;
	is->found = itab;
	return 0;
}

/* --- offsets ---------------------------------------------------------------- */

static void field_offset(struct finder *fd, enum tt_go_field f, struct tt_go_types_result *res)
{
	const struct tt_go_field_desc *d = &tt_go_fields[f];
	const struct want *w = NULL;
	struct tt_error err = { "" };
	struct tt_go_rtype st;
	struct tt_go_member fl;
	uint64_t n;

	for (size_t i = 0; i < fd->n_want; i++)
		if (!strcmp(fd->want[i].type, d->type))
			w = &fd->want[i];
	if (w && !w->addr && w->why[0]) {
		snprintf(res->why[f], sizeof(res->why[f]), "%s", w->why);
		return;
	}
	if (!w || !w->addr) {
		snprintf(res->why[f], sizeof(res->why[f]), "no type descriptor of %s", d->type);
		return;
	}
	if (w->ambiguous) {
		snprintf(res->why[f], sizeof(res->why[f]), "two type descriptors of %s", d->type);
		return;
	}
	if (tt_go_rtype_read(fd->im, fd->md, w->addr, &st, &err) ||
	    tt_go_struct_nfields(fd->im, fd->md, &st, &n, &err)) {
		snprintf(res->why[f], sizeof(res->why[f]), "%s: %.100s", d->type, err.msg);
		return;
	}
	for (uint64_t i = 0; i < n; i++) {
		if (tt_go_struct_field(fd->im, fd->md, &st, i, &fl, &err)) {
			snprintf(res->why[f], sizeof(res->why[f]), "%s: %.100s", d->type, err.msg);
			return;
		}
		if (!str_eq(&fl.name, d->member))
			continue;
		res->fields[f] = fl.offset;
		return;
	}
	snprintf(res->why[f], sizeof(res->why[f]), "%s has no field %s", d->type, d->member);
}

/* The structs of tt_go_fields[], plus extra when not NULL. */
static int find_structs(struct finder *fd, const char *extra)
{
	const char *types[TT_F_COUNT + 1];
	int ret;

	fd->n_want = tt_go_field_types(types);
	if (extra) {
		size_t i;

		for (i = 0; i < fd->n_want && strcmp(types[i], extra); i++)
			;
		if (i == fd->n_want)
			types[fd->n_want++] = extra;
	}
	for (size_t i = 0; i < fd->n_want; i++) {
		if (want_init(&fd->want[i], types[i]))
			return tt_error_set(fd->err, EINVAL, "bad type name %s", types[i]);
	}
	ret = tt_go_module_types(fd->im, fd->md, visit_link, fd, fd->err);
	if (ret)
		return ret;
	close_over_fields(fd);
	return 0;
}

static int find_itab(struct finder *fd, uint64_t *itab)
{
	struct itab_search is = { .fd = fd };
	int ret;

	want_init(&is.tcpconn, "net.TCPConn");
	ret = tt_go_module_itabs(fd->im, fd->md, visit_itab, &is, fd->err);
	if (ret)
		return ret;
	*itab = is.ambiguous ? 0 : is.found;
	return 0;
}

int tt_go_find_struct(const struct tt_go_image *im, const struct tt_go_module *md,
		      const char *type, uint64_t *addr, struct tt_error *err)
{
	struct finder fd = { .im = im, .md = md, .err = err };
	int ret;

	ret = find_structs(&fd, type);
	if (ret)
		return ret;
	for (size_t i = 0; i < fd.n_want; i++) {
		if (strcmp(fd.want[i].type, type) || !fd.want[i].addr)
			continue;
		*addr = fd.want[i].addr;
		return 0;
	}
	return tt_error_set(err, ENOENT, "no type descriptor of %s", type);
}

int tt_go_types_fields(const struct tt_go_image *im, const struct tt_go_module *md,
		       struct tt_go_types_result *res, struct tt_error *err)
{
	struct finder fd = { .im = im, .md = md, .err = err };
	int ret;

	for (int f = 0; f < TT_F_COUNT; f++) {
		res->fields[f] = TT_FIELD_UNKNOWN;
		res->why[f][0] = '\0';
	}
	res->itab_tcpconn = 0;
	ret = find_structs(&fd, NULL);
	if (!ret)
		ret = find_itab(&fd, &res->itab_tcpconn);
	if (ret)
		return ret;
	for (int f = 0; f < TT_F_COUNT; f++)
		field_offset(&fd, f, res);
	return 0;
}

static void describe(const struct tt_go_module *md, char *buf, size_t len)
{
	snprintf(buf, len, "moduledata at 0x%llx, %s layout%s", (unsigned long long)md->addr,
		 md->layout, md->layout_guessed ? " (by validation)" : "");
}

int tt_go_layout_from_types(const struct tt_elf *elf, int major, int minor,
			    struct tt_go_types_result *res, struct tt_error *err)
{
	struct tt_error e = { "" };
	struct tt_go_module md;
	struct tt_go_image im;
	struct tt_pclntab pt;
	int ret;

	memset(res, 0, sizeof(*res));
	for (int f = 0; f < TT_F_COUNT; f++)
		res->fields[f] = TT_FIELD_UNKNOWN;
	ret = tt_pclntab_open(elf, &pt, &e);
	if (ret)
		goto out_status;
	ret = tt_go_image_init(&im, elf, &e);
	if (ret)
		goto out_status;
	ret = tt_go_module_find(&im, &pt, major, minor, &md, &e);
	if (!ret)
		ret = tt_go_types_fields(&im, &md, res, &e);
	if (!ret)
		describe(&md, res->status, sizeof(res->status));
	tt_go_image_free(&im);
out_status:
	if (!ret)
		return 0;
	snprintf(res->status, sizeof(res->status), "%.120s", e.msg);
	return tt_error_set(err, -ret, "%s", e.msg);
}
