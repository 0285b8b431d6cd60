// SPDX-License-Identifier: MIT
/*
 * Native TLS libraries: OpenSSL 1.1/3.x (and BoringSSL/LibreSSL, which keep
 * its API), GnuTLS, and static copies of them that keep their symbols.
 *
 * One walk over .symtab and .dynsym picks, for every function the tracer
 * hooks, the best defined function symbol; its address becomes a file offset
 * through PT_LOAD.  The object is NATIVE only when it defines an entry point
 * that carries plaintext (SSL_read/SSL_write[_ex], gnutls_record_recv/send);
 * libcrypto (BIO_new_socket only) is not.  An object that has no such symbol
 * but whose read-only data shows a TLS implementation (stripped static
 * BoringSSL/OpenSSL, rustls, ...) stays NONE with a note saying so: the
 * tracer must not be silent about TLS it cannot see.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* <elf.h> would find resolver/elf.h first (-Iresolver): take the kernel's. */
#include <linux/elf.h>
#ifndef STT_GNU_IFUNC
#define STT_GNU_IFUNC 10
#endif

#include "native.h"
#include "native_version.h"

/* The native hooks are the rows of the hook table (tlstap/hooks.h) whose
 * library is OpenSSL or GnuTLS; cand[i] is tt_hooks[i]. */
static bool is_native(const struct tt_hook *h)
{
	return h->lib == TT_LIB_OPENSSL || h->lib == TT_LIB_GNUTLS;
}

/* Index of a library in scan.imports. */
static int fam(enum tt_lib lib)
{
	return lib == TT_LIB_GNUTLS;
}

struct candidate {
	bool have;
	int rank;
	struct tt_elf_symbol sym;
	bool conflict;	/* another definition of the same rank elsewhere */
	uint64_t other; /* its address */
};

/* Symbol version nodes look like OPENSSL_3.0.0, OPENSSL_1_1_1d. */
struct node_version {
	unsigned long key; /* major, minor, patch, letter packed for ordering */
	char text[32];	   /* "3.0.0", "1.1.1d" */
	char node[48];	   /* "OPENSSL_3.0.0" */
};

struct scan {
	struct candidate *cand; /* one per row of tt_hooks */
	bool imports[2]; /* uses a shared OpenSSL / GnuTLS (undefined entry points) */
	struct node_version ossl_node;
	bool nss; /* defines SSL_ImportFD: Mozilla NSS's libssl3 */
};

/* "SSL_read" matches "SSL_read" and "SSL_read@@OPENSSL_3.0.0", not "SSL_read_ex". */
static bool name_is(const char *name, const char *want)
{
	size_t n = strlen(want);

	return !strncmp(name, want, n) && (name[n] == 0 || name[n] == '@');
}

static int wanted_index(const char *name)
{
	/* Cheap filter first: node has ~100k symbols and we want 16 names. */
	if (name[0] != 'S' && name[0] != 'B' && name[0] != 'g')
		return -1;
	for (size_t i = 0; i < tt_n_hooks; i++)
		if (is_native(&tt_hooks[i]) && name_is(name, tt_hooks[i].name))
			return (int)i;
	return -1;
}

/* Exported beats weak beats local (hidden symbols become local when linked). */
static int bind_rank(uint8_t bind)
{
	switch (bind) {
	case STB_GLOBAL:
		return 3;
	case STB_WEAK:
		return 2;
	case STB_LOCAL:
		return 1;
	default:
		return 0;
	}
}

static void parse_node(const char *ver, struct node_version *best)
{
	unsigned long part[3] = {0, 0, 0}, key;
	const char *p = ver + strlen("OPENSSL_");
	char letter = 0;
	int n = 0;

	while (n < 3 && *p >= '0' && *p <= '9') {
		part[n++] = strtoul(p, (char **)&p, 10);
		if (*p != '.' && *p != '_')
			break;
		p++;
	}
	if (n < 2 || part[0] > 99 || part[1] > 99 || part[2] > 99)
		return;
	if (*p >= 'a' && *p <= 'z')
		letter = *p++;
	if (*p)
		return;
	key = ((part[0] * 100 + part[1]) * 100 + part[2]) * 32 + (letter ? letter - 'a' + 1 : 0);
	if (key <= best->key)
		return;
	best->key = key;
	snprintf(best->text, sizeof(best->text), "%lu.%lu.%lu%.1s", part[0], part[1], part[2],
		 letter ? &letter : "");
	snprintf(best->node, sizeof(best->node), "%s", ver);
}

