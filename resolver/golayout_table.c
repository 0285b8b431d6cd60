// SPDX-License-Identifier: MIT
/*
 * Field offsets for binaries without DWARF: the row of the generated table
 * (golayout_table_data.c) for the binary's Go major.minor.  Struct layouts
 * change only between minor releases, and the table is checked against every
 * testdata binary's DWARF by the unit tests.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golayout.h"
#include "golayout_table.h"

/*
 * "go1.22.5", "1.22", "go1.24rc1", "go1.21.0 X:boringcrypto" -> 1, 22.
 * Only the leading "[go]MAJOR.MINOR" matters; what follows must not be a
 * digit (so "1.2" does not match "1.22").
 */
static int parse_version(const char *v, int *major, int *minor)
{
	long n[2];
	char *end;

	if (!strncmp(v, "go", 2))
		v += 2;
	for (int i = 0; i < 2; i++) {
		if (*v < '0' || *v > '9')
			return -EINVAL;
		n[i] = strtol(v, &end, 10);
		if (n[i] > 1000)
			return -EINVAL;
		v = end;
		if (i == 0 && *v++ != '.')
			return -EINVAL;
	}
	*major = n[0];
	*minor = n[1];
	return 0;
}

static void known_versions(char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < tt_go_layout_n_rows && off < len; i++) {
		int n = snprintf(buf + off, len - off, "%sgo%d.%d", i ? " " : "",
				 tt_go_layout_rows[i].major, tt_go_layout_rows[i].minor);
		if (n < 0)
			break;
		off += n;
	}
}

int tt_go_layout_from_table(const char *go_version, int64_t fields[TT_F_COUNT], char *used,
			    size_t used_len, struct tt_error *err)
{
	char known[256];
	int major, minor;

	known_versions(known, sizeof(known));
	if (!go_version || !*go_version)
		return tt_error_set(err, ENOENT,
				    "unknown Go version and no DWARF; known: %s (use --assume-go-version)",
				    known);
	if (parse_version(go_version, &major, &minor))
		return tt_error_set(err, EINVAL, "cannot parse Go version \"%s\"", go_version);
	for (size_t i = 0; i < tt_go_layout_n_rows; i++) {
		const struct tt_go_layout_row *row = &tt_go_layout_rows[i];

		if (row->major != major || row->minor != minor)
			continue;
		memcpy(fields, row->fields, sizeof(row->fields));
		if (used && used_len)
			snprintf(used, used_len, "go%d.%d", major, minor);
		return 0;
	}
	return tt_error_set(err, ENOENT,
			    "no layout table entry for go%d.%d; known: %s (use --assume-go-version)",
			    major, minor, known);
}
