// SPDX-License-Identifier: MIT
/* The pipeline after an event source: raw, or streams -> HTTP -> writers. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli/pipeline.h"

#define TICK_NS (100LL * 1000000)

int tt_pipeline_parse_summary(const char *arg, unsigned *every_s)
{
	char *end;
	long v;

	*every_s = 0;
	if (!arg)
		return 0;
	errno = 0;
	v = strtol(arg, &end, 10);
	if (errno || end == arg || *end || v < 1 || v > 86400)
		return -EINVAL;
	*every_s = (unsigned)v;
	return 0;
}

/* --- stream and HTTP callbacks ------------------------------------------- */

static void on_open(void *ctx, struct tt_conn *c, const struct tt_chunk *first)
{
	struct tt_pipeline *p = ctx;

	(void)first;
	if (p->pcap)
		tt_pcapng_open(&p->pcapng, c);
}

static void on_data(void *ctx, struct tt_conn *c, const struct tt_chunk *ch, uint64_t off,
		    const uint8_t *d, uint32_t n)
{
	struct tt_pipeline *p = ctx;

	/* HTTP first: a request or a status line tells the connection's role,
	 * which its first pcapng packet needs.  For the pcapng alone, once the
	 * role is known (before that first packet) HTTP has nothing more to
	 * say: its decoders are the costly part of -w. */
	if (p->o.http || p->o.summary || c->role == TT_ROLE_UNKNOWN)
		tt_http_data(&p->http, c, ch, off, d, n);
	if (p->pcap)
		tt_pcapng_data(&p->pcapng, c, ch, off, d, n);
}

static void on_gap(void *ctx, struct tt_conn *c, unsigned dir, uint64_t off, uint64_t len,
		   enum tt_gap_why why, int64_t t)
{
	struct tt_pipeline *p = ctx;

	(void)off;
	tt_http_gap(&p->http, c, dir, len, why, t);
	if (p->pcap)
		tt_pcapng_gap(&p->pcapng, c, dir, len, why);
}

static void on_end(void *ctx, struct tt_conn *c, enum tt_end_reason why, int64_t t)
{
	struct tt_pipeline *p = ctx;

	tt_http_end(&p->http, c, why, t);
	if (p->pcap)
		tt_pcapng_end(&p->pcapng, c, why, t);
}

static void on_exchange(void *ctx, const struct tt_exchange *x)
{
	struct tt_pipeline *p = ctx;

	if (p->o.http)
		tt_exchange_write(&p->xw, x);
	if (p->o.summary)
		tt_summary_add(&p->sum, x);
}

static enum tt_role role_hint(void *ctx, uint32_t pid, const struct tt_tuple *t)
{
	int r = tt_listen_is_server(ctx, pid, t);

	return r < 0 ? TT_ROLE_UNKNOWN : r ? TT_ROLE_SERVER : TT_ROLE_CLIENT;
}

/* --- the object ------------------------------------------------------------ */

int tt_pipeline_init(struct tt_pipeline *p, const struct tt_pipeline_opts *o, struct tt_wbuf *out,
		     struct tt_error *err)
{
	struct tt_stream_ops ops = {on_open, on_data, on_gap, on_end, p};

	memset(p, 0, sizeof(*p));
	p->o = *o;
	p->out = out;
	p->raw = !o->no_out && !o->http && !o->summary;
	p->pcap = o->pcapng != NULL;
	p->streams = o->http || o->summary || p->pcap;
	tt_raw_init(&p->raww, o->format, out);
	tt_exchange_writer_init(&p->xw, o->format, out);
	tt_http_init(&p->http, on_exchange, p);
	tt_listen_init(&p->listen, NULL);
	if (!p->streams)
		return 0;
	if (tt_streams_init(&p->st, &ops, &o->limits) || tt_summary_init(&p->sum) ||
	    (p->pcap && tt_pcapng_init(&p->pcapng, o->pcapng))) {
		tt_pipeline_free(p);
		return tt_error_set(err, ENOMEM, "out of memory");
	}
	if (o->role_from_proc)
		tt_streams_set_role_hint(&p->st, role_hint, &p->listen);
	return 0;
}

