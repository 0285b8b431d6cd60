// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: a whole file through the resolver's Go path, from the
 * ELF layer (tt_elf_open_mem) through build info, pclntab, the DWARF layout
 * reader (tt_go_layout_from_dwarf), symbols and the disassembler.  Seeds are
 * the testdata binaries and truncated / bit-flipped copies (fuzz.mk).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "go.h"
#include "goint.h"
#include "golayout.h"

static int count_sym(const struct tt_elf_symbol *s, void *ctx)
{
	/* Touch every byte of the name the layer hands out. */
	*(size_t *)ctx += strlen(s->name) + (s->version ? strlen(s->version) : 0);
	return 0;
}

static void free_functions(struct tt_resolution *r)
{
	for (size_t i = 0; i < r->n_functions; i++) {
		free(r->functions[i].returns);
		free(r->functions[i].prologue);
	}
	free(r->functions);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_resolve_opts opts = { .assume_go_version = "1.22", .want_prologue = true };
	struct tt_resolution r;
	struct tt_elf_section s;
	struct tt_error err;
	struct tt_elf *e;
	size_t n = 0;
	int64_t fields[TT_F_COUNT];

	if (tt_elf_open_mem(data, size, &e, &err))
		return 0;
	for (size_t i = 0; !tt_elf_section_at(e, i, &s); i++)
		n += strlen(s.name);
	tt_elf_foreach_symbol(e, TT_ELF_SYMTAB | TT_ELF_DYNSYM, count_sym, &n);
	(void)tt_elf_build_id(e);
	tt_go_layout_from_dwarf(e, fields, &err);

	memset(&r, 0, sizeof(r));
	r.arch = tt_elf_arch(e);
	if (tt_go_detect(e))
		tt_go_resolve(e, &opts, &r, &err);
	free_functions(&r);
	tt_elf_close(e);
	return 0;
}
