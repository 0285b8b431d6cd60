// SPDX-License-Identifier: MIT
/*
 * The Go resolver against every testdata binary of the manifest
 * (build/testdata/go/manifest.txt, see testdata/go.mk), compared with
 * independent oracles made by the Go toolchain that built it:
 *   <bin>.nm       go tool nm -size -sort address (entries, sizes, itab
 *                  up to go1.26)
 *   <bin>.objdump  go tool objdump of (*Conn).Read|Write|Close (RET sites)
 * A stripped binary must resolve exactly like its unstripped twin.
 * Missing testdata is a failure, not a skip.
 */
#include "gotest.h"

#include <errno.h>

#define MAX_RETS 64

/* The programs built in every variant (tlsclient, tlsserver). */
static struct tt_go_bin entries[TT_GO_MAX_BINS];
static size_t n_entries;

static int load_manifest(void **state)
{
	if (tt_go_setup(state))
		return -1;
	n_entries = 0;
	for (size_t i = 0; i < tt_go_n_bins; i++) {
		const struct tt_go_bin *b = &tt_go_bins[i];

		if (!strcmp(b->prog, "tlsclient") || !strcmp(b->prog, "tlsserver"))
			entries[n_entries++] = *b;
	}
	return n_entries ? 0 : -1;
}

/* RET addresses of function name in the .objdump oracle. */
static size_t objdump_rets(const char *path, const char *name, uint64_t *rets, uint64_t *first)
{
	char line[2048], hdr[1100];
	bool in = false;
	size_t n = 0;
	FILE *f = fopen(path, "r");

	assert_non_null(f);
	snprintf(hdr, sizeof(hdr), "TEXT %s(SB)", name);
	*first = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p, *tok, *save = NULL, *fields[8];
		int nf = 0;

		if (!strncmp(line, "TEXT ", 5)) {
			in = !strncmp(line, hdr, strlen(hdr));
			continue;
		}
		if (!in)
			continue;
		/* "  file.go:N\t\t0xADDR\t\tHEX\t\tMNEMONIC ARGS\t..." */
		for (p = line; nf < 8 && (tok = strtok_r(p, "\t\n", &save)); p = NULL)
			fields[nf++] = tok;
		if (nf < 4 || strncmp(fields[1], "0x", 2))
			continue;
		if (!*first)
			*first = strtoull(fields[1], NULL, 16);
		if (!strncmp(fields[3], "RET", 3) && n < MAX_RETS)
			rets[n++] = strtoull(fields[1], NULL, 16);
	}
	fclose(f);
	return n;
}

static struct tt_resolution *resolve(const char *path)
{
	struct tt_resolve_opts opts = { .want_prologue = true };
	struct tt_resolution *r = NULL;
	struct tt_error err = { { 0 } };
	int ret;

	ret = tt_resolve_path(path, &opts, &r, &err);
	if (ret)
		fprintf(stderr, "%s: %s\n", path, err.msg);
	assert_int_equal(ret, 0);
	return r;
}

static const char *const funcs[] = {
	"crypto/tls.(*Conn).Read",
	"crypto/tls.(*Conn).Write",
	"crypto/tls.(*Conn).Close",
};

