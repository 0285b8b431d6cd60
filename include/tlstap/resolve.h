/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_RESOLVE_H
#define TLSTAP_RESOLVE_H

/*
 * The resolver's result: everything a uprobe tracer needs to know about one
 * ELF object (a Go binary, a TLS library, or an executable with a static TLS
 * library).  Produced by resolver/, consumed by the CLI printers (src/) and
 * the attach manager.  Pure data: no BPF, no global state.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlstap/config.h"
#include "tlstap/error.h"
#include "tlstap/hooks.h"

enum tt_kind {
	TT_KIND_NONE = 0, /* ELF, but nothing tlstap can trace */
	TT_KIND_GO,       /* Go binary (crypto/tls) */
	TT_KIND_NATIVE,   /* native TLS library or executable (OpenSSL, GnuTLS) */
};

enum tt_arch {
	TT_ARCH_UNKNOWN = 0,
	TT_ARCH_X86_64,
	TT_ARCH_ARM64,
};

enum tt_go_abi {
	TT_GO_ABI_UNKNOWN = 0,
	TT_GO_ABI_STACK,    /* ABI0: arguments and results on the stack */
	TT_GO_ABI_REGISTER, /* ABIInternal: amd64 >= go1.17, arm64 >= go1.18 */
};

/*
 * Where a Go struct field offset comes from, in the order they are trusted:
 * the binary's own DWARF, its own runtime type descriptors (what reflect
 * uses), then the per-Go-version table generated from testdata binaries.
 */
enum tt_layout_source {
	TT_LAYOUT_NONE = 0,
	TT_LAYOUT_DWARF, /* read from the binary's own DWARF */
	TT_LAYOUT_TABLE, /* per-Go-version table generated from testdata (resolver/) */
	TT_LAYOUT_TYPES, /* the binary's runtime type descriptors (moduledata typelinks) */
	TT_LAYOUT_MIXED, /* tt_go_info.layout_source only: known fields from several sources */
	TT_LAYOUT_NSOURCES = TT_LAYOUT_MIXED,
};

/* Where a function symbol came from. */
enum tt_sym_source {
	TT_SYM_NONE = 0,
	TT_SYM_SYMTAB,
	TT_SYM_DYNSYM,
	TT_SYM_PCLNTAB,
};

/* The Go struct fields the tracer reads (enum tt_go_field, TT_FIELD_UNKNOWN). */
#include "tlstap/gofields.h"

/* One Go field: its struct and member names, and whether the tracer needs it. */
struct tt_go_field_desc {
	const char *name;   /* "crypto/tls.Conn.conn": JSON key, table row comment */
	const char *type;   /* "crypto/tls.Conn" */
	const char *member; /* "conn" */
	const char *enum_name; /* "TT_F_TLS_CONN_CONN" (the layout-table generator) */
	bool required;      /* the tracer cannot attach to a binary without it */
};

/* Indexed by enum tt_go_field. */
extern const struct tt_go_field_desc tt_go_fields[TT_F_COUNT];

/* "crypto/tls.Conn.conn", ...: the JSON keys of "fields". */
const char *tt_go_field_name(enum tt_go_field f);

/*
 * How one field was resolved.  Every source is asked; r->fields[f] is the
 * value they agree on.  Sources that disagree leave the field unknown
 * (conflict), except that the table, read from other binaries, is outvoted
 * when the binary's DWARF and type descriptors agree with each other; the
 * disagreement is reported either way (a note).
 */
struct tt_go_field_info {
	enum tt_layout_source source;          /* of r->fields[f]; NONE when unknown */
	int64_t by_source[TT_LAYOUT_NSOURCES]; /* each source's offset or TT_FIELD_UNKNOWN */
	bool conflict;                         /* two sources disagree */
	char why[128]; /* why the type descriptors have no offset ("" when they do) */
};

/* Location of a Go argument or result word at function entry / at RET. */
enum tt_loc_kind {
	TT_LOC_NONE = 0,
	TT_LOC_REG,   /* integer register; abi_index = position in the Go ABI order */
	TT_LOC_STACK, /* stack slot; stack_offset = bytes from SP at entry (or at RET) */
};

struct tt_value_loc {
	const char *name;      /* "c", "b.ptr", "b.len", "n", "err.tab", ... */
	enum tt_loc_kind kind;
	uint8_t abi_index;     /* amd64: RAX RBX RCX RDI RSI R8 R9 R10 R11; arm64: R0.. */
	const char *reg;       /* "rax", "x0", ... (NULL for stack) */
	int32_t stack_offset;
};

