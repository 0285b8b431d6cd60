/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_RESOLVER_ELF_H
#define TLSTAP_RESOLVER_ELF_H

/*
 * The ELF layer shared by the Go and the native resolvers.  The file is
 * mapped read-only once; every section, segment and symbol is checked against
 * the file size before use, so a truncated or corrupted input gives an error,
 * never an out-of-bounds read.  Internal to resolver/.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlstap/error.h"
#include "tlstap/resolve.h"

struct tt_elf;

struct tt_elf_section {
	const char *name;
	uint32_t type;   /* SHT_* */
	uint64_t flags;  /* SHF_* */
	uint64_t addr;   /* sh_addr */
	uint64_t offset; /* sh_offset */
	uint64_t size;   /* sh_size */
	/* Bytes of the section in the mapping (NULL for SHT_NOBITS); size bytes
	 * are valid.  For SHF_COMPRESSED sections these are the compressed bytes. */
	const uint8_t *data;
};

enum tt_elf_symtab {
	TT_ELF_SYMTAB = 1 << 0, /* .symtab */
	TT_ELF_DYNSYM = 1 << 1, /* .dynsym */
};

struct tt_elf_symbol {
	const char *name;    /* without the @VERSION suffix */
	const char *version; /* ".gnu.version" name ("OPENSSL_3.0.0"), or NULL */
	uint64_t value;      /* st_value (virtual address) */
	uint64_t size;
	uint8_t type;        /* STT_* */
	uint8_t bind;        /* STB_* */
	uint16_t shndx;
	enum tt_elf_symtab table;
};

/* Open and map a file.  Fails with a one-line reason for non-ELF, truncated,
 * unsupported class/endianness, or malformed headers. */
int tt_elf_open(const char *path, struct tt_elf **out, struct tt_error *err);
/* Same from an open fd (not closed, not kept). */
int tt_elf_open_fd(int fd, const char *display_path, struct tt_elf **out, struct tt_error *err);
/* Same from a memory buffer (fuzzing, tests); the buffer must outlive the handle. */
int tt_elf_open_mem(const void *buf, size_t len, struct tt_elf **out, struct tt_error *err);
void tt_elf_close(struct tt_elf *elf);

enum tt_arch tt_elf_arch(const struct tt_elf *elf);
bool tt_elf_is_pie(const struct tt_elf *elf); /* ET_DYN with an entry point / PT_INTERP-less ET_DYN executables */
bool tt_elf_is_shared_object(const struct tt_elf *elf); /* ET_DYN */
const char *tt_elf_build_id(const struct tt_elf *elf); /* hex, "" when none */
const uint8_t *tt_elf_data(const struct tt_elf *elf, size_t *size); /* whole file */
uint64_t tt_elf_dev(const struct tt_elf *elf);
uint64_t tt_elf_ino(const struct tt_elf *elf);

/* Section by name; returns 0 or -ENOENT. */
int tt_elf_section(const struct tt_elf *elf, const char *name, struct tt_elf_section *out);
/* Iterate over sections: index 0..n-1; returns -ENOENT past the end. */
int tt_elf_section_at(const struct tt_elf *elf, size_t index, struct tt_elf_section *out);

/* One program header.  For PT_LOAD, data points at the p_filesz bytes in the
 * file (checked when the file was opened); NULL for other types. */
struct tt_elf_segment {
	uint32_t type;   /* PT_* */
	uint32_t flags;  /* PF_* */
	uint64_t vaddr, memsz, filesz, align;
	const uint8_t *data;
};

/* Iterate over program headers: index 0..n-1; -ENOENT past the end. */
int tt_elf_segment_at(const struct tt_elf *elf, size_t index, struct tt_elf_segment *out);

/* Virtual address -> file offset through the PT_LOAD segment that maps it
 * with file backing.  -ENOENT when no segment maps vaddr from the file. */
int tt_elf_vaddr_to_offset(const struct tt_elf *elf, uint64_t vaddr, uint64_t *offset);
/* Copy len bytes at vaddr (must be file-backed in one PT_LOAD); -EFAULT otherwise. */
int tt_elf_read_vaddr(const struct tt_elf *elf, uint64_t vaddr, void *buf, size_t len);
/* Pointer to len contiguous bytes at vaddr inside the mapping, or NULL. */
const uint8_t *tt_elf_ptr_vaddr(const struct tt_elf *elf, uint64_t vaddr, size_t len);

/* Symbol lookup by exact name (version suffix not part of the name).  When
 * several match, the default version (@@) wins, then .symtab over .dynsym.
 * Returns 0 or -ENOENT. */
int tt_elf_find_symbol(const struct tt_elf *elf, const char *name, unsigned tables,
		       struct tt_elf_symbol *out);
/* Call fn for every named symbol of the tables; a non-zero return stops the
 * walk and is returned. */
int tt_elf_foreach_symbol(const struct tt_elf *elf, unsigned tables,
			  int (*fn)(const struct tt_elf_symbol *sym, void *ctx), void *ctx);
bool tt_elf_has_symtab(const struct tt_elf *elf);

#endif
