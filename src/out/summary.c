// SPDX-License-Identifier: MIT
/* The endpoint table of --summary. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "out/exchange.h"
#include "out/json.h"
#include "out/summary.h"

#define HIST_SUB 32
#define HIST_BUCKETS (60 * HIST_SUB)
#define KEY_STR_MAX 512 /* method + path kept per endpoint */

struct tt_endpoint {
	struct tt_endpoint *next;
	uint64_t hash;
	uint32_t pid;
	uint8_t role;
	uint16_t port;
	uint8_t family;
	uint8_t addr[16];
	char comm[17];
	uint16_t method_len, path_len;
	char key[KEY_STR_MAX]; /* method then path */
	uint64_t count, errors, no_response;
	uint64_t n_lat;
	uint64_t exact[TT_SUMMARY_EXACT];
	uint32_t *hist; /* once n_lat > TT_SUMMARY_EXACT */
};

int tt_summary_init(struct tt_summary *s)
{
	memset(s, 0, sizeof(*s));
	s->n_buckets = 1024;
	s->buckets = calloc(s->n_buckets, sizeof(*s->buckets));
	return s->buckets ? 0 : -ENOMEM;
}

void tt_summary_free(struct tt_summary *s)
{
	for (size_t i = 0; s->buckets && i < s->n_buckets; i++) {
		struct tt_endpoint *e = s->buckets[i], *n;

		for (; e; e = n) {
			n = e->next;
			free(e->hist);
			free(e);
		}
	}
	free(s->buckets);
	s->buckets = NULL;
}

static unsigned hist_index(uint64_t v)
{
	unsigned exp;

	if (v < HIST_SUB)
		return (unsigned)v;
	exp = 63 - (unsigned)__builtin_clzll(v);
	return (exp - 4) * HIST_SUB + (unsigned)((v >> (exp - 5)) & (HIST_SUB - 1));
}

