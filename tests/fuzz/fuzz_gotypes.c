// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the Go type-descriptor decoder (resolver/gotype*.c):
 * the input (gotypes_input.h) is a module's type links, itab links and
 * types bytes, cut from the testdata binaries by mkseed_gotypes.  They
 * become the sections of a synthetic ELF, the module is set from the
 * header, and the whole lookup runs: link or end-to-end walks, pointer
 * types, struct fields through fields, names, the itab.  The moduledata
 * search itself is fuzzed through whole binaries by fuzz_elf.
 */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../elfhdr.h"
#include "elf.h"
#include "gotype.h"
#include "gotypes_input.h"

#define NSEC 3

static const char shstrtab[] = "\0.typelink\0.itablink\0.rodata\0.shstrtab";
static const uint32_t sec_name[NSEC + 1] = { 1, 11, 21, 29 };

/* ehdr | sections | shstrtab | shdrs (no segments: regions are sections). */
static uint8_t *wrap(const uint8_t *parts[NSEC], const size_t lens[NSEC],
		     const uint64_t addrs[NSEC], size_t *out_len)
{
	Elf64_Shdr sh[NSEC + 2] = { { 0 } };
	Elf64_Ehdr eh = { 0 };
	size_t off = sizeof(eh), shoff;
	uint8_t *buf;

	for (int i = 0; i < NSEC; i++)
		off += lens[i];
	shoff = (off + sizeof(shstrtab) + 7) & ~7UL;
	buf = calloc(1, shoff + sizeof(sh));
	if (!buf)
		return NULL;
	off = sizeof(eh);
	for (int i = 0; i < NSEC; i++) {
		sh[i + 1] = (Elf64_Shdr){ .sh_name = sec_name[i], .sh_type = SHT_PROGBITS,
					  .sh_flags = SHF_ALLOC, .sh_addr = addrs[i],
					  .sh_offset = off, .sh_size = lens[i] };
		memcpy(buf + off, parts[i], lens[i]);
		off += lens[i];
	}
	sh[NSEC + 1] = (Elf64_Shdr){ .sh_name = sec_name[NSEC], .sh_type = SHT_STRTAB,
				     .sh_offset = off, .sh_size = sizeof(shstrtab) };
	memcpy(buf + off, shstrtab, sizeof(shstrtab));

	tt_test_ehdr(&eh, EM_X86_64);
	eh.e_shoff = shoff;
	eh.e_shnum = NSEC + 2;
	eh.e_shstrndx = NSEC + 1;
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + shoff, sh, sizeof(sh));
	*out_len = shoff + sizeof(sh);
	return buf;
}

static void run(const struct tt_elf *e, const struct gotypes_input *h, uint64_t types_len)
{
	struct tt_go_types_result res;
	struct tt_go_module md = { 0 };
	struct tt_go_image im;
	struct tt_error err;
	uint64_t addr;

	if (tt_go_image_init(&im, e, &err))
		return;
	md.fmt = h->fmt % 3;
	md.types = h->types;
	md.etypes = h->types + types_len;
	md.sequential = h->sequential & 1;
	md.typedesclen = h->typedesclen;
	md.itaboffset = h->itaboffset;
	md.itabsize = h->itabsize;
	md.typelinks = GOTYPES_LINKS_VA;
	md.n_typelinks = h->n_typelinks;
	md.itablinks = GOTYPES_LINKS_VA + 0x100000;
	md.n_itablinks = h->n_itablinks;
	/* No check of the ranges the moduledata search would make: the walks
	 * must stay in bounds whatever the module says. */
	tt_go_types_fields(&im, &md, &res, &err);
	tt_go_find_struct(&im, &md, "net.netFD", &addr, &err);
	tt_go_image_free(&im);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gotypes_input h;
	const uint8_t *parts[NSEC];
	uint64_t addrs[NSEC];
	size_t lens[NSEC], len, need;
	struct tt_error err;
	struct tt_elf *e;
	uint8_t *buf;

	if (size < sizeof(h))
		return 0;
	memcpy(&h, data, sizeof(h));
	if (h.n_typelinks > GOTYPES_MAX_LINKS || h.n_itablinks > GOTYPES_MAX_LINKS)
		return 0;
	need = sizeof(h) + 4ULL * h.n_typelinks + 8ULL * h.n_itablinks;
	/* Types above the link sections, and not wrapping. */
	if (need > size || h.types < GOTYPES_LINKS_VA + 0x200000 || h.types > (1ULL << 47))
		return 0;
	parts[0] = data + sizeof(h);
	lens[0] = 4ULL * h.n_typelinks;
	addrs[0] = GOTYPES_LINKS_VA;
	parts[1] = parts[0] + lens[0];
	lens[1] = 8ULL * h.n_itablinks;
	addrs[1] = GOTYPES_LINKS_VA + 0x100000;
	parts[2] = data + need;
	lens[2] = size - need;
	addrs[2] = h.types;
	buf = wrap(parts, lens, addrs, &len);
	if (!buf)
		return 0;
	if (!tt_elf_open_mem(buf, len, &e, &err)) {
		run(e, &h, lens[2]);
		tt_elf_close(e);
	}
	free(buf);
	return 0;
}
