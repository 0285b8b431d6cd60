// SPDX-License-Identifier: MIT
/*
 * Go metadata formats that no toolchain installed here produces (the
 * pre-1.18 pointer build info, the go1.16 pclntab, the go1.16-1.18 type
 * names and struct fields) and corner cases (a pclntab found only by
 * scanning, duplicate names, corruption, TLS layouts other than Go's own
 * 8-byte slot), on small synthetic ELF files built in memory.  Layouts
 * follow src/debug/buildinfo/buildinfo.go, src/debug/gosym/pclntab.go and
 * the runtime's type.go of each version.
 */
#include "testutil.h"

#include "../elfhdr.h"

#include <elf.h>
#include <errno.h>

#include "elf.h"
#include "goint.h"
#include "golayout.h"
#include "gotype.h"

#define BASE 0x400000ULL
#define MAXSEC 6
#define MAXPH 4

struct sec {
	const char *name;
	const void *data;
	size_t size;
	uint64_t addr;    /* filled by build() */
	uint32_t type;    /* SHT_PROGBITS when 0 */
	uint32_t link;    /* ELF index: secs[i] is section i + 1 */
	uint64_t entsize;
};

/* ehdr | phdrs | sections (16-aligned) | shstrtab | shdrs; one PT_LOAD maps
 * the whole file at BASE, so vaddr = BASE + file offset; the program headers
 * of ph follow it. */
static uint8_t *build_ph(struct sec *secs, size_t n, const Elf64_Phdr *extra, size_t n_extra,
			 size_t *len)
{
	static uint8_t buf[1 << 16];
	Elf64_Ehdr eh;
	Elf64_Phdr ph[1 + MAXPH] = { { 0 } };
	Elf64_Shdr sh[MAXSEC + 2] = { { 0 } };
	size_t off = 64 + sizeof(ph), stroff, shoff, strsz = 1;
	char strtab[256] = "";

	assert_true(n <= MAXSEC && n_extra <= MAXPH);
	memset(buf, 0, sizeof(buf));
	for (size_t i = 0; i < n; i++) {
		sh[i + 1].sh_name = strsz;
		strcpy(strtab + strsz, secs[i].name);
		strsz += strlen(secs[i].name) + 1;
		sh[i + 1].sh_type = secs[i].type ? secs[i].type : SHT_PROGBITS;
		sh[i + 1].sh_link = secs[i].link;
		sh[i + 1].sh_entsize = secs[i].entsize;
		sh[i + 1].sh_flags = SHF_ALLOC | SHF_WRITE;
		sh[i + 1].sh_offset = off;
		sh[i + 1].sh_addr = secs[i].addr = BASE + off;
		sh[i + 1].sh_size = secs[i].size;
		if (secs[i].data)
			memcpy(buf + off, secs[i].data, secs[i].size);
		off = (off + secs[i].size + 15) & ~15UL;
	}
	sh[n + 1].sh_name = strsz;
	strcpy(strtab + strsz, ".shstrtab");
	strsz += sizeof(".shstrtab");
	sh[n + 1].sh_type = SHT_STRTAB;
	stroff = off;
	sh[n + 1].sh_offset = stroff;
	sh[n + 1].sh_size = strsz;
	memcpy(buf + stroff, strtab, strsz);
	shoff = (stroff + strsz + 7) & ~7UL;

	tt_test_ehdr(&eh, EM_X86_64);
	eh.e_phoff = sizeof(eh);
	eh.e_shoff = shoff;
	eh.e_phnum = 1 + n_extra;
	eh.e_shnum = n + 2;
	eh.e_shstrndx = n + 1;
	*len = shoff + (n + 2) * sizeof(Elf64_Shdr);
	ph[0].p_type = PT_LOAD;
	ph[0].p_vaddr = BASE;
	ph[0].p_filesz = ph[0].p_memsz = *len;
	memcpy(ph + 1, extra, n_extra * sizeof(*extra));
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), ph, sizeof(ph));
	memcpy(buf + shoff, sh, (n + 2) * sizeof(Elf64_Shdr));
	assert_true(*len <= sizeof(buf));
	return buf;
}

static uint8_t *build(struct sec *secs, size_t n, size_t *len)
{
	return build_ph(secs, n, NULL, 0, len);
}

