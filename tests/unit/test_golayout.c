// SPDX-License-Identifier: MIT
/*
 * Go struct field offsets: the DWARF reader against an independent oracle
 * (testdata/go/layoutoracle: reflect, and a scan of the live g for goid),
 * and the generated per-version table against the DWARF reader, for every
 * Go version and variant in build/testdata/go/manifest.txt.  Missing
 * testdata is a failure, not a skip: run `make testdata` first (make unit
 * does).
 */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <zlib.h>

#include "../elfhdr.h"
#include "gotest.h"

#include "elf.h"
#include "golayout.h"
#include "golayout_table.h"


static void read_oracle(const char *minor, int64_t fields[TT_F_COUNT])
{
	tt_go_read_oracle(minor, fields, NULL);
}

static int dwarf_layout(const char *path, int64_t fields[TT_F_COUNT], struct tt_error *err)
{
	struct tt_elf *elf;
	int ret;

	ret = tt_elf_open(path, &elf, err);
	if (ret)
		fail_msg("%s: %s", path, err->msg);
	ret = tt_go_layout_from_dwarf(elf, fields, err);
	tt_elf_close(elf);
	return ret;
}

static bool has_dwarf_variant(const struct tt_go_bin *b)
{
	return strcmp(b->variant, "stripped") != 0;
}

/* Every binary with DWARF (amd64 and arm64: 64-bit layouts are the same)
 * gives exactly what reflect and the g scan saw at run time. */
static void test_dwarf_matches_oracle(void **state)
{
	int64_t got[TT_F_COUNT], want[TT_F_COUNT];
	struct tt_error err = { "" };
	size_t checked = 0;

	(void)state;
	for (size_t i = 0; i < tt_go_n_bins; i++) {
		if (!has_dwarf_variant(&tt_go_bins[i]))
			continue;
		read_oracle(tt_go_bins[i].minor, want);
		if (dwarf_layout(tt_go_bins[i].path, got, &err))
			fail_msg("%s: %s", tt_go_bins[i].path, err.msg);
		tt_go_assert_fields(tt_go_bins[i].path, got, want);
		checked++;
	}
	/* 7 versions x (2 programs x 4 DWARF variants + oracle + bench) */
	assert_true(checked >= 7 * 10);
	printf("  DWARF layout == oracle for %zu binaries\n", checked);
}

/* The committed table row of each version equals that version's DWARF
 * and the oracle: a stale table is a failing test, not a silent error. */
static void test_table_matches_dwarf(void **state)
{
	int64_t dwarf[TT_F_COUNT], table[TT_F_COUNT], oracle[TT_F_COUNT];
	struct tt_error err = { "" };
	size_t checked = 0;
	char used[32], want_used[32];

	(void)state;
	for (size_t i = 0; i < tt_go_n_bins; i++) {
		const struct tt_go_bin *b = &tt_go_bins[i];

		if (strcmp(b->prog, "tlsclient") || strcmp(b->variant, "default"))
			continue;
		if (dwarf_layout(b->path, dwarf, &err))
			fail_msg("%s: %s", b->path, err.msg);
		if (tt_go_layout_from_table(b->version, table, used, sizeof(used), &err))
			fail_msg("%s: %s (run make layouts)", b->version, err.msg);
		snprintf(want_used, sizeof(want_used), "go%s", b->minor);
		assert_string_equal(used, want_used);
		tt_go_assert_fields(b->version, table, dwarf);
		read_oracle(b->minor, oracle);
		tt_go_assert_fields(b->version, table, oracle);
		checked++;
	}
	assert_true(checked >= 7);
	assert_true(tt_go_layout_n_rows >= checked);
}

