// SPDX-License-Identifier: MIT
/*
 * Struct layouts from the binaries' own runtime type descriptors, for every
 * Go version and variant of the manifest, with the layout table disabled,
 * against the reflect oracle (layoutoracle); the moduledata found without
 * symbols against the linker's runtime.firstmoduledata; Debian's caddy and
 * rclone (stripped, built by others) against the table; corrupted
 * descriptors: a clear error for the fields they hold, never a wrong offset;
 * g's TLS slot against how runtime.mcall stores g (<bin>.tlsg, objdump).
 */
#include "gotest.h"

#include <unistd.h>

#include "elf.h"
#include "go.h"
#include "golayout.h"
#include "gotype.h"


static struct tt_resolution *resolve_opts(const char *path, bool no_table)
{
	struct tt_resolve_opts opts = { .no_layout_table = no_table };
	struct tt_error err = { "" };
	struct tt_resolution *r = NULL;

	if (tt_resolve_path(path, &opts, &r, &err))
		fail_msg("%s: %s", path, err.msg);
	return r;
}

/*
 * The table disabled: every binary, every variant, every version gets every
 * field, goid included, from its DWARF or (stripped) its type descriptors,
 * and the type descriptors alone say what reflect says.
 */
static void test_types_without_table(void **state)
{
	int64_t want[TT_F_COUNT], types[TT_F_COUNT];
	size_t checked = 0, stripped = 0;

	(void)state;
	for (size_t i = 0; i < tt_go_n_bins; i++) {
		const struct tt_go_bin *b = &tt_go_bins[i];
		struct tt_resolution *r = resolve_opts(b->path, true);
		bool s = !strcmp(b->variant, "stripped");

		tt_go_read_oracle(b->minor, want, NULL);
		tt_go_assert_fields(b->path, r->fields, want);
		assert_true(tt_go_fields_complete(r, NULL));
		assert_string_equal(r->go.layout_version, "");
		assert_int_equal(r->go.layout_source, s ? TT_LAYOUT_TYPES : TT_LAYOUT_DWARF);
		for (int f = 0; f < TT_F_COUNT; f++) {
			const struct tt_go_field_info *fi = &r->field_info[f];

			assert_false(fi->conflict);
			assert_int_equal(fi->by_source[TT_LAYOUT_TABLE], TT_FIELD_UNKNOWN);
			assert_int_equal(fi->by_source[TT_LAYOUT_DWARF], s ? TT_FIELD_UNKNOWN : want[f]);
			types[f] = fi->by_source[TT_LAYOUT_TYPES];
		}
		tt_go_assert_fields(b->path, types, want);
		checked++;
		stripped += s;
		tt_resolution_free(r);
	}
	/* 7 versions x (2 programs x 5 variants + 4 others) */
	assert_true(checked >= 7 * 14);
	assert_true(stripped >= 7 * 2);
	printf("  type descriptors == reflect for %zu binaries (%zu stripped)\n", checked,
	       stripped);
}

/* The itab reflect's conversion uses, in every version (go1.27's linker
 * names none: only the type descriptors find it there). */
static void test_itab_oracle(void **state)
{
	struct tt_go_types_result res;
	struct tt_error err = { "" };
	int64_t fields[TT_F_COUNT];
	uint64_t itab;
	size_t checked = 0;

	(void)state;
	for (size_t i = 0; i < tt_go_n_bins; i++) {
		const struct tt_go_bin *b = &tt_go_bins[i];
		struct tt_resolution *r;
		struct tt_elf *elf;

		if (strcmp(b->prog, "layoutoracle"))
			continue;
		tt_go_read_oracle(b->minor, fields, &itab);
		r = resolve_opts(b->path, false);
		assert_true(r->go.has_itab_tcpconn);
		assert_int_equal(r->go.itab_tcpconn, itab);
		assert_int_equal(r->go.itab_from_types, !strcmp(b->minor, "1.27"));
		assert_int_equal(tt_elf_open(b->path, &elf, &err), 0);
		assert_int_equal(tt_go_layout_from_types(elf, r->go.major, r->go.minor, &res, &err),
				 0);
		assert_int_equal(res.itab_tcpconn, itab);
		tt_elf_close(elf);
		tt_resolution_free(r);
		checked++;
	}
	assert_true(checked >= 7);
}

