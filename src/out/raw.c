// SPDX-License-Identifier: MIT
/* Raw event writers: text (default) and NDJSON, straight into a write buffer. */
#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "out/json.h"
#include "out/raw.h"
#include "trace/names.h"

void tt_raw_init(struct tt_raw_writer *w, enum tt_raw_format format, struct tt_wbuf *out)
{
	memset(w, 0, sizeof(*w));
	w->format = format;
	w->out = out;
	w->text_sec = -1;
}

void tt_format_addr(const struct tt_tuple *t, int remote, char *buf, size_t len)
{
	const void *a = remote ? t->raddr : t->laddr;

	buf[0] = '\0';
	if (t->family == AF_INET)
		inet_ntop(AF_INET, a, buf, len);
	else if (t->family == AF_INET6)
		inet_ntop(AF_INET6, a, buf, len);
}

/* --- text ----------------------------------------------------------------- */

/*
 * How each byte of plaintext is printed: printable ASCII, tab and newline as
 * they are; the backslash doubled, \r as \r, everything else \xNN.  Every
 * byte copies its 4-byte entry and advances by its length: no branch per
 * byte, which on binary data would mispredict every other byte.
 */
static struct {
	char s[4];
	uint8_t len;
} text_escapes[256];

static void text_escapes_init(void)
{
	static const char hex[] = "0123456789abcdef";

	if (text_escapes['a'].len)
		return;
	for (int c = 0; c < 256; c++) {
		char *e = text_escapes[c].s;

		if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f && c != '\\')) {
			e[0] = (char)c;
			text_escapes[c].len = 1;
		} else if (c == '\\' || c == '\r') {
			e[0] = '\\';
			e[1] = c == '\r' ? 'r' : '\\';
			text_escapes[c].len = 2;
		} else {
			memcpy(e, (char[]){ '\\', 'x', hex[c >> 4], hex[c & 15] }, 4);
			text_escapes[c].len = 4;
		}
	}
}

static void text_data(struct tt_wbuf *out, const uint8_t *p, uint32_t n)
{
	/* Worst case \xNN for every byte, the final newline, and the slack of
	 * the last 4-byte copy. */
	uint8_t *d = tt_wbuf_reserve(out, (size_t)n * 4 + 4);
	size_t k = 0;

	if (!d)
		return;
	for (uint32_t i = 0; i < n; i++) {
		memcpy(d + k, text_escapes[p[i]].s, 4);
		k += text_escapes[p[i]].len;
	}
	if (n == 0 || p[n - 1] != '\n')
		d[k++] = '\n';
	tt_wbuf_commit(out, k);
}

static void text_time(struct tt_raw_writer *w, int64_t ns)
{
	int64_t sec = ns / 1000000000;
	uint32_t us = (uint32_t)(ns % 1000000000) / 1000;
	uint8_t *d;

	if (sec != w->text_sec) {
		time_t t = (time_t)sec;
		struct tm tm;

		localtime_r(&t, &tm);
		strftime(w->text_hms, sizeof(w->text_hms), "%H:%M:%S", &tm);
		w->text_sec = sec;
	}
	tt_wbuf_puts(w->out, w->text_hms);
	d = tt_wbuf_reserve(w->out, 7);
	if (!d)
		return;
	d[0] = '.';
	for (int i = 6; i >= 1; i--, us /= 10)
		d[i] = (uint8_t)('0' + us % 10);
	tt_wbuf_commit(w->out, 7);
}

/*
 * Where the process runs, when it is not plain: its pid inside its own pid
 * namespace when that differs, its container (12 digits, as docker shows
 * it) or pod, else its cgroup.
 */
static void text_origin(struct tt_wbuf *o, const struct tt_origin *g, uint32_t pid)
{
	if (g->ns_pid && g->ns_pid != pid)
		tt_wbuf_printf(o, " ns_pid %u", g->ns_pid);
	/* Names from cgroup paths, which whoever made the cgroup chose. */
	if (g->pod_uid) {
		tt_wbuf_puts(o, " pod ");
		tt_wbuf_field(o, g->pod_uid, strlen(g->pod_uid), false);
	}
	if (g->container) {
		char id[13];

		snprintf(id, sizeof(id), "%s", g->container);
		tt_wbuf_puts(o, " container ");
		tt_wbuf_field(o, id, strlen(id), false);
	}
	/* The root cgroup says nothing. */
	if (g->cgroup && !g->container && !g->pod_uid && strcmp(g->cgroup, "/")) {
		tt_wbuf_puts(o, " cgroup ");
		tt_wbuf_field(o, g->cgroup, strlen(g->cgroup), false);
	}
}