/* The middle of a bucket. */
static uint64_t hist_value(unsigned i)
{
	unsigned exp, sub;
	uint64_t lo, width;

	if (i < HIST_SUB)
		return i;
	exp = i / HIST_SUB + 4;
	sub = i % HIST_SUB;
	lo = ((uint64_t)HIST_SUB + sub) << (exp - 5);
	width = 1ull << (exp - 5);
	return lo + width / 2;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* The path up to its query string. */
static uint32_t path_len(struct tt_strv p)
{
	const char *q = p.p ? memchr(p.p, '?', p.len) : NULL;

	return q ? (uint32_t)(q - p.p) : p.len;
}

static struct tt_endpoint *lookup(struct tt_summary *s, const struct tt_exchange *x)
{
	const struct tt_conn *c = x->conn;
	bool client = x->role == TT_ROLE_CLIENT;
	uint16_t port = client ? c->tuple.rport : c->tuple.lport;
	const uint8_t *addr = client ? c->tuple.raddr : c->tuple.laddr;
	uint32_t ml = x->method.p ? x->method.len : 0, pl = path_len(x->path);
	struct tt_endpoint *e;
	uint64_t h = 0xcbf29ce484222325ULL;

	if (x->role == TT_ROLE_UNKNOWN)
		port = 0, addr = NULL;
	if (ml + pl > KEY_STR_MAX)
		pl = KEY_STR_MAX - ml;
	h = fnv(h, &c->pid, sizeof(c->pid));
	h = fnv(h, &x->role, 1);
	h = fnv(h, &port, 2);
	if (addr)
		h = fnv(h, addr, 16);
	h = fnv(h, x->method.p ? x->method.p : "", ml);
	h = fnv(h, "\n", 1);
	h = fnv(h, x->path.p ? x->path.p : "", pl);
	for (e = s->buckets[h & (s->n_buckets - 1)]; e; e = e->next)
		if (e->hash == h && e->pid == c->pid && e->role == x->role && e->port == port &&
		    e->method_len == ml && e->path_len == pl &&
		    (!addr || !memcmp(e->addr, addr, 16)) &&
		    (!ml || !memcmp(e->key, x->method.p, ml)) &&
		    (!pl || !memcmp(e->key + ml, x->path.p, pl)))
			return e;
	if (s->n >= TT_SUMMARY_MAX_ENDPOINTS)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->hash = h;
	e->pid = c->pid;
	e->role = x->role;
	e->port = port;
	e->family = addr ? (uint8_t)c->tuple.family : 0;
	if (addr)
		memcpy(e->addr, addr, 16);
	memcpy(e->comm, x->comm, sizeof(e->comm));
	e->method_len = (uint16_t)ml;
	e->path_len = (uint16_t)pl;
	if (ml)
		memcpy(e->key, x->method.p, ml);
	if (pl)
		memcpy(e->key + ml, x->path.p, pl);
	e->next = s->buckets[h & (s->n_buckets - 1)];
	s->buckets[h & (s->n_buckets - 1)] = e;
	s->n++;
	return e;
}

void tt_summary_add(struct tt_summary *s, const struct tt_exchange *x)
{
	struct tt_endpoint *e = lookup(s, x);

	if (!e) {
		s->overflow++;
		return;
	}
	e->count++;
	if (x->status >= 500 || (x->grpc_status > 0))
		e->errors++;
	if (!x->has_response)
		e->no_response++;
	if (x->latency_ns < 0)
		return;
	if (e->n_lat < TT_SUMMARY_EXACT) {
		e->exact[e->n_lat++] = (uint64_t)x->latency_ns;
		return;
	}
	if (!e->hist) {
		e->hist = calloc(HIST_BUCKETS, sizeof(*e->hist));
		if (!e->hist)
			return;
		for (unsigned i = 0; i < TT_SUMMARY_EXACT; i++)
			e->hist[hist_index(e->exact[i])]++;
	}
	e->hist[hist_index((uint64_t)x->latency_ns)]++;
	e->n_lat++;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

uint64_t tt_percentile_sorted(const uint64_t *v, size_t n, double p)
{
	size_t rank = (size_t)ceil(p * (double)n);

	if (!n)
		return 0;
	if (rank < 1)
		rank = 1;
	return v[rank - 1];
}

static uint64_t percentile(const struct tt_endpoint *e, double p)
{
	uint64_t sorted[TT_SUMMARY_EXACT], rank, seen = 0;

	if (!e->hist) {
		memcpy(sorted, e->exact, e->n_lat * sizeof(*sorted));
		qsort(sorted, e->n_lat, sizeof(*sorted), cmp_u64);
		return tt_percentile_sorted(sorted, e->n_lat, p);
	}
	rank = (uint64_t)ceil(p * (double)e->n_lat);
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += e->hist[i];
		if (seen >= rank)
			return hist_value(i);
	}
	return 0;
}

static int cmp_ep(const void *a, const void *b)
{
	const struct tt_endpoint *x = *(struct tt_endpoint *const *)a;
	const struct tt_endpoint *y = *(struct tt_endpoint *const *)b;
	int r;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	if (x->role != y->role)
		return x->role < y->role ? -1 : 1;
	if (x->port != y->port)
		return x->port < y->port ? -1 : 1;
	r = memcmp(x->key, y->key,
		   (size_t)(x->method_len + x->path_len < y->method_len + y->path_len
				? x->method_len + x->path_len
				: y->method_len + y->path_len));
	if (r)
		return r;
	return (x->method_len + x->path_len) - (y->method_len + y->path_len);
}

static struct tt_endpoint **sorted_endpoints(const struct tt_summary *s)
{
	struct tt_endpoint **v = malloc((s->n ? s->n : 1) * sizeof(*v));
	size_t k = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < s->n_buckets; i++)
		for (struct tt_endpoint *e = s->buckets[i]; e; e = e->next)
			v[k++] = e;
	qsort(v, k, sizeof(*v), cmp_ep);
	return v;
}

static void server_str(const struct tt_endpoint *e, char *buf, size_t len)
{
	struct tt_tuple t = {.family = e->family};
	char a[INET6_ADDRSTRLEN];

	if (!e->family) {
		snprintf(buf, len, "-");
		return;
	}
	memcpy(t.laddr, e->addr, 16);
	tt_format_addr(&t, 0, a, sizeof(a));
	snprintf(buf, len, e->family == AF_INET6 ? "[%s]:%u" : "%s:%u", a, e->port);
}

static void text_lat(struct tt_wbuf *o, const struct tt_endpoint *e, double p)
{
	if (!e->n_lat) {
		tt_wbuf_printf(o, " %10s", "-");
		return;
	}
	tt_wbuf_putc(o, ' ');
	tt_fmt_duration(o, (int64_t)percentile(e, p), 10);
}

