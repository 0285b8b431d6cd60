/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_RESOLVER_GO_H
#define TLSTAP_RESOLVER_GO_H

#include "elf.h"

/* Go functions the tracer hooks, in the order they appear in r->functions. */
extern const char *const tt_go_traced_functions[];
extern const size_t tt_go_n_traced_functions;

/* True when the object is a Go binary (.go.buildinfo or .gopclntab present). */
bool tt_go_detect(const struct tt_elf *elf);

/* Fill r (kind TT_KIND_GO) for a Go binary; negative errno + message on error. */
int tt_go_resolve(const struct tt_elf *elf, const struct tt_resolve_opts *opts,
		  struct tt_resolution *r, struct tt_error *err);

#endif
