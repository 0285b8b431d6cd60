/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TESTS_ELFHDR_H
#define TLSTAP_TESTS_ELFHDR_H

/*
 * The ELF header of the small synthetic files unit tests and fuzz harnesses
 * build in memory: ELF64, little-endian, an executable for machine, entry
 * sizes set; the caller fills the counts and offsets of its headers.
 */

#include <elf.h>
#include <string.h>

static inline void tt_test_ehdr(Elf64_Ehdr *eh, uint16_t machine)
{
	memset(eh, 0, sizeof(*eh));
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	eh->e_type = ET_EXEC;
	eh->e_machine = machine;
	eh->e_version = EV_CURRENT;
	eh->e_ehsize = sizeof(*eh);
	eh->e_phentsize = sizeof(Elf64_Phdr);
	eh->e_shentsize = sizeof(Elf64_Shdr);
}

#endif