static void consider(struct candidate *c, const struct tt_elf_symbol *sym)
{
	int rank = bind_rank(sym->bind);

	if (c->have && c->sym.value == sym->value)
		return; /* the same function seen in the other table */
	if (c->have && rank < c->rank)
		return;
	if (c->have && rank == c->rank) {
		c->conflict = true;
		c->other = sym->value;
		return;
	}
	c->have = true;
	c->rank = rank;
	c->sym = *sym;
	c->conflict = false;
}

static int scan_cb(const struct tt_elf_symbol *sym, void *ctx)
{
	struct scan *s = ctx;
	int i;

	if (!sym->name || !sym->name[0])
		return 0;
	if (sym->shndx != SHN_UNDEF && sym->version && !strncmp(sym->version, "OPENSSL_", 8))
		parse_node(sym->version, &s->ossl_node);
	i = wanted_index(sym->name);
	if (i < 0) {
		if (sym->shndx != SHN_UNDEF && name_is(sym->name, "SSL_ImportFD"))
			s->nss = true;
		return 0;
	}
	if (sym->shndx == SHN_UNDEF) {
		if (tt_hooks[i].flags & TT_HOOK_DATA)
			s->imports[fam(tt_hooks[i].lib)] = true;
		return 0;
	}
	if (sym->type != STT_FUNC && sym->type != STT_GNU_IFUNC)
		return 0;
	if (!sym->value)
		return 0;
	consider(&s->cand[i], sym);
	return 0;
}

static int add_note(struct tt_resolution *r, struct tt_error *err, enum tt_note_kind kind,
		    const char *fmt, ...) TT_PRINTF(4, 5);

static int add_note(struct tt_resolution *r, struct tt_error *err, enum tt_note_kind kind,
		    const char *fmt, ...)
{
	struct tt_note *notes;
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return tt_error_set(err, ENOMEM, "out of memory");
	notes = realloc(r->notes, (r->n_notes + 1) * sizeof(*notes));
	if (!notes) {
		free(s);
		return tt_error_set(err, ENOMEM, "out of memory");
	}
	notes[r->n_notes++] = (struct tt_note){ kind, s };
	r->notes = notes;
	return 0;
}

static int add_function(const struct tt_elf *elf, struct tt_resolution *r, size_t i,
			const struct candidate *c, struct tt_error *err)
{
	struct tt_function *f;
	uint64_t off;
	int ret;

	/* A symbol outside every file-backed PT_LOAD cannot take a uprobe. */
	if (tt_elf_vaddr_to_offset(elf, c->sym.value, &off))
		return add_note(r, err, TT_NOTE_INFO,
				"%s: address 0x%llx is not in a file-backed PT_LOAD segment",
				tt_hooks[i].name, (unsigned long long)c->sym.value);
	f = &r->functions[r->n_functions++];
	memset(f, 0, sizeof(*f));
	f->hook = &tt_hooks[i];
	f->name = tt_hooks[i].name;
	f->found = true;
	f->source = c->sym.table == TT_ELF_SYMTAB ? TT_SYM_SYMTAB : TT_SYM_DYNSYM;
	f->address = c->sym.value;
	f->file_offset = off;
	f->size = c->sym.size;
	if (c->sym.type == STT_GNU_IFUNC) {
		ret = add_note(r, err, TT_NOTE_INFO,
			       "%s is an IFUNC: its address is the resolver, not the "
			       "implementation; a probe there sees no calls",
			       tt_hooks[i].name);
		if (ret)
			return ret;
	}
	if (c->conflict)
		return add_note(r, err, TT_NOTE_INFO, "%s: several definitions (0x%llx, 0x%llx); using the first",
				tt_hooks[i].name, (unsigned long long)c->sym.value,
				(unsigned long long)c->other);
	return 0;
}

static int fill_functions(const struct tt_elf *elf, struct tt_resolution *r, const struct scan *s,
			  struct tt_error *err)
{
	int ret;