/* -s -w removes DWARF: the reader says so and fills nothing. */
static void test_stripped_has_no_dwarf(void **state)
{
	int64_t fields[TT_F_COUNT];
	struct tt_error err = { "" };
	size_t checked = 0;

	(void)state;
	for (size_t i = 0; i < tt_go_n_bins; i++) {
		if (has_dwarf_variant(&tt_go_bins[i]))
			continue;
		err.msg[0] = '\0';
		assert_int_equal(dwarf_layout(tt_go_bins[i].path, fields, &err), -ENOENT);
		assert_non_null(strstr(err.msg, "no DWARF"));
		for (int f = 0; f < TT_F_COUNT; f++)
			assert_int_equal(fields[f], TT_FIELD_UNKNOWN);
		checked++;
	}
	assert_true(checked >= 7 * 2);
}

static void test_table_versions(void **state)
{
	int64_t a[TT_F_COUNT], b[TT_F_COUNT];
	struct tt_error err = { "" };
	char used[32];

	(void)state;
	/* Any spelling of the same major.minor gives the same row. */
	assert_int_equal(tt_go_layout_from_table("1.22", a, used, sizeof(used), &err), 0);
	assert_string_equal(used, "go1.22");
	assert_int_equal(tt_go_layout_from_table("go1.22rc1", b, NULL, 0, &err), 0);
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(tt_go_layout_from_table("go1.22.12 X:nocoverageredesign", b, NULL, 0,
						 &err), 0);
	assert_memory_equal(a, b, sizeof(a));

	/* Unknown: one line naming the known versions and the way out. */
	assert_int_equal(tt_go_layout_from_table("go1.25.1", a, used, sizeof(used), &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "no layout table entry for go1.25"));
	assert_non_null(strstr(err.msg, "known: go1.19 go1.21 go1.22 go1.23 go1.24 go1.26 go1.27"));
	assert_non_null(strstr(err.msg, "--assume-go-version"));
	assert_null(strchr(err.msg, '\n'));

	/* "1.2" is not "1.22", "1.220" is not "1.22". */
	assert_int_equal(tt_go_layout_from_table("go1.2", a, NULL, 0, &err), -ENOENT);
	assert_int_equal(tt_go_layout_from_table("go1.220", a, NULL, 0, &err), -ENOENT);
	assert_int_equal(tt_go_layout_from_table("2.22", a, NULL, 0, &err), -ENOENT);
	assert_int_equal(tt_go_layout_from_table("banana", a, NULL, 0, &err), -EINVAL);
	assert_int_equal(tt_go_layout_from_table("go1.", a, NULL, 0, &err), -EINVAL);
	assert_int_equal(tt_go_layout_from_table("", a, NULL, 0, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "known: go1.19"));
}

/* --- malformed and alternative encodings, on memory copies ---------------- */

static int layout_mem(const uint8_t *buf, size_t len, int64_t fields[TT_F_COUNT],
		      struct tt_error *err)
{
	struct tt_elf *elf;
	int ret;

	ret = tt_elf_open_mem(buf, len, &elf, err);
	if (ret)
		return ret;
	ret = tt_go_layout_from_dwarf(elf, fields, err);
	tt_elf_close(elf);
	return ret;
}

/* File offset of a section's bytes inside buf. */
static size_t section_off(const uint8_t *buf, size_t len, const char *name,
			  struct tt_elf_section *out)
{
	struct tt_error err = { "" };
	struct tt_elf *elf;

	assert_int_equal(tt_elf_open_mem(buf, len, &elf, &err), 0);
	assert_int_equal(tt_elf_section(elf, name, out), 0);
	tt_elf_close(elf);
	return out->data - buf;
}

/* Lies in the compression header and a damaged zlib stream are errors
 * with a reason, never a crash or a huge allocation. */
