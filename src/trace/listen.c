// SPDX-License-Identifier: MIT
/* Is a connection's local port a listening socket of its process's netns? */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "trace/clock.h"
#include "trace/listen.h"
#include "trace/tcptab.h"

#define MAX_NS 64
#define MAX_LISTEN 1024
#define FRESH_NS (1000LL * 1000000)
#define RETRY_NS (100LL * 1000000)

struct listener {
	uint8_t family;
	uint16_t port;
	uint8_t addr[16]; /* all zero: any address */
};

struct tt_listen_ns {
	uint64_t ino;
	int64_t read_ns;
	unsigned n;
	struct listener l[MAX_LISTEN];
};

void tt_listen_init(struct tt_listen *l, const char *proc_root)
{
	memset(l, 0, sizeof(*l));
	l->proc = proc_root ? proc_root : "/proc";
}

void tt_listen_free(struct tt_listen *l)
{
	free(l->ns);
	l->ns = NULL;
	l->n_ns = 0;
}

static void read_file(struct tt_listen *l, struct tt_listen_ns *ns, uint32_t pid, bool v6)
{
	char path[128], line[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/net/%s", l->proc, pid, v6 ? "tcp6" : "tcp");
	f = fopen(path, "re");
	if (!f)
		return;
	l->reads++;
	while (fgets(line, sizeof(line), f) && ns->n < MAX_LISTEN) {
		struct tt_tcp_sock so;
		struct listener *li = &ns->l[ns->n];

		if (tt_tcp_parse_line(line, &so) || so.state != TT_TCP_LISTEN)
			continue;
		li->family = (uint8_t)so.tuple.family;
		li->port = so.tuple.lport;
		memcpy(li->addr, so.tuple.laddr, sizeof(li->addr));
		ns->n++;
	}
	fclose(f);
}

static struct tt_listen_ns *ns_of(struct tt_listen *l, uint32_t pid, int64_t now, bool retry)
{
	char path[128];
	struct stat st;
	struct tt_listen_ns *ns = NULL;

	snprintf(path, sizeof(path), "%s/%u/ns/net", l->proc, pid);
	if (stat(path, &st))
		return NULL;
	for (unsigned i = 0; i < l->n_ns; i++)
		if (l->ns[i].ino == (uint64_t)st.st_ino)
			ns = &l->ns[i];
	if (!ns) {
		if (!l->ns && !(l->ns = calloc(MAX_NS, sizeof(*l->ns))))
			return NULL;
		ns = &l->ns[l->n_ns < MAX_NS ? l->n_ns++ : (unsigned)(st.st_ino % MAX_NS)];
		ns->ino = (uint64_t)st.st_ino;
		ns->read_ns = INT64_MIN / 2;
	}
	if (now - ns->read_ns > FRESH_NS || (retry && now - ns->read_ns > RETRY_NS)) {
		ns->n = 0;
		read_file(l, ns, pid, false);
		read_file(l, ns, pid, true);
		ns->read_ns = now;
	}
	return ns;
}

static bool v4_mapped(const uint8_t *a)
{
	static const uint8_t pfx[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	return !memcmp(a, pfx, 12);
}

static bool matches(const struct listener *li, const struct tt_tuple *t)
{
	static const uint8_t any[16];
	uint8_t a[16] = {0};

	if (li->port != t->lport)
		return false;
	if (!memcmp(li->addr, any, 16))
		return true;
	/* An IPv4 connection on a dual-stack listener, or the reverse. */
	if (li->family == AF_INET6 && t->family == AF_INET) {
		a[10] = a[11] = 0xff;
		memcpy(a + 12, t->laddr, 4);
		return !memcmp(li->addr, a, 16);
	}
	if (li->family == AF_INET && t->family == AF_INET6 && v4_mapped(t->laddr))
		return !memcmp(li->addr, t->laddr + 12, 4);
	return li->family == t->family &&
	       !memcmp(li->addr, t->laddr, li->family == AF_INET ? 4 : 16);
}

static bool listening(const struct tt_listen_ns *ns, const struct tt_tuple *t)
{
	for (unsigned i = 0; i < ns->n; i++)
		if (matches(&ns->l[i], t))
			return true;
	return false;
}

int tt_listen_is_server(struct tt_listen *l, uint32_t pid, const struct tt_tuple *t)
{
	int64_t now = tt_clock_ns(CLOCK_MONOTONIC);
	struct tt_listen_ns *ns;

	if (!t->family)
		return -1;
	ns = ns_of(l, pid, now, false);
	if (!ns)
		return -1;
	if (listening(ns, t))
		return 1;
	ns = ns_of(l, pid, now, true);
	return ns && listening(ns, t) ? 1 : 0;
}