static struct tt_elf *open_secs(struct sec *secs, size_t n)
{
	struct tt_error err = { { 0 } };
	struct tt_elf *e = NULL;
	size_t len;
	uint8_t *p;

	p = build(secs, n, &len);
	if (tt_elf_open_mem(p, len, &e, &err))
		fprintf(stderr, "%s\n", err.msg);
	assert_non_null(e);
	return e;
}

static const char modinfo[] =
	"0w\xaf\x0c\x92t\x08\x02" "A\xe1\xc1\x07\xe6\xd6\x18\xe6"
	"path\texample.com/old/cmd\nmod\texample.com/old\t(devel)\t\n"
	"build\tCGO_ENABLED=1\n"
	"\xf9" "2C1\x86\x18 r\x00\x82" "B\x10" "A\x16\xd8\xf2";

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

/* go1.17 and older: pointers to string headers. */
static void test_buildinfo_pointer_format(void **state)
{
	static const char vers[] = "go1.16.15";
	uint8_t bi[32] = "\xff Go buildinf:", hdrs[32], strs[256];
	struct sec s[3] = { { ".go.buildinfo", bi, 32 }, { ".data", hdrs, 32 },
			    { ".rodata", strs, sizeof(strs) } };
	struct tt_error err = { { 0 } };
	struct tt_buildinfo info;
	struct tt_elf *e;
	size_t len;

	(void)state;
	memcpy(strs, vers, sizeof(vers) - 1);
	memcpy(strs + 16, modinfo, sizeof(modinfo) - 1);
	bi[14] = 8;
	bi[15] = 0;
	/* Lay out once to learn the addresses the pointers refer to. */
	build(s, 3, &len);
	put64(bi + 16, s[1].addr);
	put64(bi + 24, s[1].addr + 16);
	put64(hdrs, s[2].addr);
	put64(hdrs + 8, sizeof(vers) - 1);
	put64(hdrs + 16, s[2].addr + 16);
	put64(hdrs + 24, sizeof(modinfo) - 1);
	e = open_secs(s, 3);
	assert_int_equal(tt_go_buildinfo(e, &info, &err), 0);
	assert_string_equal(info.version, "go1.16.15");
	assert_int_equal(info.major, 1);
	assert_int_equal(info.minor, 16);
	assert_int_equal(info.patch, 15);
	assert_string_equal(info.module, "example.com/old");
	assert_int_equal(info.cgo_setting, 1);
	tt_elf_close(e);

	/* A dangling version pointer is an error, not a crash. */
	put64(bi + 16, 0xdead0000);
	e = open_secs(s, 3);
	assert_int_equal(tt_go_buildinfo(e, &info, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "corrupted"));
	tt_elf_close(e);
}

/* go1.18+: inline varint strings. */
static void test_buildinfo_inline_format(void **state)
{
	uint8_t bi[512] = "\xff Go buildinf:";
	struct sec s[1] = { { ".go.buildinfo", bi, sizeof(bi) } };
	struct tt_error err = { { 0 } };
	struct tt_buildinfo info;
	struct tt_elf *e;
	size_t off = 32;

	(void)state;
	bi[14] = 8;
	bi[15] = 2;
	bi[off++] = 8;
	memcpy(bi + off, "go1.20.3", 8);
	off += 8;
	bi[off++] = (sizeof(modinfo) - 1) | 0x80; /* two-byte varint */
	bi[off++] = (sizeof(modinfo) - 1) >> 7;
	memcpy(bi + off, modinfo, sizeof(modinfo) - 1);
	e = open_secs(s, 1);
	assert_int_equal(tt_go_buildinfo(e, &info, &err), 0);
	assert_string_equal(info.version, "go1.20.3");
	assert_string_equal(info.module, "example.com/old");
	tt_elf_close(e);

	/* A length running past the section. */
	bi[32] = 0x7f;
	memset(bi + 33, 'x', sizeof(bi) - 33);
	bi[32] = 0xff;
	bi[33] = 0x7f;
	e = open_secs(s, 1);
	assert_int_equal(tt_go_buildinfo(e, &info, &err), -EINVAL);
	tt_elf_close(e);
}

