// SPDX-License-Identifier: MIT
/*
 * Plaintext socket churn over loopback, for tlstap's attribution tests: an
 * untraced process that connects, sends, receives and closes as fast as it
 * can on several threads at once, while a traced process does TLS next to
 * it.  Each thread has its own listener; per connection it makes ROUNDS
 * round trips of 64 bytes (send/recv, write/read, and sendfile from a
 * memfd/splice into a pipe in turn: the socket layer's other ways in and
 * out, the last of which passes no sock_recv_length tracepoint), then closes
 * both ends, the client with an RST (SO_LINGER 0: no TIME_WAIT, so that
 * the ephemeral ports last).
 *
 * Prints "listen PORT" per thread, then "ready", then once a second
 * "ops N conns M" (socket sends and receives, connections so far); exits
 * after SECONDS.
 * Usage: sock_hammer THREADS SECONDS [ROUNDS]
 */
#define _GNU_SOURCE /* splice, memfd_create */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
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

enum xfer_way { WAY_SEND, WAY_WRITE, WAY_SPLICE, WAY_COUNT };

struct lane {
	int memfd;	/* the 64 bytes that sendfile sends */
	int pipe[2];	/* where splice puts what it takes from a socket */
};

static ssize_t xfer_once(int fd, char *buf, size_t n, int out, enum xfer_way way,
			 const struct lane *lane)
{
	off_t off = 0;
	ssize_t r;

	switch (way) {
	case WAY_SEND:
		return out ? send(fd, buf, n, MSG_NOSIGNAL) : recv(fd, buf, n, 0);
	case WAY_WRITE:
		return out ? write(fd, buf, n) : read(fd, buf, n);
	default:
		if (out)
			return sendfile(fd, lane->memfd, &off, n);
		r = splice(fd, NULL, lane->pipe[1], NULL, n, 0);
		if (r > 0 && read(lane->pipe[0], buf, (size_t)r) != r)
			return -1;
		return r;
	}
}

/* Move exactly n bytes the given way. */
static void xfer(int fd, char *buf, size_t n, int out, enum xfer_way way,
		 const struct lane *lane)
{
	while (n > 0) {
		ssize_t r = xfer_once(fd, buf, n, out, way, lane);

		if (r <= 0)
			die(out ? "send" : "recv");
		buf += r;
		n -= (size_t)r;
	}
	atomic_fetch_add(&ops, 1);
}

static void lane_open(struct lane *lane, const char *buf, size_t n)
{
	lane->memfd = memfd_create("sock_hammer", 0);
	if (lane->memfd < 0 || write(lane->memfd, buf, n) != (ssize_t)n)
		die("memfd");
	if (pipe(lane->pipe))
		die("pipe");
}

static void *hammer(void *arg)
{
	struct worker *w = arg;
	struct linger rst = { .l_onoff = 1, .l_linger = 0 };
	char buf[64] = "hammer";
	struct lane lane;
	int one = 1;

	lane_open(&lane, buf, sizeof(buf));

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
			enum xfer_way way = (enum xfer_way)(i % WAY_COUNT);

			xfer(c, buf, sizeof(buf), 1, way, &lane);
			xfer(s, buf, sizeof(buf), 0, way, &lane);
			xfer(s, buf, sizeof(buf), 1, way, &lane);
			xfer(c, buf, sizeof(buf), 0, way, &lane);
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
