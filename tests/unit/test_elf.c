// SPDX-License-Identifier: MIT
/*
 * The ELF layer: malformed inputs give a one-line error (never a crash), and
 * on real objects the results agree with readelf (build-id, PT_LOAD
 * translation, versioned symbols).
 */
#include "testutil.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"
#include "go.h"

static uint8_t *slurp(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		fprintf(stderr, "cannot open %s\n", path);
	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	buf = malloc(st.st_size);
	assert_non_null(buf);
	assert_int_equal(read(fd, buf, st.st_size), st.st_size);
	close(fd);
	*len = st.st_size;
	return buf;
}

/* One line: non-empty, no newline. */
static void assert_one_line(const struct tt_error *err)
{
	assert_true(err->msg[0] != '\0');
	assert_null(strchr(err->msg, '\n'));
}

static int open_mem(const void *buf, size_t len, struct tt_error *err)
{
	struct tt_elf *e = NULL;
	int ret = tt_elf_open_mem(buf, len, &e, err);

	if (!ret)
		tt_elf_close(e);
	return ret;
}

static void test_not_elf(void **state)
{
	static const char text[] = "#!/bin/sh\necho hello\n";
	struct tt_error err = { { 0 } };

	(void)state;
	assert_int_equal(open_mem(text, sizeof(text), &err), -ENOEXEC);
	assert_string_equal(err.msg, "not an ELF file");
	assert_int_equal(open_mem(text, 0, &err), -ENOEXEC);
	assert_one_line(&err);
	assert_int_equal(open_mem("\x7f" "ELF", 4, &err), -ENOEXEC);
}

static void test_bad_headers(void **state)
{
	uint8_t buf[sizeof(Elf64_Ehdr) + 64] = { 0 };
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	struct tt_error err = { { 0 } };

	(void)state;
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS32;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	assert_int_equal(open_mem(buf, sizeof(buf), &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "class"));

	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2MSB;
	assert_int_equal(open_mem(buf, sizeof(buf), &err), -ENOTSUP);
	assert_non_null(strstr(err.msg, "endian"));

	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	assert_true(open_mem(buf, 40, &err) < 0); /* shorter than the header */
	assert_non_null(strstr(err.msg, "truncated"));

	/* Section headers far past the end; huge counts; wrong entry sizes. */
	eh->e_shoff = 1ULL << 62;
	eh->e_shentsize = sizeof(Elf64_Shdr);
	eh->e_shnum = 3;
	assert_int_equal(open_mem(buf, sizeof(buf), &err), -EINVAL);
	assert_one_line(&err);
	eh->e_shoff = sizeof(Elf64_Ehdr);
	eh->e_shnum = 0xffff;
	assert_int_equal(open_mem(buf, sizeof(buf), &err), -EINVAL);
	eh->e_shnum = 1;
	eh->e_shentsize = 12;
	assert_int_equal(open_mem(buf, sizeof(buf), &err), -EINVAL);
	/* A PT_LOAD whose bytes lie past the end of the file. */
	Elf64_Phdr ph = { .p_type = PT_LOAD, .p_offset = 0x1000, .p_filesz = 16 };

	eh->e_shoff = 0;
	eh->e_phoff = sizeof(Elf64_Ehdr);
	eh->e_phnum = 1;
	eh->e_phentsize = sizeof(Elf64_Phdr);
	memcpy(buf + sizeof(Elf64_Ehdr), &ph, sizeof(ph));
	assert_int_equal(open_mem(buf, sizeof(buf), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "truncated"));
	/* The program headers themselves past the end. */
	eh->e_phnum = 2;
	assert_int_equal(open_mem(buf, sizeof(buf), &err), -EINVAL);
	assert_one_line(&err);
}

/* Every prefix of a real Go binary at many lengths: clean error or a
 * result, never a crash (ASan/UBSan builds make this stricter). */
static void test_truncated(void **state)
{
	char path[512];
	size_t len;
	uint8_t *buf;

	(void)state;
	TT_BUILD_PATH(path, "testdata/go/1.22/tlsclient-stripped");
	buf = slurp(path, &len);
	for (size_t i = 0; i <= 256; i++) {
		size_t cut = i < 128 ? i : len / 128 * (i - 128);
		struct tt_error err = { { 0 } };
		struct tt_elf *e = NULL;
		uint8_t *copy = malloc(cut ? cut : 1);

		memcpy(copy, buf, cut);
		if (tt_elf_open_mem(copy, cut, &e, &err) < 0) {
			assert_one_line(&err);
		} else {
			struct tt_resolve_opts opts = { .assume_go_version = "1.22" };
			struct tt_resolution r = { 0 };

			r.arch = tt_elf_arch(e);
			if (tt_go_detect(e) && tt_go_resolve(e, &opts, &r, &err) < 0)
				assert_one_line(&err);
			for (size_t k = 0; k < r.n_functions; k++) {
				free(r.functions[k].returns);
				free(r.functions[k].prologue);
			}
			free(r.functions);
			tt_elf_close(e);
		}
		free(copy);
	}
	free(buf);
}

/* Run a shell command and return its first output line in out. */
static int shell_line(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");
	int ok;

	assert_non_null(p);
	out[0] = '\0';
	ok = fgets(out, len, p) != NULL;
	pclose(p);
	out[strcspn(out, "\n")] = '\0';
	return ok ? 0 : -1;
}

