// SPDX-License-Identifier: MIT
/* Printers for one resolution: text for people, JSON for programs. */
#include <inttypes.h>

#include "cli/resolve_print.h"

static void text_function(FILE *f, const struct tt_function *fn, const char *in)
{
	if (!fn->found) {
		fprintf(f, "%s  %s: not found\n", in, fn->name);
		return;
	}
	fprintf(f, "%s  %s\n", in, fn->name);
	fprintf(f, "%s    entry 0x%" PRIx64 "  file offset 0x%" PRIx64 "  size %" PRIu64
		   "  (from %s)\n",
		in, fn->address, fn->file_offset, fn->size, tt_sym_source_name(fn->source));
	if (fn->n_returns) {
		fprintf(f, "%s    returns (file offsets):", in);
		for (size_t i = 0; i < fn->n_returns; i++)
			fprintf(f, " 0x%" PRIx64, fn->returns[i]);
		fputc('\n', f);
	}
	for (size_t i = 0; i < fn->n_args; i++) {
		const struct tt_value_loc *l = &fn->args[i];
		if (l->kind == TT_LOC_REG)
			fprintf(f, "%s    arg    %-9s %s\n", in, l->name, l->reg);
		else
			fprintf(f, "%s    arg    %-9s %d(SP)\n", in, l->name, l->stack_offset);
	}
	for (size_t i = 0; i < fn->n_results; i++) {
		const struct tt_value_loc *l = &fn->results[i];
		if (l->kind == TT_LOC_REG)
			fprintf(f, "%s    result %-9s %s\n", in, l->name, l->reg);
		else
			fprintf(f, "%s    result %-9s %d(SP)\n", in, l->name, l->stack_offset);
	}
	if (fn->n_prologue)
		fprintf(f, "%s    prologue (E = kernel emulates it when probed):\n", in);
	for (size_t i = 0; i < fn->n_prologue; i++) {
		const struct tt_insn *p = &fn->prologue[i];
		fprintf(f, "%s      0x%" PRIx64 " %c %s\n", in, p->file_offset,
			p->emulated ? 'E' : ' ', p->text);
	}
}

/* The sources a field is compared across, in the order they are trusted. */
static const enum tt_layout_source field_sources[] = { TT_LAYOUT_DWARF, TT_LAYOUT_TYPES,
						       TT_LAYOUT_TABLE };

/* One column, padded unless it ends the line. */
static void text_offset(FILE *f, int64_t v, bool last)
{
	char buf[24] = "-";

	if (v != TT_FIELD_UNKNOWN)
		snprintf(buf, sizeof(buf), "%" PRId64, v);
	fprintf(f, last ? " %s" : " %-7s", buf);
}

/* One line a field: offset, where it came from, what each source says. */
static void text_field(FILE *f, const struct tt_resolution *r, int i, const char *in)
{
	const struct tt_go_field_info *fi = &r->field_info[i];
	bool note = fi->conflict || (fi->why[0] && fi->by_source[TT_LAYOUT_TYPES] == TT_FIELD_UNKNOWN);

	fprintf(f, "%s  %c %-26s", in, tt_go_fields[i].required ? '*' : ' ', tt_go_field_name(i));
	if (r->fields[i] == TT_FIELD_UNKNOWN)
		fprintf(f, " %-7s %-6s", "unknown", "-");
	else
		fprintf(f, " %-7" PRId64 " %-6s", r->fields[i], tt_layout_source_name(fi->source));
	for (size_t s = 0; s < ARRAY_SIZE(field_sources); s++)
		text_offset(f, fi->by_source[field_sources[s]],
			    !note && s + 1 == ARRAY_SIZE(field_sources));
	if (fi->conflict)
		fprintf(f, " sources disagree%s",
			r->fields[i] == TT_FIELD_UNKNOWN ? "" : " (the table is outvoted)");
	else if (fi->why[0] && fi->by_source[TT_LAYOUT_TYPES] == TT_FIELD_UNKNOWN)
		fprintf(f, " types: %s", fi->why);
	fputc('\n', f);
}

static void text_layout(FILE *f, const struct tt_resolution *r, const char *in)
{
	const struct tt_go_info *g = &r->go;
	enum tt_go_field missing;

	fprintf(f, "%slayout:    %s\n", in, tt_layout_source_name(g->layout_source));
	fprintf(f, "%s  dwarf:   %s\n", in, g->dwarf_status[0] ? g->dwarf_status : "every field");
	fprintf(f, "%s  types:   %s\n", in, g->types_status[0] ? g->types_status : "-");
	fprintf(f, "%s  table:   %s\n", in, g->layout_version[0] ? g->layout_version : "no row");
	fprintf(f, "%sfields:      (* required)                offset  from   dwarf   types   table\n", in);
	for (int i = 0; i < TT_F_COUNT; i++)
		text_field(f, r, i, in);
	if (!tt_go_fields_complete(r, &missing))
		fprintf(f, "%s  the tracer cannot attach: %s unknown\n", in, tt_go_field_name(missing));
}

