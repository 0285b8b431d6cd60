// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include <stdio.h>

#include "tlstap/error.h"

int tt_error_set(struct tt_error *err, int errnum, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return errnum > 0 ? -errnum : errnum;
}
