// SPDX-License-Identifier: MIT
/*
 * Per-call cost of OpenSSL SSL_write/SSL_read over a loopback TCP connection
 * inside one process (a server thread echoes), so a benchmark can run it
 * untraced, with empty probes and traced, side by side.  Prints one line:
 *   write_ns=N pingpong_ns=N
 * Usage: ssl_bench CERT KEY [CALLS] [SIZE] [wait]
 * "wait": once connected, print "ready" and wait for a line on stdin before
 * measuring (time to attach a tracer to the running process).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

struct server {
	SSL_CTX *ctx;
	int lfd;
	long calls;
	int size;
};

static void die(const char *what)
{
	fprintf(stderr, "ssl_bench: %s\n", what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

/* Read exactly n bytes. */
static void read_full(SSL *ssl, char *buf, int n)
{
	while (n > 0) {
		int r = SSL_read(ssl, buf, n);

		if (r <= 0)
			die("SSL_read");
		buf += r;
		n -= r;
	}
}

/* Drain calls*size bytes, then echo calls messages of size bytes. */
static void *serve(void *arg)
{
	struct server *s = arg;
	char *buf = malloc(s->size);
	int fd = accept(s->lfd, NULL, NULL);
	SSL *ssl = SSL_new(s->ctx);

	if (fd < 0 || !ssl || !buf)
		die("accept");
	SSL_set_fd(ssl, fd);
	if (SSL_accept(ssl) != 1)
		die("SSL_accept");
	for (long i = 0; i < s->calls; i++)
		read_full(ssl, buf, s->size);
	for (long i = 0; i < s->calls; i++) {
		read_full(ssl, buf, s->size);
		if (SSL_write(ssl, buf, s->size) != s->size)
			die("SSL_write (server)");
	}
	SSL_free(ssl);
	close(fd);
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	struct server s = { .calls = 20000, .size = 100 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof(a);
	SSL_CTX *cctx;
	pthread_t th;
	double t0, t1, t2;
	char *buf;
	SSL *ssl;
	int fd;

	if (argc < 3)
		die("usage: ssl_bench CERT KEY [CALLS] [SIZE] [wait]");
	if (argc > 3)
		s.calls = atol(argv[3]);
	if (argc > 4)
		s.size = atoi(argv[4]);
	s.ctx = SSL_CTX_new(TLS_server_method());
	if (!s.ctx || SSL_CTX_use_certificate_file(s.ctx, argv[1], SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_use_PrivateKey_file(s.ctx, argv[2], SSL_FILETYPE_PEM) != 1)
		die("server context");
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s.lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (s.lfd < 0 || bind(s.lfd, (struct sockaddr *)&a, sizeof(a)) ||
	    listen(s.lfd, 1) || getsockname(s.lfd, (struct sockaddr *)&a, &alen))
		die("listen");
	pthread_create(&th, NULL, serve, &s);

	cctx = SSL_CTX_new(TLS_client_method());
	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (!cctx || fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		die("connect");
	ssl = SSL_new(cctx);
	SSL_set_fd(ssl, fd);
	if (SSL_connect(ssl) != 1)
		die("SSL_connect");
	buf = calloc(1, s.size);
	if (argc > 5 && !strcmp(argv[5], "wait")) {
		int c;

		printf("ready\n");
		fflush(stdout);
		while ((c = getchar()) != EOF && c != '\n')
			;
	}
	t0 = now_ns();
	for (long i = 0; i < s.calls; i++)
		if (SSL_write(ssl, buf, s.size) != s.size)
			die("SSL_write");
	t1 = now_ns();
	for (long i = 0; i < s.calls; i++) {
		if (SSL_write(ssl, buf, s.size) != s.size)
			die("SSL_write");
		read_full(ssl, buf, s.size);
	}
	t2 = now_ns();
	pthread_join(th, NULL);
	printf("write_ns=%.0f pingpong_ns=%.0f\n", (t1 - t0) / s.calls, (t2 - t1) / s.calls);
	SSL_free(ssl);
	SSL_CTX_free(cctx);
	SSL_CTX_free(s.ctx);
	close(fd);
	free(buf);
	return 0;
}
