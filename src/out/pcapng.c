// SPDX-License-Identifier: MIT
/* The pcapng writer: streams of plaintext as TCP segments in pcapng blocks. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out/pcapng.h"
#include "out/tcpip.h"
#include "trace/names.h"

#ifndef TLSTAP_VERSION
#define TLSTAP_VERSION "unknown"
#endif

/* Block types and option codes (the pcapng specification). */
#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du
#define OPT_ENDOFOPT 0
#define OPT_COMMENT 1
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define EPB_FLAGS 2

#define SNAPLEN 65535u
#define TSRESOL_NS 9 /* 10^-9 s */
#define EPB_FIXED 28 /* type, length, interface, time high/low, two lengths */

/* Window advertised: 65535 scaled by 2^WSCALE when the handshake said so. */
#define WINDOW 65535
#define WSCALE 14

static const char userappl[] = "tlstap " TLSTAP_VERSION;
static const char if_name[] = "tlstap";
static const char if_desc[] = "TLS plaintext from uprobes, on each connection's real "
			      "addresses and ports (segments made by tlstap)";

#define TT_PCAPNG_NAME(e, n) [TT_PC_##e] = n,
static const char *const counter_names[TT_PC_COUNT] = {TT_PCAPNG_COUNTERS(TT_PCAPNG_NAME)};
#undef TT_PCAPNG_NAME

const char *tt_pcapng_counter_name(enum tt_pcapng_counter c)
{
	return (unsigned)c < TT_PC_COUNT ? counter_names[c] : "?";
}

/* --- blocks ------------------------------------------------------------------ */

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static uint8_t *put32(uint8_t *d, uint32_t v)
{
	memcpy(d, &v, 4);
	return d + 4;
}

static uint8_t *put16(uint8_t *d, uint16_t v)
{
	memcpy(d, &v, 2);
	return d + 2;
}

/* Bytes of an option of n value bytes (code, length, padded value). */
static size_t opt_len(size_t n)
{
	return 4 + pad4(n);
}

static uint8_t *put_opt(uint8_t *d, uint16_t code, const void *v, size_t n)
{
	size_t padded = pad4(n);

	d = put16(d, code);
	d = put16(d, (uint16_t)n);
	if (n)
		memcpy(d, v, n);
	memset(d + n, 0, padded - n); /* padding octets are zero */
	return d + padded;
}

static size_t shb_len(void)
{
	return 24 + opt_len(sizeof(userappl) - 1) + 4 + 4;
}

static size_t idb_len(void)
{
	return 16 + opt_len(sizeof(if_name) - 1) + opt_len(sizeof(if_desc) - 1) + opt_len(1) + 4 +
	       4;
}

size_t tt_pcapng_header_len(void)
{
	return shb_len() + idb_len();
}

static uint8_t *encode_shb(uint8_t *d)
{
	uint32_t len = (uint32_t)shb_len();
	uint64_t section_len = UINT64_MAX; /* -1: not given */

	d = put32(d, BT_SHB);
	d = put32(d, len);
	d = put32(d, BYTE_ORDER_MAGIC);
	d = put16(d, 1); /* version 1.0 */
	d = put16(d, 0);
	memcpy(d, &section_len, 8);
	d += 8;
	d = put_opt(d, SHB_USERAPPL, userappl, sizeof(userappl) - 1);
	d = put_opt(d, OPT_ENDOFOPT, NULL, 0);
	return put32(d, len);
}

static uint8_t *encode_idb(uint8_t *d)
{
	uint32_t len = (uint32_t)idb_len();
	uint8_t tsresol = TSRESOL_NS;

	d = put32(d, BT_IDB);
	d = put32(d, len);
	d = put16(d, TT_PCAPNG_LINKTYPE_RAW);
	d = put16(d, 0); /* reserved */
	d = put32(d, SNAPLEN);
	d = put_opt(d, IF_NAME, if_name, sizeof(if_name) - 1);
	d = put_opt(d, IF_DESCRIPTION, if_desc, sizeof(if_desc) - 1);
	d = put_opt(d, IF_TSRESOL, &tsresol, 1);
	d = put_opt(d, OPT_ENDOFOPT, NULL, 0);
	return put32(d, len);
}

void tt_pcapng_header_encode(uint8_t *dst)
{
	encode_idb(encode_shb(dst));
}

