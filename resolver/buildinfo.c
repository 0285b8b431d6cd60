// SPDX-License-Identifier: MIT
/*
 * Go build information (.go.buildinfo), as in src/debug/buildinfo:
 *
 *   "\xff Go buildinf:" (14 bytes), ptrsize (1), flags (1), then either
 *   - flags & 2 (go1.18+): at +32 two uvarint-prefixed strings (version,
 *     modinfo), or
 *   - older: at +16 two pointers to Go string headers {ptr, len}.
 *
 * modinfo is wrapped in 16-byte sentinels; its lines are "path\t...",
 * "mod\t<path>\t<version>\t...", "dep\t...", "build\tKEY=VALUE".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <elf.h>

#include "goint.h"

#define BI_MAGIC "\xff Go buildinf:"
#define BI_MAGIC_LEN 14
#define BI_ALIGN 16
#define BI_HDR 32

/* A Go string (not NUL-terminated) inside the mapping. */
struct gostr {
	const uint8_t *p;
	uint64_t len;
};

static bool uvarint(const uint8_t *p, uint64_t avail, uint64_t *val, uint64_t *used)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < 10 && i < avail; i++) {
		v |= (uint64_t)(p[i] & 0x7f) << (7 * i);
		if (!(p[i] & 0x80)) {
			*val = v;
			*used = i + 1;
			return true;
		}
	}
	return false;
}

static uint64_t rd_ptr(const uint8_t *p, unsigned ptrsize)
{
	uint64_t v = 0;

	memcpy(&v, p, ptrsize); /* little-endian only (checked by the ELF layer) */
	return v;
}

/* Follow a pointer to a string header {data, len} (pre-1.18 format). */
static bool read_ptr_string(const struct tt_elf *elf, uint64_t addr, unsigned ptrsize,
			    struct gostr *out)
{
	const uint8_t *hdr = tt_elf_ptr_vaddr(elf, addr, 2 * ptrsize);
	uint64_t data, len;

	if (!hdr)
		return false;
	data = rd_ptr(hdr, ptrsize);
	len = rd_ptr(hdr + ptrsize, ptrsize);
	if (len > (1 << 20))
		return false;
	out->p = len ? tt_elf_ptr_vaddr(elf, data, len) : (const uint8_t *)"";
	out->len = len;
	return out->p != NULL;
}

/* The bytes to search: .go.buildinfo, else the first writable, non-exec
 * section with bytes (the start of the data segment, where the Go linker
 * puts the build info; debug/buildinfo uses the first RW PT_LOAD). */
static const uint8_t *search_area(const struct tt_elf *elf, uint64_t *len)
{
	struct tt_elf_section s;

	if (!tt_elf_section(elf, ".go.buildinfo", &s) && s.data) {
		*len = s.size;
		return s.data;
	}
	for (size_t i = 0; !tt_elf_section_at(elf, i, &s); i++) {
		if ((s.flags & (SHF_ALLOC | SHF_WRITE | SHF_EXECINSTR)) != (SHF_ALLOC | SHF_WRITE) ||
		    !s.data)
			continue;
		*len = s.size;
		return s.data;
	}
	return NULL;
}

static const uint8_t *find_header(const uint8_t *p, uint64_t len)
{
	for (uint64_t off = 0; off + BI_HDR <= len; off += BI_ALIGN)
		if (!memcmp(p + off, BI_MAGIC, BI_MAGIC_LEN))
			return p + off;
	return NULL;
}

static void copy_gostr(char *dst, size_t dstsz, const uint8_t *p, uint64_t len)
{
	if (len >= dstsz)
		len = dstsz - 1;
	memcpy(dst, p, len);
	dst[len] = '\0';
	/* A NUL inside a Go string would silently truncate; keep it visible. */
	for (size_t i = 0; i < len; i++)
		if (dst[i] < 0x20 && dst[i] != '\t')
			dst[i] = '?';
}