static void summary_due(struct tt_pipeline *p)
{
	int64_t every = (int64_t)p->o.summary_every_s * 1000000000;

	if (!p->o.summary || !every)
		return;
	if (!p->next_summary_ns) {
		/* The first interval starts with the first event, or the
		 * first tick of an idle trace. */
		p->next_summary_ns = p->now_ns + every;
		return;
	}
	if (p->now_ns < p->next_summary_ns)
		return;
	tt_summary_write(&p->sum, p->out, p->o.format, p->now_ns);
	while (p->next_summary_ns <= p->now_ns)
		p->next_summary_ns += every;
}

static void advance(struct tt_pipeline *p, int64_t t)
{
	if (t <= p->now_ns)
		return;
	p->now_ns = t;
	if (p->now_ns < p->next_tick_ns)
		return;
	p->next_tick_ns = p->now_ns + TICK_NS;
	tt_streams_tick(&p->st, p->now_ns);
	summary_due(p);
}

void tt_pipeline_chunk(struct tt_pipeline *p, const struct tt_chunk *c)
{
	p->chunks++;
	if (p->raw)
		tt_raw_chunk(&p->raww, c);
	if (!p->streams)
		return;
	if (tt_streams_chunk(&p->st, c))
		p->enomem++;
	advance(p, c->time_ns);
}

void tt_pipeline_conn_end(struct tt_pipeline *p, const struct tt_conn_end *e)
{
	if (p->raw)
		tt_raw_conn_end(&p->raww, e);
	if (!p->streams)
		return;
	tt_streams_conn_end(&p->st, e);
	advance(p, e->time_ns);
}

void tt_pipeline_proc_exit(struct tt_pipeline *p, uint32_t pid, int64_t time_ns)
{
	if (p->raw)
		tt_raw_proc_exit(&p->raww, pid, time_ns);
	if (!p->streams)
		return;
	tt_streams_proc_exit(&p->st, pid, time_ns);
	advance(p, time_ns);
}

void tt_pipeline_tick(struct tt_pipeline *p, int64_t now_ns)
{
	if (p->streams)
		advance(p, now_ns);
}

void tt_pipeline_finish(struct tt_pipeline *p, int64_t now_ns)
{
	if (!p->streams)
		return;
	if (now_ns > p->now_ns)
		p->now_ns = now_ns;
	tt_streams_flush(&p->st, TT_END_FLUSH, p->now_ns);
	if (p->o.summary)
		tt_summary_write(&p->sum, p->out, p->o.format, p->now_ns);
}

void tt_pipeline_free(struct tt_pipeline *p)
{
	if (p->streams && p->st.buckets)
		tt_streams_free(&p->st, p->now_ns);
	tt_summary_free(&p->sum);
	tt_listen_free(&p->listen);
	tt_pcapng_free(&p->pcapng);
}

void tt_pipeline_print_counters(const struct tt_pipeline *p, FILE *f, const char *prefix)
{
	if (!p->streams)
		return;
	fputs(prefix, f);
	for (int i = 0; i < TT_SC_COUNT; i++)
		fprintf(f, "%s%s=%llu", i ? " " : "", tt_stream_counter_name(i),
			(unsigned long long)p->st.counters[i]);
	/* For the pcapng alone HTTP only tells each connection's role, and
	 * stops there: its counters would count exchanges it never followed. */
	for (int i = 0; (p->o.http || p->o.summary) && i < TT_HC_COUNT; i++)
		fprintf(f, " %s=%llu", tt_http_counter_name(i),
			(unsigned long long)p->http.counters[i]);
	fprintf(f, " stream_enomem=%llu", (unsigned long long)p->enomem);
	for (int i = 0; p->pcap && i < TT_PC_COUNT; i++)
		fprintf(f, " %s=%llu", tt_pcapng_counter_name(i),
			(unsigned long long)p->pcapng.counters[i]);
}
