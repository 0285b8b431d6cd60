// SPDX-License-Identifier: MIT
/*
 * The Go resolver: build info (version, module, ABI, cgo), the traced
 * crypto/tls functions (from .symtab, else from .gopclntab), their RET sites
 * and prologue (capstone), their argument/result locations (Go ABI), the
 * net.Conn itab of *net.TCPConn, g's thread-local slot, and the struct
 * layouts (golayout.c: DWARF, type descriptors, per-version table).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>

#include "go.h"
#include "goint.h"
#include "golayout.h"

/* The Go hooks of the hook table, in its order (r->functions[i] is hook i). */
#define N_TRACED 8

size_t tt_go_hooks(const struct tt_hook *out[], const char *names[], size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < tt_n_hooks && n < max; i++) {
		if (tt_hooks[i].lib != TT_LIB_GO)
			continue;
		out[n] = &tt_hooks[i];
		if (names)
			names[n] = tt_hooks[i].name;
		n++;
	}
	return n;
}

bool tt_go_detect(const struct tt_elf *elf)
{
	struct tt_elf_section s;
	struct tt_elf_symbol sym;
	struct tt_buildinfo bi;

	if (!tt_elf_section(elf, ".go.buildinfo", &s) || !tt_elf_section(elf, ".gopclntab", &s) ||
	    !tt_elf_section(elf, ".data.rel.ro.gopclntab", &s) ||
	    !tt_elf_section(elf, ".note.go.buildid", &s))
		return true;
	if (!tt_elf_find_symbol(elf, "runtime.buildVersion", TT_ELF_SYMTAB, &sym))
		return true;
	return tt_go_buildinfo(elf, &bi, NULL) == 0;
}

/* What one walk over .symtab collects. */
struct symscan {
	const struct tt_hook *hook[N_TRACED];
	size_t n_hooks;
	struct tt_elf_symbol fn[N_TRACED];
	bool have_fn[N_TRACED];
	bool cgo;
	bool have_itab;
	uint64_t itab;
};

static int scan_sym(const struct tt_elf_symbol *s, void *ctx)
{
	struct symscan *sc = ctx;
	const char *n = s->name;

	if (s->shndx == SHN_UNDEF)
		return 0;
	/* x_cgo_init is runtime/cgo's C code; _cgo_init is a runtime variable
	 * present in every binary, cgo or not, so it proves nothing. */
	if (!strcmp(n, "x_cgo_init")) {
		sc->cgo = true;
		return 0;
	}
	if (!strcmp(n, "go:itab.*net.TCPConn,net.Conn") ||
	    !strcmp(n, "go.itab.*net.TCPConn,net.Conn")) {
		sc->have_itab = true;
		sc->itab = s->value;
		return 0;
	}
	if (s->type != STT_FUNC || strncmp(n, "crypto/tls.", 11))
		return 0;
	/* Exact names only: "X.abi0" (the ABI0 wrapper) never matches "X". */
	for (size_t i = 0; i < sc->n_hooks; i++) {
		if (strcmp(n, sc->hook[i]->name))
			continue;
		/* Duplicates: keep the larger body (a wrapper is a few bytes). */
		if (!sc->have_fn[i] || s->size > sc->fn[i].size) {
			sc->fn[i] = *s;
			sc->have_fn[i] = true;
		}
	}
	return 0;
}

static void set_abi(struct tt_resolution *r)
{
	const struct tt_go_info *g = &r->go;
	bool reg = false;

	if (g->major > 1)
		reg = true;
	else if (r->arch == TT_ARCH_X86_64)
		reg = g->minor >= 17;
	else if (r->arch == TT_ARCH_ARM64)
		reg = g->minor >= 18;
	r->go.abi = reg ? TT_GO_ABI_REGISTER : TT_GO_ABI_STACK;
}

static bool has_dwarf(const struct tt_elf *elf)
{
	struct tt_elf_section s;

	return !tt_elf_section(elf, ".debug_info", &s) || !tt_elf_section(elf, ".zdebug_info", &s);
}

/*
 * The pclntab gives the distance to the next function.  On amd64 that
 * includes the INT3 padding the linker adds for alignment while the .symtab
 * size does not, so trim it: a stripped binary then reports the same size as
 * its unstripped twin.  On arm64 the .symtab size already spans the padding.
 */
static uint64_t trim_padding(const struct tt_elf *elf, enum tt_arch arch, uint64_t addr,
			     uint64_t size)
{
	const uint8_t *p = tt_elf_ptr_vaddr(elf, addr, size);

	if (!p || arch != TT_ARCH_X86_64)
		return size;
	while (size && p[size - 1] == 0xcc)
		size--;
	return size;
}

/* Functions not in .symtab: one pass over the pclntab for all of them. */
static int functions_from_pclntab(const struct tt_elf *elf, struct tt_resolution *r,
				  struct tt_error *err)
{
	uint64_t entry[N_TRACED] = { 0 }, size[N_TRACED] = { 0 };
	const char *names[N_TRACED];
	struct tt_pclntab pt;
	int ret;

