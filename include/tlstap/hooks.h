/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_HOOKS_H
#define TLSTAP_HOOKS_H

/*
 * The functions tlstap hooks: one table (resolver/hooks.c) that says, for
 * each, which library it belongs to, which BPF program its probes run, the
 * attach cookie that tells that program what it is looking at, and whether
 * the object can be traced without it.  The resolver looks the names up, the
 * attach plan (tt_plan_object) turns them into probe sites, the tracer
 * attaches them and `resolve -p` reports them: all from this table.
 *
 * The cookie encoding is shared with the BPF programs.
 */

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Go: the cookie is the function (low 8 bits) and the attached object's
 * index in the go_objects map (upper bits): its struct layout. */
enum tt_go_func {
	TT_GO_READ = 1,
	TT_GO_WRITE = 2,
	TT_GO_CLOSE = 3,
};
#define TT_GO_COOKIE(func, obj) ((__u64)(func) | (__u64)(obj) << 8)
#define TT_GO_COOKIE_FUNC(c) ((__u32)(c) & 0xff)
#define TT_GO_COOKIE_OBJ(c) ((__u32)((c) >> 8))

/* Native: library and direction, and how to read the result. */
#define TT_NCOOKIE(lib, dir) ((__u64)(lib) | (__u64)(dir) << 8)
#define TT_NCOOKIE_LIB(c) ((c) & 0xff)
#define TT_NCOOKIE_DIR(c) (((c) >> 8) & 0xff)
#define TT_NCOOKIE_EX (1u << 16)      /* *_ex: byte count through a size_t * (4th arg) */
#define TT_NCOOKIE_INT_RET (1u << 17) /* returns int (32-bit), not ssize_t */
#define TT_NCOOKIE_FORGET (1u << 18)  /* SSL_free & co: drop the connection's state */

#ifndef __bpf__
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlstap/record.h"

/* The BPF program a hook's probes run. */
enum tt_prog {
	TT_PROG_NONE = 0,   /* looked up to identify a library, never probed */
	TT_PROG_GO,         /* Go: entry uprobe + a uprobe on every RET site */
	TT_PROG_GO_ENTRY,   /* Go: entry uprobe only */
	TT_PROG_NATIVE,     /* native: entry uprobe + uretprobe */
	TT_PROG_NATIVE_ENTRY, /* native: entry uprobe only */
};

#define TT_HOOK_REQUIRED (1u << 0) /* the object is not traced without it */
#define TT_HOOK_DATA (1u << 1)     /* carries plaintext: makes an object traceable */

struct tt_hook {
	const char *name; /* symbol, Go's canonical name for Go */
	enum tt_lib lib;
	enum tt_prog prog;
	__u64 cookie;
	unsigned flags;   /* TT_HOOK_* */
	const char *what; /* what it is hooked for, in a few words */
};

extern const struct tt_hook tt_hooks[];
extern const size_t tt_n_hooks;

/* The hook of that name and library, or NULL. */
const struct tt_hook *tt_hook_find(enum tt_lib lib, const char *name);
#endif

#endif