size_t tt_pcapng_epb_len(const struct tt_pcapng_pkt *p)
{
	size_t n = EPB_FIXED + pad4((size_t)p->hdr_len + p->payload_len);

	n += opt_len(4); /* epb_flags */
	if (p->comment_len)
		n += opt_len(p->comment_len);
	return n + 4 + 4; /* opt_endofopt, trailing length */
}

void tt_pcapng_epb_encode(uint8_t *d, const struct tt_pcapng_pkt *p)
{
	uint32_t len = (uint32_t)tt_pcapng_epb_len(p);
	uint32_t cap = p->hdr_len + p->payload_len;
	uint64_t ts = (uint64_t)p->time_ns;

	d = put32(d, BT_EPB);
	d = put32(d, len);
	d = put32(d, 0); /* the one interface */
	d = put32(d, (uint32_t)(ts >> 32));
	d = put32(d, (uint32_t)ts);
	d = put32(d, cap);
	d = put32(d, cap);
	memcpy(d, p->hdr, p->hdr_len);
	if (p->payload_len) /* synthetic packets have none */
		memcpy(d + p->hdr_len, p->payload, p->payload_len);
	memset(d + cap, 0, pad4(cap) - cap);
	d += pad4(cap);
	d = put_opt(d, EPB_FLAGS, &p->epb_flags, 4);
	if (p->comment_len)
		d = put_opt(d, OPT_COMMENT, p->comment, p->comment_len);
	d = put_opt(d, OPT_ENDOFOPT, NULL, 0);
	put32(d, len);
}

/* --- writing whole blocks ------------------------------------------------------ */

/* Bytes of buf[0..n) that are whole blocks (the buffer holds only whole
 * blocks, each starting with its type and total length). */
static size_t whole_blocks(const uint8_t *buf, size_t n)
{
	size_t off = 0;
	uint32_t len;

	while (n - off >= 8) {
		memcpy(&len, buf + off + 4, 4);
		if (len < 12 || len % 4 || len > n - off)
			break;
		off += len;
	}
	return off;
}

/*
 * Every write of the buffer goes through here, between whole blocks: a
 * write that failed part way (a full disk took half of a block) is cut
 * back to the end of its last whole block, in a regular file.
 */
int tt_pcapng_flush(struct tt_pcapng *w)
{
	struct tt_wbuf *o = w->out;
	uint64_t before = o->bytes, keep;
	struct stat st;
	int ret;

	if (o->err)
		return -o->err;
	ret = tt_wbuf_flush(o);
	if (!ret || o->bytes == before)
		return ret;
	/* The buffer still holds what was being written. */
	keep = before + whole_blocks(o->buf, (size_t)(o->bytes - before));
	if (keep != o->bytes && !fstat(o->fd, &st) && S_ISREG(st.st_mode) &&
	    !ftruncate(o->fd, (off_t)keep))
		o->bytes = keep;
	return ret;
}

/* Room for a block of n bytes, after a flush of ours if it does not fit. */
static uint8_t *reserve_block(struct tt_pcapng *w, size_t n)
{
	struct tt_wbuf *o = w->out;

	if (o->cap - o->len < n && o->len && tt_pcapng_flush(w))
		return NULL;
	return tt_wbuf_reserve(o, n);
}

static void write_epb(struct tt_pcapng *w, const struct tt_pcapng_pkt *p)
{
	size_t n = tt_pcapng_epb_len(p);
	uint8_t *d = reserve_block(w, n);

	if (!d)
		return;
	tt_pcapng_epb_encode(d, p);
	tt_wbuf_commit(w->out, n);
	w->counters[TT_PC_PACKETS]++;
	w->counters[TT_PC_BYTES] += p->payload_len;
}

/* --- connection keys: initial sequence numbers ------------------------------------- */

/* family, then the two ends (address, port) in a fixed order. */
#define KEY_LEN (2 + 2 * 18)

struct tt_pcapng_key {
	struct tt_pcapng_key *next;
	uint64_t hash;
	uint8_t k[KEY_LEN];
	uint32_t refs;	/* connections open on it (one per traced end) */
	uint64_t epoch; /* when it was made: a reused pair gets another */
};

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t hash_bytes(uint64_t h, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL; /* FNV-1a */
	return mix64(h);
}

