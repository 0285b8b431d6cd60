// SPDX-License-Identifier: MIT
/* The doctor's report: text for people, JSON for programs. */
#include <stdio.h>

#include <bpf/libbpf.h>

#include "doctor/doctor.h"
#include "out/json.h"

static const char *type_name(uint32_t type)
{
	const char *s = libbpf_bpf_map_type_str(type);

	return s ? s : "unknown";
}

static const char *read_how(const struct tt_doc_map *m)
{
	if (!m->counted || m->preallocated || m->type == BPF_MAP_TYPE_RINGBUF)
		return "-";
	return m->batched ? "batch" : "iteration";
}

static void text_map(const struct tt_doc_map *m, FILE *f)
{
	double p = tt_doc_pressure(m);
	char entries[32], pressure[16], judged[64] = "";

	if (m->preallocated || m->entries < 0)
		snprintf(entries, sizeof(entries), "-");
	else
		snprintf(entries, sizeof(entries), "%lld%s", m->entries,
			 m->type == BPF_MAP_TYPE_RINGBUF ? " B" : "");
	if (p < 0)
		snprintf(pressure, sizeof(pressure), "-");
	else
		snprintf(pressure, sizeof(pressure), "%.1f%%", 100 * p);
	if (m->state >= 0)
		snprintf(judged, sizeof(judged), "%8zu %8zu %8zu %6zu", m->live, m->unjudged,
			 m->leaked, m->races);
	fprintf(f, "  %-15s %-13s %10s %11u %8s  %-9s %s\n", m->name, type_name(m->type), entries,
		m->max_entries, pressure, read_how(m), judged);
}

static void text_leak(const struct tt_doctor *d, const struct tt_doc_leak *l, FILE *f)
{
	const struct tt_doc_tracer *t = &d->tracers[l->tracer];
	char key[256];

	tt_doc_key_text(&l->e, key, sizeof(key));
	fprintf(f, "  leaked: %s %s: %s (%s): %s\n", t->maps[t->state[l->map]].name, key,
		tt_doc_reason_name(l->v.reason), tt_doc_reason_text(l->v.reason), l->v.detail);
}

void tt_doctor_print_text(const struct tt_doctor *d, FILE *f)
{
	for (size_t i = 0; i < d->n_tracers; i++) {
		const struct tt_doc_tracer *t = &d->tracers[i];

		fprintf(f, "tracer pid %d: %s\n", t->pid, t->cmdline[0] ? t->cmdline : t->comm);
		fprintf(f, "  %-15s %-13s %10s %11s %8s  %-9s %8s %8s %8s %6s\n", "map", "type",
			"entries", "max_entries", "pressure", "read", "live", "unjudged", "leaked",
			"races");
		for (size_t m = 0; m < t->n_maps; m++)
			text_map(&t->maps[m], f);
		for (size_t k = 0; k < d->n_leaks; k++)
			if (d->leaks[k].tracer == i)
				text_leak(d, &d->leaks[k], f);
	}
	fprintf(f,
		"checked %zu entries of %zu tracer%s (read in %.3f s): %zu live, %zu unjudged, "
		"%zu leaked; %zu suspect%s filtered as races",
		d->checked, d->n_tracers, d->n_tracers == 1 ? "" : "s", d->read_s, d->live,
		d->unjudged, d->n_leaks, d->races, d->races == 1 ? " was" : "s were");
	if (d->opts.recheck_delay > 0)
		fprintf(f, " (re-checked after %.1f s)\n", d->opts.recheck_delay);
	else
		fprintf(f, " (no re-check: --recheck-delay 0)\n");
	fprintf(f, "leaked: %zu\n", d->n_leaks);
}

static void json_map(struct tt_json *j, const struct tt_doc_tracer *t, const struct tt_doc_map *m)
{
	double p = tt_doc_pressure(m);

	tt_json_object_begin(j);
	tt_json_kv_int(j, "tracer", t->pid);
	tt_json_kv_string(j, "name", m->name);
	tt_json_kv_string(j, "type", type_name(m->type));
	tt_json_key(j, "entries");
	if (m->entries < 0)
		tt_json_null(j);
	else
		tt_json_int(j, m->entries);
	tt_json_kv_uint(j, "max_entries", m->max_entries);
	tt_json_key(j, "pressure");
	if (p < 0)
		tt_json_null(j);
	else
		tt_json_double(j, p, 9);
	tt_json_kv_string(j, "read", read_how(m));
	if (m->state >= 0) {
		tt_json_kv_uint(j, "live", m->live);
		tt_json_kv_uint(j, "unjudged", m->unjudged);
		tt_json_kv_uint(j, "leaked", m->leaked);
		tt_json_kv_uint(j, "races", m->races);
	}
	tt_json_object_end(j);
}

static void json_leak(struct tt_json *j, const struct tt_doctor *d, const struct tt_doc_leak *l)
{
	const struct tt_doc_tracer *t = &d->tracers[l->tracer];

	tt_json_object_begin(j);
	tt_json_kv_int(j, "tracer", t->pid);
	tt_json_kv_string(j, "map", t->maps[t->state[l->map]].name);
	tt_json_key(j, "key");
	tt_doc_key_json(j, &l->e);
	tt_json_key(j, "value");
	tt_doc_value_json(j, &l->e, d->now_ns);
	tt_json_kv_string(j, "reason", tt_doc_reason_name(l->v.reason));
	tt_json_kv_string(j, "detail", l->v.detail);
	tt_json_object_end(j);
}

void tt_doctor_print_json(const struct tt_doctor *d, FILE *f)
{
	struct tt_json j;

	tt_json_init(&j, f);
	tt_json_object_begin(&j);
	tt_json_key(&j, "tracers");
	tt_json_array_begin(&j);
	for (size_t i = 0; i < d->n_tracers; i++)
		tt_json_int(&j, d->tracers[i].pid);
	tt_json_array_end(&j);
	tt_json_key(&j, "maps");
	tt_json_array_begin(&j);
	for (size_t i = 0; i < d->n_tracers; i++)
		for (size_t m = 0; m < d->tracers[i].n_maps; m++)
			json_map(&j, &d->tracers[i], &d->tracers[i].maps[m]);
	tt_json_array_end(&j);
	tt_json_key(&j, "leaks");
	tt_json_array_begin(&j);
	for (size_t k = 0; k < d->n_leaks; k++)
		json_leak(&j, d, &d->leaks[k]);
	tt_json_array_end(&j);
	tt_json_kv_uint(&j, "checked", d->checked);
	tt_json_kv_uint(&j, "live", d->live);
	tt_json_kv_uint(&j, "unjudged", d->unjudged);
	tt_json_kv_uint(&j, "races_filtered", d->races);
	tt_json_kv_uint(&j, "leaked", d->n_leaks);
	tt_json_object_end(&j);
	tt_json_newline(&j);
}