static void test_build_id_and_offsets(void **state)
{
	char path[512], cmd[1024], want[256];
	struct tt_error err = { { 0 } };
	struct tt_elf_symbol sym;
	struct tt_elf *e;
	uint64_t off, want_off;

	(void)state;
	TT_BUILD_PATH(path, "tlstap");
	assert_int_equal(tt_elf_open(path, &e, &err), 0);
	snprintf(cmd, sizeof(cmd), "readelf -n %s | awk '/Build ID/ {print $3}'", path);
	assert_int_equal(shell_line(cmd, want, sizeof(want)), 0);
	assert_string_equal(tt_elf_build_id(e), want);
	snprintf(cmd, sizeof(cmd), "readelf -h %s | grep -q 'Type: *DYN'", path);
	assert_int_equal(tt_elf_is_pie(e), system(cmd) == 0);

	/* main's file offset, computed by hand from readelf's PT_LOADs. */
	assert_int_equal(tt_elf_find_symbol(e, "main", TT_ELF_SYMTAB, &sym), 0);
	/* readelf prints hex; the shell's arithmetic converts (mawk cannot). */
	snprintf(cmd, sizeof(cmd),
		 "readelf -lW %s | awk '$1==\"LOAD\" {print $2, $3, $5}' | "
		 "while read o v f; do a=%llu; "
		 "if [ $a -ge $((v)) ] && [ $a -lt $((v + f)) ]; then echo $((a - v + o)); fi; done",
		 path, (unsigned long long)sym.value);
	assert_int_equal(shell_line(cmd, want, sizeof(want)), 0);
	want_off = strtoull(want, NULL, 10);
	assert_int_equal(tt_elf_vaddr_to_offset(e, sym.value, &off), 0);
	assert_int_equal(off, want_off);
	assert_int_equal(tt_elf_vaddr_to_offset(e, 0xffffffffffff0000ULL, &off), -ENOENT);
	assert_null(tt_elf_ptr_vaddr(e, sym.value, 1ULL << 40));
	tt_elf_close(e);
}

static void test_versioned_symbols(void **state)
{
	const char *lib = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
	char cmd[512], want[256];
	struct tt_error err = { { 0 } };
	struct tt_elf_symbol sym;
	struct tt_elf *e;

	(void)state;
	assert_int_equal(tt_elf_open(lib, &e, &err), 0);
	assert_true(tt_elf_is_shared_object(e));
	assert_false(tt_elf_is_pie(e));
	assert_int_equal(tt_elf_find_symbol(e, "SSL_write", TT_ELF_DYNSYM, &sym), 0);
	assert_int_equal(sym.type, STT_FUNC);
	assert_non_null(sym.version);
	snprintf(cmd, sizeof(cmd),
		 "readelf --dyn-syms -W %s | awk '$8 ~ /^SSL_write@/ { sub(/^SSL_write@+/, \"\", $8); "
		 "print $8, $2; exit }'", lib);
	assert_int_equal(shell_line(cmd, want, sizeof(want)), 0);
	snprintf(cmd, sizeof(cmd), "%s %016llx", sym.version, (unsigned long long)sym.value);
	assert_string_equal(cmd, want);
	/* An undefined, versioned import (GLIBC_*) is found with its version. */
	assert_int_equal(tt_elf_find_symbol(e, "memcpy", TT_ELF_DYNSYM, &sym), 0);
	assert_int_equal(sym.shndx, SHN_UNDEF);
	assert_non_null(sym.version);
	assert_int_equal(strncmp(sym.version, "GLIBC_", 6), 0);
	assert_int_equal(tt_elf_find_symbol(e, "no_such_symbol_xyz", TT_ELF_DYNSYM, &sym), -ENOENT);
	tt_elf_close(e);
}

/*
 * A symbol table whose sh_entsize is not sizeof(Elf64_Sym) cannot be indexed
 * as Elf64_Sym[]: it is not used (before, entries were read with the wrong
 * stride's count and the lookup found names anyway).
 */
static void test_symtab_entsize(void **state)
{
	const char *lib = "/usr/lib/x86_64-linux-gnu/libssl.so.3";
	struct tt_error err = { { 0 } };
	struct tt_elf_symbol sym;
	struct tt_elf *e;
	Elf64_Ehdr *eh;
	Elf64_Shdr *sh;
	uint8_t *buf;
	size_t len;
	int patched = 0;

	(void)state;
	buf = slurp(lib, &len);
	eh = (Elf64_Ehdr *)buf;
	assert_true(eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) <= len);
	sh = (Elf64_Shdr *)(buf + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_DYNSYM)
			continue;
		sh[i].sh_entsize = 2 * sizeof(Elf64_Sym);
		patched++;
	}
	assert_int_equal(patched, 1);
	assert_int_equal(tt_elf_open_mem(buf, len, &e, &err), 0);
	assert_int_equal(tt_elf_find_symbol(e, "SSL_write", TT_ELF_DYNSYM, &sym), -ENOENT);
	tt_elf_close(e);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_bad_headers),
		cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_build_id_and_offsets),
		cmocka_unit_test(test_versioned_symbols),
		cmocka_unit_test(test_symtab_entsize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