/* Walk the modinfo lines for "mod\t<path>" and "build\tCGO_ENABLED=". */
static void parse_modinfo(struct tt_buildinfo *bi, const uint8_t *p, uint64_t len)
{
	uint64_t off = 0;

	/* Strip the 16-byte sentinels as debug/buildinfo does. */
	if (len < 33 || p[len - 17] != '\n')
		return;
	p += 16;
	len -= 32;
	while (off < len) {
		const uint8_t *line = p + off, *nl = memchr(line, '\n', len - off);
		uint64_t ll = nl ? (uint64_t)(nl - line) : len - off;

		if (ll > 4 && !memcmp(line, "mod\t", 4)) {
			const uint8_t *tab = memchr(line + 4, '\t', ll - 4);
			uint64_t pl = tab ? (uint64_t)(tab - line - 4) : ll - 4;

			copy_gostr(bi->module, sizeof(bi->module), line + 4, pl);
		} else if (ll == 19 && !memcmp(line, "build\tCGO_ENABLED=", 18)) {
			bi->cgo_setting = line[18] == '1';
		}
		off += ll + 1;
	}
}

int tt_go_parse_version(const char *s, int *major, int *minor, int *patch)
{
	long v[3] = { 0, 0, 0 };
	char *end;

	if (!strncmp(s, "go", 2))
		s += 2;
	/* Up to three dot-separated numbers; a suffix ("rc2", "beta1") ends it. */
	for (int i = 0; i < 3; i++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v[i] = strtol(s, &end, 10);
		if (v[i] > 100000)
			return -EINVAL;
		s = end;
		if (*s != '.' || s[1] < '0' || s[1] > '9')
			break;
		s++;
	}
	if (v[0] < 1)
		return -EINVAL;
	*major = v[0];
	*minor = v[1];
	*patch = v[2];
	return 0;
}

int tt_go_buildinfo(const struct tt_elf *elf, struct tt_buildinfo *bi, struct tt_error *err)
{
	struct gostr vers = { 0 }, mod = { 0 };
	const uint8_t *area, *h;
	uint64_t len, avail;
	unsigned ptrsize;

	memset(bi, 0, sizeof(*bi));
	bi->cgo_setting = -1;
	area = search_area(elf, &len);
	if (!area || !(h = find_header(area, len)))
		return tt_error_set(err, ENOENT, "no Go build information");
	avail = len - (uint64_t)(h - area);
	ptrsize = h[14];
	if (h[15] & 2) {
		uint64_t v, n, off = BI_HDR;

		if (!uvarint(h + off, avail - off, &v, &n) || v > avail - off - n)
			return tt_error_set(err, EINVAL, "corrupted Go build information (version)");
		vers.p = h + off + n;
		vers.len = v;
		off += n + v;
		if (uvarint(h + off, avail - off, &v, &n) && v <= avail - off - n) {
			mod.p = h + off + n;
			mod.len = v;
		}
	} else {
		if ((ptrsize != 4 && ptrsize != 8) || h[15] != 0)
			return tt_error_set(err, EINVAL,
					    "unsupported Go build information (pointer size %u, flags 0x%x)",
					    ptrsize, h[15]);
		if (!read_ptr_string(elf, rd_ptr(h + 16, ptrsize), ptrsize, &vers))
			return tt_error_set(err, EINVAL, "corrupted Go build information (version pointer)");
		if (!read_ptr_string(elf, rd_ptr(h + 16 + ptrsize, ptrsize), ptrsize, &mod))
			mod.len = 0;
	}
	if (!vers.len)
		return tt_error_set(err, EINVAL, "corrupted Go build information (empty version)");
	copy_gostr(bi->version, sizeof(bi->version), vers.p, vers.len);
	/* "go1.22.5 X:boringcrypto": keep the version word only. */
	bi->version[strcspn(bi->version, " \t")] = '\0';
	if (tt_go_parse_version(bi->version, &bi->major, &bi->minor, &bi->patch))
		return tt_error_set(err, EINVAL, "unrecognised Go version \"%s\"", bi->version);
	if (mod.len)
		parse_modinfo(bi, mod.p, mod.len);
	return 0;
}
