/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_RESOLVE_PRINT_H
#define TLSTAP_RESOLVE_PRINT_H

#include <stdio.h>

#include "out/json.h"
#include "tlstap/resolve.h"

/* Human-readable report of one resolution; every line starts with indent. */
void tt_print_resolution_text(FILE *f, const struct tt_resolution *r, const char *indent);
/* One JSON object (schema in docs/resolve-json.md). */
void tt_print_resolution_json(struct tt_json *j, const struct tt_resolution *r);
/* The same keys, inside an object the caller opened (to add keys of its own). */
void tt_print_resolution_json_members(struct tt_json *j, const struct tt_resolution *r);

#endif