static void text_chunk(struct tt_raw_writer *w, const struct tt_chunk *c)
{
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
	struct tt_wbuf *o = w->out;

	text_time(w, c->time_ns);
	char name[TT_NAME_TEXT_MAX];

	tt_wbuf_printf(o, " %s pid %u tid %u", tt_fmt_name(name, c->comm), c->pid, c->tid);
	text_origin(o, &c->origin, c->pid);
	tt_wbuf_printf(o, " %s %s", tt_lib_name(c->lib), tt_dir_name(c->dir));
	if (c->tuple.family) {
		tt_format_addr(&c->tuple, 0, la, sizeof(la));
		tt_format_addr(&c->tuple, 1, ra, sizeof(ra));
		tt_wbuf_printf(o,
			       c->tuple.family == AF_INET6 ? " [%s]:%u %s [%s]:%u"
							   : " %s:%u %s %s:%u",
			       la, c->tuple.lport, c->dir == TT_DIR_WRITE ? "->" : "<-", ra,
			       c->tuple.rport);
	} else {
		tt_wbuf_puts(o, " (no tuple)");
	}
	tt_wbuf_printf(o, " len %u", c->call_len);
	if (c->chunk_off || (c->flags & TT_EV_MORE))
		tt_wbuf_printf(o, " chunk %u+%u", c->chunk_off, c->data_len);
	if (c->lib == TT_LIB_GO)
		tt_wbuf_printf(o, " goid %llu", (unsigned long long)c->goid);
	tt_wbuf_printf(o, " attr %s", tt_attribution_name(c->attribution));
	if (c->flags & TT_EV_TRUNCATED)
		tt_wbuf_puts(o, " truncated");
	if (c->flags & TT_EV_TUPLE_MISMATCH)
		tt_wbuf_puts(o, " tuple-mismatch");
	if (c->flags & TT_EV_MULTI_FD)
		tt_wbuf_puts(o, " multi-fd");
	tt_wbuf_putc(o, '\n');
	text_data(o, c->data, c->data_len);
}

/* --- NDJSON (docs/ndjson.md) ---------------------------------------------- */

static void json_key(struct tt_wbuf *o, const char *k)
{
	tt_wbuf_putc(o, ',');
	tt_wbuf_putc(o, '"');
	tt_wbuf_puts(o, k);
	tt_wbuf_puts(o, "\":");
}

static void json_u64(struct tt_wbuf *o, const char *k, uint64_t v)
{
	json_key(o, k);
	tt_wbuf_u64(o, v);
}

static void json_bool(struct tt_wbuf *o, const char *k, bool v)
{
	json_key(o, k);
	tt_wbuf_puts(o, v ? "true" : "false");
}

static void json_str(struct tt_wbuf *o, const char *k, const char *v)
{
	json_key(o, k);
	if (v)
		tt_jsonb_string(o, v, strlen(v));
	else
		tt_wbuf_puts(o, "null");
}

/* Where the process runs (docs/ndjson.md): null when unknown or none. */
static void json_origin(struct tt_wbuf *o, const struct tt_origin *g)
{
	json_key(o, "ns_pid");
	g->ns_pid ? tt_wbuf_u64(o, g->ns_pid) : tt_wbuf_puts(o, "null");
	json_str(o, "cgroup", g->cgroup);
	json_str(o, "container", g->container);
	json_str(o, "pod_uid", g->pod_uid);
}