static void write_text(const struct tt_summary *s, struct tt_endpoint **v, struct tt_wbuf *o,
		       int64_t now)
{
	int64_t sec = -1;
	char hms[16], srv[64], name[TT_NAME_TEXT_MAX];
	/* Method and path come from the traffic: escaped as fields. */
	char method[4 * KEY_STR_MAX + 1], path[4 * KEY_STR_MAX + 1];

	tt_wbuf_puts(o, "--- summary at ");
	tt_fmt_clock(o, now, &sec, hms);
	tt_wbuf_printf(o, " (%zu endpoints since start)\n", s->n);
	tt_wbuf_printf(o, "%-8s %-16s %-7s %-24s %-7s %-32s %8s %7s %7s %10s %10s\n", "PID", "COMM",
		       "ROLE", "SERVER", "METHOD", "PATH", "COUNT", "ERRORS", "NORESP", "P50",
		       "P99");
	for (size_t i = 0; i < s->n; i++) {
		const struct tt_endpoint *e = v[i];

		server_str(e, srv, sizeof(srv));
		if (!tt_fmt_field(method, e->key, e->method_len))
			strcpy(method, "?");
		if (!tt_fmt_field(path, e->key + e->method_len, e->path_len))
			strcpy(path, "?");
		tt_wbuf_printf(o, "%-8u %-16s %-7s %-24s %-7s %-32s %8llu %7llu %7llu", e->pid,
			       tt_fmt_name(name, e->comm), tt_role_name(e->role), srv, method, path,
			       (unsigned long long)e->count, (unsigned long long)e->errors,
			       (unsigned long long)e->no_response);
		text_lat(o, e, 0.5);
		text_lat(o, e, 0.99);
		tt_wbuf_putc(o, '\n');
	}
	if (s->overflow)
		tt_wbuf_printf(o, "(%llu exchanges of further endpoints not tabled)\n",
			       (unsigned long long)s->overflow);
}

static void json_ep(struct tt_wbuf *o, const struct tt_endpoint *e)
{
	struct tt_tuple t = {.family = e->family};
	char a[INET6_ADDRSTRLEN];

	memcpy(t.laddr, e->addr, 16);
	tt_format_addr(&t, 0, a, sizeof(a));
	tt_wbuf_printf(o, "{\"pid\":%u,\"comm\":", e->pid);
	tt_jsonb_string(o, e->comm, strlen(e->comm));
	tt_wbuf_puts(o, ",\"role\":");
	if (e->role == TT_ROLE_UNKNOWN)
		tt_wbuf_puts(o, "null");
	else
		tt_jsonb_string(o, tt_role_name(e->role), strlen(tt_role_name(e->role)));
	tt_wbuf_puts(o, ",\"server_addr\":");
	if (e->family)
		tt_jsonb_string(o, a, strlen(a));
	else
		tt_wbuf_puts(o, "null");
	if (e->family)
		tt_wbuf_printf(o, ",\"server_port\":%u", e->port);
	else
		tt_wbuf_puts(o, ",\"server_port\":null");
	tt_wbuf_puts(o, ",\"method\":");
	e->method_len ? tt_jsonb_string(o, e->key, e->method_len) : tt_wbuf_puts(o, "null");
	tt_wbuf_puts(o, ",\"path\":");
	e->path_len ? tt_jsonb_string(o, e->key + e->method_len, e->path_len)
		    : tt_wbuf_puts(o, "null");
	tt_wbuf_printf(o, ",\"count\":%llu,\"errors\":%llu,\"no_response\":%llu",
		       (unsigned long long)e->count, (unsigned long long)e->errors,
		       (unsigned long long)e->no_response);
	if (e->n_lat)
		tt_wbuf_printf(o, ",\"p50_ns\":%llu,\"p99_ns\":%llu}",
			       (unsigned long long)percentile(e, 0.5),
			       (unsigned long long)percentile(e, 0.99));
	else
		tt_wbuf_puts(o, ",\"p50_ns\":null,\"p99_ns\":null}");
}

void tt_summary_write(const struct tt_summary *s, struct tt_wbuf *o, enum tt_raw_format format,
		      int64_t now_ns)
{
	struct tt_endpoint **v = sorted_endpoints(s);

	if (!v)
		return;
	if (format == TT_RAW_TEXT) {
		write_text(s, v, o, now_ns);
		free(v);
		return;
	}
	tt_wbuf_printf(o, "{\"summary\":{\"time_ns\":%lld,\"overflow\":%llu,\"endpoints\":[",
		       (long long)now_ns, (unsigned long long)s->overflow);
	for (size_t i = 0; i < s->n; i++) {
		if (i)
			tt_wbuf_putc(o, ',');
		json_ep(o, v[i]);
	}
	tt_wbuf_puts(o, "]}}\n");
	free(v);
}