static void end_bytes(uint8_t out[18], const uint8_t *addr, uint16_t port)
{
	memcpy(out, addr, 16);
	out[16] = (uint8_t)(port >> 8);
	out[17] = (uint8_t)port;
}

static void make_key(uint8_t k[KEY_LEN], const struct tt_tuple *t)
{
	uint8_t l[18], r[18];
	bool local_first;

	end_bytes(l, t->laddr, t->lport);
	end_bytes(r, t->raddr, t->rport);
	local_first = memcmp(l, r, 18) <= 0;
	memcpy(k, &t->family, 2);
	memcpy(k + 2, local_first ? l : r, 18);
	memcpy(k + 20, local_first ? r : l, 18);
}

static int grow_keys(struct tt_pcapng *w)
{
	size_t n = w->n_buckets * 2;
	struct tt_pcapng_key **b = calloc(n, sizeof(*b));

	if (!b)
		return -ENOMEM;
	for (size_t i = 0; i < w->n_buckets; i++) {
		struct tt_pcapng_key *e, *next;

		for (e = w->keys[i]; e; e = next) {
			next = e->next;
			e->next = b[e->hash & (n - 1)];
			b[e->hash & (n - 1)] = e;
		}
	}
	free(w->keys);
	w->keys = b;
	w->n_buckets = n;
	return 0;
}

static struct tt_pcapng_key *key_get(struct tt_pcapng *w, const struct tt_tuple *t)
{
	struct tt_pcapng_key *e, **b;
	uint8_t k[KEY_LEN];
	uint64_t h;

	make_key(k, t);
	h = hash_bytes(0xcbf29ce484222325ULL, k, KEY_LEN);
	for (e = w->keys[h & (w->n_buckets - 1)]; e; e = e->next)
		if (e->hash == h && !memcmp(e->k, k, KEY_LEN)) {
			e->refs++;
			return e;
		}
	if (w->n_keys >= w->n_buckets && grow_keys(w))
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	memcpy(e->k, k, KEY_LEN);
	e->hash = h;
	e->refs = 1;
	e->epoch = w->next_epoch++;
	b = &w->keys[h & (w->n_buckets - 1)];
	e->next = *b;
	*b = e;
	w->n_keys++;
	return e;
}

static void key_put(struct tt_pcapng *w, struct tt_pcapng_key *e)
{
	struct tt_pcapng_key **pp = &w->keys[e->hash & (w->n_buckets - 1)];

	if (--e->refs)
		return;
	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	w->n_keys--;
	free(e);
}

/* The initial sequence number of what one end sends: the same for both
 * traced ends of a connection, another for the next use of the pair. */
static uint32_t isn_of(const struct tt_pcapng_key *e, const struct tt_tuple *t, bool from_local)
{
	uint8_t d[2 * 18 + 8];

	end_bytes(d, from_local ? t->laddr : t->raddr, from_local ? t->lport : t->rport);
	end_bytes(d + 18, from_local ? t->raddr : t->laddr, from_local ? t->rport : t->lport);
	memcpy(d + 36, &e->epoch, 8);
	return (uint32_t)hash_bytes(0x84222325cbf29ce4ULL, d, sizeof(d));
}

/* --- connections ------------------------------------------------------------------- */

/* What happened to a direction's bytes since its last packet. */
struct gap_note {
	uint64_t lost;	   /* known bytes lost (truncated, ring buffer, unseen) */
	uint64_t left_out; /* bytes of untrusted chunks, not written */
	bool unknown;	   /* a gap of unknown length */
	uint8_t why;	   /* enum tt_gap_why of the last gap */
};

struct pconn {
	struct tt_pcapng_key *key;
	uint32_t isn[2]; /* [TT_DIR_IDX]: 0 what the remote end sends, 1 the local end */
	uint16_t ip_id[2];
	bool started; /* its first packet is out */
	struct gap_note note[2];
};

int tt_pcapng_init(struct tt_pcapng *w, struct tt_wbuf *out)
{
	size_t n = tt_pcapng_header_len();
	uint8_t *d;

	memset(w, 0, sizeof(*w));
	w->out = out;
	w->n_buckets = 256;
	w->keys = calloc(w->n_buckets, sizeof(*w->keys));
	if (!w->keys)
		return -ENOMEM;
	d = reserve_block(w, n);
	if (!d)
		return -(out->err ? out->err : ENOMEM);
	tt_pcapng_header_encode(d);
	tt_wbuf_commit(out, n);
	return 0;
}