static void text_go(FILE *f, const struct tt_resolution *r, const char *in)
{
	const struct tt_go_info *g = &r->go;

	fprintf(f, "%sgo:        %s, %s ABI%s\n", in, g->version, tt_go_abi_name(g->abi),
		g->cgo ? ", cgo" : "");
	if (g->module[0])
		fprintf(f, "%smodule:    %s\n", in, g->module);
	fprintf(f, "%sdwarf:     %s   symtab: %s\n", in, g->has_dwarf ? "yes" : "no",
		g->has_symtab ? "yes" : "no");
	if (g->has_itab_tcpconn)
		fprintf(f, "%sitab:      *net.TCPConn,net.Conn at 0x%" PRIx64 " (from %s)\n", in,
			g->itab_tcpconn, g->itab_from_types ? "type descriptors" : "symbols");
	else
		fprintf(f, "%sitab:      *net.TCPConn,net.Conn not found\n", in);
	if (g->has_tls_g)
		fprintf(f, "%sg in TLS:  fs:%" PRId64 "\n", in, g->tls_g_offset);
	else
		fprintf(f, "%sg in TLS:  unknown\n", in);
	text_layout(f, r, in);
}

void tt_print_resolution_text(FILE *f, const struct tt_resolution *r, const char *in)
{
	fprintf(f, "%s%s\n", in, r->path);
	fprintf(f, "%skind:      %s\n", in, tt_kind_name(r->kind));
	fprintf(f, "%sarch:      %s%s\n", in, tt_arch_name(r->arch), r->pie ? ", PIE" : "");
	fprintf(f, "%sbuild-id:  %s\n", in, r->build_id[0] ? r->build_id : "(none)");
	if (r->kind == TT_KIND_GO)
		text_go(f, r, in);
	if (r->kind == TT_KIND_NATIVE || r->library.name[0])
		fprintf(f, "%slibrary:   %s %s\n", in, r->library.name,
			r->library.version[0] ? r->library.version : "(version unknown)");
	if (r->n_functions)
		fprintf(f, "%sfunctions:\n", in);
	for (size_t i = 0; i < r->n_functions; i++)
		text_function(f, &r->functions[i], in);
	for (size_t i = 0; i < r->n_notes; i++)
		fprintf(f, "%snote:      %s\n", in, r->notes[i].text);
}

static void json_loc(struct tt_json *j, const struct tt_value_loc *l)
{
	tt_json_object_begin(j);
	tt_json_kv_string(j, "name", l->name);
	if (l->kind == TT_LOC_REG) {
		tt_json_kv_string(j, "reg", l->reg);
		tt_json_kv_uint(j, "abi_index", l->abi_index);
	} else {
		tt_json_kv_int(j, "stack_offset", l->stack_offset);
	}
	tt_json_object_end(j);
}

static void json_function(struct tt_json *j, const struct tt_function *fn)
{
	tt_json_object_begin(j);
	tt_json_kv_string(j, "name", fn->name);
	tt_json_kv_bool(j, "found", fn->found);
	if (!fn->found) {
		tt_json_object_end(j);
		return;
	}
	tt_json_kv_string(j, "source", tt_sym_source_name(fn->source));
	tt_json_kv_uint(j, "address", fn->address);
	tt_json_kv_uint(j, "file_offset", fn->file_offset);
	tt_json_kv_uint(j, "size", fn->size);
	tt_json_key(j, "returns");
	tt_json_array_begin(j);
	for (size_t i = 0; i < fn->n_returns; i++)
		tt_json_uint(j, fn->returns[i]);
	tt_json_array_end(j);
	tt_json_key(j, "args");
	tt_json_array_begin(j);
	for (size_t i = 0; i < fn->n_args; i++)
		json_loc(j, &fn->args[i]);
	tt_json_array_end(j);
	tt_json_key(j, "results");
	tt_json_array_begin(j);
	for (size_t i = 0; i < fn->n_results; i++)
		json_loc(j, &fn->results[i]);
	tt_json_array_end(j);
	tt_json_key(j, "prologue");
	tt_json_array_begin(j);
	for (size_t i = 0; i < fn->n_prologue; i++) {
		const struct tt_insn *p = &fn->prologue[i];
		tt_json_object_begin(j);
		tt_json_kv_uint(j, "address", p->address);
		tt_json_kv_uint(j, "file_offset", p->file_offset);
		tt_json_kv_uint(j, "size", p->size);
		tt_json_kv_string(j, "text", p->text);
		tt_json_kv_bool(j, "emulated", p->emulated);
		tt_json_kv_uint(j, "regs_written", p->regs_written);
		tt_json_object_end(j);
	}
	tt_json_array_end(j);
	tt_json_object_end(j);
}

