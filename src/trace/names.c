// SPDX-License-Identifier: MIT
/* Names of the record enumerations, from their lists in tlstap/record.h. */
#include <string.h>

#include "tlstap/compiler.h"
#include "trace/names.h"

struct name {
	int value;
	const char *name;
};

#define TT_NAME(e, v, n) { v, n },
static const struct name libs[] = { TT_LIBS(TT_NAME) };
static const struct name dirs[] = { TT_DIRS(TT_NAME) };
static const struct name attributions[] = { TT_ATTRIBUTIONS(TT_NAME) };
#undef TT_NAME

static const char *lookup(const struct name *t, size_t n, unsigned v, const char *dflt)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned)t[i].value == v)
			return t[i].name;
	return dflt;
}

static int parse(const struct name *t, size_t n, const char *s, size_t len)
{
	for (size_t i = 0; i < n; i++)
		if (strlen(t[i].name) == len && !memcmp(t[i].name, s, len))
			return t[i].value;
	return -1;
}

const char *tt_lib_name(unsigned v)
{
	return lookup(libs, ARRAY_SIZE(libs), v, "unknown");
}

const char *tt_dir_name(unsigned v)
{
	return lookup(dirs, ARRAY_SIZE(dirs), v, "unknown");
}

const char *tt_attribution_name(unsigned v)
{
	return lookup(attributions, ARRAY_SIZE(attributions), v, "none");
}

int tt_lib_parse(const char *s, size_t n)
{
	return parse(libs, ARRAY_SIZE(libs), s, n);
}

int tt_dir_parse(const char *s, size_t n)
{
	return parse(dirs, ARRAY_SIZE(dirs), s, n);
}

int tt_attribution_parse(const char *s, size_t n)
{
	return parse(attributions, ARRAY_SIZE(attributions), s, n);
}
