// SPDX-License-Identifier: MIT
/*
 * The disassembler on hand-assembled code: RET sites with undecodable bytes
 * in between, the prologue boundary, the "kernel emulates a uprobe here"
 * flag (x86: arch/x86/kernel/uprobes.c; arm64: probes/decode-insn.c) and
 * the Go ABI registers each instruction writes.
 */
#include "testutil.h"

#include <elf.h>
#include <errno.h>

#include "elf.h"
#include "goint.h"

#define BASE 0x400000ULL
#define CODE_OFF 0x100

static uint8_t image[0x1000];

/* A one-PT_LOAD ELF with code at BASE + CODE_OFF (no sections needed). */
static struct tt_elf *open_code(uint16_t machine, const void *code, size_t len)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };
	struct tt_error err = { { 0 } };
	struct tt_elf *e = NULL;

	memset(image, 0, sizeof(image));
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_type = ET_EXEC;
	eh.e_machine = machine;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_LOAD;
	ph.p_vaddr = BASE;
	ph.p_filesz = ph.p_memsz = sizeof(image);
	memcpy(image, &eh, sizeof(eh));
	memcpy(image + sizeof(eh), &ph, sizeof(ph));
	memcpy(image + CODE_OFF, code, len);
	assert_int_equal(tt_elf_open_mem(image, sizeof(image), &e, &err), 0);
	return e;
}

static struct tt_function func(size_t len)
{
	struct tt_function f = { .name = "t", .address = BASE + CODE_OFF,
				 .file_offset = CODE_OFF, .size = len };
	return f;
}

/* Go 1.21+ amd64 shape, then code with an undecodable byte and two RETs. */
static const uint8_t x86_code[] = {
	0x49, 0x3b, 0x66, 0x10,             /*  0 cmp rsp, [r14+0x10]   */
	0x76, 0x20,                         /*  4 jbe +0x20             */
	0x55,                               /*  6 push rbp              */
	0x48, 0x89, 0xe5,                   /*  7 mov rbp, rsp          */
	0x48, 0x83, 0xec, 0x10,             /* 10 sub rsp, 0x10         */
	0x48, 0x89, 0xd8,                   /* 14 mov rax, rbx  (body)  */
	0x0f, 0x1f, 0x44, 0x00, 0x00,       /* 17 nop dword [rax+rax]   */
	0xc3,                               /* 22 ret                   */
	0x06,                               /* 23 invalid in 64-bit     */
	0x31, 0xc9,                         /* 24 xor ecx, ecx          */
	0xe8, 0x00, 0x00, 0x00, 0x00,       /* 26 call +0               */
	0xc3,                               /* 31 ret                   */
};

static void test_x86(void **state)
{
	struct tt_error err = { { 0 } };
	struct tt_elf *e = open_code(EM_X86_64, x86_code, sizeof(x86_code));
	struct tt_function f = func(sizeof(x86_code));

	(void)state;
	assert_int_equal(tt_disasm_returns(e, TT_ARCH_X86_64, &f, &err), 0);
	assert_int_equal(f.n_returns, 2);
	assert_int_equal(f.returns[0], CODE_OFF + 22);
	assert_int_equal(f.returns[1], CODE_OFF + 31);

	assert_int_equal(tt_disasm_prologue(e, TT_ARCH_X86_64, &f, &err), 0);
	assert_int_equal(f.n_prologue, 5); /* stops before the body's mov */
	assert_string_equal(f.prologue[0].text, "cmp rsp, qword ptr [r14 + 0x10]");
	assert_false(f.prologue[0].emulated);
	assert_true(f.prologue[1].emulated);  /* jbe */
	assert_true(f.prologue[2].emulated);  /* push rbp */
	assert_false(f.prologue[3].emulated); /* mov rbp, rsp */
	assert_false(f.prologue[4].emulated); /* sub rsp */
	assert_int_equal(f.prologue[4].file_offset, CODE_OFF + 10);
	for (size_t i = 0; i < f.n_prologue; i++)
		assert_int_equal(f.prologue[i].regs_written, 0);
	free(f.returns);
	free(f.prologue);
	tt_elf_close(e);
}

