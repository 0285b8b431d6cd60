// SPDX-License-Identifier: MIT
#include <errno.h>
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
	/* Callers pass errno, which a library may leave at 0 on failure: a
	 * failure must never read as success. */
	if (errnum > 0)
		return -errnum;
	return errnum < 0 ? errnum : -EIO;
}