static const char names[] = "\0crypto/tls.(*Conn).Read\0crypto/tls.(*Conn).Write\0x.f\0";
#define NAME_READ 1
#define NAME_WRITE 25
#define NAME_F 51

/*
 * A pclntab with functions (entry offset from text, name offset):
 * {0x000 f}, {0x100 Read (wrapper)}, {0x120 Write}, {0x400 Read}, end 0x800.
 * go1.16: uintptr entries/funcoffs; 1.18/1.20: uint32 and a textStart.
 */
static size_t make_pclntab(uint8_t *t, uint32_t magic, uint64_t text, size_t *functab)
{
	static const uint32_t ent[] = { 0x000, 0x100, 0x120, 0x400, 0x800 };
	static const int32_t nm[] = { NAME_F, NAME_READ, NAME_WRITE, NAME_READ };
	bool v116 = magic == 0xfffffffa;
	unsigned fsz = v116 ? 8 : 4, nw = v116 ? 7 : 8;
	size_t hdr = 8 + nw * 8, nameoff = hdr, pcln = (nameoff + sizeof(names) + 7) & ~7UL;
	size_t ft = 9 * fsz, funcs = ft;
	uint64_t w[8] = { 4, 0 };

	memset(t, 0, 4096);
	memcpy(t, &magic, 4);
	t[6] = 1;
	t[7] = 8;
	if (!v116)
		w[2] = text;
	w[v116 ? 2 : 3] = nameoff;
	for (unsigned i = v116 ? 3 : 4; i < nw - 1; i++)
		w[i] = pcln; /* cu, file, pc tables: empty, at pcln */
	w[nw - 1] = pcln;
	memcpy(t + 8, w, nw * 8);
	if (functab)
		*functab = pcln;
	memcpy(t + nameoff, names, sizeof(names));
	for (int i = 0; i < 5; i++) {
		uint64_t e = v116 ? text + ent[i] : ent[i], fo = funcs + i * 16;

		memcpy(t + pcln + 2 * i * fsz, &e, fsz);
		if (i < 4) {
			memcpy(t + pcln + (2 * i + 1) * fsz, &fo, fsz);
			memcpy(t + pcln + fo, &e, fsz);
			memcpy(t + pcln + fo + fsz, &nm[i], 4);
		}
	}
	return pcln + funcs + 4 * 16 + 16;
}

static void lookup(struct tt_elf *e, uint64_t *entry, uint64_t *size)
{
	static const char *const want[] = { "crypto/tls.(*Conn).Read", "crypto/tls.(*Conn).Write",
					    "crypto/tls.(*Conn).Close" };
	struct tt_error err = { { 0 } };
	struct tt_pclntab pt;

	assert_int_equal(tt_pclntab_open(e, &pt, &err), 0);
	assert_int_equal(tt_pclntab_lookup(&pt, want, 3, entry, size, &err), 0);
}

static void check_pclntab(uint32_t magic, const char *secname)
{
	static uint8_t t[4096];
	uint64_t text = 0x401000, entry[3], size[3];
	struct sec s[2] = { { ".text", NULL, 16 }, { secname, t, 0 } };
	struct tt_elf *e;

	s[1].size = make_pclntab(t, magic, text, NULL);
	e = open_secs(s, 2);
	lookup(e, entry, size);
	/* Read: the larger of the two copies (not the 0x20-byte wrapper). */
	assert_int_equal(entry[0], text + 0x400);
	assert_int_equal(size[0], 0x400); /* up to the functab's end entry */
	assert_int_equal(entry[1], text + 0x120);
	assert_int_equal(size[1], 0x2e0);
	assert_int_equal(entry[2], 0); /* Close: absent */
	tt_elf_close(e);
}

static void test_pclntab_116(void **state)
{
	(void)state;
	check_pclntab(0xfffffffa, ".gopclntab");
}

static void test_pclntab_118_120(void **state)
{
	(void)state;
	check_pclntab(0xfffffff0, ".gopclntab");
	check_pclntab(0xfffffff1, ".gopclntab");
	/* Not a named section: found by scanning .data.rel.ro for the magic. */
	check_pclntab(0xfffffff1, ".data.rel.ro");
}

