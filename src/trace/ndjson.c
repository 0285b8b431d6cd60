// SPDX-License-Identifier: MIT
/* Reading tlstap's NDJSON captures back (see trace/ndjson.h for why by hand). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "trace/names.h"
#include "trace/ndjson.h"

/* Keys: X(ENUM, "name", required in a chunk). */
#define ND_KEYS(X)                                                                                 \
	X(TIME_NS, "time_ns", 1)                                                                   \
	X(PID, "pid", 1)                                                                           \
	X(TID, "tid", 1)                                                                           \
	X(COMM, "comm", 1)                                                                         \
	X(LIB, "lib", 1)                                                                           \
	X(DIR, "dir", 1)                                                                           \
	X(LEN, "len", 1)                                                                           \
	X(LADDR, "laddr", 1)                                                                       \
	X(LPORT, "lport", 1)                                                                       \
	X(RADDR, "raddr", 1)                                                                       \
	X(RPORT, "rport", 1)                                                                       \
	X(ATTRIBUTION, "attribution", 1)                                                           \
	X(TRUNCATED, "truncated", 1)                                                               \
	X(FD, "fd", 1)                                                                             \
	X(GOID, "goid", 0)                                                                         \
	X(CONN, "conn", 1)                                                                         \
	X(CHUNK_OFF, "chunk_off", 1)                                                               \
	X(STREAM_OFF, "stream_off", 0)                                                             \
	X(MORE, "more", 1)                                                                         \
	X(TUPLE_MISMATCH, "tuple_mismatch", 0)                                                     \
	X(MULTI_FD, "multi_fd", 0)                                                                 \
	X(DATA, "data", 1)                                                                         \
	X(NS_PID, "ns_pid", 0)                                                                     \
	X(CGROUP, "cgroup", 0)                                                                     \
	X(CONTAINER, "container", 0)                                                               \
	X(POD_UID, "pod_uid", 0)                                                                   \
	X(EVENT, "event", 0)

#define ND_ENUM(e, n, r) K_##e,
enum nd_key { ND_KEYS(ND_ENUM) K_COUNT, K_UNKNOWN = K_COUNT };
#undef ND_ENUM
#define ND_NAME(e, n, r) n,
static const char *const key_names[] = {ND_KEYS(ND_NAME)};
#undef ND_NAME
#define ND_REQ(e, n, r) ((uint64_t)(r) << K_##e) |
static const uint64_t chunk_required = ND_KEYS(ND_REQ) 0;
#undef ND_REQ

enum vtype { V_NULL, V_BOOL, V_INT, V_STR };

struct value {
	enum vtype type;
	bool b;
	uint64_t u;
	const char *s; /* unescaped */
	size_t n;
};

struct line {
	const char *p, *end;
	struct tt_ndjson_reader *r;
	struct tt_error *err;
	uint64_t lineno;
};

static int fail(struct line *l, const char *what)
{
	return tt_error_set(l->err, EINVAL, "line %llu: %s", (unsigned long long)l->lineno, what);
}

