// SPDX-License-Identifier: MIT
/* Event writers: text (default) and NDJSON. */
#include <arpa/inet.h>
#include <sys/socket.h>
#include <string.h>
#include <time.h>

#include "out/json.h"
#include "out/output.h"

const char *tt_lib_name(unsigned lib)
{
	switch (lib) {
	case TT_LIB_GO: return "go";
	case TT_LIB_OPENSSL: return "openssl";
	case TT_LIB_GNUTLS: return "gnutls";
	default: return "unknown";
	}
}

const char *tt_dir_name(unsigned dir)
{
	return dir == TT_DIR_READ ? "read" : dir == TT_DIR_WRITE ? "write" : "unknown";
}

const char *tt_attribution_name(unsigned a)
{
	switch (a) {
	case TT_ATTR_GO_MEMORY: return "go-memory";
	case TT_ATTR_SYSCALL_FD: return "syscall-fd";
	case TT_ATTR_CACHE: return "cache";
	case TT_ATTR_AMBIGUOUS: return "ambiguous";
	default: return "none";
	}
}

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void tt_output_init(struct tt_output *o, enum tt_output_format format, FILE *f)
{
	o->format = format;
	o->f = f;
	o->boot_to_real_ns = clock_ns(CLOCK_REALTIME) - clock_ns(CLOCK_BOOTTIME);
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

static void text_time(FILE *f, int64_t real_ns)
{
	time_t sec = real_ns / 1000000000;
	struct tm tm;
	char buf[32];

	localtime_r(&sec, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(f, "%s.%06ld", buf, (long)(real_ns % 1000000000) / 1000);
}

/* Printable ASCII, tab and newline as they are; everything else escaped. */
static void text_data(FILE *f, const uint8_t *d, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint8_t c = d[i];
		if (c == '\n' || c == '\t' || (c >= 0x20 && c < 0x7f && c != '\\'))
			fputc(c, f);
		else if (c == '\\')
			fputs("\\\\", f);
		else if (c == '\r')
			fputs("\\r", f);
		else
			fprintf(f, "\\x%02x", c);
	}
	if (n == 0 || d[n - 1] != '\n')
		fputc('\n', f);
}

static void text_event(struct tt_output *o, const struct tt_event *ev, const uint8_t *data)
{
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
	char comm[sizeof(ev->comm) + 1];
	FILE *f = o->f;

	memcpy(comm, ev->comm, sizeof(ev->comm));
	comm[sizeof(ev->comm)] = '\0';
	text_time(f, (int64_t)ev->time_ns + o->boot_to_real_ns);
	fprintf(f, " %s pid %u tid %u %s %s", comm, ev->tgid, ev->tid, tt_lib_name(ev->lib),
		tt_dir_name(ev->dir));
	if (ev->tuple.family) {
		tt_format_addr(&ev->tuple, 0, la, sizeof(la));
		tt_format_addr(&ev->tuple, 1, ra, sizeof(ra));
		fprintf(f, ev->tuple.family == AF_INET6 ? " [%s]:%u %s [%s]:%u" : " %s:%u %s %s:%u",
			la, ev->tuple.lport, ev->dir == TT_DIR_WRITE ? "->" : "<-", ra,
			ev->tuple.rport);
	} else {
		fputs(" (no tuple)", f);
	}
	fprintf(f, " len %u", ev->len);
	if (ev->chunk_off || (ev->flags & TT_EV_MORE))
		fprintf(f, " chunk %u+%u", ev->chunk_off, ev->chunk_len);
	if (ev->lib == TT_LIB_GO)
		fprintf(f, " goid %llu", (unsigned long long)ev->goid);
	fprintf(f, " attr %s", tt_attribution_name(ev->attribution));
	if (ev->flags & TT_EV_TRUNCATED)
		fputs(" truncated", f);
	if (ev->flags & TT_EV_TUPLE_MISMATCH)
		fputs(" tuple-mismatch", f);
	if (ev->flags & TT_EV_MULTI_FD)
		fputs(" multi-fd", f);
	fputc('\n', f);
	text_data(f, data, ev->chunk_len);
}

static void json_event(struct tt_output *o, const struct tt_event *ev, const uint8_t *data)
{
	char la[INET6_ADDRSTRLEN], ra[INET6_ADDRSTRLEN];
	char comm[sizeof(ev->comm) + 1];
	struct tt_json j;

	memcpy(comm, ev->comm, sizeof(ev->comm));
	comm[sizeof(ev->comm)] = '\0';
	tt_format_addr(&ev->tuple, 0, la, sizeof(la));
	tt_format_addr(&ev->tuple, 1, ra, sizeof(ra));
	tt_json_init(&j, o->f);
	tt_json_object_begin(&j);
	tt_json_kv_int(&j, "time_ns", (int64_t)ev->time_ns + o->boot_to_real_ns);
	tt_json_kv_uint(&j, "pid", ev->tgid);
	tt_json_kv_uint(&j, "tid", ev->tid);
	tt_json_kv_string(&j, "comm", comm);
	tt_json_kv_string(&j, "lib", tt_lib_name(ev->lib));
	tt_json_kv_string(&j, "dir", tt_dir_name(ev->dir));
	tt_json_kv_uint(&j, "len", ev->len);
	tt_json_key(&j, "laddr");
	ev->tuple.family ? tt_json_string(&j, la) : tt_json_null(&j);
	tt_json_key(&j, "lport");
	ev->tuple.family ? tt_json_uint(&j, ev->tuple.lport) : tt_json_null(&j);
	tt_json_key(&j, "raddr");
	ev->tuple.family ? tt_json_string(&j, ra) : tt_json_null(&j);
	tt_json_key(&j, "rport");
	ev->tuple.family ? tt_json_uint(&j, ev->tuple.rport) : tt_json_null(&j);
	tt_json_kv_string(&j, "attribution", tt_attribution_name(ev->attribution));
	tt_json_kv_bool(&j, "truncated", ev->flags & TT_EV_TRUNCATED);
	tt_json_key(&j, "fd");
	ev->fd >= 0 ? tt_json_int(&j, ev->fd) : tt_json_null(&j);
	if (ev->lib == TT_LIB_GO)
		tt_json_kv_uint(&j, "goid", ev->goid);
	tt_json_kv_uint(&j, "conn", ev->conn_ptr);
	tt_json_kv_uint(&j, "chunk_off", ev->chunk_off);
	tt_json_kv_bool(&j, "more", ev->flags & TT_EV_MORE);
	tt_json_kv_bool(&j, "tuple_mismatch", ev->flags & TT_EV_TUPLE_MISMATCH);
	tt_json_kv_bool(&j, "multi_fd", ev->flags & TT_EV_MULTI_FD);
	tt_json_key(&j, "data");
	tt_json_base64(&j, data, ev->chunk_len);
	tt_json_object_end(&j);
	tt_json_newline(&j);
}

void tt_output_event(struct tt_output *o, const struct tt_event *ev, const uint8_t *data)
{
	if (o->format == TT_OUT_JSON)
		json_event(o, ev, data);
	else
		text_event(o, ev, data);
}
