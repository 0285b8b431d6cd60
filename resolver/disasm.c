// SPDX-License-Identifier: MIT
/*
 * Disassembly of the traced Go functions with capstone (x86-64, arm64):
 *
 * - every RET in [entry, entry+size) by a linear sweep: Go emits no data in
 *   its text on these architectures, so a sweep sees the real instructions;
 *   undecodable bytes are skipped (1 byte on x86, one 4-byte word on arm64);
 * - the prologue: the stack-bound check (`cmp rsp,[r14+0x10]; jbe` or
 *   `ldr x16,[x28,#16]; cmp sp,x16; b.ls`) and the frame setup, each
 *   instruction with whether a uprobe on it is emulated by the kernel and
 *   which Go ABI integer registers it writes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <capstone/capstone.h>

#include "goint.h"

#define PROLOGUE_MAX 16
/* A traced function bigger than this is not a Go method we know. */
#define FUNC_MAX (16u << 20)

static int open_cs(enum tt_arch arch, csh *h, struct tt_error *err)
{
	cs_err ce;

	if (arch == TT_ARCH_X86_64)
		ce = cs_open(CS_ARCH_X86, CS_MODE_64, h);
	else if (arch == TT_ARCH_ARM64)
		ce = cs_open(CS_ARCH_ARM64, CS_MODE_ARM, h);
	else
		return tt_error_set(err, ENOTSUP, "no disassembler for this architecture");
	if (ce != CS_ERR_OK)
		return tt_error_set(err, EINVAL, "capstone: %s", cs_strerror(ce));
	return 0;
}

/* Bytes of the function in the file; fails if not file-backed. */
static const uint8_t *func_bytes(const struct tt_elf *elf, const struct tt_function *f,
				 struct tt_error *err)
{
	const uint8_t *p;

	if (!f->size || f->size > FUNC_MAX)
		return tt_error_set(err, EINVAL, "%s: implausible size %llu", f->name,
				    (unsigned long long)f->size), NULL;
	p = tt_elf_ptr_vaddr(elf, f->address, f->size);
	if (!p)
		tt_error_set(err, EINVAL, "truncated: %s [0x%llx, +%llu) is not in the file", f->name,
			     (unsigned long long)f->address, (unsigned long long)f->size);
	return p;
}

/* The function's bytes and a capstone handle to decode them (closed by
 * the caller). */
static int disasm_begin(const struct tt_elf *elf, enum tt_arch arch, const struct tt_function *f,
			const uint8_t **code, csh *h, struct tt_error *err)
{
	*code = func_bytes(elf, f, err);
	if (!*code)
		return -EINVAL;
	return open_cs(arch, h, err);
}

static bool is_ret(enum tt_arch arch, const cs_insn *in)
{
	if (arch == TT_ARCH_X86_64)
		return in->id == X86_INS_RET;
	return in->id == ARM64_INS_RET;
}

int tt_disasm_returns(const struct tt_elf *elf, enum tt_arch arch, struct tt_function *f,
		      struct tt_error *err)
{
	const uint8_t *code, *p;
	size_t left, cap = 0, skip = arch == TT_ARCH_ARM64 ? 4 : 1;
	uint64_t addr;
	cs_insn *in;
	csh h;
	int ret;