void tt_pcapng_free(struct tt_pcapng *w)
{
	for (size_t i = 0; w->keys && i < w->n_buckets; i++) {
		struct tt_pcapng_key *e, *next;

		for (e = w->keys[i]; e; e = next) {
			next = e->next;
			free(e);
		}
	}
	free(w->keys);
	w->keys = NULL;
}

static bool has_tuple(const struct tt_tuple *t);

void tt_pcapng_open(struct tt_pcapng *w, struct tt_conn *c)
{
	struct pconn *pc;

	c->slot[TT_SLOT_PCAP] = NULL;
	if (!has_tuple(&c->tuple))
		return; /* no tuple: its chunks are counted as they come */
	pc = calloc(1, sizeof(*pc));
	if (!pc)
		return;
	pc->key = key_get(w, &c->tuple);
	if (!pc->key) {
		free(pc);
		return;
	}
	pc->isn[0] = isn_of(pc->key, &c->tuple, false);
	pc->isn[1] = isn_of(pc->key, &c->tuple, true);
	pc->ip_id[0] = (uint16_t)pc->isn[0];
	pc->ip_id[1] = (uint16_t)pc->isn[1];
	c->slot[TT_SLOT_PCAP] = pc;
}

static void fin(struct tt_pcapng *w, struct tt_conn *c, struct pconn *pc, enum tt_end_reason why,
		int64_t t);

void tt_pcapng_end(struct tt_pcapng *w, struct tt_conn *c, enum tt_end_reason why, int64_t t)
{
	struct pconn *pc = c->slot[TT_SLOT_PCAP];

	if (!pc)
		return;
	if (pc->started && (why == TT_END_CLOSE || why == TT_END_EXIT))
		fin(w, c, pc, why, t);
	key_put(w, pc->key);
	free(pc);
	c->slot[TT_SLOT_PCAP] = NULL;
}

/* --- packet comments --------------------------------------------------------------- */

struct text {
	char s[1024]; /* room for a cgroup path */
	size_t n;
};

static void text_printf(struct text *t, const char *fmt, ...) TT_PRINTF(2, 3);
static void text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (t->n >= sizeof(t->s))
		return;
	va_start(ap, fmt);
	k = vsnprintf(t->s + t->n, sizeof(t->s) - t->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		t->n += (size_t)k;
	if (t->n >= sizeof(t->s))
		t->n = sizeof(t->s) - 1;
}

/* The per-chunk part is made without printf: it is written for every
 * segment.  Room: pid, tid, an escaped comm, names (< 200 bytes) fit the
 * 512 bytes with the notes' printf after them. */
static void text_puts(struct text *t, const char *str)
{
	size_t n = strlen(str);

	if (n >= sizeof(t->s) - t->n)
		n = sizeof(t->s) - 1 - t->n;
	memcpy(t->s + t->n, str, n);
	t->n += n;
}

static void text_u32(struct text *t, const char *key, uint32_t v)
{
	text_puts(t, key);
	if (sizeof(t->s) - t->n > 20)
		t->n += tt_fmt_u64(t->s + t->n, v);
}

/* comm as printable ASCII (a comment is UTF-8), as in the text lines. */
static void text_comm(struct text *t, const char *comm)
{
	char name[TT_NAME_TEXT_MAX];

	text_puts(t, " comm=");
	text_puts(t, tt_fmt_name(name, comm));
}

static const char *gap_why_name(unsigned why)
{
	switch (why) {
	case TT_GAP_TRUNCATED:
		return "truncated at --max-bytes";
	case TT_GAP_UNSEEN:
		return "sent before tlstap saw the connection";
	default:
		return "lost";
	}
}

static void text_note(struct text *t, const struct gap_note *g)
{
	if (g->lost)
		text_printf(t, "; after %llu bytes not captured (%s)", (unsigned long long)g->lost,
			    gap_why_name(g->why));
	if (g->unknown)
		text_printf(t, "; after bytes lost, how many unknown (the sequence numbers do "
			       "not show this gap)");
	if (g->left_out)
		text_printf(t, "; after %llu bytes left out (no trusted tuple)",
			    (unsigned long long)g->left_out);
}