struct module_pair {
	struct tt_go_image im;
	struct tt_pclntab pt;
	struct tt_elf *elf;
};

static void open_module(const char *path, struct module_pair *m)
{
	struct tt_error err = { "" };

	if (tt_elf_open(path, &m->elf, &err) || tt_pclntab_open(m->elf, &m->pt, &err) ||
	    tt_go_image_init(&m->im, m->elf, &err))
		fail_msg("%s: %s", path, err.msg);
}

static void close_module(struct module_pair *m)
{
	tt_go_image_free(&m->im);
	tt_elf_close(m->elf);
}

/* Without symbols the moduledata is the structure that points at the
 * pclntab: the search finds the linker's runtime.firstmoduledata. */
static void test_moduledata_search(void **state)
{
	struct tt_error err = { "" };
	size_t checked = 0;

	(void)state;
	for (size_t i = 0; i < tt_go_n_bins; i++) {
		const struct tt_go_bin *b = &tt_go_bins[i];
		struct tt_go_module sym, scan;
		struct module_pair m;
		uint64_t addr, size;
		char nm[600];
		int major, minor;

		if (!strcmp(b->variant, "stripped"))
			continue;
		snprintf(nm, sizeof(nm), "%s.nm", b->path);
		assert_int_equal(tt_go_nm_lookup(nm, "runtime.firstmoduledata", &addr, &size), 0);
		assert_int_equal(sscanf(b->minor, "%d.%d", &major, &minor), 2);
		open_module(b->path, &m);
		if (tt_go_module_find(&m.im, &m.pt, major, minor, &sym, &err) ||
		    tt_go_module_scan(&m.im, &m.pt, major, minor, &scan, &err))
			fail_msg("%s: %s", b->path, err.msg);
		assert_int_equal(sym.addr, addr);
		assert_int_equal(scan.addr, addr);
		assert_string_equal(scan.layout, sym.layout);
		assert_false(scan.layout_guessed);
		assert_int_equal(scan.types, sym.types);
		assert_int_equal(scan.etypes, sym.etypes);
		assert_int_equal(scan.n_typelinks, sym.n_typelinks);
		assert_int_equal(scan.sequential, !strcmp(b->minor, "1.27"));
		close_module(&m);
		checked++;
	}
	assert_true(checked >= 7 * 10);
}

/*
 * A version with no known moduledata layout (go1.25, go1.28...) takes the
 * layout that validates, and says so; the layouts of the versions around it
 * are not confused with one another.
 */
static void test_moduledata_unknown_version(void **state)
{
	static const char *const minors[] = { "1.24", "1.26", "1.27" };
	static const char *const layouts[] = { "go1.20-1.24", "go1.26", "go1.27" };
	struct tt_error err = { "" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(minors); i++) {
		const struct tt_go_bin *b = tt_go_find_bin(tt_go_bins, tt_go_n_bins, minors[i], "tlsclient",
							   "stripped");
		struct tt_go_module md;
		struct module_pair m;

		open_module(b->path, &m);
		for (int minor = 25; minor <= 28; minor += 3) {
			assert_int_equal(tt_go_module_find(&m.im, &m.pt, 1, minor, &md, &err), 0);
			assert_string_equal(md.layout, layouts[i]);
			assert_true(md.layout_guessed);
		}
		/* A known version whose layout does not validate is an error. */
		assert_int_equal(tt_go_module_find(&m.im, &m.pt, 1, i == 0 ? 26 : 22, &md, &err),
				 -ENOENT);
		assert_non_null(strstr(err.msg, "no moduledata"));
		close_module(&m);
	}
}