static void test_corrupted_compression(void **state)
{
	const struct tt_go_bin *b = tt_go_find_bin(tt_go_bins, tt_go_n_bins, "1.22", "tlsclient", "default");
	int64_t fields[TT_F_COUNT];
	struct tt_error err = { "" };
	struct tt_elf_section s;
	uint8_t *buf;
	size_t len, off;

	(void)state;
	buf = tt_test_slurp(b->path, &len);
	off = section_off(buf, len, ".debug_info", &s);
	assert_true(s.flags & SHF_COMPRESSED);

	/* ch_size: 1 TiB from a few hundred KiB. */
	uint64_t saved = 0, huge = 1ULL << 40;
	memcpy(&saved, buf + off + 8, 8);
	memcpy(buf + off + 8, &huge, 8);
	assert_int_equal(layout_mem(buf, len, fields, &err), -EINVAL);
	assert_non_null(strstr(err.msg, ".debug_info"));
	memcpy(buf + off + 8, &saved, 8);

	/* ch_size one byte short of the real size. */
	uint64_t shorter = saved - 1;
	memcpy(buf + off + 8, &shorter, 8);
	assert_int_equal(layout_mem(buf, len, fields, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "inflate"));
	memcpy(buf + off + 8, &saved, 8);

	/* Unknown compression type (ZSTD is 2). */
	buf[off] = 2;
	assert_int_equal(layout_mem(buf, len, fields, &err), -ENOTSUP);
	buf[off] = 1;

	/* Garbage in the middle of the zlib stream. */
	memset(buf + off + 24 + s.size / 2, 0xa5, 64);
	assert_true(layout_mem(buf, len, fields, &err) < 0);
	assert_true(err.msg[0] != '\0');
	free(buf);
}

static uint8_t *inflate_chdr(const struct tt_elf_section *s, uint64_t *out_len)
{
	uint64_t size;
	uLongf n;
	uint8_t *out;

	memcpy(&size, s->data + 8, 8);
	out = malloc(size);
	assert_non_null(out);
	n = size;
	assert_int_equal(uncompress(out, &n, s->data + 24, s->size - 24), Z_OK);
	assert_int_equal(n, size);
	*out_len = size;
	return out;
}

struct mini_sec {
	const char *name;
	const uint8_t *data;
	uint64_t size;
};

/* A minimal ELF64 with only the given sections (no segments). */
static uint8_t *mini_elf(const struct mini_sec *secs, int n, size_t *len)
{
	char shstr[256] = "";
	size_t shstr_len = 1, off = sizeof(Elf64_Ehdr), shoff;
	uint32_t names[8];
	uint8_t *buf;
	Elf64_Ehdr eh = { 0 };

	for (int i = 0; i < n; i++) {
		names[i] = shstr_len;
		strcpy(shstr + shstr_len, secs[i].name);
		shstr_len += strlen(secs[i].name) + 1;
		off += secs[i].size;
	}
	names[n] = shstr_len;
	strcpy(shstr + shstr_len, ".shstrtab");
	shstr_len += 10;
	shoff = (off + shstr_len + 7) & ~7UL;
	*len = shoff + (n + 2) * sizeof(Elf64_Shdr);
	buf = calloc(1, *len);
	assert_non_null(buf);

	tt_test_ehdr(&eh, EM_X86_64);
	eh.e_shoff = shoff;
	eh.e_shnum = n + 2;
	eh.e_shstrndx = n + 1;
	memcpy(buf, &eh, sizeof(eh));

	off = sizeof(Elf64_Ehdr);
	for (int i = 0; i <= n; i++) {
		Elf64_Shdr sh = { 0 };
		const uint8_t *data = i < n ? secs[i].data : (const uint8_t *)shstr;
		uint64_t size = i < n ? secs[i].size : shstr_len;

		sh.sh_name = names[i];
		sh.sh_type = i < n ? SHT_PROGBITS : SHT_STRTAB;
		sh.sh_offset = off;
		sh.sh_size = size;
		sh.sh_addralign = 1;
		memcpy(buf + off, data, size);
		memcpy(buf + shoff + (i + 1) * sizeof(sh), &sh, sizeof(sh));
		off += size;
	}
	return buf;
}

