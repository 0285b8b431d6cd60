// SPDX-License-Identifier: MIT
/* HTTP exchanges as text lines or NDJSON objects. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "out/exchange.h"
#include "out/json.h"
#include "trace/names.h"

#define TT_PARTIAL_NAME(e, b, n) {TT_PARTIAL_##e, n},
static const struct {
	uint32_t bit;
	const char *name;
} partials[] = {TT_PARTIALS(TT_PARTIAL_NAME)};
#undef TT_PARTIAL_NAME

void tt_exchange_writer_init(struct tt_exchange_writer *w, enum tt_raw_format format,
			     struct tt_wbuf *out)
{
	memset(w, 0, sizeof(*w));
	w->format = format;
	w->out = out;
	w->text_sec = -1;
}

void tt_partial_write(struct tt_wbuf *o, uint32_t partial, bool json)
{
	bool first = true;

	if (json)
		tt_wbuf_putc(o, '[');
	for (size_t i = 0; i < ARRAY_SIZE(partials); i++) {
		if (!(partial & partials[i].bit))
			continue;
		if (!first)
			tt_wbuf_putc(o, ',');
		first = false;
		if (json)
			tt_jsonb_string(o, partials[i].name, strlen(partials[i].name));
		else
			tt_wbuf_puts(o, partials[i].name);
	}
	if (json)
		tt_wbuf_putc(o, ']');
}

void tt_fmt_clock(struct tt_wbuf *o, int64_t ns, int64_t *sec, char hms[16])
{
	int64_t s = ns / 1000000000;
	uint32_t us = (uint32_t)(ns % 1000000000) / 1000;
	uint8_t *d;

	if (s != *sec) {
		time_t t = (time_t)s;
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(hms, 16, "%H:%M:%S", &tm);
		*sec = s;
	}
	tt_wbuf_puts(o, hms);
	d = tt_wbuf_reserve(o, 7);
	if (!d)
		return;
	d[0] = '.';
	for (int i = 6; i >= 1; i--, us /= 10)
		d[i] = (uint8_t)('0' + us % 10);
	tt_wbuf_commit(o, 7);
}

static const char *proto_name(uint8_t p)
{
	return p == TT_PROTO_H2 ? "h2" : "http/1.1";
}

/* --- text ------------------------------------------------------------------ */

/* A field from the traffic (tt_wbuf_field: spaces escaped too, but in a
 * last field, so that fields split on spaces); '?' when absent. */
static void text_str_sp(struct tt_wbuf *o, struct tt_strv s, bool space)
{
	if (!s.p) {
		tt_wbuf_putc(o, '?');
		return;
	}
	tt_wbuf_field(o, s.p, s.len, space);
}

static void text_str(struct tt_wbuf *o, struct tt_strv s)
{
	text_str_sp(o, s, false);
}

void tt_fmt_duration(struct tt_wbuf *o, int64_t ns, int width)
{
	if (ns < 1000000)
		tt_wbuf_printf(o, "%*.1fus", width > 2 ? width - 2 : 0, (double)ns / 1e3);
	else if (ns < 1000000000)
		tt_wbuf_printf(o, "%*.3fms", width > 2 ? width - 2 : 0, (double)ns / 1e6);
	else
		tt_wbuf_printf(o, "%*.3fs", width > 1 ? width - 1 : 0, (double)ns / 1e9);
}

static void text_exchange(struct tt_exchange_writer *w, const struct tt_exchange *x)
{
	const struct tt_conn *c = x->conn;
	struct tt_wbuf *o = w->out;
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN], name[TT_NAME_TEXT_MAX];
	struct tt_strv svc, mth;

	tt_fmt_clock(o, x->time_ns, &w->text_sec, w->text_hms);
	tt_wbuf_printf(o, " %s pid %u tid %u %s %s %s", tt_fmt_name(name, x->comm), c->pid, x->tid,
		       tt_lib_name(c->lib), tt_role_name(x->role), proto_name(x->proto));
	if (c->tuple.family) {
		tt_format_addr(&c->tuple, 0, la, sizeof(la));
		tt_format_addr(&c->tuple, 1, ra, sizeof(ra));
		tt_wbuf_printf(
		    o, c->tuple.family == AF_INET6 ? " [%s]:%u %s [%s]:%u" : " %s:%u %s %s:%u", la,
		    c->tuple.lport, x->role == TT_ROLE_SERVER ? "<-" : "->", ra, c->tuple.rport);
	} else {
		tt_wbuf_puts(o, " (no tuple)");
	}
	tt_wbuf_printf(o, " attr %s ", tt_attribution_name(x->attribution));
	text_str(o, x->method);
	tt_wbuf_putc(o, ' ');
	text_str(o, x->authority);
	tt_wbuf_putc(o, ' ');
	text_str(o, x->path);
	if (x->status >= 0)
		tt_wbuf_printf(o, " -> %d", x->status);
	else if (x->has_response) /* its start was lost (a gap, unknown HPACK) */
		tt_wbuf_puts(o, " -> ?");
	else
		tt_wbuf_puts(o, " -> (no response)");
	if (x->grpc && tt_grpc_split(x->path, &svc, &mth)) {
		tt_wbuf_puts(o, " grpc ");
		text_str(o, svc);
		tt_wbuf_putc(o, '/');
		text_str(o, mth);
	}
	if (x->grpc_status >= 0)
		tt_wbuf_printf(o, " grpc-status %d", x->grpc_status);
	if (x->latency_ns >= 0) {
		tt_wbuf_putc(o, ' ');
		tt_fmt_duration(o, x->latency_ns, 0);
	}
	tt_wbuf_printf(o, " req %llu resp %llu", (unsigned long long)x->req_bytes,
		       (unsigned long long)x->resp_bytes);
	if (x->partial) {
		tt_wbuf_puts(o, " partial ");
		tt_partial_write(o, x->partial, false);
	}
	if (x->grpc_message.p) {
		tt_wbuf_puts(o, " grpc-message ");
		text_str_sp(o, x->grpc_message, true);
	}
	tt_wbuf_putc(o, '\n');
}

