// SPDX-License-Identifier: MIT
/*
 * Version strings and TLS markers in the read-only data of native libraries.
 * Only bytes of a section (or of the whole file when it has no section
 * headers) are ever looked at; every string is bounded before use.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* <elf.h> would find resolver/elf.h first (-Iresolver): take the kernel's. */
#include <linux/elf.h>

#include "native_version.h"

/* Longest version string we accept: OPENSSL_VERSION_TEXT is ~30 chars. */
#define MAX_VERSION_STR 96

typedef int (*region_fn)(const uint8_t *p, size_t n, void *ctx);

static bool is_ro_data(const struct tt_elf_section *s)
{
	if (s->type != SHT_PROGBITS || !s->data || !s->size)
		return false;
	if (!(s->flags & SHF_ALLOC) || (s->flags & (SHF_WRITE | SHF_EXECINSTR)))
		return false;
	return true;
}

/*
 * Call fn on every allocated read-only data section (.rodata, .rodata.str*,
 * .rodata of static copies...).  A file without section headers (sstripped)
 * is scanned whole: slower, but its strings are still somewhere.
 */
static int foreach_ro(const struct tt_elf *elf, region_fn fn, void *ctx)
{
	struct tt_elf_section s;
	const uint8_t *data;
	bool any = false;
	size_t size;
	int ret;

	for (size_t i = 0; tt_elf_section_at(elf, i, &s) == 0; i++) {
		if (!is_ro_data(&s))
			continue;
		any = true;
		ret = fn(s.data, s.size, ctx);
		if (ret)
			return ret;
	}
	if (any)
		return 0;
	data = tt_elf_data(elf, &size);
	if (!data || !size)
		return 0;
	return fn(data, size, ctx);
}

struct find_ctx {
	const char *s;
	size_t len;
};

static int find_cb(const uint8_t *p, size_t n, void *ctx)
{
	struct find_ctx *f = ctx;

	return memmem(p, n, f->s, f->len) != NULL;
}

bool tt_native_has_string(const struct tt_elf *elf, const char *s)
{
	struct find_ctx f = {.s = s, .len = strlen(s)};

	return foreach_ro(elf, find_cb, &f) == 1;
}

/*
 * Labels of the TLS key schedule and of the NSS key-log format.  They are
 * compiled into every TLS implementation (OpenSSL, BoringSSL, LibreSSL,
 * GnuTLS, rustls, ...) and into almost nothing else.
 */
static const char *const tls_markers[] = {
    "master secret", "key expansion", "CLIENT_RANDOM", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "tls13 ",
};

unsigned tt_native_tls_markers(const struct tt_elf *elf)
{
	unsigned n = 0;

	for (size_t i = 0; i < sizeof(tls_markers) / sizeof(tls_markers[0]); i++)
		n += tt_native_has_string(elf, tls_markers[i]);
	return n;
}

/* Length of the NUL-terminated string at p (at most max), or 0 if unterminated. */
static size_t bounded_strlen(const uint8_t *p, size_t avail, size_t max)
{
	const uint8_t *nul = memchr(p, 0, avail < max ? avail : max);

	return nul ? (size_t)(nul - p) : 0;
}

static bool printable(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] >= 0x7f)
			return false;
	return true;
}

/* "3.0.15", "1.1.1w", "3.8" at s: length of the token, 0 if not a version. */
static size_t version_token(const char *s, size_t n)
{
	size_t i = 0, dots = 0, letters = 0;

	if (!n || !isdigit((unsigned char)s[0]))
		return 0;
	while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '.')) {
		if (s[i] == '.') {
			if (i + 1 >= n || !isdigit((unsigned char)s[i + 1]))
				return 0;
			dots++;
		}
		i++;
	}
	while (i < n && islower((unsigned char)s[i]) && letters < 2) {
		i++;
		letters++;
	}
	if (dots < 1 || (i < n && s[i] != ' ' && s[i] != '-'))
		return 0;
	return i;
}