/*
 * Debian's stripped caddy and rclone (Go 1.19, cgo, external linking): the
 * type descriptors agree with the table on every field.  Install them with
 * apt (caddy is in make deps; rclone must be installed by hand for now).
 */
static void test_debian_binaries(void **state)
{
	static const char *const paths[] = { "/usr/bin/caddy", "/usr/bin/rclone" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		struct tt_resolution *r, *t;

		if (access(paths[i], R_OK))
			fail_msg("%s missing: apt-get install %s", paths[i], paths[i] + 9);
		r = resolve_opts(paths[i], false);
		t = resolve_opts(paths[i], true);
		assert_false(r->go.has_dwarf);
		for (int f = 0; f < TT_F_COUNT; f++) {
			const struct tt_go_field_info *fi = &r->field_info[f];

			assert_int_equal(fi->source, TT_LAYOUT_TYPES);
			assert_false(fi->conflict);
			assert_true(fi->by_source[TT_LAYOUT_TABLE] != TT_FIELD_UNKNOWN);
			assert_int_equal(fi->by_source[TT_LAYOUT_TYPES], fi->by_source[TT_LAYOUT_TABLE]);
		}
		assert_memory_equal(t->fields, r->fields, sizeof(r->fields));
		assert_true(tt_go_fields_complete(t, NULL));
		assert_true(r->go.has_itab_tcpconn);
		printf("  %s: %s, %s\n", paths[i], r->go.version, r->go.types_status);
		tt_resolution_free(r);
		tt_resolution_free(t);
	}
}

/*
 * g's TLS slot, from <bin>.tlsg (go tool objdump of runtime.mcall): the
 * runtime stores g with "MOVQ R14, FS:0xfffffff8", or in a PIE with
 * "MOVQ $-0x8, CX" then "MOVQ R14, FS:0(CX)" (the linker's relaxed TLS
 * access).  -1 when no such store is found.
 */
static int64_t objdump_tls_g(const char *path)
{
	char line[2048], *p;
	int64_t imm = 0;
	bool have_imm = false;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if ((p = strstr(line, "MOVQ $-0x"))) {
			imm = -(int64_t)strtoull(p + 9, NULL, 16);
			have_imm = true;
		} else if (strstr(line, "FS:0(CX)") && have_imm) {
			fclose(f);
			return imm;
		} else if ((p = strstr(line, "FS:0x"))) {
			fclose(f);
			return (int32_t)strtoul(p + 5, NULL, 16);
		}
	}
	fclose(f);
	return -1;
}

/* Every binary; those with runtime.tlsg (external linking: cgossl) take
 * the symbol's path, the others Go's 8-byte PT_TLS or no PT_TLS at all. */
static void test_tls_g_oracle(void **state)
{
	size_t checked = 0, by_symbol = 0;

	(void)state;
	for (size_t i = 0; i < tt_go_n_bins; i++) {
		const struct tt_go_bin *e = &tt_go_bins[i];
		struct tt_resolution *r = resolve_opts(e->path, false);
		uint64_t addr, size;
		char path[600];
		int64_t want;

		if (!strcmp(e->arch, "arm64")) {
			assert_false(r->go.has_tls_g);
			tt_resolution_free(r);
			continue;
		}
		snprintf(path, sizeof(path), "%s.tlsg", e->path);
		want = objdump_tls_g(path);
		if (want == -1)
			fail_msg("%s: no store of g through FS", path);
		assert_true(r->go.has_tls_g);
		assert_int_equal(r->go.tls_g_offset, want);
		snprintf(path, sizeof(path), "%s.nm", e->path);
		by_symbol += !tt_go_nm_lookup(path, "runtime.tlsg", &addr, &size) &&
			     strcmp(e->variant, "stripped");
		checked++;
		tt_resolution_free(r);
	}
	assert_true(checked >= 7 * 10);
	assert_true(by_symbol >= 7);
}

/* --- corrupted descriptors ------------------------------------------------ */

/* A stripped binary in memory, bytes changed in place between runs (the ELF
 * handle reads the buffer itself). */
