/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_RESOLVER_GOINT_H
#define TLSTAP_RESOLVER_GOINT_H

/*
 * Internal interfaces between the pieces of the Go resolver: buildinfo.c,
 * pclntab.c, disasm.c and goabi.c.  go.c glues them together.
 */

#include "elf.h"

/* --- buildinfo.c ------------------------------------------------------- */

struct tt_buildinfo {
	char version[32];  /* "go1.22.5" (goexperiment suffixes cut) */
	int major, minor, patch;
	char module[256];  /* main module path, "" when unknown */
	int cgo_setting;   /* CGO_ENABLED from build settings: 1, 0, or -1 unknown */
};

/* Read .go.buildinfo (or the first writable PT_LOAD, as debug/buildinfo
 * does).  -ENOENT when there is none, -EINVAL when malformed. */
int tt_go_buildinfo(const struct tt_elf *elf, struct tt_buildinfo *bi, struct tt_error *err);

/* Parse "go1.22.5", "1.22", "go1.21rc2"; returns 0 or -EINVAL. */
int tt_go_parse_version(const char *s, int *major, int *minor, int *patch);

/* --- pclntab.c --------------------------------------------------------- */

struct tt_pclntab {
	const uint8_t *data; /* whole table, from the header */
	uint64_t size;
	uint64_t vaddr;      /* where the table is mapped, 0 if unknown */
	uint32_t magic;
	uint8_t ptrsize, quantum;
	uint64_t nfunc;
	uint64_t text_start; /* runtime.text (1.18+); 0 for 1.16 */
	const uint8_t *funcnametab, *functab, *funcdata;
	uint64_t funcnametab_size, functab_size, funcdata_size;
};

/* Find and validate the pclntab (section, runtime.pclntab symbol, or a scan
 * for the magic with header checks).  -ENOENT when absent. */
int tt_pclntab_open(const struct tt_elf *elf, struct tt_pclntab *pt, struct tt_error *err);

/* Look up n function names in one pass over the function table.  For each
 * name found, entry[i] and size[i] are set (size from the next function's
 * entry, or the table's end).  Unfound ones keep entry[i] = 0. */
int tt_pclntab_lookup(const struct tt_pclntab *pt, const char *const *names, size_t n,
		      uint64_t *entry, uint64_t *size, struct tt_error *err);

/* Every function of the table in PC order: entry, end (next entry), name
 * (NULL when out of bounds).  A non-zero return of fn stops the walk. */
int tt_pclntab_foreach(const struct tt_pclntab *pt,
		       int (*fn)(uint64_t entry, uint64_t end, const char *name, void *ctx), void *ctx);

/* --- disasm.c ---------------------------------------------------------- */

/* Every RET in [address, address+size): file offsets into f->returns. */
int tt_disasm_returns(const struct tt_elf *elf, enum tt_arch arch, struct tt_function *f,
		      struct tt_error *err);
/* The prologue: stack check and frame setup, into f->prologue. */
int tt_disasm_prologue(const struct tt_elf *elf, enum tt_arch arch, struct tt_function *f,
		       struct tt_error *err);

/* One instruction at code (for tests and tools): text, size, emulated,
 * regs_written; file_offset left 0. */
int tt_disasm_insn(enum tt_arch arch, const uint8_t *code, size_t len, uint64_t address,
		   struct tt_insn *out, struct tt_error *err);

/* --- goabi.c ----------------------------------------------------------- */

/* Argument and result locations of a traced function (by canonical name). */
int tt_goabi_locations(enum tt_arch arch, enum tt_go_abi abi, struct tt_function *f,
		       struct tt_error *err);

#endif