static void test_pclntab_corrupt(void **state)
{
	static uint8_t t[4096];
	struct sec s[1] = { { ".gopclntab", t, 0 } };
	struct tt_error err = { { 0 } };
	uint64_t entry[1], size[1];
	const char *name = "crypto/tls.(*Conn).Read";
	struct tt_pclntab pt;
	struct tt_elf *e;
	uint32_t bad = 0x700;
	size_t ft;

	(void)state;
	s[0].size = make_pclntab(t, 0xfffffff1, 0x401000, &ft);
	/* functab entry 2 (uint32 pairs) jumps past entry 3: not sorted. */
	memcpy(t + ft + 2 * 2 * 4, &bad, 4);
	e = open_secs(s, 1);
	assert_int_equal(tt_pclntab_open(e, &pt, &err), 0);
	assert_int_equal(tt_pclntab_lookup(&pt, &name, 1, entry, size, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "pclntab"));
	tt_elf_close(e);

	/* An absurd function count fails the header check. */
	s[0].size = make_pclntab(t, 0xfffffff1, 0x401000, NULL);
	put64(t + 8, 1ULL << 40);
	e = open_secs(s, 1);
	assert_int_equal(tt_pclntab_open(e, &pt, &err), -EINVAL);
	assert_null(strchr(err.msg, '\n'));
	tt_elf_close(e);
}

static void test_parse_version(void **state)
{
	int a, b, c;

	(void)state;
	assert_int_equal(tt_go_parse_version("go1.22.5", &a, &b, &c), 0);
	assert_true(a == 1 && b == 22 && c == 5);
	assert_int_equal(tt_go_parse_version("1.21", &a, &b, &c), 0);
	assert_true(a == 1 && b == 21 && c == 0);
	assert_int_equal(tt_go_parse_version("go1.21rc2", &a, &b, &c), 0);
	assert_true(b == 21);
	assert_int_equal(tt_go_parse_version("devel +abc", &a, &b, &c), -EINVAL);
	assert_int_equal(tt_go_parse_version("go", &a, &b, &c), -EINVAL);
}

/* --- type descriptors: names and struct fields, go1.16 to today ------------- */

/* A Name at p in the given format; returns its size. */
static size_t put_name(uint8_t *p, enum tt_go_typefmt fmt, uint8_t flags, const char *name)
{
	size_t len = strlen(name), hdr;

	p[0] = flags;
	if (fmt == TT_GO_TYPEFMT_116) {
		p[1] = len >> 8;
		p[2] = len & 0xff;
		hdr = 3;
	} else if (len < 0x80) {
		p[1] = len;
		hdr = 2;
	} else {
		p[1] = 0x80 | (len & 0x7f);
		p[2] = len >> 7;
		hdr = 3;
	}
	memcpy(p + hdr, name, len);
	return hdr + len;
}

/*
 * types blob: [8] int (abi.Type), [56] struct x.T {a int (embedded); long
 * name int at 16} with its uncommon type, [152] its two fields, [200]
 * names.  A 130-byte field name needs a 2-byte varint.
 */
#define T_INT 8
#define T_STRUCT 56
#define T_FIELDS 152
#define T_NAMES 200

static size_t make_types(uint8_t *t, uint64_t base, enum tt_go_typefmt fmt, const char *longname)
{
	size_t n = T_NAMES, name_a, name_b, name_int, name_t, name_pkg;

	memset(t, 0, 1024);
	name_int = n, n += put_name(t + n, fmt, 0, "int");
	name_t = n, n += put_name(t + n, fmt, 0, "x.T");
	name_pkg = n, n += put_name(t + n, fmt, 0, "x");
	name_a = n, n += put_name(t + n, fmt, fmt == TT_GO_TYPEFMT_119 ? 1 << 3 : 0, "a");
	name_b = n, n += put_name(t + n, fmt, 1, longname);

	put64(t + T_INT, 8);                 /* Size_ */
	t[T_INT + 23] = 2;                   /* Kind_: int */
	memcpy(t + T_INT + 40, &(uint32_t){ name_int }, 4);
	put64(t + T_STRUCT, 24);
	t[T_STRUCT + 20] = 1 | 4;            /* TFlagUncommon | TFlagNamed */
	t[T_STRUCT + 23] = TT_GO_KIND_STRUCT;
	memcpy(t + T_STRUCT + 40, &(uint32_t){ name_t }, 4);
	put64(t + T_STRUCT + 56, base + T_FIELDS);
	put64(t + T_STRUCT + 64, 2);
	put64(t + T_STRUCT + 72, 2);
	memcpy(t + T_STRUCT + 80, &(uint32_t){ name_pkg }, 4); /* UncommonType.PkgPath */
	for (int i = 0; i < 2; i++) {
		uint64_t off = i ? 16 : 0;

		put64(t + T_FIELDS + 24 * i, base + (i ? name_b : name_a));
		put64(t + T_FIELDS + 24 * i + 8, base + T_INT);
		if (fmt != TT_GO_TYPEFMT_119)
			off = off << 1 | (i == 0); /* offset<<1 | embedded */
		put64(t + T_FIELDS + 24 * i + 16, off);
	}
	return n;
}

