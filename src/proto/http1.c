// SPDX-License-Identifier: MIT
/*
 * HTTP/1.x exchanges with llhttp (Node's parser, from Debian's node-llhttp
 * sources): keep-alive, pipelining, chunked and content-length bodies, HEAD,
 * 1xx, 101 and CONNECT (parsing stops there), bodies that end at close.
 *
 * Requests are queued per connection and paired with responses in order.
 * After bytes were lost or when the start was missed, a direction is
 * scanned for the next request or status line.  A response is never paired
 * with a request that started after it, and requests that were pending when
 * response bytes were lost are reported without a response: their answers
 * may have been in the hole.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <llhttp.h>

#include "proto/http_int.h"

#define QUEUE_MAX 32  /* requests waiting for their responses */
#define LINE_MAX 8192 /* longest start line looked at when scanning */
#define HNAME_MAX 16  /* header names we care about are shorter */
#define EARLY_MAX 4   /* responses that came before their request */

enum h1_state { D_SCAN = 0, D_PARSE, D_STOPPED };
enum h1_hdr { H_OTHER = 0, H_HOST };

struct h1_dir {
	llhttp_t parser;
	uint8_t state;	/* enum h1_state */
	bool at_line;	/* the next byte starts a line */
	bool skip_line; /* discarding a line too long to be a start line */
	bool resynced;	/* the message being parsed was found by scanning */
	bool in_msg, in_body;
	uint32_t line_len;
	char line[LINE_MAX];
	/* the header being parsed */
	uint8_t hdr; /* enum h1_hdr */
	bool in_value;
	uint8_t hname_len;
	char hname[HNAME_MAX];
	bool skipped;		   /* bytes were skipped since the last message */
	const struct tt_chunk *ch; /* the chunk being parsed (callbacks) */
	int64_t t;		   /* its time */
};

struct tt_h1 {
	struct h1_dir d[2];
	int req_di; /* direction index that carries requests; -1 unknown */
	struct tt_http *h;
	struct tt_conn *c;
	struct tt_xreq q[QUEUE_MAX]; /* ring of requests */
	uint32_t q_head, q_len;
	bool q_tail_open;   /* q[tail-1] is being parsed */
	struct tt_xresp rs; /* the response being parsed */
	bool rs_open;
	bool rs_paired; /* q[q_head] is its request */
	/* The head request's answer, come before the request's end (an early
	 * answer, or the Read of the answer returned before the Write of the
	 * body): the rest of the request still counts, until it ends, is lost,
	 * or the server answers again. */
	struct tt_xresp answered;
	bool answered_wait;
	bool stopped;	/* upgraded: no more HTTP/1 on this connection */
	/*
	 * Aligned: the k-th response answers the k-th request seen.  True once
	 * a request starts in sequence while nothing is pending; false after
	 * bytes were lost or skipped.  Aligned, a response that comes before
	 * any request waits for the next one (a request's event comes when its
	 * Write returns, which may be after the Read of the answer); not
	 * aligned, it is reported alone unless a request that started before
	 * it is pending.
	 */
	bool aligned;
	struct tt_xresp early[EARLY_MAX]; /* responses waiting for their request */
	uint32_t n_early;
};

/* Filler for holes inside bodies whose length is known: llhttp counts them. */
static const uint8_t zeros[16384];

static const llhttp_settings_t *settings(void);
static struct tt_xreq *pair(struct tt_h1 *s);

static struct tt_h1 *of(llhttp_t *p)
{
	return p->data;
}

static unsigned di_of(struct tt_h1 *s, llhttp_t *p)
{
	return p == &s->d[1].parser;
}

static struct tt_xreq *q_at(struct tt_h1 *s, uint32_t i)
{
	return &s->q[(s->q_head + i) % QUEUE_MAX];
}

static struct tt_xreq *q_tail(struct tt_h1 *s)
{
	return s->q_tail_open ? q_at(s, s->q_len - 1) : NULL;
}

/* Report the oldest pending request with rs, or with its answer if that
 * came first. */