	ret = disasm_begin(elf, arch, f, &code, &h, err);
	if (ret)
		return ret;
	in = cs_malloc(h);
	if (!in) {
		ret = tt_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	p = code;
	left = f->size;
	addr = f->address;
	while (left) {
		if (!cs_disasm_iter(h, &p, &left, &addr, in)) {
			/* Undecodable: skip and resync, as objdump does. */
			size_t n = left < skip ? left : skip;

			p += n;
			left -= n;
			addr += n;
			continue;
		}
		if (!is_ret(arch, in))
			continue;
		if (f->n_returns == cap) {
			size_t ncap = cap ? 2 * cap : 8;
			uint64_t *r = realloc(f->returns, ncap * sizeof(*r));

			if (!r) {
				ret = tt_error_set(err, ENOMEM, "out of memory");
				goto out;
			}
			f->returns = r;
			cap = ncap;
		}
		f->returns[f->n_returns++] = f->file_offset + (in->address - f->address);
	}
out:
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return ret;
}

/* Go ABI integer register index of a capstone register, or -1. */
static int abi_reg_x86(unsigned r)
{
	static const unsigned map[][5] = {
		{ X86_REG_RAX, X86_REG_EAX, X86_REG_AX, X86_REG_AL, X86_REG_AH },
		{ X86_REG_RBX, X86_REG_EBX, X86_REG_BX, X86_REG_BL, X86_REG_BH },
		{ X86_REG_RCX, X86_REG_ECX, X86_REG_CX, X86_REG_CL, X86_REG_CH },
		{ X86_REG_RDI, X86_REG_EDI, X86_REG_DI, X86_REG_DIL, 0 },
		{ X86_REG_RSI, X86_REG_ESI, X86_REG_SI, X86_REG_SIL, 0 },
		{ X86_REG_R8, X86_REG_R8D, X86_REG_R8W, X86_REG_R8B, 0 },
		{ X86_REG_R9, X86_REG_R9D, X86_REG_R9W, X86_REG_R9B, 0 },
		{ X86_REG_R10, X86_REG_R10D, X86_REG_R10W, X86_REG_R10B, 0 },
		{ X86_REG_R11, X86_REG_R11D, X86_REG_R11W, X86_REG_R11B, 0 },
	};

	for (int i = 0; i < 9; i++)
		for (int j = 0; j < 5; j++)
			if (map[i][j] && map[i][j] == r)
				return i;
	return -1;
}

static int abi_reg_arm64(unsigned r)
{
	if (r >= ARM64_REG_X0 && r <= ARM64_REG_X15)
		return r - ARM64_REG_X0;
	if (r >= ARM64_REG_W0 && r <= ARM64_REG_W15)
		return r - ARM64_REG_W0;
	return -1;
}

/* capstone 4 puts no arm64 call in CS_GRP_CALL; match the ids. */
static bool is_call(csh h, enum tt_arch arch, const cs_insn *in)
{
	if (arch == TT_ARCH_ARM64)
		return in->id == ARM64_INS_BL || in->id == ARM64_INS_BLR;
	return cs_insn_group(h, in, CS_GRP_CALL);
}

/* Go ABI registers an instruction writes.  A call clobbers them all: Go
 * has no callee-saved registers. */
static uint32_t regs_written(csh h, enum tt_arch arch, const cs_insn *in)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;
	uint32_t mask = 0;

