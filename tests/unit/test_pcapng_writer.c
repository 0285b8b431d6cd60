// SPDX-License-Identifier: MIT
/*
 * The pcapng writer behind the pipeline (what `-w` runs): chunks in, a
 * pcapng file out, read back block by block.  Sequence numbers follow the
 * streams' offsets (a cut call leaves a hole of exactly its missing bytes),
 * ACKs acknowledge what the other direction sent, a chunk too large for one
 * segment is split, untrusted chunks are left out and counted, the two
 * traced ends of one connection share initial sequence numbers and a reuse
 * of the address pair does not, and a write that fails part way leaves a
 * file of whole blocks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

#include "cli/pipeline.h"
#include "out/tcpip.h"

#define MAX_PKT 64

struct pkt {
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t sport, dport;
	uint32_t epb_flags;
	int64_t ts;
	uint32_t len;
	uint8_t payload[70000];
	char comment[600];
};

struct cap {
	int fd;
	struct tt_wbuf w;
	struct tt_pipeline p;
	struct pkt *pk; /* parsed */
	unsigned n;
};

static void cap_open(struct cap *c)
{
	struct tt_pipeline_opts o = {.no_out = true};
	struct tt_error err;

	memset(c, 0, sizeof(*c));
	c->fd = memfd_create("pcapng", 0);
	assert_true(c->fd >= 0);
	assert_int_equal(tt_wbuf_init(&c->w, c->fd, 1 << 20), 0);
	o.pcapng = &c->w;
	assert_int_equal(tt_pipeline_init(&c->p, &o, NULL, &err), 0);
	c->pk = calloc(MAX_PKT, sizeof(*c->pk));
	assert_non_null(c->pk);
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint32_t be32(const uint8_t *p)
{
	return ntohl(rd32(p));
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* One EPB's packet and options into k. */
static void parse_epb(const uint8_t *b, uint32_t blen, struct pkt *k)
{
	uint32_t cap = rd32(b + 20), off, ihl;
	const uint8_t *ip = b + 28, *tcp;

	assert_int_equal(rd32(b + 24), cap);
	k->ts = (int64_t)((uint64_t)rd32(b + 12) << 32 | rd32(b + 16));
	ihl = (ip[0] >> 4) == 4 ? 20 : 40;
	tcp = ip + ihl;
	k->sport = be16(tcp);
	k->dport = be16(tcp + 2);
	k->seq = be32(tcp + 4);
	k->ack = be32(tcp + 8);
	k->flags = tcp[13];
	k->len = cap - ihl - (uint32_t)(tcp[12] >> 4) * 4;
	memcpy(k->payload, tcp + (tcp[12] >> 4) * 4, k->len);
	for (off = 28 + ((cap + 3) & ~3u); off + 4 <= blen - 4;) {
		uint16_t code, len;

		memcpy(&code, b + off, 2);
		memcpy(&len, b + off + 2, 2);
		if (!code)
			break;
		if (code == 2)
			k->epb_flags = rd32(b + off + 4);
		if (code == 1) {
			assert_true(len < sizeof(k->comment));
			memcpy(k->comment, b + off + 4, len);
			k->comment[len] = '\0';
		}
		off += 4 + ((len + 3u) & ~3u);
	}
}

/* Every block whole: an SHB, an IDB, then EPBs. */
static unsigned parse(const uint8_t *b, size_t n, struct pkt *pk)
{
	size_t off = 0;
	unsigned blocks = 0, np = 0;

	while (off < n) {
		uint32_t type = rd32(b + off), len = rd32(b + off + 4);

		assert_true(len >= 12 && len % 4 == 0 && off + len <= n);
		assert_int_equal(rd32(b + off + len - 4), len);
		if (blocks == 0)
			assert_int_equal(type, 0x0A0D0D0A);
		else if (blocks == 1)
			assert_int_equal(type, 1);
		else {
			assert_int_equal(type, 6);
			assert_true(np < MAX_PKT);
			memset(&pk[np], 0, sizeof(pk[np]));
			parse_epb(b + off, len, &pk[np++]);
		}
		blocks++;
		off += len;
	}
	assert_true(blocks >= 2);
	return np;
}

static void cap_read(struct cap *c)
{
	off_t n;
	uint8_t *b;

	tt_pipeline_finish(&c->p, c->p.now_ns);
	assert_int_equal(tt_pcapng_flush(&c->p.pcapng), 0);
	n = lseek(c->fd, 0, SEEK_END);
	b = malloc((size_t)n);
	assert_int_equal(pread(c->fd, b, (size_t)n, 0), n);
	c->n = parse(b, (size_t)n, c->pk);
	free(b);
}

static void cap_close(struct cap *c)
{
	tt_pipeline_free(&c->p);
	tt_wbuf_free(&c->w);
	close(c->fd);
	free(c->pk);
}

static struct tt_tuple tuple(const char *l, uint16_t lp, const char *r, uint16_t rp)
{
	struct tt_tuple t = {.family = AF_INET, .lport = lp, .rport = rp};

	inet_pton(AF_INET, l, t.laddr);
	inet_pton(AF_INET, r, t.raddr);
	return t;
}

static struct tt_chunk chunk(uint32_t pid, const char *l, uint16_t lp, const char *r, uint16_t rp,
			     unsigned dir, uint64_t off, const void *data, uint32_t n)
{
	static int64_t t = 1700000000000000000LL;
	struct tt_chunk c = {
	    .time_ns = (t += 1000),
	    .pid = pid,
	    .tid = pid + 1,
	    .comm = "cli ent",
	    .lib = TT_LIB_OPENSSL,
	    .dir = (uint8_t)dir,
	    .attribution = TT_ATTR_SYSCALL_FD,
	    .fd = 5,
	    .conn = 0x1000 + pid,
	    .call_len = n,
	    .stream_off = off,
	    .data = data,
	    .data_len = n,
	    .tuple = tuple(l, lp, r, rp),
	};

	return c;
}

static const char req[] = "GET /x HTTP/1.1\r\nHost: a\r\n\r\n";
static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n";

/* A client's request, a response cut at 100 of 600 bytes, the rest after
 * the hole: handshake, sequence numbers, ACKs, the note on the gap. */
static void test_sequence_and_gap(void **state)
{
	static uint8_t body[600];
	struct cap c;
	struct tt_chunk ch;
	uint32_t isn_c, isn_s;

	(void)state;
	memcpy(body, resp, sizeof(resp) - 1);
	cap_open(&c);
	ch = chunk(10, "10.0.0.1", 40000, "10.0.0.2", 8443, TT_DIR_WRITE, 0, req, sizeof(req) - 1);
	tt_pipeline_chunk(&c.p, &ch);
	ch = chunk(10, "10.0.0.1", 40000, "10.0.0.2", 8443, TT_DIR_READ, 0, body, 100);
	ch.call_len = 600;
	ch.flags = TT_EV_TRUNCATED;
	tt_pipeline_chunk(&c.p, &ch);
	ch = chunk(10, "10.0.0.1", 40000, "10.0.0.2", 8443, TT_DIR_READ, 600, "tail", 4);
	tt_pipeline_chunk(&c.p, &ch);
	cap_read(&c);

	/* The request made the role client: SYN, SYN-ACK, ACK, three data
	 * segments (no FIN: the capture just ended). */
	assert_int_equal(c.n, 6);
	assert_int_equal(c.pk[0].flags, TT_TCP_SYN);
	assert_int_equal(c.pk[0].sport, 40000);
	assert_int_equal(c.pk[0].epb_flags, TT_PCAPNG_OUTBOUND);
	assert_non_null(strstr(c.pk[0].comment, "synthetic SYN"));
	assert_int_equal(c.pk[1].flags, TT_TCP_SYN | TT_TCP_ACK);
	assert_int_equal(c.pk[1].sport, 8443);
	assert_int_equal(c.pk[1].epb_flags, TT_PCAPNG_INBOUND);
	isn_c = c.pk[0].seq;
	isn_s = c.pk[1].seq;
	assert_int_equal(c.pk[1].ack, isn_c + 1);
	assert_int_equal(c.pk[2].flags, TT_TCP_ACK);
	assert_int_equal(c.pk[2].ack, isn_s + 1);

	/* The request: first byte at ISN + 1, nothing received yet. */
	assert_int_equal(c.pk[3].seq, isn_c + 1);
	assert_int_equal(c.pk[3].ack, isn_s + 1);
	assert_int_equal(c.pk[3].len, sizeof(req) - 1);
	assert_memory_equal(c.pk[3].payload, req, sizeof(req) - 1);
	assert_int_equal(c.pk[3].flags, TT_TCP_ACK | TT_TCP_PSH);
	assert_string_equal(c.pk[3].comment, "pid=10 tid=11 comm=cli\\x20ent lib=openssl "
					     "dir=write attribution=syscall-fd");
	/* The cut response: its 100 bytes, acknowledging the request. */
	assert_int_equal(c.pk[4].seq, isn_s + 1);
	assert_int_equal(c.pk[4].ack, isn_c + 1 + sizeof(req) - 1);
	assert_int_equal(c.pk[4].len, 100);
	assert_int_equal(c.pk[4].epb_flags, TT_PCAPNG_INBOUND);
	assert_non_null(strstr(c.pk[4].comment, " truncated"));
	/* After the 500 bytes never captured: sequence number + 600. */
	assert_int_equal(c.pk[5].seq, isn_s + 1 + 600);
	assert_int_equal(c.pk[5].len, 4);
	assert_memory_equal(c.pk[5].payload, "tail", 4);
	assert_non_null(
	    strstr(c.pk[5].comment, "after 500 bytes not captured (truncated at --max-bytes)"));
	assert_int_equal(c.p.pcapng.counters[TT_PC_SYNTHETIC], 3);
	assert_int_equal(c.p.pcapng.counters[TT_PC_PACKETS], 6);
	cap_close(&c);
}

/* No tuple, an ambiguous one, a port 0: left out, counted; the bytes an
 * ambiguous chunk held are a hole in its connection, explained. */
static void test_untrusted(void **state)
{
	struct cap c;
	struct tt_chunk ch;

	(void)state;
	cap_open(&c);
	ch = chunk(20, "10.0.0.1", 40001, "10.0.0.2", 9000, TT_DIR_WRITE, 0, "aaaa", 4);
	tt_pipeline_chunk(&c.p, &ch);
	ch = chunk(20, "10.0.0.1", 40001, "10.0.0.2", 9000, TT_DIR_WRITE, 4, "bbbbbb", 6);
	ch.attribution = TT_ATTR_AMBIGUOUS;
	ch.flags = TT_EV_TUPLE_MISMATCH;
	tt_pipeline_chunk(&c.p, &ch);
	ch = chunk(20, "10.0.0.1", 40001, "10.0.0.2", 9000, TT_DIR_WRITE, 10, "cc", 2);
	tt_pipeline_chunk(&c.p, &ch);
	ch = chunk(21, "10.0.0.1", 40002, "10.0.0.2", 9000, TT_DIR_WRITE, 0, "none", 4);
	ch.attribution = TT_ATTR_NONE;
	memset(&ch.tuple, 0, sizeof(ch.tuple));
	tt_pipeline_chunk(&c.p, &ch);
	ch = chunk(22, "10.0.0.1", 0, "10.0.0.2", 9000, TT_DIR_READ, 0, "port0", 5);
	tt_pipeline_chunk(&c.p, &ch);
	cap_read(&c);

	/* Not HTTP: the role stays unknown, no handshake. */
	assert_int_equal(c.n, 2);
	assert_memory_equal(c.pk[0].payload, "aaaa", 4);
	assert_memory_equal(c.pk[1].payload, "cc", 2);
	assert_int_equal(c.pk[1].seq, c.pk[0].seq + 10);
	assert_non_null(strstr(c.pk[1].comment, "after 6 bytes left out (no trusted tuple)"));
	assert_int_equal(c.p.pcapng.counters[TT_PC_UNTRUSTED], 3);
	assert_int_equal(c.p.pcapng.counters[TT_PC_UNTRUSTED_BYTES], 6 + 4 + 5);
	assert_int_equal(c.p.pcapng.counters[TT_PC_SYNTHETIC], 0);
	cap_close(&c);
}

/* 70000 bytes in one chunk: a segment of 65495, then the rest, PSH last. */
static void test_split(void **state)
{
	static uint8_t big[70000];
	struct cap c;
	struct tt_chunk ch;

	(void)state;
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13);
	cap_open(&c);
	ch = chunk(30, "10.0.0.1", 40003, "10.0.0.2", 9001, TT_DIR_READ, 0, big, sizeof(big));
	tt_pipeline_chunk(&c.p, &ch);
	cap_read(&c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.pk[0].len, 65495);
	assert_int_equal(c.pk[0].flags, TT_TCP_ACK);
	assert_int_equal(c.pk[1].len, sizeof(big) - 65495);
	assert_int_equal(c.pk[1].flags, TT_TCP_ACK | TT_TCP_PSH);
	assert_int_equal(c.pk[1].seq, c.pk[0].seq + 65495);
	assert_memory_equal(c.pk[0].payload, big, 65495);
	assert_memory_equal(c.pk[1].payload, big + 65495, sizeof(big) - 65495);
	cap_close(&c);
}

/* The client (pid 40) and the server (pid 41) of one connection: the same
 * byte has the same sequence number in both views.  Once both closed, the
 * pair used again gets other initial sequence numbers. */
static void test_two_ends_and_reuse(void **state)
{
	struct tt_conn_end e = {.time_ns = 1};
	struct cap c;
	struct tt_chunk ch;
	uint32_t first;

	(void)state;
	cap_open(&c);
	ch = chunk(40, "10.0.0.1", 40004, "10.0.0.2", 9002, TT_DIR_WRITE, 0, "ping", 4);
	tt_pipeline_chunk(&c.p, &ch);
	ch = chunk(41, "10.0.0.2", 9002, "10.0.0.1", 40004, TT_DIR_READ, 0, "ping", 4);
	tt_pipeline_chunk(&c.p, &ch);
	ch = chunk(41, "10.0.0.2", 9002, "10.0.0.1", 40004, TT_DIR_WRITE, 0, "pong", 4);
	tt_pipeline_chunk(&c.p, &ch);
	ch = chunk(40, "10.0.0.1", 40004, "10.0.0.2", 9002, TT_DIR_READ, 0, "pong", 4);
	tt_pipeline_chunk(&c.p, &ch);
	e.pid = 40;
	e.tuple = tuple("10.0.0.1", 40004, "10.0.0.2", 9002);
	tt_pipeline_conn_end(&c.p, &e);
	e.pid = 41;
	e.tuple = tuple("10.0.0.2", 9002, "10.0.0.1", 40004);
	tt_pipeline_conn_end(&c.p, &e);
	ch = chunk(40, "10.0.0.1", 40004, "10.0.0.2", 9002, TT_DIR_WRITE, 0, "ping", 4);
	ch.conn = 0x9999; /* a new TLS session */
	tt_pipeline_chunk(&c.p, &ch);
	cap_read(&c);

	/* ping twice, pong twice (each view), 2 x 2 FINs, ping again. */
	assert_int_equal(c.n, 9);
	first = c.pk[0].seq;
	assert_int_equal(c.pk[0].sport, 40004);
	assert_int_equal(c.pk[1].sport, 40004);
	assert_int_equal(c.pk[1].seq, first);
	assert_int_equal(c.pk[0].epb_flags, TT_PCAPNG_OUTBOUND); /* the client wrote it */
	assert_int_equal(c.pk[1].epb_flags, TT_PCAPNG_INBOUND);	 /* the server read it */
	assert_int_equal(c.pk[2].seq, c.pk[3].seq);		 /* pong */
	assert_int_equal(c.pk[2].ack, first + 4);
	assert_int_equal(c.pk[3].ack, first + 4);
	assert_true(c.pk[4].flags & TT_TCP_FIN);
	assert_int_equal(c.pk[8].sport, 40004);
	assert_int_equal(c.pk[8].len, 4);
	assert_true(c.pk[8].seq != first);
	cap_close(&c);
}

/* A write that fails part way (the file size limit, like a full disk):
 * the file is cut back to its last whole block. */
static void test_failed_write_whole_blocks(void **state)
{
	static uint8_t data[3000];
	struct tt_pipeline_opts o = {.no_out = true};
	char path[] = "/tmp/tlstap-pcapng-XXXXXX";
	struct rlimit old, lim;
	struct tt_pipeline p;
	struct tt_error err;
	struct tt_wbuf w;
	struct pkt *pk = calloc(MAX_PKT, sizeof(*pk));
	uint8_t *b;
	off_t n;
	int fd;

	(void)state;
	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	assert_int_equal(tt_wbuf_init(&w, fd, 1 << 20), 0);
	o.pcapng = &w;
	assert_int_equal(tt_pipeline_init(&p, &o, NULL, &err), 0);
	for (int i = 0; i < 10; i++) {
		struct tt_chunk ch = chunk(50, "10.0.0.1", 40005, "10.0.0.2", 9003, TT_DIR_READ,
					   (uint64_t)i * sizeof(data), data, sizeof(data));

		tt_pipeline_chunk(&p, &ch);
	}
	signal(SIGXFSZ, SIG_IGN);
	getrlimit(RLIMIT_FSIZE, &old);
	lim = old;
	lim.rlim_cur = 10000; /* the header and 3 of 10 blocks, a fourth cut */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	assert_int_equal(tt_pcapng_flush(&p.pcapng), -EFBIG);
	setrlimit(RLIMIT_FSIZE, &old);
	n = lseek(fd, 0, SEEK_END);
	assert_true(n > 0 && n < 10000);
	b = malloc((size_t)n);
	assert_int_equal(pread(fd, b, (size_t)n, 0), n);
	assert_int_equal(parse(b, (size_t)n, pk), 3);
	assert_memory_equal(pk[2].payload, data, sizeof(data));
	free(b);
	free(pk);
	tt_pipeline_free(&p);
	tt_wbuf_free(&w);
	close(fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sequence_and_gap),
	    cmocka_unit_test(test_untrusted),
	    cmocka_unit_test(test_split),
	    cmocka_unit_test(test_two_ends_and_reuse),
	    cmocka_unit_test(test_failed_write_whole_blocks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
