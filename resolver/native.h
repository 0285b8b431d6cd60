/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_RESOLVER_NATIVE_H
#define TLSTAP_RESOLVER_NATIVE_H

#include "elf.h"

/*
 * Native TLS libraries (OpenSSL 1.1/3.x, GnuTLS, static copies with symbols).
 * Fills r->kind = TT_KIND_NATIVE, r->library and r->functions when the object
 * carries any hookable TLS function; leaves r->kind = TT_KIND_NONE otherwise
 * (adding a note when it sees TLS code it cannot hook, e.g. stripped static
 * BoringSSL).  Returns 0, or a negative errno for malformed input.
 */
int tt_native_resolve(const struct tt_elf *elf, struct tt_resolution *r, struct tt_error *err);

#endif