	if (cs_regs_access(h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return 0;
	for (unsigned i = 0; i < nwr; i++) {
		int idx = arch == TT_ARCH_X86_64 ? abi_reg_x86(wr[i]) : abi_reg_arm64(wr[i]);

		if (idx >= 0)
			mask |= 1u << idx;
	}
	if (is_call(h, arch, in))
		mask |= arch == TT_ARCH_X86_64 ? 0x1ff : 0xffff;
	return mask;
}

/*
 * x86-64 (arch/x86/kernel/uprobes.c, 6.x): branch_setup_xol_ops emulates
 * nops (insn_is_nop: 0x90, 0f 1f /0), jmp rel8/rel32, call rel32 and jcc
 * rel8/rel32 (not with a 0x66 prefix); push_setup_xol_ops emulates
 * `push reg`.  Everything else, `ret` included, is single-stepped.
 */
static bool emulated_x86(csh h, const cs_insn *in)
{
	const cs_x86 *x = &in->detail->x86;

	if (x->prefix[2] == 0x66 && (cs_insn_group(h, in, CS_GRP_JUMP) || in->id == X86_INS_CALL))
		return false;
	switch (in->id) {
	case X86_INS_NOP:
		return true;
	case X86_INS_PUSH:
		return x->op_count == 1 && x->operands[0].type == X86_OP_REG &&
		       x->operands[0].size == 8;
	case X86_INS_CALL:
	case X86_INS_JMP:
		return x->op_count == 1 && x->operands[0].type == X86_OP_IMM;
	default:
		break;
	}
	/* Conditional jumps: 0x70-0x7f and 0f 80-8f, relative only. */
	if ((x->opcode[0] >= 0x70 && x->opcode[0] <= 0x7f) ||
	    (x->opcode[0] == 0x0f && x->opcode[1] >= 0x80 && x->opcode[1] <= 0x8f))
		return true;
	return false;
}

/*
 * arm64 (arch/arm64/kernel/probes/decode-insn.c, simulate-insn.c):
 * simulated are b, bl, b.cond, cbz/cbnz, tbz/tbnz, adr/adrp, ldr/ldrsw
 * (literal), br/blr/ret and nop; the rest is stepped out of line.
 */
static bool emulated_arm64(const cs_insn *in)
{
	uint32_t w;

	memcpy(&w, in->bytes, 4);
	if (w == 0xd503201f)                     /* nop */
		return true;
	if ((w & 0x7c000000) == 0x14000000)      /* b, bl */
		return true;
	if ((w & 0xff000010) == 0x54000000)      /* b.cond */
		return true;
	if ((w & 0x7e000000) == 0x34000000)      /* cbz, cbnz */
		return true;
	if ((w & 0x7e000000) == 0x36000000)      /* tbz, tbnz */
		return true;
	if ((w & 0x1f000000) == 0x10000000)      /* adr, adrp */
		return true;
	if ((w & 0xbf000000) == 0x18000000 ||    /* ldr (literal) w/x */
	    (w & 0xff000000) == 0x98000000)      /* ldrsw (literal) */
		return true;
	if ((w & 0xff9ffc1f) == 0xd61f0000 ||    /* br, blr */
	    (w & 0xfffffc1f) == 0xd65f0000)      /* ret */
		return true;
	return false;
}

/* Does the insn belong to the frame setup: writes the stack or frame pointer,
 * or saves the frame pointer / link register? */
static bool is_frame_insn(csh h, enum tt_arch arch, const cs_insn *in)
{
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;
	unsigned sp, fp, lr;

	if (cs_regs_access(h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return false;
	if (arch == TT_ARCH_X86_64) {
		sp = X86_REG_RSP, fp = X86_REG_RBP, lr = 0;
		if (in->id == X86_INS_PUSH)
			return true;
	} else {
		sp = ARM64_REG_SP, fp = ARM64_REG_X29, lr = ARM64_REG_X30;
	}
	if (is_call(h, arch, in) || cs_insn_group(h, in, CS_GRP_JUMP) ||
	    cs_insn_group(h, in, CS_GRP_RET))
		return false;
	for (unsigned i = 0; i < nwr; i++)
		if (wr[i] == sp || wr[i] == fp)
			return true;
	/* A store of the frame pointer or link register (mov [rsp+N], rbp;
	 * stur x29, [sp, #-8]). */
	if (arch == TT_ARCH_X86_64) {
		const cs_x86 *x = &in->detail->x86;

		return in->id == X86_INS_MOV && x->op_count == 2 && x->operands[0].type == X86_OP_MEM &&
		       x->operands[1].type == X86_OP_REG && x->operands[1].reg == fp;
	}
	for (unsigned i = 0; i < nrd; i++)
		if ((rd[i] == fp || rd[i] == lr) &&
		    (in->id == ARM64_INS_STR || in->id == ARM64_INS_STUR || in->id == ARM64_INS_STP))
			return true;
	return false;
}

/* Does the instruction move the stack pointer (explicitly, or as push, pop
 * and call do)? */
static bool writes_sp(csh h, enum tt_arch arch, const cs_insn *in)
{
	unsigned sp = arch == TT_ARCH_X86_64 ? X86_REG_RSP : ARM64_REG_SP;
	cs_regs rd, wr;
	uint8_t nrd = 0, nwr = 0;

	if (is_call(h, arch, in))
		return true;
	if (cs_regs_access(h, in, rd, &nrd, wr, &nwr) != CS_ERR_OK)
		return true; /* unknown: assume the worst */
	for (unsigned i = 0; i < nwr; i++)
		if (wr[i] == sp)
			return true;
	/* arm64 pre/post-indexed stores and loads write back their base. */
	if (arch == TT_ARCH_ARM64 && in->detail->arm64.writeback) {
		const cs_arm64 *a = &in->detail->arm64;

		for (unsigned i = 0; i < a->op_count; i++)
			if (a->operands[i].type == ARM64_OP_MEM && a->operands[i].mem.base == sp)
				return true;
	}
	return false;
}

static void fill_insn(csh h, enum tt_arch arch, const cs_insn *in, struct tt_insn *t)
{
	t->address = in->address;
	t->size = in->size;
	/* Bounded so it always fits: a very long operand string is cut. */
	snprintf(t->text, sizeof(t->text), "%.31s%s%.47s", in->mnemonic, in->op_str[0] ? " " : "",
		 in->op_str);
	t->emulated = arch == TT_ARCH_X86_64 ? emulated_x86(h, in) : emulated_arm64(in);
	t->regs_written = regs_written(h, arch, in);
	t->writes_sp = writes_sp(h, arch, in);
}

static void add_insn(struct tt_function *f, csh h, enum tt_arch arch, const cs_insn *in)
{
	struct tt_insn *t = &f->prologue[f->n_prologue++];

	fill_insn(h, arch, in, t);
	t->file_offset = f->file_offset + (in->address - f->address);
}

int tt_disasm_insn(enum tt_arch arch, const uint8_t *code, size_t len, uint64_t address,
		   struct tt_insn *out, struct tt_error *err)
{
	cs_insn *in;
	csh h;
	int ret;

	ret = open_cs(arch, &h, err);
	if (ret)
		return ret;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	in = cs_malloc(h);
	if (!in) {
		ret = tt_error_set(err, ENOMEM, "out of memory");
	} else if (!cs_disasm_iter(h, &code, &len, &address, in)) {
		ret = tt_error_set(err, EINVAL, "undecodable instruction");
	} else {
		memset(out, 0, sizeof(*out));
		fill_insn(h, arch, in, out);
	}
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return ret;
}

/*
 * Decode: the stack check is everything up to the first conditional branch
 * if that comes within the first 4 instructions (a NOSPLIT function has
 * none); then the frame setup is the run of frame instructions after it.
 */
int tt_disasm_prologue(const struct tt_elf *elf, enum tt_arch arch, struct tt_function *f,
		       struct tt_error *err)
{
	const uint8_t *code, *p;
	size_t left;
	uint64_t addr;
	cs_insn *in = NULL;
	size_t check_end = 0;
	csh h;
	int ret;

	ret = disasm_begin(elf, arch, f, &code, &h, err);
	if (ret)
		return ret;
	cs_option(h, CS_OPT_DETAIL, CS_OPT_ON);
	f->prologue = calloc(PROLOGUE_MAX, sizeof(*f->prologue));
	in = cs_malloc(h);
	if (!f->prologue || !in) {
		ret = tt_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	/* Pass 1: find the end of the stack check. */
	p = code, left = f->size, addr = f->address;
	for (size_t i = 0; i < 4 && cs_disasm_iter(h, &p, &left, &addr, in); i++) {
		if (cs_insn_group(h, in, CS_GRP_JUMP) &&
		    (arch == TT_ARCH_ARM64 ? in->id == ARM64_INS_B && in->detail->arm64.cc :
					     in->id != X86_INS_JMP)) {
			check_end = i + 1;
			break;
		}
	}
	/* Pass 2: record the check, then the frame instructions that follow. */
	p = code, left = f->size, addr = f->address;
	while (f->n_prologue < PROLOGUE_MAX && cs_disasm_iter(h, &p, &left, &addr, in)) {
		if (f->n_prologue >= check_end && !is_frame_insn(h, arch, in))
			break;
		add_insn(f, h, arch, in);
	}
out:
	if (in)
		cs_free(in, 1);
	cs_close(&h);
	return ret;
}