#define TT_MAX_LOCS 8

/* One decoded instruction of a function prologue. */
struct tt_insn {
	uint64_t address;
	uint64_t file_offset;
	uint8_t size;
	char text[80];        /* "mov rbx, qword ptr [r14 + 0x10]" */
	bool emulated;        /* the kernel emulates it when probed (no single-step) */
	uint32_t regs_written; /* bit i = Go ABI integer register i is written */
	bool writes_sp;        /* moves the stack pointer (push, pop, call, sub rsp...) */
};

struct tt_function {
	const struct tt_hook *hook; /* its row of the hook table */
	const char *name;       /* canonical name, e.g. "crypto/tls.(*Conn).Read" */
	bool found;
	enum tt_sym_source source;
	uint64_t address;       /* virtual address of the entry */
	uint64_t file_offset;   /* of the entry, through PT_LOAD: what uprobes take */
	uint64_t size;
	uint64_t *returns;      /* file offsets of every RET instruction */
	size_t n_returns;
	struct tt_insn *prologue; /* up to the end of the stack-check/frame setup */
	size_t n_prologue;
	struct tt_value_loc args[TT_MAX_LOCS];
	size_t n_args;
	struct tt_value_loc results[TT_MAX_LOCS];
	size_t n_results;
};

struct tt_go_info {
	char version[32];   /* "go1.22.5" */
	int major, minor, patch;
	char module[256];   /* main module path ("" when unknown) */
	enum tt_go_abi abi;
	bool has_dwarf;
	bool has_symtab;
	bool cgo;
	enum tt_layout_source layout_source; /* of every known field, or MIXED */
	char layout_version[32]; /* the table row compared or used ("go1.22"), "" if none */
	char dwarf_status[128];  /* "" when DWARF gave every field, else why not */
	char types_status[128];  /* where the type descriptors are, or why they are not */
	bool has_itab_tcpconn;
	bool itab_from_types; /* found among the moduledata's itabs, not by symbol name */
	uint64_t itab_tcpconn; /* vaddr of go:itab.*net.TCPConn,net.Conn (unrelocated) */
	/*
	 * amd64: g (the running goroutine) is at FS base + tls_g_offset, from
	 * runtime.tlsg and PT_TLS (TLS variant II), or -8 when PT_TLS is only
	 * Go's own 8-byte slot.  False on arm64 (g lives in R28) and when the
	 * binary does not tell.
	 */
	bool has_tls_g;
	int64_t tls_g_offset;
};

struct tt_library {
	char name[32];     /* "openssl", "gnutls", "boringssl", "" */
	char version[128]; /* "OpenSSL 3.0.15 3 Sep 2024", "3.7.9", "" */
};

/* Things a user should know about an object. */
enum tt_note_kind {
	TT_NOTE_INFO = 0,
	TT_NOTE_VERSION, /* how the library version was found, or that it was not */
};

struct tt_note {
	enum tt_note_kind kind;
	char *text; /* one line */
};

/* Why an object is kind none. */
enum tt_none_reason {
	TT_NONE_NOT_TLS = 0,  /* no TLS code seen */
	TT_NONE_HELPERS_ONLY, /* functions of a TLS library but no entry point (libcrypto) */
	TT_NONE_USES_SHARED,  /* imports a shared OpenSSL/GnuTLS: that library is traced */
	TT_NONE_UNHOOKABLE,   /* TLS code compiled in, without hookable entry points */
};

struct tt_resolution {
	char *path;
	enum tt_kind kind;
	enum tt_arch arch;
	bool pie;
	char build_id[65]; /* lowercase hex, "" when absent */
	uint64_t dev, ino; /* of the file as opened (object cache key) */
	struct tt_go_info go;       /* kind == TT_KIND_GO */
	struct tt_library library;  /* kind == TT_KIND_NATIVE */
	struct tt_function *functions;
	size_t n_functions;
	int64_t fields[TT_F_COUNT]; /* kind == TT_KIND_GO; what the tracer reads */
	struct tt_go_field_info field_info[TT_F_COUNT]; /* where each came from */
	enum tt_none_reason why_none; /* kind == TT_KIND_NONE */
	struct tt_note *notes;      /* things a user should know (unhookable TLS, ...) */
	size_t n_notes;
};

struct tt_resolve_opts {
	const char *assume_go_version; /* "1.22" or "go1.22.3"; NULL = none */
	bool want_prologue;            /* decode prologues (default true in CLI) */
	bool no_layout_table;          /* ask only the binary (DWARF, type descriptors) */
};