	r->functions = calloc(tt_n_hooks, sizeof(*r->functions));
	if (!r->functions)
		return tt_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < tt_n_hooks; i++) {
		if (!s->cand[i].have)
			continue;
		ret = add_function(elf, r, i, &s->cand[i], err);
		if (ret)
			return ret;
	}
	return 0;
}

static bool has_entry(const struct tt_resolution *r, enum tt_lib lib)
{
	for (size_t i = 0; i < r->n_functions; i++) {
		const struct tt_hook *h = r->functions[i].hook;

		if (h->lib == lib && (h->flags & TT_HOOK_DATA))
			return true;
	}
	return false;
}

/* Library name and version of an object with OpenSSL-API entry points. */
static int identify_openssl(const struct tt_elf *elf, struct tt_resolution *r, const struct scan *s,
			    struct tt_error *err)
{
	struct tt_library *lib = &r->library;

	/* BoringSSL's OPENSSL_VERSION_TEXT is "OpenSSL 1.1.1 (compatible; BoringSSL)". */
	if (tt_native_has_string(elf, "BoringSSL")) {
		snprintf(lib->name, sizeof(lib->name), "boringssl");
		if (tt_native_version_string(elf, "OpenSSL ", lib->version, sizeof(lib->version)))
			snprintf(lib->version, sizeof(lib->version), "BoringSSL");
		return 0;
	}
	if (tt_native_version_string(elf, "LibreSSL ", lib->version, sizeof(lib->version)) == 0) {
		snprintf(lib->name, sizeof(lib->name), "libressl");
		return 0;
	}
	/* GnuTLS's OpenSSL compatibility layer defines SSL_read on top of GnuTLS. */
	if (s->imports[fam(TT_LIB_GNUTLS)]) {
		snprintf(lib->name, sizeof(lib->name), "gnutls");
		return add_note(r, err, TT_NOTE_INFO,
				"OpenSSL API implemented on top of GnuTLS "
				"(libgnutls-openssl); the GnuTLS library is resolved separately");
	}
	snprintf(lib->name, sizeof(lib->name), "openssl");
	if (tt_native_version_string(elf, "OpenSSL ", lib->version, sizeof(lib->version)) == 0)
		return 0;
	/* libssl keeps no version string (it is in libcrypto): use the version
	 * script's newest node, a lower bound of the release. */
	if (s->ossl_node.key) {
		snprintf(lib->version, sizeof(lib->version), ">=%s", s->ossl_node.text);
		return add_note(r, err, TT_NOTE_VERSION,
				"version: no OpenSSL version string in this object (libssl "
				"keeps it in libcrypto); \"%s\" comes from its newest symbol "
				"version node %s",
				lib->version, s->ossl_node.node);
	}
	return add_note(r, err, TT_NOTE_VERSION,
			"version: unknown (no OpenSSL version string, no symbol versions)");
}

static int identify_gnutls(const struct tt_elf *elf, struct tt_resolution *r, struct tt_error *err)
{
	struct tt_library *lib = &r->library;
	bool decoded = false;

	snprintf(lib->name, sizeof(lib->name), "gnutls");
	if (tt_native_gnutls_version(elf, lib->version, sizeof(lib->version), &decoded))
		return add_note(r, err, TT_NOTE_VERSION,
				"version: unknown (gnutls_check_version not decoded, no "
				"single version string in .rodata)");
	/* The decoded gnutls_check_version() string is authoritative; say so otherwise. */
	if (!decoded)
		return add_note(r, err, TT_NOTE_VERSION,
				"version: taken from the only GnuTLS-like version string in "
				".rodata");
	return 0;
}

/*
 * No entry point: say why when it matters.  libcrypto is OpenSSL without
 * TLS; a stripped static TLS implementation is TLS we cannot hook.
 */
static int explain_none(const struct tt_elf *elf, struct tt_resolution *r, const struct scan *s,
			struct tt_error *err)
{
	struct tt_library *lib = &r->library;
	unsigned markers;