static void ws(struct line *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\r'))
		l->p++;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int strs_room(struct tt_ndjson_reader *r, size_t n)
{
	char *s;
	size_t cap;

	if (r->strs_len + n <= r->strs_cap)
		return 0;
	cap = (r->strs_len + n) * 2 + 256;
	s = realloc(r->strs, cap);
	if (!s)
		return -ENOMEM;
	r->strs = s;
	r->strs_cap = cap;
	return 0;
}

/* A JSON string at l->p (after its quote): unescaped into the reader's
 * string buffer.  \u00XX is the byte XX (how tlstap writes bytes >= 0x80);
 * other \u escapes become UTF-8. */
static int parse_string(struct line *l, struct value *v)
{
	const char *s = l->p, *q = memchr(s, '"', (size_t)(l->end - s));
	char *d;

	if (!q)
		return fail(l, "unterminated string");
	/* Room for the string as it is: unescaping only shortens it. */
	if (strs_room(l->r, (size_t)(l->end - s) + 1))
		return fail(l, "out of memory");
	d = l->r->strs + l->r->strs_len;
	v->type = V_STR;
	v->s = d;
	while (l->p < l->end && *l->p != '"') {
		char c = *l->p++;
		unsigned u;

		if ((unsigned char)c < 0x20)
			return fail(l, "control character in a string");
		if (c != '\\') {
			*d++ = c;
			continue;
		}
		if (l->p >= l->end)
			return fail(l, "unterminated string");
		c = *l->p++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			*d++ = c;
			break;
		case 'b':
			*d++ = '\b';
			break;
		case 'f':
			*d++ = '\f';
			break;
		case 'n':
			*d++ = '\n';
			break;
		case 'r':
			*d++ = '\r';
			break;
		case 't':
			*d++ = '\t';
			break;
		case 'u':
			if (l->end - l->p < 4)
				return fail(l, "bad \\u escape");
			u = 0;
			for (int i = 0; i < 4; i++) {
				int h = hexval(l->p[i]);

				if (h < 0)
					return fail(l, "bad \\u escape");
				u = u << 4 | (unsigned)h;
			}
			l->p += 4;
			if (u < 0x100) {
				*d++ = (char)u;
			} else if (u < 0x800) {
				*d++ = (char)(0xc0 | u >> 6);
				*d++ = (char)(0x80 | (u & 0x3f));
			} else {
				*d++ = (char)(0xe0 | u >> 12);
				*d++ = (char)(0x80 | ((u >> 6) & 0x3f));
				*d++ = (char)(0x80 | (u & 0x3f));
			}
			break;
		default:
			return fail(l, "bad escape in a string");
		}
	}
	if (l->p >= l->end)
		return fail(l, "unterminated string");
	l->p++;
	v->n = (size_t)(d - v->s);
	*d++ = '\0';
	l->r->strs_len = (size_t)(d - l->r->strs);
	return 0;
}

static int parse_value(struct line *l, struct value *v, bool raw_string)
{
	ws(l);
	if (l->p >= l->end)
		return fail(l, "missing value");
	if (*l->p == '"') {
		l->p++;
		if (raw_string) {
			/* base64: no escapes possible, no copy */
			const char *q = memchr(l->p, '"', (size_t)(l->end - l->p));

			if (!q)
				return fail(l, "unterminated string");
			v->type = V_STR;
			v->s = l->p;
			v->n = (size_t)(q - l->p);
			l->p = q + 1;
			return 0;
		}
		return parse_string(l, v);
	}
	if (*l->p >= '0' && *l->p <= '9') {
		uint64_t u = 0;

		if (*l->p == '0' && l->end - l->p > 1 && l->p[1] >= '0' && l->p[1] <= '9')
			return fail(l, "number with a leading zero");
		while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
			unsigned dgt = (unsigned)(*l->p++ - '0');

			if (u > (UINT64_MAX - dgt) / 10)
				return fail(l, "number out of range");
			u = u * 10 + dgt;
		}
		if (l->p < l->end && (*l->p == '.' || *l->p == 'e' || *l->p == 'E'))
			return fail(l, "a number that is not an integer");
		v->type = V_INT;
		v->u = u;
		return 0;
	}
	if (l->end - l->p >= 4 && !memcmp(l->p, "null", 4)) {
		l->p += 4;
		v->type = V_NULL;
		return 0;
	}
	if (l->end - l->p >= 4 && !memcmp(l->p, "true", 4)) {
		l->p += 4;
		v->type = V_BOOL;
		v->b = true;
		return 0;
	}
	if (l->end - l->p >= 5 && !memcmp(l->p, "false", 5)) {
		l->p += 5;
		v->type = V_BOOL;
		v->b = false;
		return 0;
	}
	if (*l->p == '{' || *l->p == '[')
		return fail(l, "nested value (the schema is flat)");
	if (*l->p == '-')
		return fail(l, "negative number");
	return fail(l, "invalid value");
}

static enum nd_key key_of(const char *s, size_t n)
{
	for (int k = 0; k < K_COUNT; k++)
		if (strlen(key_names[k]) == n && !memcmp(key_names[k], s, n))
			return (enum nd_key)k;
	return K_UNKNOWN;
}

static const int8_t *b64_table(void)
{
	static int8_t t[256];
	static bool done;
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	if (!done) {
		memset(t, -1, sizeof(t));
		for (int i = 0; i < 64; i++)
			t[(uint8_t)a[i]] = (int8_t)i;
		done = true;
	}
	return t;
}