/* "pid=P[ tid=T] comm=C lib=L": the start of every comment (t is short). */
static void text_who(struct text *t, uint32_t pid, uint32_t tid, const char *comm, unsigned lib)
{
	text_u32(t, "pid=", pid);
	if (tid)
		text_u32(t, " tid=", tid);
	text_comm(t, comm);
	text_puts(t, " lib=");
	text_puts(t, tt_lib_name(lib));
}

/* key then str escaped as a field (tt_fmt_field): names from cgroup paths,
 * which whoever made the cgroup chose; a longer one is cut. */
static void text_field(struct text *t, const char *key, const char *str)
{
	char esc[4 * 255 + 1];

	text_puts(t, key);
	tt_fmt_field(esc, str, strnlen(str, 255));
	text_puts(t, esc);
}

/* Where the process runs, as far as known: its pid in its own namespace when
 * that differs, the pod, the container, the cgroup path. */
static void text_origin(struct text *t, const struct tt_origin *o, uint32_t pid)
{
	if (o->ns_pid && o->ns_pid != pid)
		text_u32(t, " ns_pid=", o->ns_pid);
	if (o->pod_uid)
		text_field(t, " pod=", o->pod_uid);
	if (o->container)
		text_field(t, " container=", o->container);
	if (o->cgroup)
		text_field(t, " cgroup=", o->cgroup);
}

static void chunk_comment(struct text *t, const struct tt_chunk *ch, const struct gap_note *g)
{
	t->n = 0;
	text_who(t, ch->pid, ch->tid, ch->comm, ch->lib);
	text_puts(t, " dir=");
	text_puts(t, tt_dir_name(ch->dir));
	text_puts(t, " attribution=");
	text_puts(t, tt_attribution_name(ch->attribution));
	text_origin(t, &ch->origin, ch->pid);
	if (ch->flags & TT_EV_TRUNCATED)
		text_puts(t, " truncated");
	if (g->lost || g->unknown || g->left_out)
		text_note(t, g);
}

/* --- segments ---------------------------------------------------------------------- */

static void segment(struct tt_pcapng *w, struct tt_conn *c, struct pconn *pc, struct tt_tcpseg *s,
		    unsigned di, int64_t t, const struct text *comment)
{
	uint8_t hdr[TT_TCPIP_HDR_MAX];
	struct tt_pcapng_pkt p = {
	    .time_ns = t,
	    .epb_flags = s->from_local ? TT_PCAPNG_OUTBOUND : TT_PCAPNG_INBOUND,
	    .hdr = hdr,
	    .payload = s->payload,
	    .payload_len = s->len,
	    .comment = comment->s,
	    .comment_len = (uint32_t)comment->n,
	};

	s->tuple = &c->tuple;
	s->ip_id = pc->ip_id[di]++;
	s->window = WINDOW;
	p.hdr_len = (uint32_t)tt_tcpip_headers(hdr, s);
	write_epb(w, &p);
}

/* The sequence number of the byte at offset off of direction di. */
static uint32_t seq_at(const struct pconn *pc, unsigned di, uint64_t off)
{
	return pc->isn[di] + 1 + (uint32_t)off;
}

/* Acknowledges everything the other direction has sent so far. */
static uint32_t ack_of(const struct tt_conn *c, const struct pconn *pc, unsigned di)
{
	return seq_at(pc, !di, c->dir[!di].next);
}

/*
 * SYN, SYN-ACK, ACK in front of a connection whose client is known: tlstap
 * did not see them (and may have come long after them), they only tell
 * Wireshark where the connection starts.
 */
static void handshake(struct tt_pcapng *w, struct tt_conn *c, struct pconn *pc, int64_t t)
{
	static const char *const what[] = {"SYN", "SYN-ACK", "ACK"};
	unsigned cdi = c->role == TT_ROLE_CLIENT ? 1 : 0; /* the client's direction */
	struct text cm;

	for (unsigned i = 0; i < 3; i++) {
		unsigned di = i == 1 ? !cdi : cdi;
		struct tt_tcpseg s = {
		    .from_local = di == 1,
		    .seq = i == 2 ? pc->isn[di] + 1 : pc->isn[di],
		    .ack = pc->isn[!di] + 1,
		    .flags = i == 0   ? TT_TCP_SYN
			     : i == 1 ? TT_TCP_SYN | TT_TCP_ACK
				      : TT_TCP_ACK,
		    .wscale = i < 2 ? WSCALE : 0,
		};

		cm.n = 0;
		text_printf(&cm,
			    "synthetic %s: tlstap sees no handshake, this marks where it "
			    "started following the connection (role %s); ",
			    what[i], tt_role_name(c->role));
		text_who(&cm, c->pid, 0, c->comm, c->lib);
		segment(w, c, pc, &s, di, t, &cm);
		w->counters[TT_PC_SYNTHETIC]++;
	}
}

