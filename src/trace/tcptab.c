// SPDX-License-Identifier: MIT
/* The TCP sockets of a network namespace from /proc/PID/net/tcp{,6}. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "trace/tcptab.h"
#include "tlstap/compiler.h"

/* Fields of a line: "sl: local remote st tx:rx tr:when retrnsmt uid timeout inode ...". */
#define F_LOCAL 1
#define F_REMOTE 2
#define F_STATE 3
#define F_INODE 9
#define MIN_FIELDS 10
#define MAX_FIELDS 12

static const char *const state_names[] = {
    [TT_TCP_ESTABLISHED] = "ESTABLISHED",
    [TT_TCP_SYN_SENT] = "SYN_SENT",
    [TT_TCP_SYN_RECV] = "SYN_RECV",
    [TT_TCP_FIN_WAIT1] = "FIN_WAIT1",
    [TT_TCP_FIN_WAIT2] = "FIN_WAIT2",
    [TT_TCP_TIME_WAIT] = "TIME_WAIT",
    [TT_TCP_CLOSE] = "CLOSE",
    [TT_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
    [TT_TCP_LAST_ACK] = "LAST_ACK",
    [TT_TCP_LISTEN] = "LISTEN",
    [TT_TCP_CLOSING] = "CLOSING",
    [TT_TCP_NEW_SYN_RECV] = "NEW_SYN_RECV",
};

const char *tt_tcp_state_name(unsigned state)
{
	return state < ARRAY_SIZE(state_names) && state_names[state] ? state_names[state] : "?";
}

bool tt_tcp_open(const struct tt_tcp_sock *s)
{
	return s->state != TT_TCP_TIME_WAIT && s->state != TT_TCP_CLOSE;
}

void tt_tuple_normalize(struct tt_tuple *t)
{
	static const uint8_t prefix[12] = {[10] = 0xff, [11] = 0xff};

	if (t->family != AF_INET6 || memcmp(t->laddr, prefix, 12) || memcmp(t->raddr, prefix, 12))
		return;
	t->family = AF_INET;
	memmove(t->laddr, t->laddr + 12, 4);
	memmove(t->raddr, t->raddr + 12, 4);
	memset(t->laddr + 4, 0, 12);
	memset(t->raddr + 4, 0, 12);
}

/* n hex digits, exactly: 0, or -EINVAL. */
static int hex_n(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 16)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else
			return -EINVAL;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* "0100007F:1F90" or 32 hex digits of IPv6 ":PORT"; the family from the length. */
static int parse_endpoint(const char *s, size_t len, uint8_t addr[16], uint16_t *port,
			  uint16_t *family)
{
	const char *colon = memchr(s, ':', len);
	size_t alen = colon ? (size_t)(colon - s) : 0;
	uint64_t v;

	if (!colon || (alen != 8 && alen != 32) || len - alen - 1 != 4)
		return -EINVAL;
	for (size_t w = 0; w < alen / 8; w++) {
		uint32_t word;

		if (hex_n(s + 8 * w, 8, &v))
			return -EINVAL;
		/* Printed from the address's memory as a host-order word. */
		word = (uint32_t)v;
		memcpy(addr + 4 * w, &word, 4);
	}
	if (hex_n(colon + 1, 4, &v))
		return -EINVAL;
	*port = (uint16_t)v;
	*family = alen == 8 ? AF_INET : AF_INET6;
	return 0;
}

/* Split at blanks into at most MAX_FIELDS fields; how many. */
static size_t split(const char *line, const char *start[], size_t len[])
{
	size_t n = 0;
	const char *p = line;

	while (n < MAX_FIELDS) {
		p += strspn(p, " \t\n");
		if (!*p)
			break;
		start[n] = p;
		len[n] = strcspn(p, " \t\n");
		p += len[n++];
	}
	return n;
}

int tt_tcp_parse_line(const char *line, struct tt_tcp_sock *out)
{
	const char *f[MAX_FIELDS];
	size_t len[MAX_FIELDS], n = split(line, f, len);
	uint16_t lfam, rfam;
	uint64_t v;
	char *end;

	if (n >= 1 && len[0] == 2 && !memcmp(f[0], "sl", 2))
		return 1;
	if (n < MIN_FIELDS || len[0] < 2 || f[0][len[0] - 1] != ':')
		return -EINVAL;
	strtoul(f[0], &end, 10);
	if (end != f[0] + len[0] - 1)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (parse_endpoint(f[F_LOCAL], len[F_LOCAL], out->tuple.laddr, &out->tuple.lport, &lfam) ||
	    parse_endpoint(f[F_REMOTE], len[F_REMOTE], out->tuple.raddr, &out->tuple.rport,
			   &rfam) ||
	    lfam != rfam)
		return -EINVAL;
	out->tuple.family = lfam;
	if (len[F_STATE] != 2 || hex_n(f[F_STATE], 2, &v) || v == 0 || v > TT_TCP_NEW_SYN_RECV)
		return -EINVAL;
	out->state = (uint8_t)v;
	v = strtoull(f[F_INODE], &end, 10);
	if (end != f[F_INODE] + len[F_INODE])
		return -EINVAL;
	out->inode = v;
	tt_tuple_normalize(&out->tuple);
	return 0;
}

static int add(struct tt_tcp_table *t, const struct tt_tcp_sock *s)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 256;
		struct tt_tcp_sock *p = realloc(t->socks, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->socks = p;
		t->cap = cap;
	}
	t->socks[t->n++] = *s;
	return 0;
}