	if (r->n_functions) {
		/* e.g. libcrypto: BIO_new_socket only. */
		if (tt_native_version_string(elf, "OpenSSL ", lib->version, sizeof(lib->version)) ==
		    0)
			snprintf(lib->name, sizeof(lib->name), "openssl");
		r->why_none = TT_NONE_HELPERS_ONLY;
		return add_note(
		    r, err, TT_NOTE_INFO,
		    "no TLS entry points (no SSL_read/SSL_write/"
		    "gnutls_record_recv/gnutls_record_send); %zu helper function%s only",
		    r->n_functions, r->n_functions == 1 ? "" : "s");
	}
	/* It calls a shared TLS library: that library is what gets traced. */
	if (s->imports[fam(TT_LIB_OPENSSL)] || s->imports[fam(TT_LIB_GNUTLS)]) {
		r->why_none = TT_NONE_USES_SHARED;
		return add_note(r, err, TT_NOTE_INFO,
				"uses a shared %s library (its TLS entry points are "
				"imported): that library is what gets traced",
				s->imports[fam(TT_LIB_OPENSSL)] ? "OpenSSL" : "GnuTLS");
	}
	markers = tt_native_tls_markers(elf);
	if (markers < 2)
		return 0;
	r->why_none = TT_NONE_UNHOOKABLE;
	if (s->nss) {
		snprintf(lib->name, sizeof(lib->name), "nss");
		return add_note(r, err, TT_NOTE_INFO,
				"Mozilla NSS TLS (%u TLS key-schedule strings in .rodata): "
				"its API (PR_Read/PR_Write on SSL_ImportFD sockets) is not one "
				"tlstap traces",
				markers);
	}
	if (tt_native_has_string(elf, "BoringSSL")) {
		snprintf(lib->name, sizeof(lib->name), "boringssl");
	} else if (tt_native_version_string(elf, "OpenSSL ", lib->version, sizeof(lib->version)) ==
		   0) {
		snprintf(lib->name, sizeof(lib->name), "openssl");
	} else if (tt_native_version_string(elf, "LibreSSL ", lib->version, sizeof(lib->version)) ==
		   0) {
		snprintf(lib->name, sizeof(lib->name), "libressl");
	} else if (tt_native_has_string(elf, "GnuTLS")) {
		snprintf(lib->name, sizeof(lib->name), "gnutls");
	}
	return add_note(r, err, TT_NOTE_INFO,
			"TLS code tlstap cannot hook: %s%s%s is compiled in (%u TLS "
			"key-schedule strings in .rodata) but none of SSL_read/SSL_write/"
			"gnutls_record_recv/gnutls_record_send is defined (stripped symbols, "
			"or another TLS API)",
			lib->name[0] ? lib->name : "a TLS implementation",
			lib->version[0] ? " " : "", lib->version, markers);
}

int tt_native_resolve(const struct tt_elf *elf, struct tt_resolution *r, struct tt_error *err)
{
	struct scan *s;
	int ret;

	r->kind = TT_KIND_NONE;
	s = calloc(1, sizeof(*s));
	if (s)
		s->cand = calloc(tt_n_hooks, sizeof(*s->cand));
	if (!s || !s->cand) {
		free(s);
		return tt_error_set(err, ENOMEM, "out of memory");
	}
	ret = tt_elf_foreach_symbol(elf, TT_ELF_SYMTAB | TT_ELF_DYNSYM, scan_cb, s);
	if (ret < 0) {
		tt_error_set(err, -ret, "reading symbols failed");
		goto out;
	}
	ret = fill_functions(elf, r, s, err);
	if (ret)
		goto out;

	if (has_entry(r, TT_LIB_OPENSSL)) {
		r->kind = TT_KIND_NATIVE;
		ret = identify_openssl(elf, r, s, err);
	} else if (has_entry(r, TT_LIB_GNUTLS)) {
		r->kind = TT_KIND_NATIVE;
		ret = identify_gnutls(elf, r, err);
	} else {
		ret = explain_none(elf, r, s, err);
	}
	/* Both APIs in one object (a static binary with two libraries): the
	 * functions of both are listed; the name is the OpenSSL one. */
	if (!ret && has_entry(r, TT_LIB_OPENSSL) && has_entry(r, TT_LIB_GNUTLS))
		ret = add_note(r, err, TT_NOTE_INFO, "both OpenSSL and GnuTLS entry points are defined here");
out:
	free(s->cand);
	free(s);
	return ret;
}