/* Older Go linkers wrote .zdebug_* ("ZLIB" + big-endian size); DWARF may
 * also be uncompressed (-ldflags=-compressdwarf=false).  Rebuild the same
 * DWARF in both encodings and expect the same offsets. */
static void test_zdebug_and_plain(void **state)
{
	const struct tt_go_bin *b = tt_go_find_bin(tt_go_bins, tt_go_n_bins, "1.23", "tlsclient", "default");
	int64_t fields[TT_F_COUNT], want[TT_F_COUNT];
	struct tt_error err = { "" };
	struct tt_elf_section info, abbrev;
	uint8_t *file, *info_raw, *abbrev_raw, *z, *elf;
	uint64_t info_len, abbrev_len;
	uLongf zlen;
	size_t len, elf_len;

	(void)state;
	read_oracle("1.23", want);
	file = tt_test_slurp(b->path, &len);
	section_off(file, len, ".debug_info", &info);
	section_off(file, len, ".debug_abbrev", &abbrev);
	info_raw = inflate_chdr(&info, &info_len);
	abbrev_raw = inflate_chdr(&abbrev, &abbrev_len);

	/* Plain sections. */
	struct mini_sec plain[] = {
		{ ".debug_abbrev", abbrev_raw, abbrev_len },
		{ ".debug_info", info_raw, info_len },
	};
	elf = mini_elf(plain, 2, &elf_len);
	assert_int_equal(layout_mem(elf, elf_len, fields, &err), 0);
	tt_go_assert_fields("plain DWARF", fields, want);
	free(elf);

	/* .zdebug_info next to a plain .debug_abbrev. */
	zlen = compressBound(info_len);
	z = malloc(12 + zlen);
	assert_non_null(z);
	memcpy(z, "ZLIB", 4);
	for (int i = 0; i < 8; i++)
		z[4 + i] = info_len >> (56 - 8 * i);
	assert_int_equal(compress(z + 12, &zlen, info_raw, info_len), Z_OK);
	struct mini_sec zdebug[] = {
		{ ".debug_abbrev", abbrev_raw, abbrev_len },
		{ ".zdebug_info", z, 12 + zlen },
	};
	elf = mini_elf(zdebug, 2, &elf_len);
	assert_int_equal(layout_mem(elf, elf_len, fields, &err), 0);
	tt_go_assert_fields(".zdebug_info", fields, want);

	/* A lying ZLIB size is an error. */
	z[11] ^= 1;
	free(elf);
	elf = mini_elf(zdebug, 2, &elf_len);
	assert_int_equal(layout_mem(elf, elf_len, fields, &err), -EINVAL);
	free(elf);

	/* DWARF without the structs: -ENOENT naming the first missing field. */
	struct mini_sec empty[] = {
		{ ".debug_abbrev", abbrev_raw, abbrev_len },
		{ ".debug_info", info_raw, 11 + 1 }, /* CU header + null DIE... */
	};
	/* ...with its unit_length patched to cover just that. */
	uint8_t small_info[12];
	memcpy(small_info, info_raw, 11);
	small_info[11] = 0;
	uint32_t unit_len = sizeof(small_info) - 4;
	memcpy(small_info, &unit_len, 4);
	empty[1].data = small_info;
	elf = mini_elf(empty, 2, &elf_len);
	assert_int_equal(layout_mem(elf, elf_len, fields, &err), -ENOENT);
	assert_non_null(strstr(err.msg, "crypto/tls.Conn.conn"));
	free(elf);

	free(z);
	free(info_raw);
	free(abbrev_raw);
	free(file);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dwarf_matches_oracle),
		cmocka_unit_test(test_table_matches_dwarf),
		cmocka_unit_test(test_stripped_has_no_dwarf),
		cmocka_unit_test(test_table_versions),
		cmocka_unit_test(test_corrupted_compression),
		cmocka_unit_test(test_zdebug_and_plain),
	};

	return cmocka_run_group_tests_name("golayout", tests, tt_go_setup, NULL);
}