/* Strict base64 (with padding) into the reader's data buffer. */
static int decode_b64(struct line *l, const char *s, size_t n, uint32_t *out_len)
{
	struct tt_ndjson_reader *r = l->r;
	const int8_t *t = b64_table();
	size_t pad = 0, out, k = 0;
	uint8_t *d;

	if (n % 4)
		return fail(l, "data: base64 length is not a multiple of 4");
	if (n && s[n - 1] == '=')
		pad++;
	if (n > 1 && s[n - 2] == '=')
		pad++;
	out = n / 4 * 3 - pad;
	if (out > UINT32_MAX)
		return fail(l, "data: too long");
	if (out > r->data_cap) {
		d = realloc(r->data, out);
		if (!d)
			return fail(l, "out of memory");
		r->data = d;
		r->data_cap = out;
	}
	d = r->data;
	for (size_t i = 0; i < n; i += 4) {
		int a = t[(uint8_t)s[i]], b = t[(uint8_t)s[i + 1]];
		int c = s[i + 2] == '=' && i + 4 == n ? 0 : t[(uint8_t)s[i + 2]];
		int e = s[i + 3] == '=' && i + 4 == n ? 0 : t[(uint8_t)s[i + 3]];

		if ((a | b | c | e) < 0 || (s[i + 2] == '=' && s[i + 3] != '='))
			return fail(l, "data: invalid base64");
		uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)e;

		if (k < out)
			d[k++] = (uint8_t)(v >> 16);
		if (k < out)
			d[k++] = (uint8_t)(v >> 8);
		if (k < out)
			d[k++] = (uint8_t)v;
	}
	*out_len = (uint32_t)out;
	return 0;
}

/* What a line says, before it is checked as a whole. */
struct fields {
	uint64_t seen;
	struct value v[K_COUNT];
};

static int want(struct line *l, const struct value *v, enum vtype t, bool nullable, const char *key)
{
	char msg[96];

	if (v->type == t || (nullable && v->type == V_NULL))
		return 0;
	snprintf(msg, sizeof(msg), "\"%s\" has the wrong type", key);
	return fail(l, msg);
}

static int want_u(struct line *l, const struct value *v, uint64_t max, bool nullable,
		  const char *key)
{
	char msg[96];
	int ret = want(l, v, V_INT, nullable, key);

	if (ret || v->type == V_NULL || v->u <= max)
		return ret;
	snprintf(msg, sizeof(msg), "\"%s\" is out of range", key);
	return fail(l, msg);
}

static int parse_object(struct line *l, struct fields *f)
{
	ws(l);
	if (l->p >= l->end || *l->p != '{')
		return fail(l, "not a JSON object");
	l->p++;
	ws(l);
	if (l->p < l->end && *l->p == '}')
		return fail(l, "empty object");
	for (;;) {
		struct value key, v;
		enum nd_key k;
		int ret;

		ws(l);
		if (l->p >= l->end || *l->p != '"')
			return fail(l, "expected a key");
		l->p++;
		if ((ret = parse_string(l, &key)))
			return ret;
		ws(l);
		if (l->p >= l->end || *l->p != ':')
			return fail(l, "expected ':'");
		l->p++;
		k = key_of(key.s, key.n);
		if ((ret = parse_value(l, &v, k == K_DATA)))
			return ret;
		if (k != K_UNKNOWN) {
			if (f->seen & (1ull << k))
				return fail(l, "duplicate key");
			f->seen |= 1ull << k;
			f->v[k] = v;
		}
		ws(l);
		if (l->p < l->end && *l->p == ',') {
			l->p++;
			continue;
		}
		if (l->p < l->end && *l->p == '}') {
			l->p++;
			break;
		}
		return fail(l, "expected ',' or '}'");
	}
	ws(l);
	return l->p == l->end ? 0 : fail(l, "text after the object");
}

