// SPDX-License-Identifier: MIT
/* `tlstap doctor`: read a tracer's maps, judge every entry, re-check. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "doctor/doctor.h"
#include "trace/clock.h"
#include "trace/mapwalk.h"
#include "trace/tracer.h"

/* One reading of every state map of a tracer, decoded. */
struct reading {
	struct tt_map_entries raw[TT_M_COUNT];
	struct tt_doc_entry *ents[TT_M_COUNT];
	struct tt_doc_snapshot snap;
	uint64_t now_ns;
	double took_s;
};

/* An entry judged leaked by the first reading. */
struct suspect {
	enum tt_state_map map;
	size_t pos; /* in the first reading */
	struct tt_doc_verdict v;
};

static void reading_free(struct reading *r)
{
	for (int m = 0; m < TT_M_COUNT; m++) {
		tt_map_entries_free(&r->raw[m]);
		free(r->ents[m]);
	}
	memset(r, 0, sizeof(*r));
}

static int decode_map(const struct tt_doc_tracer *t, enum tt_state_map m, struct reading *r,
		      struct tt_error *err)
{
	const struct tt_map_entries *raw = &r->raw[m];
	enum tt_key_kind kind = tt_state_map_kind(m);

	r->ents[m] = calloc(raw->n ? raw->n : 1, sizeof(*r->ents[m]));
	if (!r->ents[m])
		return tt_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < raw->n; i++)
		if (tt_doc_decode(kind, raw->keys + i * raw->key_size, raw->key_size,
				  raw->values + i * raw->value_size, raw->value_size,
				  &r->ents[m][i]))
			return tt_error_set(err, EPROTO, "pid %d: %s: entries of another layout",
					    t->pid, t->maps[t->state[m]].name);
	r->snap.ents[m] = r->ents[m];
	r->snap.n[m] = raw->n;
	return 0;
}

/* Read and decode every state map; the first reading also sets the maps'
 * entries and how they were read. */
static int read_state(struct tt_doc_tracer *t, bool force_iter, bool first, struct reading *r,
		      struct tt_error *err)
{
	uint64_t start = (uint64_t)tt_clock_ns(CLOCK_MONOTONIC);
	int ret;

	memset(r, 0, sizeof(*r));
	r->now_ns = (uint64_t)tt_clock_ns(CLOCK_BOOTTIME);
	for (int m = 0; m < TT_M_COUNT; m++) {
		struct tt_doc_map *map = &t->maps[t->state[m]];

		ret = tt_map_collect(map->fd, force_iter, &r->raw[m]);
		if (ret < 0)
			return tt_error_set(err, -ret, "pid %d: reading map %s: %s", t->pid,
					    map->name, strerror(-ret));
		ret = decode_map(t, m, r, err);
		if (ret < 0)
			return ret;
		if (first) {
			map->entries = (long long)r->raw[m].n;
			map->batched = r->raw[m].batched;
			map->counted = true;
		}
	}
	r->took_s = ((uint64_t)tt_clock_ns(CLOCK_MONOTONIC) - start) / 1e9;
	return 0;
}

/* The view of every process the reading's entries name. */
static int view_of(const struct reading *r, const char *proc, struct tt_sysview *v)
{
	size_t n = 0, k = 0;
	uint32_t *pids;
	int ret;

	for (int m = 0; m < TT_M_COUNT; m++)
		n += r->snap.n[m];
	pids = malloc((n ? n : 1) * sizeof(*pids));
	if (!pids)
		return -ENOMEM;
	for (int m = 0; m < TT_M_COUNT; m++)
		for (size_t i = 0; i < r->snap.n[m]; i++)
			pids[k++] = r->snap.ents[m][i].tgid;
	ret = tt_sysview_init(v, proc, pids, n);
	free(pids);
	return ret;
}

static int add_leak(struct tt_doctor *d, size_t tracer, enum tt_state_map m,
		    const struct tt_doc_entry *e, const struct tt_doc_verdict *v)
{
	struct tt_doc_leak *l = realloc(d->leaks, (d->n_leaks + 1) * sizeof(*l));

	if (!l)
		return -ENOMEM;
	d->leaks = l;
	l[d->n_leaks++] = (struct tt_doc_leak){.tracer = tracer, .map = m, .e = *e, .v = *v};
	d->tracers[tracer].maps[d->tracers[tracer].state[m]].leaked++;
	return 0;
}

