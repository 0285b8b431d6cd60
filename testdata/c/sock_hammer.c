// SPDX-License-Identifier: MIT
/*
 * Plaintext socket churn over loopback, for tlstap's attribution tests: an
 * untraced process that connects, sends, receives and closes as fast as it
 * can on several threads at once, while a traced process does TLS next to
 * it.  Each thread has its own listener; per connection it makes ROUNDS
 * round trips of 64 bytes (send/recv and write/read in turn), then closes
 * both ends, the client with an RST (SO_LINGER 0: no TIME_WAIT, so that
 * the ephemeral ports last).
 *
 * Prints "listen PORT" per thread, then "ready", then once a second
 * "ops N conns M" (socket sends and receives, connections so far); exits
 * after SECONDS.
 * Usage: sock_hammer THREADS SECONDS [ROUNDS]
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct worker {
	pthread_t th;
	int lfd;
	struct sockaddr_in addr;
};

static atomic_long ops, conns;
static int rounds = 20;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* Move exactly n bytes, with send/recv or write/read. */
static void xfer(int fd, char *buf, size_t n, int out, int plain)
{
	while (n > 0) {
		ssize_t r;

		if (out)
			r = plain ? write(fd, buf, n) : send(fd, buf, n, MSG_NOSIGNAL);
		else
			r = plain ? read(fd, buf, n) : recv(fd, buf, n, 0);
		if (r <= 0)
			die(out ? "send" : "recv");
		buf += r;
		n -= (size_t)r;
	}
	atomic_fetch_add(&ops, 1);
}

static void *hammer(void *arg)
{
	struct worker *w = arg;
	struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	char buf[64] = "hammer";
	int one = 1;

	for (;;) {
		int c = socket(AF_INET, SOCK_STREAM, 0), s;

		if (c < 0 || connect(c, (struct sockaddr *)&w->addr, sizeof(w->addr)))
			die("connect");
		s = accept(w->lfd, NULL, NULL);
		if (s < 0)
			die("accept");
		setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		for (int i = 0; i < rounds; i++) {
			int plain = i & 1;

			xfer(c, buf, sizeof(buf), 1, plain);
			xfer(s, buf, sizeof(buf), 0, plain);
			xfer(s, buf, sizeof(buf), 1, plain);
			xfer(c, buf, sizeof(buf), 0, plain);
		}
		setsockopt(c, SOL_SOCKET, SO_LINGER, &rst, sizeof(rst));
		close(c);
		close(s);
		atomic_fetch_add(&conns, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads, seconds;
	struct worker *ws;

	if (argc < 3) {
		fprintf(stderr, "usage: sock_hammer THREADS SECONDS [ROUNDS]\n");
		return 2;
	}
	nthreads = atoi(argv[1]);
	seconds = atoi(argv[2]);
	if (argc > 3)
		rounds = atoi(argv[3]);
	if (nthreads <= 0 || seconds <= 0 || rounds <= 0)
		return 2;
	ws = calloc((size_t)nthreads, sizeof(*ws));
	if (!ws)
		die("calloc");
	for (int i = 0; i < nthreads; i++) {
		socklen_t len = sizeof(ws[i].addr);

		ws[i].addr.sin_family = AF_INET;
		ws[i].addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ws[i].lfd = socket(AF_INET, SOCK_STREAM, 0);
		if (ws[i].lfd < 0 || bind(ws[i].lfd, (struct sockaddr *)&ws[i].addr, len) ||
		    listen(ws[i].lfd, 16) ||
		    getsockname(ws[i].lfd, (struct sockaddr *)&ws[i].addr, &len))
			die("listen");
		printf("listen %d\n", ntohs(ws[i].addr.sin_port));
	}
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&ws[i].th, NULL, hammer, &ws[i]))
			die("pthread_create");
	printf("ready\n");
	fflush(stdout);
	for (int t = 0; t < seconds; t++) {
		sleep(1);
		printf("ops %ld conns %ld\n", atomic_load(&ops), atomic_load(&conns));
		fflush(stdout);
	}
	return 0;
}