/*
 * Resolve one file.  Returns 0 and a new resolution in *out, or a negative
 * errno with err set ("not an ELF file", "truncated: ...", ...).
 */
int tt_resolve_path(const char *path, const struct tt_resolve_opts *opts,
		    struct tt_resolution **out, struct tt_error *err);

/* Same, for an already open file descriptor (used through /proc/PID/root). */
int tt_resolve_fd(int fd, const char *display_path, const struct tt_resolve_opts *opts,
		  struct tt_resolution **out, struct tt_error *err);

void tt_resolution_free(struct tt_resolution *r);

/* The file offset of a symbol of an open file (.symtab first, then
 * .dynsym): for a probe outside the hook table, the dynamic loader's
 * _dl_debug_state.  0, or a negative errno with err set. */
int tt_resolve_symbol_offset(int fd, const char *name, uint64_t *offset, struct tt_error *err);

/* Lookup helper: the function of that canonical name, or NULL. */
const struct tt_function *tt_resolution_function(const struct tt_resolution *r,
						 const char *name);

/* Helpers for printers. */
const char *tt_kind_name(enum tt_kind k);       /* "go" | "native" | "none" */
const char *tt_arch_name(enum tt_arch a);       /* "x86_64" | "arm64" | "unknown" */
const char *tt_go_abi_name(enum tt_go_abi a);   /* "register" | "stack" | "unknown" */
/* "dwarf" | "types" | "table" | "mixed" | "none" */
const char *tt_layout_source_name(enum tt_layout_source s);

/*
 * True when every field the tracer requires (tt_go_fields[].required) is
 * known; otherwise false and, when missing is not NULL, the first one
 * missing.  The tracer and `resolve -p` both decide with this.
 */
bool tt_go_fields_complete(const struct tt_resolution *r, enum tt_go_field *missing);
const char *tt_sym_source_name(enum tt_sym_source s);

/*
 * What the tracer attaches to one object, from its resolution and the hook
 * table: the single decision both `trace` and `resolve -p` use.
 */
struct tt_probe_site {
	const struct tt_hook *hook;
	uint64_t file_offset;
	bool ret; /* Go: a RET site; native: the uretprobe of the function */
};

struct tt_plan {
	bool attach;      /* the tracer attaches to this object */
	bool tls;         /* it holds TLS code (attached or not: then why not) */
	char reason[512]; /* why (what it attaches), or why not */
	struct tt_probe_site *sites;
	size_t n_sites;
	/* Attached only to processes that need them (memory-BIO TLS), whether
	 * or not the object is attached otherwise (libcrypto is not). */
	struct tt_probe_site *lazy;
	size_t n_lazy;
	struct tt_go_config go; /* Go: what the BPF side needs about the binary */
};

/*
 * Plan the probes of a resolved object.  Returns 0 with p->attach and
 * p->reason set, whether or not it attaches; -ENOMEM only.
 */
int tt_plan_object(const struct tt_resolution *r, struct tt_plan *p, struct tt_error *err);
void tt_plan_free(struct tt_plan *p);

/*
 * Resolutions by device + inode + build-id.  The build-id is part of the key
 * so that a reused inode (file deleted, another written) is never confused
 * with the object cached under it.  Failures are cached as well.
 */
struct tt_obj_cache;

struct tt_obj_cache *tt_obj_cache_new(void);
void tt_obj_cache_free(struct tt_obj_cache *c);
/*
 * Resolution of the object open at fd (display_path names it in messages and
 * in r->path the first time).  The result belongs to the cache.
 */
int tt_obj_cache_resolve(struct tt_obj_cache *c, int fd, const char *display_path,
			 const struct tt_resolve_opts *opts, const struct tt_resolution **out,
			 struct tt_error *err);
/* How many objects were actually analysed (cache misses). */
size_t tt_obj_cache_analyses(const struct tt_obj_cache *c);
/*
 * Hold at most max objects (0: no bound, the default): a miss when full
 * starts the cache over.  With a bound a result stays valid only until the
 * next tt_obj_cache_resolve; a tracer that runs for weeks sees every
 * program the host ever runs.
 */
void tt_obj_cache_set_max(struct tt_obj_cache *c, size_t max);
/* Objects it holds (resolved or failed). */
size_t tt_obj_cache_size(const struct tt_obj_cache *c);
/* Forget an object (dev 0: on any device, as an overlay file is known). */
void tt_obj_cache_forget(struct tt_obj_cache *c, uint64_t dev, uint64_t ino,
			 const char *build_id);

#endif