static void json_offset(struct tt_json *j, const char *key, int64_t v)
{
	tt_json_key(j, key);
	if (v == TT_FIELD_UNKNOWN)
		tt_json_null(j);
	else
		tt_json_int(j, v);
}

/* "field_sources": per field, where its offset came from and each source's. */
static void json_field_sources(struct tt_json *j, const struct tt_resolution *r)
{
	tt_json_key(j, "field_sources");
	tt_json_object_begin(j);
	for (int i = 0; i < TT_F_COUNT; i++) {
		const struct tt_go_field_info *fi = &r->field_info[i];

		tt_json_key(j, tt_go_field_name(i));
		tt_json_object_begin(j);
		tt_json_kv_string(j, "source", tt_layout_source_name(fi->source));
		tt_json_kv_bool(j, "required", tt_go_fields[i].required);
		for (size_t s = 0; s < ARRAY_SIZE(field_sources); s++)
			json_offset(j, tt_layout_source_name(field_sources[s]),
				    fi->by_source[field_sources[s]]);
		tt_json_kv_bool(j, "conflict", fi->conflict);
		if (fi->why[0])
			tt_json_kv_string(j, "types_error", fi->why);
		tt_json_object_end(j);
	}
	tt_json_object_end(j);
}

static void json_go(struct tt_json *j, const struct tt_resolution *r)
{
	const struct tt_go_info *g = &r->go;

	tt_json_key(j, "go");
	tt_json_object_begin(j);
	tt_json_kv_string(j, "version", g->version);
	tt_json_kv_string(j, "module", g->module);
	tt_json_kv_string(j, "abi", tt_go_abi_name(g->abi));
	tt_json_kv_bool(j, "has_dwarf", g->has_dwarf);
	tt_json_kv_bool(j, "has_symtab", g->has_symtab);
	tt_json_kv_bool(j, "cgo", g->cgo);
	tt_json_kv_string(j, "layout_source", tt_layout_source_name(g->layout_source));
	if (g->layout_version[0])
		tt_json_kv_string(j, "layout_version", g->layout_version);
	tt_json_kv_string(j, "dwarf_status", g->dwarf_status);
	tt_json_kv_string(j, "types_status", g->types_status);
	tt_json_kv_bool(j, "fields_complete", tt_go_fields_complete(r, NULL));
	tt_json_key(j, "itab_tcpconn");
	if (g->has_itab_tcpconn)
		tt_json_uint(j, g->itab_tcpconn);
	else
		tt_json_null(j);
	if (g->has_itab_tcpconn)
		tt_json_kv_string(j, "itab_source", g->itab_from_types ? "types" : "symbols");
	tt_json_key(j, "tls_g_offset");
	if (g->has_tls_g)
		tt_json_int(j, g->tls_g_offset);
	else
		tt_json_null(j);
	tt_json_object_end(j);

	tt_json_key(j, "fields");
	tt_json_object_begin(j);
	for (int i = 0; i < TT_F_COUNT; i++)
		json_offset(j, tt_go_field_name(i), r->fields[i]);
	tt_json_object_end(j);
	json_field_sources(j, r);
}

void tt_print_resolution_json(struct tt_json *j, const struct tt_resolution *r)
{
	tt_json_object_begin(j);
	tt_print_resolution_json_members(j, r);
	tt_json_object_end(j);
}

void tt_print_resolution_json_members(struct tt_json *j, const struct tt_resolution *r)
{
	tt_json_kv_string(j, "path", r->path);
	tt_json_kv_string(j, "kind", tt_kind_name(r->kind));
	tt_json_kv_string(j, "arch", tt_arch_name(r->arch));
	tt_json_kv_bool(j, "pie", r->pie);
	tt_json_kv_string(j, "build_id", r->build_id);
	if (r->kind == TT_KIND_GO)
		json_go(j, r);
	if (r->kind == TT_KIND_NATIVE || r->library.name[0]) {
		tt_json_key(j, "library");
		tt_json_object_begin(j);
		tt_json_kv_string(j, "name", r->library.name);
		tt_json_kv_string(j, "version", r->library.version);
		tt_json_object_end(j);
	}
	tt_json_key(j, "functions");
	tt_json_array_begin(j);
	for (size_t i = 0; i < r->n_functions; i++)
		json_function(j, &r->functions[i]);
	tt_json_array_end(j);
	tt_json_key(j, "notes");
	tt_json_array_begin(j);
	for (size_t i = 0; i < r->n_notes; i++)
		tt_json_string(j, r->notes[i].text);
	tt_json_array_end(j);
}
