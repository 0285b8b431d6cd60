// SPDX-License-Identifier: MIT
// Placeholder until the native resolver lands (issue 4): nothing is recognised.
#include "native.h"

int tt_native_resolve(const struct tt_elf *elf, struct tt_resolution *r, struct tt_error *err)
{
	(void)elf;
	(void)err;
	r->kind = TT_KIND_NONE;
	return 0;
}