/* A year ("2024") after the version: the release-date form of the string. */
static bool has_year(const char *s, size_t n)
{
	for (size_t i = 0; i + 4 <= n; i++) {
		if ((i == 0 || s[i - 1] == ' ') && (s[i] == '1' || s[i] == '2') &&
		    isdigit((unsigned char)s[i + 1]) && isdigit((unsigned char)s[i + 2]) &&
		    isdigit((unsigned char)s[i + 3]) && (i + 4 == n || s[i + 4] == ' '))
			return true;
	}
	return false;
}

struct vstr_ctx {
	const char *prefix;
	size_t plen;
	char *buf;
	size_t len;
	int best; /* 0 none, 1 plain, 2 with a release date */
};

static void vstr_consider(struct vstr_ctx *v, const uint8_t *p, size_t slen)
{
	const char *s = (const char *)p;
	size_t tok;
	int score;

	if (slen <= v->plen || !printable(p, slen))
		return;
	tok = version_token(s + v->plen, slen - v->plen);
	if (!tok)
		return;
	score = has_year(s + v->plen + tok, slen - v->plen - tok) ? 2 : 1;
	if (score <= v->best)
		return;
	v->best = score;
	snprintf(v->buf, v->len, "%.*s", (int)slen, s);
}

static int vstr_cb(const uint8_t *base, size_t n, void *ctx)
{
	struct vstr_ctx *v = ctx;
	const uint8_t *p = base, *end = base + n;
	size_t slen;

	while (p < end && (p = memmem(p, end - p, v->prefix, v->plen))) {
		/* Only whole strings: "xOpenSSL 3" is not a version string. */
		if (p == base || p[-1] == 0) {
			slen = bounded_strlen(p, end - p, MAX_VERSION_STR);
			if (slen)
				vstr_consider(v, p, slen);
		}
		p += v->plen;
	}
	return v->best == 2; /* stop at the first dated string */
}

int tt_native_version_string(const struct tt_elf *elf, const char *prefix, char *buf, size_t len)
{
	struct vstr_ctx v = {.prefix = prefix, .plen = strlen(prefix), .buf = buf, .len = len};

	if (len)
		buf[0] = 0;
	foreach_ro(elf, vstr_cb, &v);
	return v.best ? 0 : -ENOENT;
}

/* "3.7.9": digits, two dots, digits; nothing else. */
static bool gnutls_version_like(const char *s, size_t n)
{
	size_t dots = 0;

	if (n < 5 || s[0] != '3' || s[1] != '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (i + 1 == n || s[i + 1] == '.')
				return false;
			dots++;
		} else if (!isdigit((unsigned char)s[i])) {
			return false;
		}
	}
	return dots == 2;
}

/* Copy the C string at vaddr (file-backed, at most len-1 chars) into buf. */
static int read_cstr(const struct tt_elf *elf, uint64_t vaddr, char *buf, size_t len)
{
	const uint8_t *p = NULL;
	size_t n = len;
	size_t slen;

	/* The string may end near the end of its segment: shrink until mapped. */
	while (n > 1 && !(p = tt_elf_ptr_vaddr(elf, vaddr, n)))
		n--;
	if (!p)
		return -EFAULT;
	slen = bounded_strlen(p, n, n);
	if (!slen)
		return -ENOENT;
	memcpy(buf, p, slen);
	buf[slen] = 0;
	return 0;
}

static uint32_t le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Targets of RIP-relative lea (48/4c 8d /r, mod=00 rm=101) in code at addr. */
static int x86_lea_version(const struct tt_elf *elf, uint64_t addr, const uint8_t *code, size_t n,
			   char *buf, size_t len)
{
	for (size_t i = 0; i + 7 <= n; i++) {
		uint64_t target;

		if ((code[i] != 0x48 && code[i] != 0x4c) || code[i + 1] != 0x8d ||
		    (code[i + 2] & 0xc7) != 0x05)
			continue;
		target = addr + i + 7 + (int64_t)(int32_t)le32(code + i + 3);
		if (read_cstr(elf, target, buf, len) == 0 && gnutls_version_like(buf, strlen(buf)))
			return 0;
	}
	return -ENOENT;
}