/* laddr/lport/raddr/rport: all null (no tuple) or all set, one family. */
static int parse_tuple(struct line *l, const struct fields *f, struct tt_tuple *t)
{
	const struct value *la = &f->v[K_LADDR], *ra = &f->v[K_RADDR];
	int ret;

	memset(t, 0, sizeof(*t));
	if ((ret = want(l, la, V_STR, true, "laddr")) ||
	    (ret = want(l, ra, V_STR, true, "raddr")) ||
	    (ret = want_u(l, &f->v[K_LPORT], 65535, true, "lport")) ||
	    (ret = want_u(l, &f->v[K_RPORT], 65535, true, "rport")))
		return ret;
	if (la->type == V_NULL && ra->type == V_NULL && f->v[K_LPORT].type == V_NULL &&
	    f->v[K_RPORT].type == V_NULL)
		return 0;
	if (la->type == V_NULL || ra->type == V_NULL || f->v[K_LPORT].type == V_NULL ||
	    f->v[K_RPORT].type == V_NULL)
		return fail(l, "a tuple with some of laddr, lport, raddr, rport null");
	if (inet_pton(AF_INET, la->s, t->laddr) == 1 && inet_pton(AF_INET, ra->s, t->raddr) == 1)
		t->family = AF_INET;
	else if (inet_pton(AF_INET6, la->s, t->laddr) == 1 &&
		 inet_pton(AF_INET6, ra->s, t->raddr) == 1)
		t->family = AF_INET6;
	else
		return fail(l, "laddr/raddr: not two addresses of one family");
	t->lport = (uint16_t)f->v[K_LPORT].u;
	t->rport = (uint16_t)f->v[K_RPORT].u;
	return 0;
}

static int name_value(struct line *l, const struct value *v, int (*parse)(const char *, size_t),
		      const char *key, uint8_t *out)
{
	char msg[96];
	int x;

	if (want(l, v, V_STR, false, key))
		return -EINVAL;
	x = parse(v->s, v->n);
	if (x < 0) {
		snprintf(msg, sizeof(msg), "\"%s\": unknown name", key);
		return fail(l, msg);
	}
	*out = (uint8_t)x;
	return 0;
}

static const char *opt_str(const struct fields *f, enum nd_key k)
{
	return (f->seen & (1ull << k)) && f->v[k].type == V_STR ? f->v[k].s : NULL;
}

static int origin(struct line *l, const struct fields *f, struct tt_origin *o)
{
	int ret;

	for (enum nd_key k = K_CGROUP; k <= K_POD_UID; k++)
		if ((f->seen & (1ull << k)) && (ret = want(l, &f->v[k], V_STR, true, key_names[k])))
			return ret;
	if ((f->seen & (1ull << K_NS_PID)) &&
	    (ret = want_u(l, &f->v[K_NS_PID], UINT32_MAX, true, "ns_pid")))
		return ret;
	o->ns_pid = (f->seen & (1ull << K_NS_PID)) && f->v[K_NS_PID].type == V_INT
			? (uint32_t)f->v[K_NS_PID].u
			: 0;
	o->cgroup = opt_str(f, K_CGROUP);
	o->container = opt_str(f, K_CONTAINER);
	o->pod_uid = opt_str(f, K_POD_UID);
	return 0;
}

static bool opt_bool(const struct fields *f, enum nd_key k)
{
	return (f->seen & (1ull << k)) && f->v[k].type == V_BOOL && f->v[k].b;
}