int tt_tcp_table_read(struct tt_tcp_table *t, FILE *f, const char *name, struct tt_error *err)
{
	char line[512];
	unsigned lineno = 0;

	while (fgets(line, sizeof(line), f)) {
		struct tt_tcp_sock s;
		int r;

		lineno++;
		if (!strchr(line, '\n') && !feof(f))
			return tt_error_set(err, EINVAL, "%s:%u: line too long", name, lineno);
		r = tt_tcp_parse_line(line, &s);
		if (r == 1)
			continue;
		/* A format this parser does not know must not pass for "no
		 * such connection": that would report live state as leaked. */
		if (r < 0)
			return tt_error_set(err, EINVAL, "%s:%u: not a TCP table line", name,
					    lineno);
		if (add(t, &s))
			return tt_error_set(err, ENOMEM, "out of memory");
	}
	if (ferror(f))
		return tt_error_set(err, EIO, "%s: read error", name);
	return 0;
}

static uint64_t tuple_key(const struct tt_tuple *t)
{
	return tt_index_hash(t, sizeof(*t));
}

int tt_tcp_table_index(struct tt_tcp_table *t)
{
	tt_index_free(&t->by_tuple);
	tt_index_free(&t->by_inode);
	if (tt_index_init(&t->by_tuple, t->n) || tt_index_init(&t->by_inode, t->n))
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		tt_index_add(&t->by_tuple, tuple_key(&t->socks[i].tuple), (uint32_t)i);
		if (t->socks[i].inode)
			tt_index_add(&t->by_inode, t->socks[i].inode, (uint32_t)i);
	}
	return 0;
}

int tt_tcp_table_load(struct tt_tcp_table *t, const char *dir, struct tt_error *err)
{
	static const char *const files[] = {"tcp", "tcp6"};
	char path[512];
	int ret = 0;

	for (size_t i = 0; i < ARRAY_SIZE(files) && !ret; i++) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		f = fopen(path, "re");
		if (!f) {
			if (errno == ENOENT && i > 0)
				continue; /* no IPv6 */
			return tt_error_set(err, errno, "%s: %s", path, strerror(errno));
		}
		ret = tt_tcp_table_read(t, f, path, err);
		fclose(f);
	}
	if (!ret && tt_tcp_table_index(t))
		ret = tt_error_set(err, ENOMEM, "out of memory");
	return ret;
}

void tt_tcp_table_free(struct tt_tcp_table *t)
{
	free(t->socks);
	tt_index_free(&t->by_tuple);
	tt_index_free(&t->by_inode);
	memset(t, 0, sizeof(*t));
}

const struct tt_tcp_sock *tt_tcp_find_tuple(const struct tt_tcp_table *t,
					    const struct tt_tuple *tuple)
{
	const struct tt_tcp_sock *closed = NULL;
	struct tt_tuple k = *tuple;
	size_t cur = 0;
	long pos;

	/* The tracer's tuples may carry bytes past the address length. */
	k.pad = 0;
	if (k.family == AF_INET) {
		memset(k.laddr + 4, 0, 12);
		memset(k.raddr + 4, 0, 12);
	}
	while ((pos = tt_index_next(&t->by_tuple, tuple_key(&k), &cur)) >= 0) {
		const struct tt_tcp_sock *s = &t->socks[pos];

		if (memcmp(&s->tuple, &k, sizeof(k)))
			continue;
		if (tt_tcp_open(s))
			return s;
		closed = s;
	}
	return closed;
}

const struct tt_tcp_sock *tt_tcp_find_inode(const struct tt_tcp_table *t, uint64_t inode)
{
	size_t cur = 0;
	long pos;

	while ((pos = tt_index_next(&t->by_inode, inode, &cur)) >= 0)
		if (t->socks[pos].inode == inode)
			return &t->socks[pos];
	return NULL;
}
