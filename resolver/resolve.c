// SPDX-License-Identifier: MIT
/* Entry point of the resolver: open the ELF, dispatch to Go or native. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "elf.h"
#include "go.h"
#include "native.h"
#include "tlstap/resolve.h"

const char *tt_kind_name(enum tt_kind k)
{
	switch (k) {
	case TT_KIND_GO: return "go";
	case TT_KIND_NATIVE: return "native";
	default: return "none";
	}
}

const char *tt_arch_name(enum tt_arch a)
{
	switch (a) {
	case TT_ARCH_X86_64: return "x86_64";
	case TT_ARCH_ARM64: return "arm64";
	default: return "unknown";
	}
}

const char *tt_go_abi_name(enum tt_go_abi a)
{
	switch (a) {
	case TT_GO_ABI_REGISTER: return "register";
	case TT_GO_ABI_STACK: return "stack";
	default: return "unknown";
	}
}

const char *tt_layout_source_name(enum tt_layout_source s)
{
	switch (s) {
	case TT_LAYOUT_DWARF: return "dwarf";
	case TT_LAYOUT_TYPES: return "types";
	case TT_LAYOUT_TABLE: return "table";
	case TT_LAYOUT_MIXED: return "mixed";
	default: return "none";
	}
}

const char *tt_sym_source_name(enum tt_sym_source s)
{
	switch (s) {
	case TT_SYM_SYMTAB: return "symtab";
	case TT_SYM_DYNSYM: return "dynsym";
	case TT_SYM_PCLNTAB: return "pclntab";
	default: return "none";
	}
}

const struct tt_function *tt_resolution_function(const struct tt_resolution *r, const char *name)
{
	for (size_t i = 0; i < r->n_functions; i++)
		if (r->functions[i].name && !strcmp(r->functions[i].name, name))
			return &r->functions[i];
	return NULL;
}

void tt_resolution_free(struct tt_resolution *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_functions; i++) {
		free(r->functions[i].returns);
		free(r->functions[i].prologue);
	}
	free(r->functions);
	for (size_t i = 0; i < r->n_notes; i++)
		free(r->notes[i].text);
	free(r->notes);
	free(r->path);
	free(r);
}

static int resolve_elf(struct tt_elf *elf, const char *path, const struct tt_resolve_opts *opts,
		       struct tt_resolution **out, struct tt_error *err)
{
	struct tt_resolution *r;
	int ret;

	r = calloc(1, sizeof(*r));
	if (!r)
		return tt_error_set(err, ENOMEM, "out of memory");
	r->path = strdup(path);
	if (!r->path) {
		free(r);
		return tt_error_set(err, ENOMEM, "out of memory");
	}
	for (int i = 0; i < TT_F_COUNT; i++)
		r->fields[i] = TT_FIELD_UNKNOWN;
	r->arch = tt_elf_arch(elf);
	r->pie = tt_elf_is_pie(elf);
	snprintf(r->build_id, sizeof(r->build_id), "%s", tt_elf_build_id(elf));
	r->dev = tt_elf_dev(elf);
	r->ino = tt_elf_ino(elf);

	if (tt_go_detect(elf))
		ret = tt_go_resolve(elf, opts, r, err);
	else
		ret = tt_native_resolve(elf, r, err);
	if (ret < 0) {
		tt_resolution_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

int tt_resolve_path(const char *path, const struct tt_resolve_opts *opts,
		    struct tt_resolution **out, struct tt_error *err)
{
	struct tt_elf *elf;
	int ret;

	ret = tt_elf_open(path, &elf, err);
	if (ret < 0)
		return ret;
	ret = resolve_elf(elf, path, opts, out, err);
	tt_elf_close(elf);
	return ret;
}

int tt_resolve_fd(int fd, const char *display_path, const struct tt_resolve_opts *opts,
		  struct tt_resolution **out, struct tt_error *err)
{
	struct tt_elf *elf;
	int ret;

	ret = tt_elf_open_fd(fd, display_path, &elf, err);
	if (ret < 0)
		return ret;
	ret = resolve_elf(elf, display_path, opts, out, err);
	tt_elf_close(elf);
	return ret;
}

int tt_resolve_symbol_offset(int fd, const char *name, uint64_t *offset, struct tt_error *err)
{
	struct tt_elf_symbol sym;
	struct tt_elf *elf;
	int ret;

	ret = tt_elf_open_fd(fd, name, &elf, err);
	if (ret)
		return ret;
	ret = tt_elf_find_symbol(elf, name, TT_ELF_SYMTAB | TT_ELF_DYNSYM, &sym);
	if (ret)
		tt_error_set(err, ENOENT, "no symbol %s", name);
	else if ((ret = tt_elf_vaddr_to_offset(elf, sym.value, offset)))
		tt_error_set(err, ret, "%s: address 0x%" PRIx64 " in no segment", name, sym.value);
	tt_elf_close(elf);
	return ret;
}