static void emit_head(struct tt_h1 *s, const struct tt_xresp *rs)
{
	if (s->answered_wait) {
		rs = &s->answered;
		s->answered_wait = false;
	}
	tt_http_emit(s->h, s->c, TT_PROTO_HTTP1, 0, q_at(s, 0), rs);
	s->q_head = (s->q_head + 1) % QUEUE_MAX;
	s->q_len--;
	if (!s->q_len)
		s->q_tail_open = false;
}

/*
 * Response bytes were lost (or could not be parsed): the response being
 * parsed is reported as far as it went, and the requests still pending are
 * reported without a response, which may have been in the hole.  A request
 * still being parsed stays.
 */
static void resp_lost(struct tt_h1 *s, uint32_t why)
{
	uint32_t keep;

	if (s->rs_open) {
		s->rs.partial |= why;
		/* Cut inside its headers: its request is the one it would have
		 * been paired with once they ended. */
		if (!s->rs_paired && s->rs.status > 0)
			s->rs_paired = pair(s) != NULL;
		if (s->rs_paired && s->q_len)
			emit_head(s, &s->rs);
		else
			tt_http_emit(s->h, s->c, TT_PROTO_HTTP1, 0, NULL, &s->rs);
		s->rs_open = s->rs_paired = false;
	}
	keep = s->q_tail_open ? 1 : 0;
	while (s->q_len > keep) {
		q_at(s, 0)->partial |= why;
		emit_head(s, NULL);
	}
}

/* Responses that waited for a request that did not come: alone. */
static void flush_early(struct tt_h1 *s)
{
	for (uint32_t i = 0; i < s->n_early; i++)
		tt_http_emit(s->h, s->c, TT_PROTO_HTTP1, 0, NULL, &s->early[i]);
	s->n_early = 0;
}

/* --- llhttp callbacks ---------------------------------------------------- */

static bool is_req(struct tt_h1 *s, unsigned di)
{
	return s->req_di == (int)di;
}

static int on_message_begin(llhttp_t *p)
{
	struct tt_h1 *s = of(p);
	unsigned di = di_of(s, p);
	struct h1_dir *d = &s->d[di];
	uint32_t flags = d->resynced ? TT_PARTIAL_MID_STREAM : 0;

	d->in_msg = true;
	d->in_body = false;
	d->resynced = false;
	if (is_req(s, di)) {
		struct tt_xreq *r;

		if (s->q_len == QUEUE_MAX) {
			s->h->counters[TT_HC_DROPPED]++;
			q_at(s, 0)->partial |= TT_PARTIAL_GAP;
			s->rs_paired = false;
			emit_head(s, NULL);
		}
		/* In sequence, nothing pending, the responses between messages:
		 * from here the k-th response answers the k-th request. */
		if (!s->q_len && !s->rs_open && !flags && !s->d[!di].in_msg)
			s->aligned = true;
		r = &s->q[(s->q_head + s->q_len++) % QUEUE_MAX];
		s->q_tail_open = true;
		tt_xreq_begin(r, d->ch);
		r->seen = true;
		r->partial = flags;
		return 0;
	}
	/* Another answer: the one that came before its request's end is final. */
	if (s->answered_wait && s->q_len)
		emit_head(s, NULL);
	memset(&s->rs, 0, offsetof(struct tt_xresp, grpc_message_buf));
	s->rs.status = -1;
	s->rs.grpc_status = -1;
	s->rs.clen = -1;
	s->rs.start_ns = s->rs.end_ns = d->t;
	s->rs.seen = true;
	s->rs.partial = flags;
	s->rs_open = true;
	s->rs_paired = false;
	return 0;
}

static int on_url(llhttp_t *p, const char *at, size_t n)
{
	struct tt_xreq *r = q_tail(of(p));

	if (r)
		tt_field_append(&r->path, r->path_buf, sizeof(r->path_buf), at, n);
	return 0;
}

static int on_header_field(llhttp_t *p, const char *at, size_t n)
{
	struct h1_dir *d = &of(p)->d[di_of(of(p), p)];

	if (d->in_value) {
		d->in_value = false;
		d->hname_len = 0;
	}
	if (d->hname_len + n <= HNAME_MAX) {
		memcpy(d->hname + d->hname_len, at, n);
		d->hname_len = (uint8_t)(d->hname_len + n);
	} else {
		d->hname_len = HNAME_MAX; /* too long to be one we want */
	}
	return 0;
}

