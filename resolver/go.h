/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_RESOLVER_GO_H
#define TLSTAP_RESOLVER_GO_H

#include "elf.h"

#include "tlstap/hooks.h"

/* The Go hooks of the hook table (and their names if names is not NULL), in
 * the order they appear in r->functions; returns how many (at most max). */
size_t tt_go_hooks(const struct tt_hook *out[], const char *names[], size_t max);

/* True when the object is a Go binary (.go.buildinfo or .gopclntab present). */
bool tt_go_detect(const struct tt_elf *elf);

/* Fill r (kind TT_KIND_GO) for a Go binary; negative errno + message on error. */
int tt_go_resolve(const struct tt_elf *elf, const struct tt_resolve_opts *opts,
		  struct tt_resolution *r, struct tt_error *err);

#endif