/* Flags and register masks of single instructions. */
static const struct {
	enum tt_arch arch;
	uint8_t bytes[8];
	size_t len;
	bool emulated;
	uint32_t regs;
	bool writes_sp;
} one[] = {
	{ TT_ARCH_X86_64, { 0x48, 0x89, 0xd8 }, 3, false, 1u << 0, false },       /* mov rax, rbx */
	{ TT_ARCH_X86_64, { 0x31, 0xc9 }, 2, false, 1u << 2, false },             /* xor ecx, ecx */
	{ TT_ARCH_X86_64, { 0x4d, 0x31, 0xdb }, 3, false, 1u << 8, false },       /* xor r11, r11 */
	{ TT_ARCH_X86_64, { 0x48, 0x8b, 0x7c, 0x24, 0x08 }, 5, false, 1u << 3, false }, /* mov rdi, [rsp+8] */
	{ TT_ARCH_X86_64, { 0x0f, 0x1f, 0x44, 0x00, 0x00 }, 5, true, 0, false },  /* nopl */
	{ TT_ARCH_X86_64, { 0x90 }, 1, true, 0, false },                          /* nop */
	{ TT_ARCH_X86_64, { 0xe8, 0, 0, 0, 0 }, 5, true, 0x1ff, true },          /* call: clobbers all */
	{ TT_ARCH_X86_64, { 0xc3 }, 1, false, 0, true },                         /* ret: stepped */
	{ TT_ARCH_X86_64, { 0x41, 0x57 }, 2, true, 0, true },                    /* push r15 */
	{ TT_ARCH_X86_64, { 0xff, 0xe0 }, 2, false, 0, false },                   /* jmp rax */
	{ TT_ARCH_X86_64, { 0xeb, 0x00 }, 2, true, 0, false },                    /* jmp rel8 */
	{ TT_ARCH_X86_64, { 0x0f, 0x84, 0, 0, 0, 0 }, 6, true, 0, false },        /* je rel32 */
	{ TT_ARCH_ARM64, { 0xe0, 0x03, 0x01, 0xaa }, 4, false, 1u << 0, false },  /* mov x0, x1 */
	{ TT_ARCH_ARM64, { 0xef, 0x03, 0x01, 0x2a }, 4, false, 1u << 15, false }, /* mov w15, w1 */
	{ TT_ARCH_ARM64, { 0x1f, 0x20, 0x03, 0xd5 }, 4, true, 0, false },         /* nop */
	{ TT_ARCH_ARM64, { 0xc0, 0x03, 0x5f, 0xd6 }, 4, true, 0, false },         /* ret */
	{ TT_ARCH_ARM64, { 0x00, 0x00, 0x00, 0x94 }, 4, true, 0xffff, true },    /* bl: clobbers all */
	{ TT_ARCH_ARM64, { 0x00, 0x00, 0x00, 0x90 }, 4, true, 1u << 0, false },   /* adrp x0 */
	{ TT_ARCH_ARM64, { 0xfd, 0x7b, 0xbf, 0xa9 }, 4, false, 0, true },        /* stp x29, x30, [sp,#-16]! */
	{ TT_ARCH_X86_64, { 0x48, 0x83, 0xec, 0x18 }, 4, false, 0, true },     /* sub rsp, 0x18 */
	{ TT_ARCH_X86_64, { 0x49, 0x3b, 0x66, 0x10 }, 4, false, 0, false },    /* cmp rsp, [r14+0x10] */
	{ TT_ARCH_ARM64, { 0xfe, 0x0f, 0x1e, 0xf8 }, 4, false, 0, true },      /* str x30, [sp,#-32]! */
	{ TT_ARCH_ARM64, { 0x90, 0x0b, 0x40, 0xf9 }, 4, false, 0, false },     /* ldr x16, [x28,#16] */
};

static void test_single(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(one); i++) {
		struct tt_error err = { { 0 } };
		struct tt_insn t;

		assert_int_equal(tt_disasm_insn(one[i].arch, one[i].bytes, one[i].len, 0x1000, &t,
						&err), 0);
		if (t.emulated != one[i].emulated || t.regs_written != one[i].regs ||
		    t.writes_sp != one[i].writes_sp)
			fprintf(stderr, "case %zu: %s: emulated %d regs %#x sp %d\n", i, t.text,
				t.emulated, t.regs_written, t.writes_sp);
		assert_int_equal(t.size, one[i].len);
		assert_int_equal(t.emulated, one[i].emulated);
		assert_int_equal(t.regs_written, one[i].regs);
		assert_int_equal(t.writes_sp, one[i].writes_sp);
	}
}

/* Go arm64 shape (little-endian words). */
static const uint32_t arm_code[] = {
	0xf9400b90, /*  0 ldr x16, [x28, #16]       */
	0xeb3063ff, /*  4 cmp sp, x16               */
	0x54000109, /*  8 b.ls +0x20                */
	0xf81e0ffe, /* 12 str x30, [sp, #-32]!      */
	0xf81f83fd, /* 16 stur x29, [sp, #-8]       */
	0xd10023fd, /* 20 sub x29, sp, #8           */
	0xaa0103e0, /* 24 mov x0, x1    (body)      */
	0xd65f03c0, /* 28 ret                       */
	0xffffffff, /* 32 undecodable               */
	0xd65f03c0, /* 36 ret                       */
};

static void test_arm64(void **state)
{
	struct tt_error err = { { 0 } };
	struct tt_elf *e = open_code(EM_AARCH64, arm_code, sizeof(arm_code));
	struct tt_function f = func(sizeof(arm_code));

	(void)state;
	assert_int_equal(tt_elf_arch(e), TT_ARCH_ARM64);
	assert_int_equal(tt_disasm_returns(e, TT_ARCH_ARM64, &f, &err), 0);
	assert_int_equal(f.n_returns, 2);
	assert_int_equal(f.returns[0], CODE_OFF + 28);
	assert_int_equal(f.returns[1], CODE_OFF + 36);
	assert_int_equal(tt_disasm_prologue(e, TT_ARCH_ARM64, &f, &err), 0);
	assert_int_equal(f.n_prologue, 6);
	assert_false(f.prologue[0].emulated); /* ldr (register base) */
	assert_false(f.prologue[1].emulated);
	assert_true(f.prologue[2].emulated);  /* b.ls */
	assert_false(f.prologue[3].emulated); /* str x30 (stepped) */
	for (size_t i = 0; i < f.n_prologue; i++)
		assert_int_equal(f.prologue[i].regs_written, 0);
	free(f.returns);
	free(f.prologue);
	tt_elf_close(e);
}

/* A function outside the file is an error with a message, not a crash. */
static void test_out_of_file(void **state)
{
	struct tt_error err = { { 0 } };
	struct tt_elf *e = open_code(EM_X86_64, x86_code, sizeof(x86_code));
	struct tt_function f = func(sizeof(image));

	(void)state;
	assert_int_equal(tt_disasm_returns(e, TT_ARCH_X86_64, &f, &err), -EINVAL);
	assert_non_null(strstr(err.msg, "not in the file"));
	f.size = 0;
	assert_int_equal(tt_disasm_prologue(e, TT_ARCH_X86_64, &f, &err), -EINVAL);
	tt_elf_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_x86),
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_arm64),
		cmocka_unit_test(test_out_of_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