struct victim {
	uint8_t *buf;
	size_t len;
	struct tt_elf *elf;
	int major, minor;
	int64_t oracle[TT_F_COUNT];
};

static void victim_open(struct victim *v, const char *minor)
{
	const struct tt_go_bin *b = tt_go_find_bin(tt_go_bins, tt_go_n_bins, minor, "tlsclient", "stripped");
	struct tt_error err = { "" };

	v->buf = tt_test_slurp(b->path, &v->len);
	assert_int_equal(tt_elf_open_mem(v->buf, v->len, &v->elf, &err), 0);
	assert_int_equal(sscanf(minor, "%d.%d", &v->major, &v->minor), 2);
	tt_go_read_oracle(minor, v->oracle, NULL);
}

static void victim_close(struct victim *v)
{
	tt_elf_close(v->elf);
	free(v->buf);
}

static uint8_t *at(struct victim *v, uint64_t va)
{
	uint64_t off;

	assert_int_equal(tt_elf_vaddr_to_offset(v->elf, va, &off), 0);
	return v->buf + off;
}

static uint64_t get64(struct victim *v, uint64_t va)
{
	uint64_t w;

	memcpy(&w, at(v, va), 8);
	return w;
}

static void put64(struct victim *v, uint64_t va, uint64_t w)
{
	memcpy(at(v, va), &w, 8);
}

/* The descriptor of a struct, and the address of its field entry member
 * (none when member is NULL). */
static void locate(struct victim *v, const char *type, const char *member, uint64_t *st,
		   uint64_t *entry)
{
	struct tt_error err = { "" };
	struct tt_go_module md;
	struct tt_go_image im;
	struct tt_go_rtype rt;
	struct tt_pclntab pt;
	uint64_t n;

	if (tt_pclntab_open(v->elf, &pt, &err) || tt_go_image_init(&im, v->elf, &err) ||
	    tt_go_module_find(&im, &pt, v->major, v->minor, &md, &err) ||
	    tt_go_find_struct(&im, &md, type, st, &err) ||
	    tt_go_rtype_read(&im, &md, *st, &rt, &err) ||
	    tt_go_struct_nfields(&im, &md, &rt, &n, &err))
		fail_msg("%s: %s", type, err.msg);
	*entry = 0;
	for (uint64_t i = 0; member && i < n && !*entry; i++) {
		struct tt_go_member f;

		assert_int_equal(tt_go_struct_field(&im, &md, &rt, i, &f, &err), 0);
		if (f.name.len == strlen(member) && !memcmp(f.name.p, member, f.name.len))
			*entry = get64(v, *st + 56) + 24 * i;
	}
	assert_true(!member || *entry != 0);
	tt_go_image_free(&im);
}

static void types_of(struct victim *v, struct tt_go_types_result *res, int expect)
{
	struct tt_error err = { "" };

	int ret = tt_go_layout_from_types(v->elf, v->major, v->minor, res, &err);

	if (ret != expect)
		fail_msg("go1.%d: %d (%s), expected %d", v->minor, ret, err.msg, expect);
}

/* The whole resolution of the damaged file, table included. */
static struct tt_resolution *resolve_victim(struct victim *v)
{
	struct tt_resolve_opts opts = { 0 };
	struct tt_resolution *r = calloc(1, sizeof(*r));
	struct tt_error err = { "" };

	assert_non_null(r);
	r->arch = tt_elf_arch(v->elf);
	if (tt_go_resolve(v->elf, &opts, r, &err))
		fail_msg("resolve: %s", err.msg);
	return r;
}