static void json_chunk(struct tt_raw_writer *w, const struct tt_chunk *c)
{
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
	struct tt_wbuf *o = w->out;
	bool t = c->tuple.family != 0;

	tt_format_addr(&c->tuple, 0, la, sizeof(la));
	tt_format_addr(&c->tuple, 1, ra, sizeof(ra));
	tt_wbuf_puts(o, "{\"time_ns\":");
	tt_wbuf_u64(o, (uint64_t)c->time_ns);
	json_u64(o, "pid", c->pid);
	json_u64(o, "tid", c->tid);
	json_str(o, "comm", c->comm);
	json_origin(o, &c->origin);
	json_str(o, "lib", tt_lib_name(c->lib));
	json_str(o, "dir", tt_dir_name(c->dir));
	json_u64(o, "len", c->call_len);
	json_str(o, "laddr", t ? la : NULL);
	json_key(o, "lport");
	t ? tt_wbuf_u64(o, c->tuple.lport) : tt_wbuf_puts(o, "null");
	json_str(o, "raddr", t ? ra : NULL);
	json_key(o, "rport");
	t ? tt_wbuf_u64(o, c->tuple.rport) : tt_wbuf_puts(o, "null");
	json_str(o, "attribution", tt_attribution_name(c->attribution));
	json_bool(o, "truncated", c->flags & TT_EV_TRUNCATED);
	json_key(o, "fd");
	if (c->fd >= 0)
		tt_wbuf_u64(o, (uint64_t)c->fd);
	else
		tt_wbuf_puts(o, "null");
	json_key(o, "goid");
	if (c->lib == TT_LIB_GO)
		tt_wbuf_u64(o, c->goid);
	else
		tt_wbuf_puts(o, "null");
	json_u64(o, "conn", c->conn);
	json_u64(o, "chunk_off", c->chunk_off);
	json_key(o, "stream_off");
	if (c->stream_off != TT_STREAM_OFF_UNKNOWN)
		tt_wbuf_u64(o, c->stream_off);
	else
		tt_wbuf_puts(o, "null");
	json_bool(o, "more", c->flags & TT_EV_MORE);
	json_bool(o, "tuple_mismatch", c->flags & TT_EV_TUPLE_MISMATCH);
	json_bool(o, "multi_fd", c->flags & TT_EV_MULTI_FD);
	json_key(o, "data");
	tt_jsonb_base64(o, c->data, c->data_len);
	tt_wbuf_puts(o, "}\n");
}

void tt_raw_chunk(struct tt_raw_writer *w, const struct tt_chunk *c)
{
	if (w->format == TT_RAW_JSON) {
		json_chunk(w, c);
		return;
	}
	text_escapes_init();
	text_chunk(w, c);
}

/* --- connection ends and process exits ------------------------------------ */

static void text_tuple(struct tt_wbuf *o, const struct tt_tuple *t)
{
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];

	tt_format_addr(t, 0, la, sizeof(la));
	tt_format_addr(t, 1, ra, sizeof(ra));
	tt_wbuf_printf(o, t->family == AF_INET6 ? " [%s]:%u <-> [%s]:%u" : " %s:%u <-> %s:%u", la,
		       t->lport, ra, t->rport);
}

void tt_raw_conn_end(struct tt_raw_writer *w, const struct tt_conn_end *e)
{
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
	struct tt_wbuf *o = w->out;

	if (!e->tuple.family)
		return;
	if (w->format != TT_RAW_JSON) {
		text_time(w, e->time_ns);
		tt_wbuf_printf(o, " pid %u connection closed", e->pid);
		text_tuple(o, &e->tuple);
		tt_wbuf_putc(o, '\n');
		return;
	}
	tt_format_addr(&e->tuple, 0, la, sizeof(la));
	tt_format_addr(&e->tuple, 1, ra, sizeof(ra));
	tt_wbuf_puts(o, "{\"event\":\"conn_end\",\"time_ns\":");
	tt_wbuf_u64(o, (uint64_t)e->time_ns);
	json_u64(o, "pid", e->pid);
	json_str(o, "laddr", la);
	json_u64(o, "lport", e->tuple.lport);
	json_str(o, "raddr", ra);
	json_u64(o, "rport", e->tuple.rport);
	tt_wbuf_puts(o, "}\n");
}

void tt_raw_proc_exit(struct tt_raw_writer *w, uint32_t pid, int64_t time_ns)
{
	struct tt_wbuf *o = w->out;

	if (w->format != TT_RAW_JSON) {
		text_time(w, time_ns);
		tt_wbuf_printf(o, " pid %u exited\n", pid);
		return;
	}
	tt_wbuf_puts(o, "{\"event\":\"exit\",\"time_ns\":");
	tt_wbuf_u64(o, (uint64_t)time_ns);
	json_u64(o, "pid", pid);
	tt_wbuf_puts(o, "}\n");
}
