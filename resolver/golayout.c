// SPDX-License-Identifier: MIT
/*
 * The offsets of tt_go_fields[] from every source, and which one the tracer
 * gets.  Sources, in the order they are trusted:
 *
 *   dwarf  the binary's own DWARF (absent when stripped with -w);
 *   types  the binary's own runtime type descriptors (what reflect and the
 *          garbage collector use: a Go program cannot run with wrong ones);
 *   table  the per-Go-version table generated from testdata binaries of the
 *          same major.minor: a cross-check, and the last resort for a field
 *          whose struct has no descriptor.
 *
 * Every source is asked, always.  A field gets the value its sources agree
 * on.  When they disagree it stays unknown, with one exception: when dwarf
 * and types both have the field and agree, a different table value is
 * outvoted (two readings of the binary itself against a reading of other
 * binaries).  The disagreement is recorded either way (field_info.conflict
 * and by_source), and `resolve` prints it.  Wrong data is worse than none:
 * an unknown required field stops the tracer, a wrong one misattributes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "golayout.h"
#include "gotype.h"

static void from_dwarf(const struct tt_elf *elf, struct tt_resolution *r)
{
	struct tt_go_info *g = &r->go;
	struct tt_error err = { "" };
	int64_t v[TT_F_COUNT];

	if (!g->has_dwarf) {
		snprintf(g->dwarf_status, sizeof(g->dwarf_status), "no DWARF");
		return;
	}
	/* Fills what it finds even when a field is missing. */
	if (tt_go_layout_from_dwarf(elf, v, &err))
		snprintf(g->dwarf_status, sizeof(g->dwarf_status), "%.120s", err.msg);
	for (int f = 0; f < TT_F_COUNT; f++)
		r->field_info[f].by_source[TT_LAYOUT_DWARF] = v[f];
}

static int from_types(const struct tt_elf *elf, struct tt_resolution *r, struct tt_error *err)
{
	struct tt_go_info *g = &r->go;
	struct tt_go_types_result *res;

	/* ~1.5 KiB of messages: not on the stack of a library call. */
	res = malloc(sizeof(*res));
	if (!res)
		return tt_error_set(err, ENOMEM, "out of memory");
	tt_go_layout_from_types(elf, g->major, g->minor, res, NULL);
	snprintf(g->types_status, sizeof(g->types_status), "%s", res->status);
	for (int f = 0; f < TT_F_COUNT; f++) {
		r->field_info[f].by_source[TT_LAYOUT_TYPES] = res->fields[f];
		snprintf(r->field_info[f].why, sizeof(r->field_info[f].why), "%s", res->why[f]);
	}
	/* The symbol, when there is one, names the itab; else the itab links do. */
	if (!g->has_itab_tcpconn && res->itab_tcpconn) {
		g->has_itab_tcpconn = true;
		g->itab_from_types = true;
		g->itab_tcpconn = res->itab_tcpconn;
	}
	free(res);
	return 0;
}

/* The row of the binary's version, else of --assume-go-version. */
static void from_table(struct tt_resolution *r, const struct tt_resolve_opts *opts)
{
	struct tt_go_info *g = &r->go;
	int64_t v[TT_F_COUNT];
	int ret = -ENOENT;

	if (!opts || !opts->no_layout_table)
		ret = tt_go_layout_from_table(g->version, v, g->layout_version,
					      sizeof(g->layout_version), NULL);
	if (ret && opts && !opts->no_layout_table && opts->assume_go_version)
		ret = tt_go_layout_from_table(opts->assume_go_version, v, g->layout_version,
					      sizeof(g->layout_version), NULL);
	for (int f = 0; f < TT_F_COUNT; f++)
		r->field_info[f].by_source[TT_LAYOUT_TABLE] = ret ? TT_FIELD_UNKNOWN : v[f];
}

static int64_t src(const struct tt_go_field_info *fi, enum tt_layout_source s)
{
	return fi->by_source[s];
}

/* The merge rule of the header comment, for one field. */
static void merge(struct tt_go_field_info *fi, int64_t *value)
{
	static const enum tt_layout_source order[] = { TT_LAYOUT_DWARF, TT_LAYOUT_TYPES,
						       TT_LAYOUT_TABLE };
	int64_t d = src(fi, TT_LAYOUT_DWARF), t = src(fi, TT_LAYOUT_TYPES);
	int64_t first = TT_FIELD_UNKNOWN;

	fi->source = TT_LAYOUT_NONE;
	fi->conflict = false;
	*value = TT_FIELD_UNKNOWN;
	for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
		int64_t v = src(fi, order[i]);

		if (v == TT_FIELD_UNKNOWN)
			continue;
		if (first == TT_FIELD_UNKNOWN) {
			first = v;
			fi->source = order[i];
		} else if (v != first) {
			fi->conflict = true;
		}
	}
	if (!fi->conflict) {
		*value = first;
		return;
	}
	if (d != TT_FIELD_UNKNOWN && d == t) {
		*value = d; /* the table alone disagrees */
		fi->source = TT_LAYOUT_DWARF;
		return;
	}
	fi->source = TT_LAYOUT_NONE;
}

static enum tt_layout_source summary(const struct tt_resolution *r)
{
	enum tt_layout_source s = TT_LAYOUT_NONE;

	for (int f = 0; f < TT_F_COUNT; f++) {
		enum tt_layout_source fs = r->field_info[f].source;

		if (fs == TT_LAYOUT_NONE || fs == s)
			continue;
		if (s != TT_LAYOUT_NONE)
			return TT_LAYOUT_MIXED;
		s = fs;
	}
	return s;
}

int tt_go_layout_resolve(const struct tt_elf *elf, const struct tt_resolve_opts *opts,
			 struct tt_resolution *r, struct tt_error *err)
{
	int ret;

	for (int f = 0; f < TT_F_COUNT; f++) {
		memset(&r->field_info[f], 0, sizeof(r->field_info[f]));
		for (int s = 0; s < TT_LAYOUT_NSOURCES; s++)
			r->field_info[f].by_source[s] = TT_FIELD_UNKNOWN;
	}
	from_dwarf(elf, r);
	ret = from_types(elf, r, err);
	if (ret)
		return ret;
	from_table(r, opts);
	for (int f = 0; f < TT_F_COUNT; f++)
		merge(&r->field_info[f], &r->fields[f]);
	r->go.layout_source = summary(r);
	return 0;
}

bool tt_go_fields_complete(const struct tt_resolution *r, enum tt_go_field *missing)
{
	for (int f = 0; f < TT_F_COUNT; f++) {
		if (!tt_go_fields[f].required || r->fields[f] != TT_FIELD_UNKNOWN)
			continue;
		if (missing)
			*missing = f;
		return false;
	}
	return true;
}