/* Judge every entry of the first reading; what looks leaked is a suspect. */
static int judge_first(struct tt_doctor *d, size_t ti, const struct reading *r,
		       struct suspect **sus, size_t *n_sus)
{
	struct tt_doc_tracer *t = &d->tracers[ti];
	struct tt_sysview view;
	struct tt_doc_ctx ctx;
	int ret = -ENOMEM;

	*sus = NULL;
	*n_sus = 0;
	if (view_of(r, d->opts.proc, &view))
		return -ENOMEM;
	if (tt_doc_ctx_init(&ctx, &view, &r->snap, r->now_ns, d->opts.call_age * 1e9))
		goto out_view;
	for (int m = 0; m < TT_M_COUNT; m++) {
		struct tt_doc_map *map = &t->maps[t->state[m]];

		for (size_t i = 0; i < r->snap.n[m]; i++) {
			struct tt_doc_verdict v;
			struct suspect *s;

			d->checked++;
			switch (tt_doc_judge(&ctx, m, &r->snap.ents[m][i], &v)) {
			case TT_DOC_LIVE:
				map->live++;
				continue;
			case TT_DOC_UNJUDGED:
				map->unjudged++;
				continue;
			case TT_DOC_LEAK:
				break;
			}
			s = realloc(*sus, (*n_sus + 1) * sizeof(*s));
			if (!s)
				goto out;
			*sus = s;
			s[(*n_sus)++] = (struct suspect){.map = m, .pos = i, .v = v};
		}
	}
	ret = 0;
out:
	tt_doc_ctx_free(&ctx);
out_view:
	tt_sysview_free(&view);
	return ret;
}

/* The position of key in a reading of one map, -1 if it is not there. */
static long find_key(const struct tt_map_entries *raw, const struct tt_index *x, const void *key)
{
	size_t cur = 0;
	long pos;

	while ((pos = tt_index_next(x, tt_index_hash(key, raw->key_size), &cur)) >= 0)
		if (!memcmp(raw->keys + (size_t)pos * raw->key_size, key, raw->key_size))
			return pos;
	return -1;
}

static int index_keys(const struct tt_map_entries *raw, struct tt_index *x)
{
	if (tt_index_init(x, raw->n))
		return -ENOMEM;
	for (size_t i = 0; i < raw->n; i++)
		tt_index_add(x, tt_index_hash(raw->keys + i * raw->key_size, raw->key_size),
			     (uint32_t)i);
	return 0;
}

/*
 * A suspect of the first reading is a leak if it is still there, unchanged
 * (nothing used it), and the fresh view still judges it leaked.
 */
static int judge_again(struct tt_doctor *d, size_t ti, const struct reading *r1,
		       const struct reading *r2, const struct suspect *sus, size_t n_sus)
{
	struct tt_doc_tracer *t = &d->tracers[ti];
	struct tt_index keys[TT_M_COUNT] = {0};
	struct tt_sysview view;
	struct tt_doc_ctx ctx;
	int ret = -ENOMEM;

	if (view_of(r2, d->opts.proc, &view))
		return -ENOMEM;
	if (tt_doc_ctx_init(&ctx, &view, &r2->snap, r2->now_ns, d->opts.call_age * 1e9))
		goto out_view;
	for (int m = 0; m < TT_M_COUNT; m++)
		if (index_keys(&r2->raw[m], &keys[m]))
			goto out;
	for (size_t i = 0; i < n_sus; i++) {
		const struct tt_map_entries *a = &r1->raw[sus[i].map], *b = &r2->raw[sus[i].map];
		long pos = find_key(b, &keys[sus[i].map], a->keys + sus[i].pos * a->key_size);
		struct tt_doc_verdict v;

		if (pos < 0 ||
		    memcmp(a->values + sus[i].pos * a->value_size,
			   b->values + (size_t)pos * b->value_size, a->value_size) ||
		    tt_doc_judge(&ctx, sus[i].map, &r2->snap.ents[sus[i].map][pos], &v) !=
			TT_DOC_LEAK) {
			t->maps[t->state[sus[i].map]].races++;
			d->races++;
			continue;
		}
		if (add_leak(d, ti, sus[i].map, &r2->snap.ents[sus[i].map][pos], &v))
			goto out;
	}
	ret = 0;
out:
	for (int m = 0; m < TT_M_COUNT; m++)
		tt_index_free(&keys[m]);
	tt_doc_ctx_free(&ctx);
out_view:
	tt_sysview_free(&view);
	return ret;
}

