// SPDX-License-Identifier: MIT
/*
 * An OpenSSL client that opens N TLS connections one after the other to an
 * HTTPS/1.1 server, makes one request on each ("GET /conns/I"), reads the
 * whole response (Content-Length), and ends each connection in one of the
 * ways applications do, in turn:
 *   0  SSL_shutdown, SSL_free, close
 *   1  close, then SSL_free (no close_notify)
 *   2  close, the SSL object never freed (an application that leaks it)
 *   3  "Connection: close": the server closes first; SSL_free, close
 * so that a tracer's state for this process can only end through the
 * library's calls or the socket's close.  Prints "done N" when done; with
 * --hold it then prints "holding" and stays alive until a signal ends it
 * (tlstap doctor looks at what a tracer kept, before the exit sweeps it).
 * --wait-stdin: wait for a line on stdin first (time to attach a tracer).
 * --cancel-reader: before holding, a thread makes one more request and then
 * waits in SSL_read for more; it is cancelled there (it exits inside the
 * call, which never returns) and its connection is closed.
 *
 * Usage: ssl_conns PORT N [--wait-stdin] [--cancel-reader] [--hold]
 *        (server 127.0.0.1:PORT)
 */
#define _GNU_SOURCE /* strcasestr */
#include <arpa/inet.h>
#include <stdbool.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <pthread.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

static void die(const char *what, long i)
{
	fprintf(stderr, "ssl_conns: connection %ld: %s\n", i, what);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static int dial(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)))
		return -1;
	/* The request follows the handshake's last flight at once: Nagle would
	 * hold it for the peer's delayed ACK (40 ms a connection). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/* Read the response: headers, then Content-Length bytes.  0 on success. */
static int read_response(SSL *ssl)
{
	char buf[4096];
	size_t have = 0;
	long want = -1;
	char *end;

	for (;;) {
		int n = SSL_read(ssl, buf + have, sizeof(buf) - 1 - have);

		if (n <= 0)
			return -1;
		have += n;
		buf[have] = 0;
		end = strstr(buf, "\r\n\r\n");
		if (end && want < 0) {
			char *cl = strcasestr(buf, "content-length:");

			if (!cl || cl > end)
				return -1;
			want = (end + 4 - buf) + atol(cl + 15);
		}
		if (want >= 0 && (long)have >= want)
			return 0;
		if (have == sizeof(buf) - 1)
			return -1;
	}
}

/* How connection i ends (the header comment). */
static void finish(SSL *ssl, int fd, long i)
{
	char c;

	switch (i % 4) {
	case 0:
		SSL_shutdown(ssl);
		SSL_free(ssl);
		close(fd);
		break;
	case 1:
		close(fd);
		SSL_free(ssl);
		break;
	case 2:
		close(fd); /* ssl leaks, on purpose */
		break;
	case 3:
		if (SSL_read(ssl, &c, 1) > 0) /* the server's close */
			die("data after the response", i);
		SSL_free(ssl);
		close(fd);
		break;
	}
}

/* Connection i: connected, its request sent (asking the server to close
 * after it with close_after) and its response read. */
static SSL *request(SSL_CTX *ctx, int port, long i, bool close_after, int *fdp)
{
	int fd = dial(port), len, one = 1;
	char req[256];
	SSL *ssl;

	if (fd < 0)
		die("connect", i);
	ssl = SSL_new(ctx);
	if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_connect(ssl) != 1)
		die("SSL_connect", i);
	len = snprintf(req, sizeof(req), "GET /conns/%ld HTTP/1.1\r\nHost: 127.0.0.1\r\n%s\r\n",
		       i, close_after ? "Connection: close\r\n" : "");
	if (SSL_write(ssl, req, len) != len)
		die("SSL_write", i);
	/* A server without TCP_NODELAY (python's) holds the response until its
	 * session tickets are acknowledged: acknowledge them at once rather
	 * than after the delayed-ACK timer (40 ms). */
	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
	if (read_response(ssl))
		die("bad response", i);
	*fdp = fd;
	return ssl;
}

struct reader {
	SSL_CTX *ctx;
	int port;
	long i;
	int fd;
	pthread_mutex_t lock;
	pthread_cond_t ready;
	bool waiting;
};

/* The cancelled reader: a keep-alive connection's next SSL_read, which
 * waits for a request the client never sends. */
static void *reader_main(void *arg)
{
	struct reader *r = arg;
	SSL *ssl = request(r->ctx, r->port, r->i, false, &r->fd);
	char c;

	pthread_mutex_lock(&r->lock);
	r->waiting = true;
	pthread_cond_signal(&r->ready);
	pthread_mutex_unlock(&r->lock);
	SSL_read(ssl, &c, 1);
	die("SSL_read returned", r->i);
	return NULL;
}

static void cancel_reader(SSL_CTX *ctx, int port, long i)
{
	struct reader r = {.ctx = ctx, .port = port, .i = i, .fd = -1,
			   .lock = PTHREAD_MUTEX_INITIALIZER, .ready = PTHREAD_COND_INITIALIZER};
	pthread_t t;

	if (pthread_create(&t, NULL, reader_main, &r))
		die("pthread_create", i);
	pthread_mutex_lock(&r.lock);
	while (!r.waiting)
		pthread_cond_wait(&r.ready, &r.lock);
	pthread_mutex_unlock(&r.lock);
	usleep(200 * 1000); /* into SSL_read and blocked in read() */
	if (pthread_cancel(t) || pthread_join(t, NULL))
		die("pthread_cancel", i);
	close(r.fd); /* the SSL object leaks with the thread */
	printf("cancelled a reader\n");
}

int main(int argc, char **argv)
{
	bool hold = false, wait_stdin = false, cancel = false;
	char req[256];
	SSL_CTX *ctx;
	long n;
	int port;

	if (argc < 3)
		die("usage: ssl_conns PORT N [--wait-stdin] [--cancel-reader] [--hold]", -1);
	port = atoi(argv[1]);
	n = atol(argv[2]);
	for (int a = 3; a < argc; a++) {
		if (!strcmp(argv[a], "--hold"))
			hold = true;
		else if (!strcmp(argv[a], "--wait-stdin"))
			wait_stdin = true;
		else if (!strcmp(argv[a], "--cancel-reader"))
			cancel = true;
		else
			die("unknown option", -1);
	}
	if (wait_stdin && !fgets(req, sizeof(req), stdin))
		die("no line on stdin", -1);
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		die("SSL_CTX_new", -1);
	for (long i = 0; i < n; i++) {
		int fd;
		SSL *ssl = request(ctx, port, i, i % 4 == 3, &fd);

		finish(ssl, fd, i);
	}
	printf("done %ld\n", n);
	if (cancel)
		cancel_reader(ctx, port, n);
	if (hold) {
		printf("holding\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	SSL_CTX_free(ctx);
	return 0;
}