/* netFD's fields unknown with a reason; other structs untouched. */
static void assert_netfd_error(const struct tt_go_types_result *res, const int64_t *oracle,
			       const char *why)
{
	static const enum tt_go_field netfd[] = { TT_F_NETFD_PFD, TT_F_NETFD_FAMILY,
						  TT_F_NETFD_LADDR, TT_F_NETFD_RADDR };

	for (size_t i = 0; i < ARRAY_SIZE(netfd); i++) {
		assert_int_equal(res->fields[netfd[i]], TT_FIELD_UNKNOWN);
		if (!strstr(res->why[netfd[i]], why))
			fail_msg("%s: \"%s\" does not say \"%s\"", tt_go_field_name(netfd[i]),
				 res->why[netfd[i]], why);
	}
	assert_int_equal(res->fields[TT_F_TLS_CONN_CONN], oracle[TT_F_TLS_CONN_CONN]);
	assert_int_equal(res->fields[TT_F_TCPADDR_PORT], oracle[TT_F_TCPADDR_PORT]);
}

static void corrupt_fields(struct victim *v)
{
	struct tt_go_types_result res;
	struct tt_resolution *r;
	uint64_t st, laddr, saved;
	uint8_t kind;

	locate(v, "net.netFD", "laddr", &st, &laddr);
	saved = get64(v, laddr + 16);
	assert_int_equal(saved, (uint64_t)v->oracle[TT_F_NETFD_LADDR]);

	/* An offset past the struct: an error, and the table alone gives it. */
	put64(v, laddr + 16, 4096);
	types_of(v, &res, 0);
	assert_netfd_error(&res, v->oracle, "outside its struct");
	r = resolve_victim(v);
	assert_int_equal(r->fields[TT_F_NETFD_LADDR], v->oracle[TT_F_NETFD_LADDR]);
	assert_int_equal(r->field_info[TT_F_NETFD_LADDR].source, TT_LAYOUT_TABLE);
	assert_non_null(strstr(r->field_info[TT_F_NETFD_LADDR].why, "corrupted"));
	tt_resolution_free(r);

	/* A plausible offset (in bounds, in order) cannot be told from a real
	 * one by the decoder: the table disagrees, the field stays unknown. */
	put64(v, laddr + 16, saved + 8);
	types_of(v, &res, 0);
	assert_int_equal(res.fields[TT_F_NETFD_LADDR], saved + 8);
	r = resolve_victim(v);
	assert_int_equal(r->fields[TT_F_NETFD_LADDR], TT_FIELD_UNKNOWN);
	assert_true(r->field_info[TT_F_NETFD_LADDR].conflict);
	assert_int_equal(r->field_info[TT_F_NETFD_LADDR].by_source[TT_LAYOUT_TYPES], saved + 8);
	assert_int_equal(r->field_info[TT_F_NETFD_LADDR].by_source[TT_LAYOUT_TABLE], saved);
	assert_false(tt_go_fields_complete(r, NULL));
	tt_resolution_free(r);
	put64(v, laddr + 16, saved);

	/* Fields out of order. */
	put64(v, laddr + 16, 0);
	types_of(v, &res, 0);
	assert_netfd_error(&res, v->oracle, "out of order");
	put64(v, laddr + 16, saved);

	/* A field name outside the types. */
	saved = get64(v, laddr);
	put64(v, laddr, 0x10);
	types_of(v, &res, 0);
	assert_netfd_error(&res, v->oracle, "name at 0x10 outside the types");
	put64(v, laddr, saved);

	/* A field count no section holds. */
	saved = get64(v, st + 64);
	put64(v, st + 64, 1 << 20);
	types_of(v, &res, 0);
	assert_netfd_error(&res, v->oracle, "corrupted: fields of the struct");
	put64(v, st + 64, saved);

	/* A kind that does not exist: the pointer *net.netFD leads to garbage. */
	kind = *at(v, st + 23);
	*at(v, st + 23) = 31;
	types_of(v, &res, 0);
	assert_netfd_error(&res, v->oracle, "kind 31");
	*at(v, st + 23) = kind;

	types_of(v, &res, 0);
	tt_go_assert_fields("restored", res.fields, v->oracle);
}