/* adrp xN, page; add xN, xN, #lo12 in code at addr. */
static int arm64_adrp_version(const struct tt_elf *elf, uint64_t addr, const uint8_t *code,
			      size_t n, char *buf, size_t len)
{
	for (size_t i = 0; i + 8 <= n; i += 4) {
		uint32_t adrp = le32(code + i), add;
		int64_t imm;
		uint64_t page;

		if ((adrp & 0x9f000000) != 0x90000000)
			continue;
		imm = ((adrp >> 5) & 0x7ffff) << 2 | ((adrp >> 29) & 3);
		if (imm & (1 << 20))
			imm -= 1 << 21;
		page = ((addr + i) & ~(uint64_t)0xfff) + (uint64_t)(imm * 4096);
		for (size_t k = i + 4; k + 4 <= n && k <= i + 16; k += 4) {
			add = le32(code + k);
			if ((add & 0xffc00000) != 0x91000000 || ((add >> 5) & 31) != (adrp & 31))
				continue;
			if (read_cstr(elf, page + ((add >> 10) & 0xfff), buf, len) == 0 &&
			    gnutls_version_like(buf, strlen(buf)))
				return 0;
		}
	}
	return -ENOENT;
}

static int check_version_decode(const struct tt_elf *elf, char *buf, size_t len)
{
	struct tt_elf_symbol sym;
	const uint8_t *code = NULL;
	size_t n;

	if (tt_elf_find_symbol(elf, "gnutls_check_version", TT_ELF_SYMTAB | TT_ELF_DYNSYM, &sym) ||
	    sym.shndx == SHN_UNDEF || !sym.value)
		return -ENOENT;
	/* It is a handful of instructions: the first 64 bytes hold the load. */
	n = sym.size && sym.size < 64 ? sym.size : 64;
	while (n >= 8 && !(code = tt_elf_ptr_vaddr(elf, sym.value, n)))
		n -= 4;
	if (!code)
		return -ENOENT;
	switch (tt_elf_arch(elf)) {
	case TT_ARCH_X86_64:
		return x86_lea_version(elf, sym.value, code, n, buf, len);
	case TT_ARCH_ARM64:
		return arm64_adrp_version(elf, sym.value, code, n, buf, len);
	default:
		return -ENOENT;
	}
}

struct gv_ctx {
	char *buf;
	size_t len;
	unsigned found; /* distinct candidates */
};

static int gv_cb(const uint8_t *base, size_t n, void *ctx)
{
	struct gv_ctx *g = ctx;
	const uint8_t *p = base, *end = base + n;
	size_t slen;

	while (p < end && (p = memmem(p, end - p, "3.", 2))) {
		if ((p == base || p[-1] == 0) && (slen = bounded_strlen(p, end - p, 16)) &&
		    gnutls_version_like((const char *)p, slen) &&
		    (g->found == 0 || strncmp(g->buf, (const char *)p, slen) || g->buf[slen])) {
			g->found++;
			snprintf(g->buf, g->len, "%.*s", (int)slen, (const char *)p);
		}
		p += 2;
	}
	return 0;
}

int tt_native_gnutls_version(const struct tt_elf *elf, char *buf, size_t len, bool *decoded)
{
	struct gv_ctx g = {.buf = buf, .len = len};
	char tmp[32];

	if (!len)
		return -EINVAL;
	if (check_version_decode(elf, tmp, sizeof(tmp)) == 0) {
		snprintf(buf, len, "%s", tmp);
		*decoded = true;
		return 0;
	}
	/* GnuTLS 3.x only: a lone "3.N.N" string; two candidates are a guess. */
	foreach_ro(elf, gv_cb, &g);
	if (g.found == 1) {
		*decoded = false;
		return 0;
	}
	buf[0] = 0;
	return -ENOENT;
}
