// SPDX-License-Identifier: MIT
/*
 * Plaintext TCP ping-pong over loopback between two processes (a forked echo
 * server and this client), for the host tax of tracing (bench/tax.sh): every
 * round trip is two sends and two receives, each of which fires the socket
 * tracepoints tlstap hooks for the whole host.  No TLS: the process is never
 * traced, it only shares the host with a tracer.  Prints one line:
 *
 *   rtt_ns=N       wall time of one round trip (send SIZE, receive SIZE back)
 *
 * Usage: pingpong [ROUNDS] [SIZE]   (default 200000 rounds of 64 bytes)
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Move exactly n bytes (loopback may split a message in two). */
static void recv_full(int fd, char *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = recv(fd, buf, n, 0);

		if (r <= 0)
			die("recv");
		buf += r;
		n -= (size_t)r;
	}
}

static void send_full(int fd, const char *buf, size_t n)
{
	while (n > 0) {
		ssize_t r = send(fd, buf, n, 0);

		if (r <= 0)
			die("send");
		buf += r;
		n -= (size_t)r;
	}
}

static void nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("TCP_NODELAY");
}

/* The echo server: one connection, ROUNDS messages back. */
static void serve(int lfd, long rounds, size_t size)
{
	char *buf = malloc(size);
	int fd = accept(lfd, NULL, NULL);

	if (fd < 0 || !buf)
		die("accept");
	nodelay(fd);
	for (long i = 0; i < rounds; i++) {
		recv_full(fd, buf, size);
		send_full(fd, buf, size);
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	long rounds = argc > 1 ? atol(argv[1]) : 200000;
	size_t size = argc > 2 ? (size_t)atol(argv[2]) : 64;
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	char *buf = calloc(1, size);
	double t0, t1;
	int lfd, fd, status;
	pid_t child;

	if (rounds <= 0 || size == 0 || !buf) {
		fprintf(stderr, "usage: pingpong [ROUNDS] [SIZE]\n");
		return 2;
	}
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, sizeof(a)) || listen(lfd, 1) ||
	    getsockname(lfd, (struct sockaddr *)&a, &alen))
		die("listen");
	child = fork();
	if (child < 0)
		die("fork");
	if (child == 0)
		serve(lfd, rounds, size);
	close(lfd);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	nodelay(fd);
	t0 = now_ns();
	for (long i = 0; i < rounds; i++) {
		send_full(fd, buf, size);
		recv_full(fd, buf, size);
	}
	t1 = now_ns();
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "pingpong: the echo server failed\n");
		return 1;
	}
	printf("rtt_ns=%.0f\n", (t1 - t0) / rounds);
	close(fd);
	free(buf);
	return 0;
}