static int on_header_value(llhttp_t *p, const char *at, size_t n)
{
	struct tt_h1 *s = of(p);
	struct h1_dir *d = &s->d[di_of(s, p)];
	struct tt_xreq *r;

	bool first = !d->in_value;

	if (first) {
		d->in_value = true;
		d->hdr = H_OTHER;
		if (d->hname_len == 4 && !strncasecmp(d->hname, "host", 4))
			d->hdr = H_HOST;
	}
	r = q_tail(s);
	if (d->hdr != H_HOST || !r || !is_req(s, di_of(s, p)))
		return 0;
	/* A value may come in several spans (split across calls). */
	if (first)
		tt_field_set(&r->authority, r->authority_buf, sizeof(r->authority_buf), at, n);
	else
		tt_field_append(&r->authority, r->authority_buf, sizeof(r->authority_buf), at, n);
	return 0;
}

/* The request a response answers: the oldest pending one, if it started
 * before the response did. */
static struct tt_xreq *pair(struct tt_h1 *s)
{
	struct tt_xreq *r;

	if (!s->q_len)
		return NULL;
	r = q_at(s, 0);
	if (!s->aligned && r->start_ns > s->rs.start_ns)
		return NULL;
	return r;
}

/* The status is known once its line is: a response cut inside its headers
 * still says it. */
static int on_status_complete(llhttp_t *p)
{
	struct tt_h1 *s = of(p);
	int st = llhttp_get_status_code(p);

	/* An informational one (1xx but 101) is not the exchange's status. */
	if (!is_req(s, di_of(s, p)) && (st < 100 || st >= 200 || st == 101))
		s->rs.status = st;
	return 0;
}

static int on_headers_complete(llhttp_t *p)
{
	struct tt_h1 *s = of(p);
	unsigned di = di_of(s, p);
	struct h1_dir *d = &s->d[di];
	struct tt_xreq *r;
	int st;

	d->in_value = false;
	d->hname_len = 0;
	if (is_req(s, di)) {
		const char *m = llhttp_method_name(llhttp_get_method(p));

		r = q_tail(s);
		if (r)
			tt_field_set(&r->method, r->method_buf, sizeof(r->method_buf), m,
				     strlen(m));
		d->in_body = true;
		return 0;
	}
	st = llhttp_get_status_code(p);
	s->rs.status = st;
	d->in_body = true;
	r = pair(s);
	s->rs_paired = r != NULL;
	if (st >= 100 && st < 200 && st != 101)
		return 0; /* informational: the final response follows */
	if (st == 101)
		return 2; /* switching protocols: no body, stop */
	if (r && r->method.set && r->method.len == 7 && !memcmp(r->method_buf, "CONNECT", 7) &&
	    st >= 200 && st < 300)
		return 2; /* a tunnel */
	if (r && r->method.set && r->method.len == 4 && !memcmp(r->method_buf, "HEAD", 4))
		return 1;
	return 0;
}

static int on_body(llhttp_t *p, const char *at, size_t n)
{
	struct tt_h1 *s = of(p);
	unsigned di = di_of(s, p);

	(void)at;
	if (is_req(s, di)) {
		struct tt_xreq *r = q_tail(s);

		if (r)
			r->body += n;
	} else {
		s->rs.body += n;
	}
	return 0;
}