static void check_function(const struct tt_go_bin *e, const struct tt_resolution *r,
			   const char *name)
{
	const struct tt_function *f = tt_resolution_function(r, name);
	uint64_t addr, size, rets[MAX_RETS], first;
	char oracle[600];
	size_t n;

	assert_non_null(f);
	assert_true(f->found);
	snprintf(oracle, sizeof(oracle), "%s.nm", e->path);
	assert_int_equal(tt_go_nm_lookup(oracle, name, &addr, &size), 0);
	assert_int_equal(f->address, addr);
	assert_int_equal(f->size, size);
	assert_int_equal(f->source, strcmp(e->variant, "stripped") ? TT_SYM_SYMTAB : TT_SYM_PCLNTAB);

	snprintf(oracle, sizeof(oracle), "%s.objdump", e->path);
	n = objdump_rets(oracle, name, rets, &first);
	assert_int_equal(first, f->address);
	assert_true(n > 0);
	assert_int_equal(f->n_returns, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(f->returns[i], f->file_offset + (rets[i] - f->address));

	/* The prologue starts at the entry and covers the stack check. */
	assert_true(f->n_prologue >= 3);
	assert_int_equal(f->prologue[0].address, f->address);
	assert_int_equal(f->prologue[0].file_offset, f->file_offset);
	bool branch = false;
	for (size_t i = 0; i < f->n_prologue; i++) {
		if (f->prologue[i].emulated && (!strncmp(f->prologue[i].text, "jbe", 3) ||
						!strncmp(f->prologue[i].text, "b.ls", 4)))
			branch = true;
		/* Nothing of the check or the frame setup touches an argument. */
		assert_int_equal(f->prologue[i].regs_written, 0);
	}
	assert_true(branch);
}

/* Register ABI locations, as abi-internal.md spells them. */
static void check_locations(const struct tt_resolution *r)
{
	bool amd64 = r->arch == TT_ARCH_X86_64;
	const struct tt_function *rd = tt_resolution_function(r, funcs[0]);
	const struct tt_function *cl = tt_resolution_function(r, funcs[2]);

	assert_int_equal(r->go.abi, TT_GO_ABI_REGISTER);
	assert_int_equal(rd->n_args, 4);
	assert_string_equal(rd->args[0].name, "c");
	assert_string_equal(rd->args[0].reg, amd64 ? "rax" : "x0");
	assert_string_equal(rd->args[1].name, "b.ptr");
	assert_string_equal(rd->args[1].reg, amd64 ? "rbx" : "x1");
	assert_string_equal(rd->args[2].name, "b.len");
	assert_string_equal(rd->args[2].reg, amd64 ? "rcx" : "x2");
	assert_string_equal(rd->args[3].reg, amd64 ? "rdi" : "x3");
	assert_int_equal(rd->n_results, 3);
	assert_string_equal(rd->results[0].name, "n");
	assert_string_equal(rd->results[0].reg, amd64 ? "rax" : "x0");
	assert_string_equal(rd->results[1].name, "err.tab");
	assert_string_equal(rd->results[2].reg, amd64 ? "rcx" : "x2");
	assert_int_equal(cl->n_args, 1);
	assert_int_equal(cl->n_results, 2);
	assert_string_equal(cl->results[0].reg, amd64 ? "rax" : "x0");
	assert_string_equal(cl->results[1].reg, amd64 ? "rbx" : "x1");
}

/*
 * The itab: by symbol where the linker names it (up to go1.26; the stripped
 * binary's oracle is its twin's symbol table, same link), else from the
 * type descriptors.  go1.27 names no itab: test_gotypes checks those against
 * the address layoutoracle sees at run time.
 */
static void check_itab(const struct tt_go_bin *e, const struct tt_resolution *r)
{
	char nm[600];
	uint64_t addr = 0, size;
	int ret;

	snprintf(nm, sizeof(nm), "%s.nm", e->path);
	ret = tt_go_nm_lookup(nm, "go:itab.*net.TCPConn,net.Conn", &addr, &size);
	if (ret)
		ret = tt_go_nm_lookup(nm, "go.itab.*net.TCPConn,net.Conn", &addr, &size);
	assert_true(r->go.has_itab_tcpconn);
	if (ret) {
		assert_string_equal(e->minor, "1.27");
		assert_true(r->go.itab_from_types);
		return;
	}
	assert_int_equal(r->go.itab_from_types, !strcmp(e->variant, "stripped"));
	assert_int_equal(r->go.itab_tcpconn, addr);
}

static void test_manifest_binaries(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_entries; i++) {
		const struct tt_go_bin *e = &entries[i];
		struct tt_resolution *r;

		fprintf(stderr, "  %s\n", e->path);
		r = resolve(e->path);
		assert_int_equal(r->kind, TT_KIND_GO);
		assert_string_equal(r->go.version, e->version);
		assert_int_equal(r->arch, strcmp(e->arch, "arm64") ? TT_ARCH_X86_64 : TT_ARCH_ARM64);
		assert_int_equal(r->pie, !strcmp(e->variant, "pie"));
		assert_int_equal(r->go.has_symtab, strcmp(e->variant, "stripped") != 0);
		assert_int_equal(r->go.has_dwarf, strcmp(e->variant, "stripped") != 0);
		assert_int_equal(r->go.cgo, !strcmp(e->variant, "cgo"));
		assert_string_equal(r->go.module, "tlstap.test/testdata");
		assert_int_equal(r->n_functions, 3);
		for (size_t k = 0; k < 3; k++)
			check_function(e, r, funcs[k]);
		check_locations(r);
		check_itab(e, r);
		tt_resolution_free(r);
	}
}

/* Stripped and unstripped twins: same functions, RET sites, prologues. */
static void test_stripped_twin(void **state)
{
	(void)state;
	for (size_t i = 0; i < n_entries; i++) {
		const struct tt_go_bin *e = &entries[i];
		struct tt_resolution *s, *d;
		char twin[600];

		if (strcmp(e->variant, "stripped"))
			continue;
		snprintf(twin, sizeof(twin), "%.*s-default", (int)(strrchr(e->path, '-') - e->path),
			 e->path);
		s = resolve(e->path);
		d = resolve(twin);
		for (size_t k = 0; k < 3; k++) {
			const struct tt_function *a = &s->functions[k], *b = &d->functions[k];

			assert_string_equal(a->name, b->name);
			assert_int_equal(a->address, b->address);
			assert_int_equal(a->file_offset, b->file_offset);
			assert_int_equal(a->size, b->size);
			assert_int_equal(a->n_returns, b->n_returns);
			assert_memory_equal(a->returns, b->returns, a->n_returns * sizeof(uint64_t));
			assert_int_equal(a->n_prologue, b->n_prologue);
			assert_memory_equal(a->prologue, b->prologue,
					    a->n_prologue * sizeof(struct tt_insn));
		}
		assert_string_equal(s->go.version, d->go.version);
		assert_int_equal(s->go.abi, d->go.abi);
		/* Type descriptors (stripped) give what DWARF gives. */
		assert_memory_equal(s->fields, d->fields, sizeof(s->fields));
		assert_int_equal(s->go.itab_tcpconn, d->go.itab_tcpconn);
		tt_resolution_free(s);
		tt_resolution_free(d);
	}
}

/* Every variant of the manifest is present (a partial build is a failure). */
static void test_matrix_complete(void **state)
{
	static const char *const variants[] = { "default", "stripped", "pie", "cgo", "arm64" };

	(void)state;
	for (size_t v = 0; v < 5; v++) {
		size_t n = 0;

		for (size_t i = 0; i < n_entries; i++)
			n += !strcmp(entries[i].variant, variants[v]);
		if (!n)
			fprintf(stderr, "no %s binary in the manifest\n", variants[v]);
		assert_true(n > 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_matrix_complete),
		cmocka_unit_test(test_manifest_binaries),
		cmocka_unit_test(test_stripped_twin),
	};

	return cmocka_run_group_tests(tests, load_manifest, NULL);
}
