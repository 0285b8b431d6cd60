/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TRACE_NAMES_H
#define TLSTAP_TRACE_NAMES_H

/*
 * Names of the record enumerations (include/tlstap/record.h), both ways:
 * writers print them, `tlstap replay` parses them back.
 */

#include <stddef.h>

#include "tlstap/record.h"

const char *tt_lib_name(unsigned lib);                 /* "unknown" if not one */
const char *tt_dir_name(unsigned dir);                 /* "unknown" if not one */
const char *tt_attribution_name(unsigned attribution); /* "none" if not one */

/* The value of a name of n bytes, or -1. */
int tt_lib_parse(const char *s, size_t n);
int tt_dir_parse(const char *s, size_t n);
int tt_attribution_parse(const char *s, size_t n);

#endif