static int on_message_complete(llhttp_t *p)
{
	struct tt_h1 *s = of(p);
	unsigned di = di_of(s, p);
	struct h1_dir *d = &s->d[di];
	int64_t t = d->t;

	d->in_msg = d->in_body = false;
	if (is_req(s, di)) {
		struct tt_xreq *r = q_tail(s);

		if (r) {
			r->complete = true;
			r->end_ns = t;
		}
		s->q_tail_open = false;
		if (s->answered_wait && s->q_len == 1) {
			emit_head(s, NULL);
			return 0;
		}
		if (s->n_early && s->q_len == 1) {
			emit_head(s, &s->early[0]);
			memmove(s->early, s->early + 1, --s->n_early * sizeof(s->early[0]));
		}
		return 0;
	}
	if (s->rs.status >= 100 && s->rs.status < 200 && s->rs.status != 101) {
		s->rs_open = false; /* 1xx: not the answer */
		return 0;
	}
	s->rs.complete = true;
	s->rs.end_ns = t;
	if (s->rs_paired && s->q_len == 1 && s->q_tail_open) {
		s->answered = s->rs; /* its request is still coming */
		s->answered_wait = true;
	} else if (s->rs_paired && s->q_len) {
		emit_head(s, &s->rs);
	} else if (s->aligned && !s->q_len && s->n_early < EARLY_MAX) {
		s->early[s->n_early++] = s->rs; /* its request's event is late */
	} else {
		tt_http_emit(s->h, s->c, TT_PROTO_HTTP1, 0, NULL, &s->rs);
	}
	s->rs_open = s->rs_paired = false;
	return 0;
}

static const llhttp_settings_t *settings(void)
{
	static llhttp_settings_t st;
	static bool done;

	if (!done) {
		llhttp_settings_init(&st);
		st.on_message_begin = on_message_begin;
		st.on_url = on_url;
		st.on_header_field = on_header_field;
		st.on_header_value = on_header_value;
		st.on_status_complete = on_status_complete;
		st.on_headers_complete = on_headers_complete;
		st.on_body = on_body;
		st.on_message_complete = on_message_complete;
		done = true;
	}
	return &st;
}

/* --- start lines --------------------------------------------------------- */

static bool upper_token(const char *p, size_t n)
{
	if (n < 3 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= 'A' && p[i] <= 'Z') || p[i] == '-' || p[i] == '_'))
			return false;
	return true;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* "HTTP/1.x SP DDD" with what may follow. */
static bool status_line(const char *l, size_t n)
{
	if (n < 12 || memcmp(l, "HTTP/1.", 7) || !is_digit(l[7]) || l[8] != ' ')
		return false;
	if (!is_digit(l[9]) || !is_digit(l[10]) || !is_digit(l[11]))
		return false;
	return n == 12 || l[12] == ' ' || l[12] == '\r' || l[12] == '\n';
}

/* "METHOD SP target SP HTTP/1.x" (a complete line without its CRLF). */
static bool request_line(const char *l, size_t n)
{
	const char *sp1 = memchr(l, ' ', n), *sp2;

	if (!sp1 || !upper_token(l, (size_t)(sp1 - l)))
		return false;
	sp2 = memchr(sp1 + 1, ' ', n - (size_t)(sp1 + 1 - l));
	if (!sp2 || sp2 == sp1 + 1)
		return false;
	n -= (size_t)(sp2 + 1 - l);
	return n == 8 && !memcmp(sp2 + 1, "HTTP/1.", 7) && is_digit(sp2[8]);
}

/* 1 request line, 2 status line, 0 neither (l: a line with its LF). */
static int line_kind(const char *l, size_t n)
{
	if (n && l[n - 1] == '\n')
		n--;
	if (n && l[n - 1] == '\r')
		n--;
	if (status_line(l, n))
		return 2;
	return request_line(l, n) ? 1 : 0;
}

int tt_h1_sniff(const uint8_t *p, size_t n)
{
	static const char *const methods[] = {
	    "GET ",	"POST ",      "PUT ",	   "DELETE ", "HEAD ", "OPTIONS ", "PATCH ",
	    "CONNECT ", "TRACE ",     "PROPFIND ", "MKCOL ",  "COPY ", "MOVE ",	   "LOCK ",
	    "UNLOCK ",	"PROPPATCH ", "REPORT ",   "SEARCH ", "PURGE "};
	const char *s = (const char *)p;
	int r = 0;

	if (n >= 7 ? !memcmp(s, "HTTP/1.", 7) : !memcmp(s, "HTTP/1.", n))
		return n >= 7 ? 1 : -1;
	for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
		size_t k = strlen(methods[i]);

		if (n >= k && !memcmp(s, methods[i], k))
			return 1;
		if (n < k && !memcmp(s, methods[i], n))
			r = -1;
	}
	return r;
}

