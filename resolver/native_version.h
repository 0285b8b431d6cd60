/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_RESOLVER_NATIVE_VERSION_H
#define TLSTAP_RESOLVER_NATIVE_VERSION_H

/*
 * Read-only data of native TLS libraries: version strings and the strings
 * that betray TLS code even when every symbol is stripped.  Internal to
 * resolver/native*.c.  Every scan stays inside the bytes of a section (or of
 * the file when it has no section headers): nothing here can read past the
 * mapping.
 */

#include <stdbool.h>
#include <stddef.h>

#include "elf.h"

/* The string is somewhere in the read-only data. */
bool tt_native_has_string(const struct tt_elf *elf, const char *s);

/*
 * Number of distinct TLS protocol strings (PRF labels, key-log labels) in the
 * read-only data.  Two or more mean a TLS implementation is compiled in.
 */
unsigned tt_native_tls_markers(const struct tt_elf *elf);

/*
 * A NUL-delimited string "<prefix>X.Y.Z..." ("OpenSSL 3.0.15 3 Sep 2024",
 * "LibreSSL 3.8.2").  When several exist, one followed by a release date wins
 * (that is OPENSSL_VERSION_TEXT; others are messages).  0 or -ENOENT.
 */
int tt_native_version_string(const struct tt_elf *elf, const char *prefix, char *buf, size_t len);

/*
 * GnuTLS's version ("3.7.9"): the string gnutls_check_version(NULL) returns,
 * found by decoding the address it loads (x86-64 lea, arm64 adrp+add); else
 * the only "3.N.N" string in the read-only data (*decoded false).
 * 0 or -ENOENT.
 */
int tt_native_gnutls_version(const struct tt_elf *elf, char *buf, size_t len, bool *decoded);

#endif