/*
 * A FIN from each end when the kernel closed the socket or the process
 * exited: a body that ends with the connection (HTTP/1.0) then ends in
 * Wireshark too.  Which end closed first is not known; the local one is
 * written first.
 */
static void fin(struct tt_pcapng *w, struct tt_conn *c, struct pconn *pc, enum tt_end_reason why,
		int64_t t)
{
	struct text cm;

	for (unsigned i = 0; i < 2; i++) {
		unsigned di = i == 0 ? 1 : 0;
		struct tt_tcpseg s = {
		    .from_local = di == 1,
		    .seq = seq_at(pc, di, c->dir[di].next),
		    .ack = ack_of(c, pc, di) + i, /* the second acknowledges the first */
		    .flags = TT_TCP_FIN | TT_TCP_ACK,
		};

		cm.n = 0;
		text_printf(&cm,
			    "synthetic FIN: %s (tlstap sees no FIN; which end closed first is "
			    "not known); ",
			    why == TT_END_CLOSE ? "the kernel closed the socket"
						: "the process exited");
		text_who(&cm, c->pid, 0, c->comm, c->lib);
		segment(w, c, pc, &s, di, t, &cm);
		w->counters[TT_PC_SYNTHETIC]++;
	}
}

/* A TCP connection's ends both have a port: a tuple with a zero port (read
 * from a socket already closed) is no connection's. */
static bool has_tuple(const struct tt_tuple *t)
{
	return (t->family == AF_INET || t->family == AF_INET6) && t->lport && t->rport;
}

static bool trusted(const struct tt_chunk *ch)
{
	return has_tuple(&ch->tuple) && ch->attribution != TT_ATTR_NONE &&
	       ch->attribution != TT_ATTR_AMBIGUOUS;
}

void tt_pcapng_data(struct tt_pcapng *w, struct tt_conn *c, const struct tt_chunk *ch, uint64_t off,
		    const uint8_t *p, uint32_t n)
{
	struct pconn *pc = c->slot[TT_SLOT_PCAP];
	unsigned di = TT_DIR_IDX(ch->dir);
	struct text cm;

	if (!trusted(ch)) {
		w->counters[TT_PC_UNTRUSTED]++;
		w->counters[TT_PC_UNTRUSTED_BYTES] += n;
		if (pc)
			pc->note[di].left_out += n;
		return;
	}
	if (!pc) {
		w->counters[TT_PC_NOMEM]++;
		return;
	}
	if (!pc->started && c->role != TT_ROLE_UNKNOWN)
		handshake(w, c, pc, ch->time_ns);
	pc->started = true;
	chunk_comment(&cm, ch, &pc->note[di]);
	memset(&pc->note[di], 0, sizeof(pc->note[di]));
	while (n) {
		uint32_t k = n < TT_TCPIP_PAYLOAD_MAX ? n : TT_TCPIP_PAYLOAD_MAX;
		struct tt_tcpseg s = {
		    .from_local = di == 1,
		    .seq = seq_at(pc, di, off),
		    .ack = ack_of(c, pc, di),
		    .flags = TT_TCP_ACK | (k == n ? TT_TCP_PSH : 0),
		    .payload = p,
		    .len = k,
		};

		segment(w, c, pc, &s, di, ch->time_ns, &cm);
		off += k, p += k, n -= k;
	}
}

void tt_pcapng_gap(struct tt_pcapng *w, struct tt_conn *c, unsigned dir, uint64_t len,
		   enum tt_gap_why why)
{
	struct pconn *pc = c->slot[TT_SLOT_PCAP];
	struct gap_note *g;

	(void)w;
	if (!pc)
		return;
	/* The offsets already skip a known gap: the note only explains it. */
	g = &pc->note[TT_DIR_IDX(dir)];
	if (len == TT_GAP_UNKNOWN) {
		g->unknown = true;
		return;
	}
	g->lost += len;
	g->why = (uint8_t)why;
}