/* --- feeding ------------------------------------------------------------- */

static void stop(struct tt_h1 *s)
{
	s->stopped = true;
	s->d[0].state = s->d[1].state = D_STOPPED;
	s->h->counters[TT_HC_UPGRADES]++;
}

static void start_parser(struct tt_h1 *s, unsigned di)
{
	struct h1_dir *d = &s->d[di];

	llhttp_init(&d->parser, is_req(s, di) ? HTTP_REQUEST : HTTP_RESPONSE, settings());
	d->parser.data = s;
	d->state = D_PARSE;
	d->in_msg = d->in_body = d->in_value = false;
	d->hname_len = 0;
}

static void scan(struct tt_h1 *s, unsigned di, const uint8_t *p, uint32_t n);

/* Give up on the message being parsed: it is reported as far as it went. */
static void abandon(struct tt_h1 *s, unsigned di, uint32_t why)
{
	struct h1_dir *d = &s->d[di];

	if (is_req(s, di)) {
		struct tt_xreq *r = q_tail(s);

		if (r)
			r->partial |= why;
		s->q_tail_open = false;
		if (s->answered_wait && s->q_len == 1)
			emit_head(s, NULL); /* what came of it is all there is */
	} else {
		resp_lost(s, why);
	}
	d->in_msg = d->in_body = false;
}

static void parse(struct tt_h1 *s, unsigned di, const uint8_t *p, uint32_t n)
{
	struct h1_dir *d = &s->d[di];

	while (n && d->state == D_PARSE) {
		llhttp_errno_t e = llhttp_execute(&d->parser, (const char *)p, n);
		uint32_t used;

		if (e == HPE_OK)
			return;
		used = (uint32_t)((const uint8_t *)llhttp_get_error_pos(&d->parser) - p);
		if (used > n)
			used = n;
		if (e == HPE_PAUSED_UPGRADE && is_req(s, di)) {
			/* CONNECT or Upgrade: the response says whether it happens. */
			llhttp_resume_after_upgrade(&d->parser);
			p += used, n -= used;
			continue;
		}
		if (e == HPE_PAUSED_UPGRADE) {
			stop(s);
			return;
		}
		s->h->counters[TT_HC_PARSE_ERRORS]++;
		abandon(s, di, TT_PARTIAL_GAP);
		s->aligned = false;
		flush_early(s);
		d->state = D_SCAN;
		d->at_line = false;
		d->line_len = 0;
		d->skipped = true;
		if (used < n)
			used++;
		scan(s, di, p + used, n - used);
		return;
	}
}

/* A start line was found at line[]: parse from there. */
static bool resync(struct tt_h1 *s, unsigned di, int kind)
{
	struct h1_dir *d = &s->d[di];

	if (!kind)
		return false; /* neither a request line nor a status line */
	if (s->req_di < 0) {
		s->req_di = kind == 1 ? (int)di : (int)!di;
		tt_conn_set_role(s->c, (s->req_di == 1) == true ? TT_ROLE_CLIENT : TT_ROLE_SERVER);
	}
	if ((kind == 1) != is_req(s, di))
		return false;
	if (d->skipped) {
		s->h->counters[TT_HC_RESYNCS]++;
		d->resynced = true;
		s->aligned = false;
	}
	d->skipped = false;
	start_parser(s, di);
	parse(s, di, (const uint8_t *)d->line, d->line_len);
	d->line_len = 0;
	return true;
}

/* Look for the next request or status line at the start of a line. */
static void scan(struct tt_h1 *s, unsigned di, const uint8_t *p, uint32_t n)
{
	struct h1_dir *d = &s->d[di];

	while (n && d->state == D_SCAN) {
		const uint8_t *nl = memchr(p, '\n', n);
		uint32_t take = nl ? (uint32_t)(nl - p) + 1 : n;

		if (!d->at_line || d->line_len + take > LINE_MAX) {
			/* Mid-line, or a line too long to be a start line. */
			d->skipped = true;
			d->line_len = 0;
			d->at_line = nl != NULL;
			p += take, n -= take;
			continue;
		}
		memcpy(d->line + d->line_len, p, take);
		d->line_len += take;
		p += take, n -= take;
		if (!nl)
			return;
		if (resync(s, di, line_kind(d->line, d->line_len))) {
			parse(s, di, p, n);
			return;
		}
		d->skipped = true;
		d->line_len = 0;
	}
}