static int chunk_fields(struct line *l, const struct fields *f, struct tt_chunk *c)
{
	const struct value *v = f->v;
	int ret;

	if ((f->seen & chunk_required) != chunk_required) {
		char msg[96];

		for (int k = 0; k < K_COUNT; k++)
			if ((chunk_required >> k & 1) && !(f->seen >> k & 1)) {
				snprintf(msg, sizeof(msg), "missing key \"%s\"", key_names[k]);
				return fail(l, msg);
			}
	}
	memset(c, 0, sizeof(*c));
	if ((ret = want_u(l, &v[K_TIME_NS], INT64_MAX, false, "time_ns")) ||
	    (ret = want_u(l, &v[K_PID], UINT32_MAX, false, "pid")) ||
	    (ret = want_u(l, &v[K_TID], UINT32_MAX, false, "tid")) ||
	    (ret = want_u(l, &v[K_LEN], UINT32_MAX, false, "len")) ||
	    (ret = want_u(l, &v[K_FD], INT32_MAX, true, "fd")) ||
	    (ret = want_u(l, &v[K_CONN], UINT64_MAX, false, "conn")) ||
	    (ret = want_u(l, &v[K_CHUNK_OFF], UINT32_MAX, false, "chunk_off")) ||
	    (ret = want(l, &v[K_TRUNCATED], V_BOOL, false, "truncated")) ||
	    (ret = want(l, &v[K_MORE], V_BOOL, false, "more")) ||
	    (ret = want(l, &v[K_COMM], V_STR, false, "comm")))
		return ret;
	for (enum nd_key k = K_TUPLE_MISMATCH; k <= K_MULTI_FD; k++)
		if ((f->seen & (1ull << k)) && (ret = want(l, &v[k], V_BOOL, false, key_names[k])))
			return ret;
	if ((f->seen & (1ull << K_GOID)) &&
	    (ret = want_u(l, &v[K_GOID], UINT64_MAX, true, "goid")))
		return ret;
	if ((f->seen & (1ull << K_STREAM_OFF)) &&
	    (ret = want_u(l, &v[K_STREAM_OFF], UINT64_MAX - 1, true, "stream_off")))
		return ret;
	if (v[K_COMM].n > 16)
		return fail(l, "\"comm\" longer than 16 bytes");
	if ((ret = name_value(l, &v[K_LIB], tt_lib_parse, "lib", &c->lib)) ||
	    (ret = name_value(l, &v[K_DIR], tt_dir_parse, "dir", &c->dir)) ||
	    (ret = name_value(l, &v[K_ATTRIBUTION], tt_attribution_parse, "attribution",
			      &c->attribution)) ||
	    (ret = parse_tuple(l, f, &c->tuple)) || (ret = origin(l, f, &c->origin)) ||
	    (ret = want(l, &v[K_DATA], V_STR, false, "data")) ||
	    (ret = decode_b64(l, v[K_DATA].s, v[K_DATA].n, &c->data_len)))
		return ret;
	c->time_ns = (int64_t)v[K_TIME_NS].u;
	c->pid = (uint32_t)v[K_PID].u;
	c->tid = (uint32_t)v[K_TID].u;
	memcpy(c->comm, v[K_COMM].s, v[K_COMM].n);
	c->fd = v[K_FD].type == V_NULL ? -1 : (int32_t)v[K_FD].u;
	c->goid = (f->seen & (1ull << K_GOID)) && v[K_GOID].type != V_NULL ? v[K_GOID].u : 0;
	c->conn = v[K_CONN].u;
	c->call_len = (uint32_t)v[K_LEN].u;
	c->chunk_off = (uint32_t)v[K_CHUNK_OFF].u;
	c->stream_off = (f->seen & (1ull << K_STREAM_OFF)) && v[K_STREAM_OFF].type == V_INT
			    ? v[K_STREAM_OFF].u
			    : TT_STREAM_OFF_UNKNOWN;
	c->flags = (v[K_TRUNCATED].b ? TT_EV_TRUNCATED : 0) | (v[K_MORE].b ? TT_EV_MORE : 0) |
		   (opt_bool(f, K_TUPLE_MISMATCH) ? TT_EV_TUPLE_MISMATCH : 0) |
		   (opt_bool(f, K_MULTI_FD) ? TT_EV_MULTI_FD : 0);
	c->data = l->r->data;
	if ((uint64_t)c->chunk_off + c->data_len > c->call_len)
		return fail(l, "chunk_off + data is longer than the call (len)");
	return 0;
}