struct types_env {
	struct tt_elf *e;
	struct tt_go_image im;
	struct tt_go_module md;
	struct tt_go_rtype st;
};

static void types_open(struct types_env *env, struct sec *s, size_t size, enum tt_go_typefmt fmt)
{
	struct tt_error err = { { 0 } };

	env->e = open_secs(s, 1);
	assert_int_equal(tt_go_image_init(&env->im, env->e, &err), 0);
	memset(&env->md, 0, sizeof(env->md));
	env->md.fmt = fmt;
	env->md.types = s[0].addr;
	env->md.etypes = s[0].addr + size;
	assert_int_equal(tt_go_rtype_read(&env->im, &env->md, s[0].addr + T_STRUCT, &env->st, &err),
			 0);
}

static void types_close(struct types_env *env)
{
	tt_go_image_free(&env->im);
	tt_elf_close(env->e);
}

static void test_type_names_and_fields(void **state)
{
	static const enum tt_go_typefmt fmts[] = { TT_GO_TYPEFMT_116, TT_GO_TYPEFMT_117,
						   TT_GO_TYPEFMT_119 };
	static uint8_t t[1024];
	char longname[131];

	(void)state;
	memset(longname, 'L', 130);
	longname[130] = '\0';
	for (size_t k = 0; k < ARRAY_SIZE(fmts); k++) {
		struct sec s[1] = { { ".rodata", t, 0 } };
		struct tt_error err = { { 0 } };
		struct types_env env;
		struct tt_go_member f;
		struct tt_go_str str;
		uint64_t n;

		/* Lay out once to learn the address, then fill. */
		s[0].size = make_types(t, 0, fmts[k], longname);
		build(s, 1, &(size_t){ 0 });
		make_types(t, s[0].addr, fmts[k], longname);
		types_open(&env, s, s[0].size, fmts[k]);

		assert_int_equal(tt_go_type_string(&env.im, &env.md, &env.st, &str, &err), 0);
		assert_true(str.len == 3 && !memcmp(str.p, "x.T", 3));
		assert_int_equal(tt_go_struct_nfields(&env.im, &env.md, &env.st, &n, &err), 0);
		assert_int_equal(n, 2);
		assert_int_equal(tt_go_struct_field(&env.im, &env.md, &env.st, 0, &f, &err), 0);
		assert_true(f.name.len == 1 && f.name.p[0] == 'a');
		assert_int_equal(f.offset, 0);
		assert_true(f.embedded);
		assert_int_equal(f.type, s[0].addr + T_INT);
		assert_int_equal(tt_go_struct_field(&env.im, &env.md, &env.st, 1, &f, &err), 0);
		assert_int_equal(f.name.len, 130);
		assert_memory_equal(f.name.p, longname, 130);
		assert_int_equal(f.offset, 16);
		assert_false(f.embedded);
		types_close(&env);

		/* A name longer than the types: an error, not a read past them. */
		t[T_NAMES + 1] = 0xff;
		t[T_NAMES + 2] = 0x7f; /* 16383 (varint) or 65407 (big-endian) bytes */
		types_open(&env, s, s[0].size, fmts[k]);
		assert_int_equal(tt_go_struct_field(&env.im, &env.md, &env.st, 0, &f, &err), 0);
		assert_int_equal(tt_go_type_string(&env.im, &env.md, &(struct tt_go_rtype){
			.str = T_NAMES }, &str, &err), -EINVAL);
		assert_non_null(strstr(err.msg, "outside the types"));
		types_close(&env);
	}
}