static void sleep_s(double s)
{
	struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (time_t)s) * 1e9)};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Both readings of each tracer, kept until the re-check is done. */
struct pass {
	struct reading first;
	struct suspect *sus;
	size_t n_sus;
};

static int recheck_all(struct tt_doctor *d, struct pass *p, struct tt_error *err)
{
	bool any = false;
	int ret;

	for (size_t i = 0; i < d->n_tracers; i++)
		any |= p[i].n_sus > 0;
	if (!any)
		return 0;
	if (d->opts.recheck_delay <= 0) {
		/* No second look: every suspect counts. */
		for (size_t i = 0; i < d->n_tracers; i++)
			for (size_t k = 0; k < p[i].n_sus; k++)
				if (add_leak(
					d, i, p[i].sus[k].map,
					&p[i].first.snap.ents[p[i].sus[k].map][p[i].sus[k].pos],
					&p[i].sus[k].v))
					return tt_error_set(err, ENOMEM, "out of memory");
		return 0;
	}
	sleep_s(d->opts.recheck_delay);
	for (size_t i = 0; i < d->n_tracers; i++) {
		struct reading again;

		if (!p[i].n_sus)
			continue;
		ret = read_state(&d->tracers[i], d->opts.force_iter, false, &again, err);
		if (ret == 0 && judge_again(d, i, &p[i].first, &again, p[i].sus, p[i].n_sus))
			ret = tt_error_set(err, ENOMEM, "out of memory");
		reading_free(&again);
		if (ret < 0)
			return ret;
	}
	return 0;
}

int tt_doctor_run(struct tt_doctor *d, const struct tt_doctor_opts *o, struct tt_error *err)
{
	struct pass *p = NULL;
	int ret;

	memset(d, 0, sizeof(*d));
	d->opts = *o;
	if (!d->opts.proc)
		d->opts.proc = "/proc";
	ret = tt_doc_discover(o->pid, &d->tracers, &d->n_tracers, err);
	if (ret < 0)
		return ret;
	p = calloc(d->n_tracers, sizeof(*p));
	if (!p)
		return tt_error_set(err, ENOMEM, "out of memory");
	d->now_ns = (uint64_t)tt_clock_ns(CLOCK_BOOTTIME);
	for (size_t i = 0; i < d->n_tracers; i++) {
		ret = read_state(&d->tracers[i], o->force_iter, true, &p[i].first, err);
		if (ret < 0)
			goto out;
		d->read_s += p[i].first.took_s;
		tt_doc_count_maps(&d->tracers[i], o->force_iter);
		if (judge_first(d, i, &p[i].first, &p[i].sus, &p[i].n_sus)) {
			ret = tt_error_set(err, ENOMEM, "out of memory");
			goto out;
		}
	}
	ret = recheck_all(d, p, err);
	for (size_t i = 0; i < d->n_tracers; i++)
		for (size_t m = 0; m < d->tracers[i].n_maps; m++) {
			d->live += d->tracers[i].maps[m].live;
			d->unjudged += d->tracers[i].maps[m].unjudged;
		}
out:
	for (size_t i = 0; i < d->n_tracers; i++) {
		reading_free(&p[i].first);
		free(p[i].sus);
	}
	free(p);
	return ret;
}

void tt_doctor_free(struct tt_doctor *d)
{
	tt_doc_tracers_free(d->tracers, d->n_tracers);
	free(d->leaks);
	memset(d, 0, sizeof(*d));
}