/* --- NDJSON -------------------------------------------------------------- */

static void jkey(struct tt_wbuf *o, const char *k)
{
	tt_wbuf_puts(o, ",\"");
	tt_wbuf_puts(o, k);
	tt_wbuf_puts(o, "\":");
}

static void jstr(struct tt_wbuf *o, const char *k, struct tt_strv s)
{
	jkey(o, k);
	if (s.p)
		tt_jsonb_string(o, s.p, s.len);
	else
		tt_wbuf_puts(o, "null");
}

static void jcstr(struct tt_wbuf *o, const char *k, const char *s)
{
	jstr(o, k, (struct tt_strv){s, s ? (uint32_t)strlen(s) : 0});
}

static void jint(struct tt_wbuf *o, const char *k, int64_t v, bool null)
{
	jkey(o, k);
	if (null)
		tt_wbuf_puts(o, "null");
	else if (v < 0)
		tt_wbuf_printf(o, "%lld", (long long)v);
	else
		tt_wbuf_u64(o, (uint64_t)v);
}

static void json_exchange(struct tt_exchange_writer *w, const struct tt_exchange *x)
{
	const struct tt_conn *c = x->conn;
	struct tt_wbuf *o = w->out;
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
	bool t = c->tuple.family != 0;
	struct tt_strv svc = {0}, mth = {0};

	if (x->grpc)
		tt_grpc_split(x->path, &svc, &mth);
	tt_format_addr(&c->tuple, 0, la, sizeof(la));
	tt_format_addr(&c->tuple, 1, ra, sizeof(ra));
	tt_wbuf_puts(o, "{\"time_ns\":");
	tt_wbuf_u64(o, (uint64_t)x->time_ns);
	jint(o, "pid", c->pid, false);
	jint(o, "tid", x->tid, !x->tid);
	jcstr(o, "comm", x->comm);
	jcstr(o, "lib", tt_lib_name(c->lib));
	jcstr(o, "role", x->role == TT_ROLE_UNKNOWN ? NULL : tt_role_name(x->role));
	jcstr(o, "proto", proto_name(x->proto));
	jcstr(o, "laddr", t ? la : NULL);
	jint(o, "lport", c->tuple.lport, !t);
	jcstr(o, "raddr", t ? ra : NULL);
	jint(o, "rport", c->tuple.rport, !t);
	jcstr(o, "attribution", tt_attribution_name(x->attribution));
	jstr(o, "method", x->method);
	jstr(o, "authority", x->authority);
	jstr(o, "path", x->path);
	jint(o, "status", x->status, x->status < 0);
	jint(o, "grpc_status", x->grpc_status, x->grpc_status < 0);
	jstr(o, "grpc_service", svc);
	jstr(o, "grpc_method", mth);
	jstr(o, "grpc_message", x->grpc_message);
	jint(o, "latency_ns", x->latency_ns, x->latency_ns < 0);
	jint(o, "req_bytes", (int64_t)x->req_bytes, false);
	jint(o, "resp_bytes", (int64_t)x->resp_bytes, false);
	jkey(o, "partial");
	tt_partial_write(o, x->partial, true);
	jint(o, "ns_pid", c->origin.ns_pid, !c->origin.ns_pid);
	jcstr(o, "cgroup", c->origin.cgroup);
	jcstr(o, "container", c->origin.container);
	jcstr(o, "pod_uid", c->origin.pod_uid);
	tt_wbuf_puts(o, "}\n");
}

void tt_exchange_write(struct tt_exchange_writer *w, const struct tt_exchange *x)
{
	if (w->format == TT_RAW_JSON)
		json_exchange(w, x);
	else
		text_exchange(w, x);
}
