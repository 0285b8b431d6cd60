// SPDX-License-Identifier: MIT
/*
 * Where an amd64 Go binary keeps g, the running goroutine, relative to the
 * thread pointer (FS base), so that a kernel-side program can find the
 * goroutine of the current thread.
 *
 * Go stores g in a thread-local word: runtime.tlsg, the only variable of the
 * executable's PT_TLS segment.  x86-64 uses TLS variant II: the
 * executable's block ends at the thread pointer, so a variable at offset
 * st_value in the segment lives at
 *
 *     FS + st_value - round_up(p_memsz, p_align)
 *
 * (glibc's _dl_determine_tlsoffset for the first module, whose block starts
 * aligned: p_vaddr % p_align == 0, checked).  Without runtime.tlsg
 * (stripped), the offset is still known when PT_TLS is Go's 8-byte slot
 * alone: -8.  A static binary has no PT_TLS and no loader: the runtime sets
 * FS itself (runtime·settls, "ELF wants to use -8(FS)"), g is at -8 too.
 * Anything else (a PT_TLS shared with C code, and no symbol) is unknown.
 * arm64 keeps g in R28: not applicable.
 */
#include <elf.h>
#include <errno.h>

#include "golayout.h"

#define GO_TLS_SLOT 8 /* bytes of Go's own TLS: one pointer */

struct tls_seg {
	bool found;
	bool interp;
	uint64_t vaddr, memsz, align;
};

static void find_segments(const struct tt_elf *elf, struct tls_seg *t)
{
	struct tt_elf_segment g;

	for (size_t i = 0; !tt_elf_segment_at(elf, i, &g); i++) {
		if (g.type == PT_INTERP)
			t->interp = true;
		if (g.type != PT_TLS || t->found)
			continue;
		t->found = true;
		t->vaddr = g.vaddr;
		t->memsz = g.memsz;
		t->align = g.align ? g.align : 1;
	}
}

static bool power_of_two(uint64_t v)
{
	return v && !(v & (v - 1));
}

int tt_go_tls_g(const struct tt_elf *elf, enum tt_arch arch, int64_t *offset,
		struct tt_error *err)
{
	struct tls_seg t = { 0 };
	struct tt_elf_symbol sym;
	uint64_t block;

	if (arch != TT_ARCH_X86_64)
		return tt_error_set(err, ENOTSUP, "g is in a register on this architecture");
	find_segments(elf, &t);
	if (!t.found) {
		/* A dynamic binary always has PT_TLS: the loader sets FS. */
		if (t.interp || tt_elf_is_pie(elf))
			return tt_error_set(err, ENOENT, "dynamic binary without PT_TLS");
		*offset = -GO_TLS_SLOT; /* runtime·settls */
		return 0;
	}
	if (!power_of_two(t.align) || t.vaddr % t.align || t.memsz > (1ULL << 30))
		return tt_error_set(err, EINVAL, "corrupted: PT_TLS alignment or size");
	block = (t.memsz + t.align - 1) & ~(t.align - 1);
	if (!tt_elf_find_symbol(elf, "runtime.tlsg", TT_ELF_SYMTAB | TT_ELF_DYNSYM, &sym)) {
		if (sym.type != STT_TLS || sym.value > t.memsz || t.memsz - sym.value < GO_TLS_SLOT)
			return tt_error_set(err, EINVAL, "corrupted: runtime.tlsg outside PT_TLS");
		*offset = (int64_t)sym.value - (int64_t)block;
		return 0;
	}
	if (t.memsz != GO_TLS_SLOT)
		return tt_error_set(err, ENOENT,
				    "PT_TLS holds more than Go's slot and runtime.tlsg is stripped");
	*offset = -(int64_t)block;
	return 0;
}
