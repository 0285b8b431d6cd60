// SPDX-License-Identifier: MIT
/*
 * The table of the Go struct fields the tracer reads, from the one list in
 * include/tlstap/gofields.h.  On its own so that the layout-table generator
 * links it without the table it generates.
 */
#include <string.h>

#include "golayout.h"

const struct tt_go_field_desc tt_go_fields[TT_F_COUNT] = {
#define TT_GO_FIELD_DESC(e, s, m, r) [TT_F_##e] = { s "." m, s, m, "TT_F_" #e, r },
	TT_GO_FIELDS(TT_GO_FIELD_DESC)
#undef TT_GO_FIELD_DESC
};

const char *tt_go_field_name(enum tt_go_field f)
{
	return (unsigned)f < TT_F_COUNT ? tt_go_fields[f].name : "?";
}

size_t tt_go_field_types(const char *types[TT_F_COUNT])
{
	size_t n = 0;

	for (size_t f = 0; f < TT_F_COUNT; f++) {
		size_t i;

		for (i = 0; i < n && strcmp(types[i], tt_go_fields[f].type); i++)
			;
		if (i == n)
			types[n++] = tt_go_fields[f].type;
	}
	return n;
}
