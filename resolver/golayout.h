/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_RESOLVER_GOLAYOUT_H
#define TLSTAP_RESOLVER_GOLAYOUT_H

#include "elf.h"

/*
 * The distinct struct types of tt_go_fields[] ("crypto/tls.Conn", ...), in
 * order of first appearance; returns how many.
 */
size_t tt_go_field_types(const char *types[TT_F_COUNT]);

/*
 * Go struct field offsets (enum tt_go_field) from the binary's DWARF, read
 * with libdwarf (compressed .zdebug_* and SHF_COMPRESSED sections handled).
 * Fills every field it finds, leaves the others TT_FIELD_UNKNOWN.
 * Returns 0 when all fields were found, -ENOENT (message set) when the
 * binary has no DWARF or some field is missing, other negative errno on
 * malformed DWARF.
 */
int tt_go_layout_from_dwarf(const struct tt_elf *elf, int64_t fields[TT_F_COUNT],
			    struct tt_error *err);

/*
 * Same from the generated per-Go-version table (resolver/golayout_table.c).
 * go_version: "go1.22.5", "1.22" ...  Matching is by major.minor.  On success
 * copies the row's version ("go1.22") into used.  -ENOENT with a message
 * naming the known versions when there is no row.
 */
int tt_go_layout_from_table(const char *go_version, int64_t fields[TT_F_COUNT], char *used,
			    size_t used_len, struct tt_error *err);

/*
 * All sources of the field offsets (DWARF, type descriptors, table) merged
 * into r->fields and r->field_info (golayout.c); r->go's version, DWARF flag
 * and itab must be set.  Fields no source has stay unknown: not an error.
 * Fails only when out of memory.
 */
int tt_go_layout_resolve(const struct tt_elf *elf, const struct tt_resolve_opts *opts,
			 struct tt_resolution *r, struct tt_error *err);

/*
 * amd64: the offset of g from the thread pointer (gotls.c).  -ENOTSUP on
 * other architectures, -ENOENT when the binary does not tell, -EINVAL when
 * its TLS headers are corrupted.
 */
int tt_go_tls_g(const struct tt_elf *elf, enum tt_arch arch, int64_t *offset,
		struct tt_error *err);

#endif
