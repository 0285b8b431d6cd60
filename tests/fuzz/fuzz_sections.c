// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the Go parsers on small inputs: the input (after a
 * mode byte) becomes the only section of a synthetic ELF mapped by one
 * PT_LOAD, so mutations hit the parser rather than the ELF container.
 *   mode & 3 == 0: .go.buildinfo  -> tt_go_buildinfo
 *   mode & 3 == 1: .gopclntab     -> tt_pclntab_open/lookup/foreach
 *   mode & 3 == 2: .text          -> tt_disasm_returns/prologue
 *   mode & 3 == 3: .gopclntab     -> tt_go_resolve (whole Go path)
 *   mode & 4: arm64 instead of x86-64
 * Seeds: real sections extracted from the testdata binaries (fuzz.mk).
 */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "go.h"
#include "goint.h"

#define BASE 0x400000ULL
#define PAYLOAD_OFF 128

static const char *const sec_names[] = { ".go.buildinfo", ".gopclntab", ".text", ".gopclntab" };

/* ehdr | phdr | pad | payload | shstrtab | shdrs */
static uint8_t *wrap(const uint8_t *p, size_t len, unsigned mode, size_t *out_len)
{
	const char *name = sec_names[mode & 3];
	char strtab[32];
	size_t strsz, shoff, total;
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };
	Elf64_Shdr sh[3] = { { 0 } };
	uint8_t *buf;

	strtab[0] = '\0';
	strcpy(strtab + 1, name);
	strcpy(strtab + 2 + strlen(name), ".shstrtab");
	strsz = 2 + strlen(name) + sizeof(".shstrtab");
	shoff = (PAYLOAD_OFF + len + strsz + 7) & ~7UL;
	total = shoff + sizeof(sh);
	buf = calloc(1, total);
	if (!buf)
		return NULL;

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = mode & 4 ? EM_AARCH64 : EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_shoff = shoff;
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 3;
	eh.e_shstrndx = 2;

	ph.p_type = PT_LOAD;
	ph.p_flags = PF_R | PF_W | PF_X;
	ph.p_vaddr = BASE;
	ph.p_filesz = ph.p_memsz = total;

	sh[1].sh_name = 1;
	sh[1].sh_type = SHT_PROGBITS;
	sh[1].sh_flags = SHF_ALLOC | ((mode & 3) == 2 ? SHF_EXECINSTR : SHF_WRITE);
	sh[1].sh_addr = BASE + PAYLOAD_OFF;
	sh[1].sh_offset = PAYLOAD_OFF;
	sh[1].sh_size = len;
	sh[2].sh_name = 2 + strlen(name);
	sh[2].sh_type = SHT_STRTAB;
	sh[2].sh_offset = PAYLOAD_OFF + len;
	sh[2].sh_size = strsz;

	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), &ph, sizeof(ph));
	memcpy(buf + PAYLOAD_OFF, p, len);
	memcpy(buf + PAYLOAD_OFF + len, strtab, strsz);
	memcpy(buf + shoff, sh, sizeof(sh));
	*out_len = total;
	return buf;
}

static void run_pclntab(const struct tt_elf *e)
{
	const struct tt_hook *hooks[8];
	uint64_t entry[8], size[8];
	const char *names[8];
	struct tt_pclntab pt;
	struct tt_error err;
	size_t n = tt_go_hooks(hooks, names, 8);

	if (tt_pclntab_open(e, &pt, &err))
		return;
	tt_pclntab_lookup(&pt, names, n, entry, size, &err);
}

static void run_disasm(const struct tt_elf *e, size_t len)
{
	struct tt_function f = { .name = "fuzz", .address = BASE + PAYLOAD_OFF,
				 .file_offset = PAYLOAD_OFF, .size = len };
	struct tt_error err;

	tt_disasm_returns(e, tt_elf_arch(e), &f, &err);
	tt_disasm_prologue(e, tt_elf_arch(e), &f, &err);
	free(f.returns);
	free(f.prologue);
}

static void run_resolve(const struct tt_elf *e)
{
	struct tt_resolve_opts opts = { .assume_go_version = "1.21", .want_prologue = true };
	struct tt_resolution r = { 0 };
	struct tt_error err;

	r.arch = tt_elf_arch(e);
	tt_go_resolve(e, &opts, &r, &err);
	for (size_t i = 0; i < r.n_functions; i++) {
		free(r.functions[i].returns);
		free(r.functions[i].prologue);
	}
	free(r.functions);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_buildinfo bi;
	struct tt_error err;
	struct tt_elf *e;
	size_t len;
	uint8_t *buf;
	unsigned mode;

	if (size < 1 || size > (8u << 20))
		return 0;
	mode = data[0];
	buf = wrap(data + 1, size - 1, mode, &len);
	if (!buf)
		return 0;
	if (tt_elf_open_mem(buf, len, &e, &err)) {
		free(buf);
		return 0;
	}
	switch (mode & 3) {
	case 0:
		tt_go_buildinfo(e, &bi, &err);
		break;
	case 1:
		run_pclntab(e);
		break;
	case 2:
		run_disasm(e, size - 1);
		break;
	default:
		run_resolve(e);
		break;
	}
	tt_elf_close(e);
	free(buf);
	return 0;
}
