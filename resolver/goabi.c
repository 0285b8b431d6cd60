// SPDX-License-Identifier: MIT
/*
 * Where the traced functions find their arguments at entry and leave their
 * results at RET, from the Go calling conventions:
 *
 * - ABIInternal (src/cmd/compile/abi-internal.md): integer registers
 *   amd64 RAX RBX RCX RDI RSI R8 R9 R10 R11, arm64 R0..R15.  Each argument
 *   is assigned as a whole: all its words in the next registers, or, if they
 *   do not fit, on the stack.  Results start again at register 0.
 * - ABI0: everything on the stack, arguments from 8(SP) at entry (after the
 *   return address on amd64, after the reserved LR slot on arm64), results
 *   after the arguments, pointer-aligned.  At RET, SP is back at its entry
 *   value, so the same offsets hold.
 *
 * The signatures are described once as lists of word groups, and one
 * assignment routine places them: no per-function literal locations.
 */
#include <errno.h>
#include <string.h>

#include "goint.h"
#include "tlstap/config.h"
#include "tlstap/hooks.h"

#define PTRSIZE 8
#define MAX_WORDS 3

/* One Go value: its words (pointer-sized), by name. */
struct goval {
	const char *words[MAX_WORDS];
};

struct gosig {
	struct goval args[4];
	struct goval results[3];
};

#define RECV_CONN { { "c" } }
#define BYTES_B { { "b.ptr", "b.len", "b.cap" } }
#define INT_N { { "n" } }
#define ERROR_ERR { { "err.tab", "err.data" } }

/* The signature of each Go function of the hook table, by its TT_GO_*. */
static const struct gosig sigs[TT_GO_FUNC_MAX] = {
	/* func (c *Conn) Read(b []byte) (int, error) */
	[TT_GO_READ] = { { RECV_CONN, BYTES_B }, { INT_N, ERROR_ERR } },
	/* func (c *Conn) Write(b []byte) (int, error) */
	[TT_GO_WRITE] = { { RECV_CONN, BYTES_B }, { INT_N, ERROR_ERR } },
	/* func (c *Conn) Close() error */
	[TT_GO_CLOSE] = { { RECV_CONN }, { ERROR_ERR } },
};

static const char *const regs_amd64[] = { "rax", "rbx", "rcx", "rdi", "rsi",
					  "r8",  "r9",  "r10", "r11" };
static const char *const regs_arm64[] = { "x0", "x1", "x2",  "x3",  "x4",  "x5",  "x6",  "x7",
					  "x8", "x9", "x10", "x11", "x12", "x13", "x14", "x15" };

struct assigner {
	const char *const *regs;
	unsigned nregs;     /* 0: stack ABI */
	unsigned next_reg;
	int32_t *stack_off; /* shared by args and results */
};

static unsigned nwords(const struct goval *v)
{
	unsigned n = 0;

	while (n < MAX_WORDS && v->words[n])
		n++;
	return n;
}

/* Place the values of one list (args or results) into locs. */
static int assign(struct assigner *a, const struct goval *vals, size_t nvals,
		  struct tt_value_loc *locs, size_t *nlocs)
{
	a->next_reg = 0;
	for (size_t i = 0; i < nvals; i++) {
		unsigned n = nwords(&vals[i]);
		bool in_regs = a->nregs && a->next_reg + n <= a->nregs;

		for (unsigned w = 0; w < n; w++) {
			struct tt_value_loc *l;

			if (*nlocs >= TT_MAX_LOCS)
				return -E2BIG;
			l = &locs[(*nlocs)++];
			memset(l, 0, sizeof(*l));
			l->name = vals[i].words[w];
			if (in_regs) {
				l->kind = TT_LOC_REG;
				l->abi_index = a->next_reg;
				l->reg = a->regs[a->next_reg++];
			} else {
				l->kind = TT_LOC_STACK;
				l->stack_offset = *a->stack_off;
				*a->stack_off += PTRSIZE;
			}
		}
	}
	return 0;
}

static size_t count_vals(const struct goval *v, size_t max)
{
	size_t n = 0;

	while (n < max && v[n].words[0])
		n++;
	return n;
}

int tt_goabi_locations(enum tt_arch arch, enum tt_go_abi abi, struct tt_function *f,
		       struct tt_error *err)
{
	const struct gosig *sig = NULL;
	int32_t stack = PTRSIZE; /* first argument slot: 8(SP) at entry */
	struct assigner a = { .stack_off = &stack };
	int ret;

	if (f->hook && f->hook->lib == TT_LIB_GO) {
		unsigned fn = TT_GO_COOKIE_FUNC(f->hook->cookie);

		if (fn < TT_GO_FUNC_MAX && sigs[fn].args[0].words[0])
			sig = &sigs[fn];
	}
	if (!sig)
		return tt_error_set(err, ENOENT, "no known signature for %s", f->name);
	if (abi == TT_GO_ABI_REGISTER) {
		if (arch == TT_ARCH_X86_64) {
			a.regs = regs_amd64;
			a.nregs = sizeof(regs_amd64) / sizeof(regs_amd64[0]);
		} else if (arch == TT_ARCH_ARM64) {
			a.regs = regs_arm64;
			a.nregs = sizeof(regs_arm64) / sizeof(regs_arm64[0]);
		} else {
			return tt_error_set(err, ENOTSUP, "register ABI on an unknown architecture");
		}
	}
	f->n_args = f->n_results = 0;
	ret = assign(&a, sig->args, count_vals(sig->args, 4), f->args, &f->n_args);
	/* Stack results follow the arguments, pointer-aligned (all words here). */
	if (!ret)
		ret = assign(&a, sig->results, count_vals(sig->results, 3), f->results,
			     &f->n_results);
	if (ret)
		return tt_error_set(err, -ret, "%s: too many argument words", f->name);
	return 0;
}