/* Damage to the module's tables: one clear error, no field from it. */
static void corrupt_module(struct victim *v)
{
	struct tt_go_types_result res;
	struct tt_error err = { "" };
	struct tt_go_module md;
	struct tt_go_image im;
	struct tt_pclntab pt;
	uint64_t saved, where;

	assert_int_equal(tt_pclntab_open(v->elf, &pt, &err), 0);
	assert_int_equal(tt_go_image_init(&im, v->elf, &err), 0);
	assert_int_equal(tt_go_module_find(&im, &pt, v->major, v->minor, &md, &err), 0);
	tt_go_image_free(&im);

	/* The first linked type: a typelink out of range (<= 1.26), or a
	 * descriptor the end-to-end walk cannot size (1.27). */
	if (md.sequential) {
		where = md.types + 8 + 23;
		saved = *at(v, where);
		*at(v, where) = 0;
	} else {
		where = md.typelinks;
		memcpy(&saved, at(v, where), 4);
		memcpy(at(v, where), &(uint32_t){ 0x7fffffff }, 4);
	}
	types_of(v, &res, -EINVAL);
	assert_non_null(strstr(res.status, "corrupted"));
	for (int f = 0; f < TT_F_COUNT; f++)
		assert_int_equal(res.fields[f], TT_FIELD_UNKNOWN);
	if (md.sequential)
		*at(v, where) = saved;
	else
		memcpy(at(v, where), &saved, 4);

	/* The moduledata's text start (176 in every layout): no moduledata
	 * validates. */
	saved = get64(v, md.addr + 176);
	put64(v, md.addr + 176, 0x10);
	types_of(v, &res, -ENOENT);
	assert_non_null(strstr(res.status, "no moduledata"));
	put64(v, md.addr + 176, saved);
}

static void test_corrupted_descriptors(void **state)
{
	static const char *const minors[] = { "1.19", "1.22", "1.27" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(minors); i++) {
		struct victim v;

		victim_open(&v, minors[i]);
		corrupt_fields(&v);
		corrupt_module(&v);
		victim_close(&v);
	}
}

/*
 * Go 1.17 and 1.18 stored a field's offset as offset<<1 | embedded: rewrite
 * a 1.19 binary's structs that way (1.18 has the same moduledata and names)
 * and read it as 1.18.  No 1.16-1.18 toolchain is in Debian 12 or reachable
 * here; test_goformats builds the 1.16 names.
 */
static void test_offset_embed_format(void **state)
{
	const char *types[TT_F_COUNT];
	struct tt_go_types_result res;
	size_t n = tt_go_field_types(types);
	struct victim v;

	(void)state;
	victim_open(&v, "1.19");
	for (size_t t = 0; t < n; t++) {
		uint64_t st, entry, arr, count;

		locate(&v, types[t], NULL, &st, &entry);
		arr = get64(&v, st + 56);
		count = get64(&v, st + 64);
		for (uint64_t i = 0; i < count; i++) {
			uint64_t name = get64(&v, arr + 24 * i);
			uint64_t off = get64(&v, arr + 24 * i + 16);
			bool embedded = *at(&v, name) & (1 << 3);

			*at(&v, name) &= ~(1 << 3);
			put64(&v, arr + 24 * i + 16, off << 1 | embedded);
		}
	}
	v.minor = 18;
	types_of(&v, &res, 0);
	tt_go_assert_fields("go1.18 offsets", res.fields, v.oracle);
	/* Read as 1.19, the doubled offsets overflow their structs. */
	v.minor = 19;
	types_of(&v, &res, 0);
	assert_int_equal(res.fields[TT_F_TCPADDR_PORT], TT_FIELD_UNKNOWN);
	victim_close(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_types_without_table),
		cmocka_unit_test(test_itab_oracle),
		cmocka_unit_test(test_moduledata_search),
		cmocka_unit_test(test_moduledata_unknown_version),
		cmocka_unit_test(test_debian_binaries),
		cmocka_unit_test(test_corrupted_descriptors),
		cmocka_unit_test(test_offset_embed_format),
		cmocka_unit_test(test_tls_g_oracle),
	};

	return cmocka_run_group_tests_name("gotypes", tests, tt_go_setup, NULL);
}