/* --- g's TLS slot ------------------------------------------------------------ */

/* A binary with PT_TLS (memsz, align, vaddr), PT_INTERP when interp, and
 * runtime.tlsg at tlsg when it is not -1. */
static int tls_g_of(uint64_t memsz, uint64_t align, uint64_t vaddr, bool interp, int64_t tlsg,
		    uint16_t machine, int64_t *off)
{
	static const char strtab[] = "\0runtime.tlsg";
	Elf64_Sym syms[2] = { { 0 } };
	Elf64_Phdr ph[2] = { { .p_type = PT_TLS, .p_vaddr = vaddr, .p_memsz = memsz,
			       .p_align = align },
			     { .p_type = PT_INTERP } };
	struct sec s[2] = {
		{ ".symtab", syms, sizeof(syms), .type = SHT_SYMTAB, .link = 2,
		  .entsize = sizeof(Elf64_Sym) },
		{ ".strtab", strtab, sizeof(strtab), .type = SHT_STRTAB },
	};
	struct tt_error err = { { 0 } };
	struct tt_elf *e = NULL;
	size_t len, n_ph = memsz ? 1 : 0;
	uint8_t *p;
	int ret;

	syms[1].st_name = 1;
	syms[1].st_info = ELF64_ST_INFO(STB_LOCAL, STT_TLS);
	syms[1].st_shndx = 1;
	syms[1].st_value = tlsg;
	syms[1].st_size = 8;
	if (interp)
		ph[n_ph++] = ph[1];
	p = build_ph(s, tlsg == -1 ? 0 : 2, memsz ? ph : ph + 1, n_ph, &len);
	((Elf64_Ehdr *)p)->e_machine = machine;
	assert_int_equal(tt_elf_open_mem(p, len, &e, &err), 0);
	ret = tt_go_tls_g(e, tt_elf_arch(e), off, &err);
	assert_true(!ret || err.msg[0]);
	tt_elf_close(e);
	return ret;
}

/* TLS variant II: FS + st_value - round_up(p_memsz, p_align). */
static void test_tls_g(void **state)
{
	int64_t off = 0;

	(void)state;
	/* runtime.tlsg after 8 bytes of C TLS, block rounded to 16 (ld). */
	assert_int_equal(tls_g_of(24, 16, 0x5000, true, 8, EM_X86_64, &off), 0);
	assert_int_equal(off, 8 - 32);
	/* Go's slot alone, stripped: -8; with more TLS and no symbol: unknown. */
	assert_int_equal(tls_g_of(8, 8, 0x5000, true, -1, EM_X86_64, &off), 0);
	assert_int_equal(off, -8);
	assert_int_equal(tls_g_of(32, 8, 0x5000, true, -1, EM_X86_64, &off), -ENOENT);
	/* Static, no PT_TLS: the runtime's settls, -8; dynamic without it: no. */
	assert_int_equal(tls_g_of(0, 0, 0, false, -1, EM_X86_64, &off), 0);
	assert_int_equal(off, -8);
	assert_int_equal(tls_g_of(0, 0, 0, true, -1, EM_X86_64, &off), -ENOENT);
	/* Corrupted: misaligned block, alignment not a power of two, symbol
	 * outside the segment. */
	assert_int_equal(tls_g_of(8, 16, 0x5008, true, 0, EM_X86_64, &off), -EINVAL);
	assert_int_equal(tls_g_of(8, 12, 0x6000, true, 0, EM_X86_64, &off), -EINVAL);
	assert_int_equal(tls_g_of(8, 8, 0x5000, true, 8, EM_X86_64, &off), -EINVAL);
	/* arm64 keeps g in R28. */
	assert_int_equal(tls_g_of(8, 8, 0x5000, true, 0, EM_AARCH64, &off), -ENOTSUP);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buildinfo_pointer_format),
		cmocka_unit_test(test_buildinfo_inline_format),
		cmocka_unit_test(test_pclntab_116),
		cmocka_unit_test(test_pclntab_118_120),
		cmocka_unit_test(test_pclntab_corrupt),
		cmocka_unit_test(test_parse_version),
		cmocka_unit_test(test_type_names_and_fields),
		cmocka_unit_test(test_tls_g),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