/* {"event":"conn_end"|"exit","time_ns":...,"pid":...[,tuple]} */
static int control_fields(struct line *l, const struct fields *f, struct tt_ndjson_event *ev)
{
	const struct value *e = &f->v[K_EVENT];
	int ret;

	if ((ret = want(l, e, V_STR, false, "event")))
		return ret;
	if (!(f->seen & (1ull << K_TIME_NS)) || !(f->seen & (1ull << K_PID)))
		return fail(l, "an event without time_ns or pid");
	if ((ret = want_u(l, &f->v[K_TIME_NS], INT64_MAX, false, "time_ns")) ||
	    (ret = want_u(l, &f->v[K_PID], UINT32_MAX, false, "pid")))
		return ret;
	if (e->n == 4 && !memcmp(e->s, "exit", 4)) {
		ev->kind = TT_ND_EXIT;
		ev->pid = (uint32_t)f->v[K_PID].u;
		ev->time_ns = (int64_t)f->v[K_TIME_NS].u;
		return 0;
	}
	if (e->n != 8 || memcmp(e->s, "conn_end", 8))
		return fail(l, "unknown \"event\"");
	ev->kind = TT_ND_CONN_END;
	ev->end.pid = (uint32_t)f->v[K_PID].u;
	ev->end.time_ns = (int64_t)f->v[K_TIME_NS].u;
	if (!(f->seen & (1ull << K_LADDR)) || !(f->seen & (1ull << K_RADDR)) ||
	    !(f->seen & (1ull << K_LPORT)) || !(f->seen & (1ull << K_RPORT)))
		return fail(l, "conn_end without its tuple");
	if ((ret = parse_tuple(l, f, &ev->end.tuple)))
		return ret;
	return ev->end.tuple.family ? 0 : fail(l, "conn_end without its tuple");
}

int tt_ndjson_parse(struct tt_ndjson_reader *r, const char *line, size_t n,
		    struct tt_ndjson_event *ev, struct tt_error *err)
{
	struct line l = {line, line + n, r, err, r->line};
	struct fields f;
	int ret;

	f.seen = 0;
	r->strs_len = 0;
	if ((ret = parse_object(&l, &f)))
		return ret;
	if (f.seen & (1ull << K_EVENT))
		return control_fields(&l, &f, ev);
	ev->kind = TT_ND_CHUNK;
	return chunk_fields(&l, &f, &ev->chunk);
}

/* --- lines from the file ------------------------------------------------- */

int tt_ndjson_open(struct tt_ndjson_reader *r, const char *path, struct tt_error *err)
{
	memset(r, 0, sizeof(*r));
	r->fd = strcmp(path, "-") ? open(path, O_RDONLY | O_CLOEXEC) : dup(STDIN_FILENO);
	if (r->fd < 0)
		return tt_error_set(err, errno, "%s: %s", path, strerror(errno));
	r->cap = 1 << 20;
	r->buf = malloc(r->cap);
	if (!r->buf) {
		close(r->fd);
		return tt_error_set(err, ENOMEM, "out of memory");
	}
	return 0;
}

void tt_ndjson_close(struct tt_ndjson_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
	free(r->buf);
	free(r->data);
	free(r->strs);
	r->buf = r->data = NULL;
	r->strs = NULL;
}

/* More bytes after those not consumed yet; 0, or -errno. */
static int fill(struct tt_ndjson_reader *r, struct tt_error *err)
{
	ssize_t n;

	if (r->pos) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (r->len == r->cap) {
		uint8_t *b;

		if (r->cap >= TT_NDJSON_LINE_MAX)
			return tt_error_set(err, E2BIG, "line %llu: longer than %u bytes",
					    (unsigned long long)r->line + 1, TT_NDJSON_LINE_MAX);
		b = realloc(r->buf, r->cap * 2);
		if (!b)
			return tt_error_set(err, ENOMEM, "out of memory");
		r->buf = b;
		r->cap *= 2;
	}
	do
		n = read(r->fd, r->buf + r->len, r->cap - r->len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return tt_error_set(err, errno, "read: %s", strerror(errno));
	if (!n)
		r->eof = 1;
	r->len += (size_t)n;
	r->bytes += (uint64_t)n;
	return 0;
}

int tt_ndjson_next(struct tt_ndjson_reader *r, struct tt_ndjson_event *ev, struct tt_error *err)
{
	for (;;) {
		uint8_t *s = r->buf + r->pos, *nl = memchr(s, '\n', r->len - r->pos);
		size_t n;
		int ret;

		if (!nl && !r->eof) {
			if ((ret = fill(r, err)))
				return ret;
			continue;
		}
		n = nl ? (size_t)(nl - s) : r->len - r->pos;
		if (!nl && !n)
			return 0;
		r->pos += n + (nl ? 1 : 0);
		r->line++;
		/* Blank lines are allowed (a file edited by hand). */
		while (n && (s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (!n)
			continue;
		return tt_ndjson_parse(r, (const char *)s, n, ev, err) ?: 1;
	}
}