	for (size_t i = 0; i < r->n_functions; i++)
		names[i] = r->functions[i].name;
	ret = tt_pclntab_open(elf, &pt, err);
	if (ret)
		return ret;
	ret = tt_pclntab_lookup(&pt, names, r->n_functions, entry, size, err);
	if (ret)
		return ret;
	for (size_t i = 0; i < r->n_functions; i++) {
		struct tt_function *f = &r->functions[i];

		if (f->found || !entry[i])
			continue;
		f->found = true;
		f->source = TT_SYM_PCLNTAB;
		f->address = entry[i];
		f->size = trim_padding(elf, r->arch, entry[i], size[i]);
	}
	return 0;
}

static int analyse_function(const struct tt_elf *elf, const struct tt_resolve_opts *opts,
			    struct tt_resolution *r, struct tt_function *f, struct tt_error *err)
{
	int ret;

	if (tt_elf_vaddr_to_offset(elf, f->address, &f->file_offset))
		return tt_error_set(err, EINVAL, "corrupted: %s at 0x%llx is not in a loaded segment",
				    f->name, (unsigned long long)f->address);
	ret = tt_goabi_locations(r->arch, r->go.abi, f, err);
	if (ret)
		return ret;
	ret = tt_disasm_returns(elf, r->arch, f, err);
	if (ret)
		return ret;
	if (opts && !opts->want_prologue)
		return 0;
	return tt_disasm_prologue(elf, r->arch, f, err);
}

static int resolve_functions(const struct tt_elf *elf, const struct tt_resolve_opts *opts,
			     struct tt_resolution *r, const struct symscan *sc,
			     struct tt_error *err)
{
	bool missing = false;
	int ret;

	r->functions = calloc(sc->n_hooks, sizeof(*r->functions));
	if (!r->functions)
		return tt_error_set(err, ENOMEM, "out of memory");
	r->n_functions = sc->n_hooks;
	for (size_t i = 0; i < sc->n_hooks; i++) {
		struct tt_function *f = &r->functions[i];

		f->hook = sc->hook[i];
		f->name = sc->hook[i]->name;
		if (!sc->have_fn[i]) {
			missing = true;
			continue;
		}
		f->found = true;
		/* Go binaries linked for dynamic export carry their functions in
		 * .dynsym (Debian's rclone): say which table it was. */
		f->source = sc->fn[i].table == TT_ELF_DYNSYM ? TT_SYM_DYNSYM : TT_SYM_SYMTAB;
		f->address = sc->fn[i].value;
		f->size = sc->fn[i].size;
	}
	if (missing) {
		ret = functions_from_pclntab(elf, r, err);
		/* No pclntab and no symbols: report the functions as not found. */
		if (ret && ret != -ENOENT)
			return ret;
	}
	for (size_t i = 0; i < r->n_functions; i++) {
		if (!r->functions[i].found)
			continue;
		ret = analyse_function(elf, opts, r, &r->functions[i], err);
		if (ret)
			return ret;
	}
	return 0;
}

int tt_go_resolve(const struct tt_elf *elf, const struct tt_resolve_opts *opts,
		  struct tt_resolution *r, struct tt_error *err)
{
	struct symscan sc = { 0 };
	struct tt_buildinfo bi;
	struct tt_go_info *g = &r->go;
	int ret;

	r->kind = TT_KIND_GO;
	if (r->arch == TT_ARCH_UNKNOWN)
		return tt_error_set(err, ENOTSUP, "Go binary for an unsupported architecture");
	ret = tt_go_buildinfo(elf, &bi, err);
	if (ret == -ENOENT && opts && opts->assume_go_version) {
		memset(&bi, 0, sizeof(bi));
		bi.cgo_setting = -1;
		snprintf(bi.version, sizeof(bi.version), "%s%s",
			 strncmp(opts->assume_go_version, "go", 2) ? "go" : "",
			 opts->assume_go_version);
		ret = tt_go_parse_version(bi.version, &bi.major, &bi.minor, &bi.patch);
		if (ret)
			return tt_error_set(err, EINVAL, "--assume-go-version: bad version \"%s\"",
					    opts->assume_go_version);
	}
	if (ret)
		return ret;
	snprintf(g->version, sizeof(g->version), "%s", bi.version);
	snprintf(g->module, sizeof(g->module), "%s", bi.module);
	g->major = bi.major;
	g->minor = bi.minor;
	g->patch = bi.patch;
	set_abi(r);
	g->has_dwarf = has_dwarf(elf);
	g->has_symtab = tt_elf_has_symtab(elf);

	sc.n_hooks = tt_go_hooks(sc.hook, NULL, N_TRACED);
	tt_elf_foreach_symbol(elf, TT_ELF_SYMTAB | TT_ELF_DYNSYM, scan_sym, &sc);
	/* The build setting (go1.18+) survives stripping; older binaries
	 * only tell through their symbols. */
	g->cgo = bi.cgo_setting >= 0 ? bi.cgo_setting == 1 : sc.cgo;
	g->has_itab_tcpconn = sc.have_itab;
	g->itab_tcpconn = sc.itab;

	g->has_tls_g = !tt_go_tls_g(elf, r->arch, &g->tls_g_offset, NULL);

	ret = resolve_functions(elf, opts, r, &sc, err);
	if (ret)
		return ret;
	return tt_go_layout_resolve(elf, opts, r, err);
}
