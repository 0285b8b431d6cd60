/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_TESTUTIL_H
#define TLSTAP_TESTUTIL_H

/* Shared helpers for the cmocka unit tests. */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The build directory (make exports BUILD; default "build"). */
static inline const char *tt_test_build_dir(void)
{
	const char *b = getenv("BUILD");
	return b && *b ? b : "build";
}

/* Path under the build directory, in a static buffer per call site. */
#define TT_BUILD_PATH(buf, fmt, ...) \
	snprintf((buf), sizeof(buf), "%s/" fmt, tt_test_build_dir(), ##__VA_ARGS__)

/* Remove a directory tree a test made (cmocka group teardowns); 0 or -1. */
static inline int tt_test_remove_tree(const char *dir)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

#endif