void tt_h1_data(struct tt_http *h, struct tt_conn *c, struct tt_h1 *s, const struct tt_chunk *ch,
		unsigned dir, const uint8_t *p, uint32_t n)
{
	unsigned di = TT_DIR_IDX(dir);
	struct h1_dir *d = &s->d[di];

	s->h = h;
	s->c = c;
	d->ch = ch;
	d->t = ch->time_ns;
	if (d->state == D_PARSE)
		parse(s, di, p, n);
	else if (d->state == D_SCAN)
		scan(s, di, p, n);
	d->ch = NULL;
}

/* Can a hole of len bytes be stepped over inside the body being parsed? */
static bool fillable(const struct h1_dir *d, uint64_t len)
{
	if (d->state != D_PARSE || !d->in_body || len == TT_GAP_UNKNOWN)
		return false;
	if (d->parser.flags & F_CHUNKED)
		return false;
	if (d->parser.flags & F_CONTENT_LENGTH)
		return len <= d->parser.content_length;
	return llhttp_message_needs_eof(&d->parser);
}

void tt_h1_gap(struct tt_http *h, struct tt_conn *c, struct tt_h1 *s, unsigned dir, uint64_t len,
	       enum tt_gap_why why, int64_t t)
{
	unsigned di = TT_DIR_IDX(dir);
	struct h1_dir *d = &s->d[di];
	uint32_t flag = why == TT_GAP_TRUNCATED ? TT_PARTIAL_TRUNCATED : TT_PARTIAL_GAP;

	s->h = h;
	s->c = c;
	d->t = t;
	if (d->state == D_STOPPED)
		return;
	if (why == TT_GAP_UNSEEN) {
		/* Attached mid-connection: nothing was lost, the start is unknown. */
		d->skipped = true;
		return;
	}
	if (fillable(d, len)) {
		/* Sizes come from the headers: the parser counts the hole. */
		struct tt_chunk fake = {.time_ns = t};

		if (is_req(s, di) && q_tail(s))
			q_tail(s)->partial |= flag;
		else if (!is_req(s, di))
			s->rs.partial |= flag;
		d->ch = &fake;
		while (len && d->state == D_PARSE) {
			uint32_t k = len < sizeof(zeros) ? (uint32_t)len : sizeof(zeros);

			parse(s, di, zeros, k);
			len -= k;
		}
		d->ch = NULL;
		return;
	}
	if (d->state == D_PARSE && d->in_msg)
		abandon(s, di, flag);
	else if (s->req_di >= 0 && !is_req(s, di))
		resp_lost(s, flag);
	s->aligned = false;
	flush_early(s);
	d->state = D_SCAN;
	d->at_line = true;
	d->line_len = 0;
	d->skipped = true;
}

void tt_h1_end(struct tt_http *h, struct tt_conn *c, struct tt_h1 *s, enum tt_end_reason why,
	       int64_t t)
{
	bool closed = why == TT_END_CLOSE || why == TT_END_EXIT;

	s->h = h;
	s->c = c;
	for (unsigned di = 0; di < 2; di++) {
		struct h1_dir *d = &s->d[di];
		struct tt_chunk fake = {.time_ns = t};

		d->t = t;
		d->ch = &fake;
		/* A body that ends at close ends here. */
		if (closed && d->state == D_PARSE && d->in_msg)
			llhttp_finish(&d->parser);
		d->ch = NULL;
	}
	if (s->rs_open)
		resp_lost(s, 0);
	flush_early(s);
	while (s->q_len)
		emit_head(s, NULL);
}

struct tt_h1 *tt_h1_new(const bool skipped[2])
{
	struct tt_h1 *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->req_di = -1;
	for (unsigned di = 0; di < 2; di++) {
		s->d[di].at_line = true;
		s->d[di].skipped = skipped[di];
	}
	return s;
}

void tt_h1_free(struct tt_h1 *s)
{
	free(s);
}
