// SPDX-License-Identifier: MIT
/* HPACK with nghttp2's inflater, tolerant of a table it never saw fill. */
#include <errno.h>
#include <string.h>

#include <nghttp2/nghttp2.h>

#include "proto/hpack.h"

/* Table sizes accepted before (and besides) SETTINGS: generous but bounded. */
#define DEFAULT_CAP (64u * 1024)
#define MAX_CAP (1u << 20)

/* A name no encoder sends (RFC 9113 8.2.1: no NUL in field names). */
static const char placeholder[] = "\0tlstap-unknown";
#define PLACEHOLDER_LEN (sizeof(placeholder) - 1)

int tt_hpack_init(struct tt_hpack *hp)
{
	memset(hp, 0, sizeof(*hp));
	hp->cap = DEFAULT_CAP;
	return tt_hpack_reset(hp);
}

void tt_hpack_free(struct tt_hpack *hp)
{
	if (hp->inf)
		nghttp2_hd_inflate_del(hp->inf);
	hp->inf = NULL;
}

int tt_hpack_reset(struct tt_hpack *hp)
{
	tt_hpack_free(hp);
	if (nghttp2_hd_inflate_new(&hp->inf))
		return -ENOMEM;
	/* Raising the limit lets the encoder's size updates through; the
	 * table itself stays at the protocol's 4096 until one comes. */
	nghttp2_hd_inflate_change_table_size(hp->inf, hp->cap);
	hp->fresh = true;
	return 0;
}

void tt_hpack_settings(struct tt_hpack *hp, uint32_t size)
{
	if (size <= hp->cap)
		return;
	hp->cap = size < MAX_CAP ? size : MAX_CAP;
	if (hp->inf)
		nghttp2_hd_inflate_change_table_size(hp->inf, hp->cap);
}

/* RFC 7541 5.1: an integer with an N-bit prefix; bytes used or 0. */
static size_t read_int(const uint8_t *p, size_t n, unsigned bits, uint64_t *out)
{
	uint64_t max = (1u << bits) - 1, v;
	unsigned shift = 0;
	size_t i = 1;

	if (!n)
		return 0;
	v = p[0] & max;
	if (v < max) {
		*out = v;
		return 1;
	}
	for (; i < n && shift <= 56; i++, shift += 7) {
		v += (uint64_t)(p[i] & 0x7f) << shift;
		if (!(p[i] & 0x80)) {
			*out = v;
			return i + 1;
		}
	}
	return 0;
}

/* RFC 7541 5.2: a string literal; bytes used or 0. */
static size_t skip_string(const uint8_t *p, size_t n)
{
	uint64_t len;
	size_t k = read_int(p, n, 7, &len);

	if (!k || len > n - k)
		return 0;
	return k + (size_t)len;
}

struct rep {
	size_t len;	 /* bytes of the representation */
	uint64_t index;	 /* 0: literal name */
	unsigned bits;	 /* prefix bits of the index */
	uint8_t type;	 /* first byte with the index bits cleared */
	size_t name_off; /* where the literal name or the value starts */
	bool indexed;	 /* a whole field from the table */
	bool literal;
};

static bool parse_rep(const uint8_t *p, size_t n, struct rep *r)
{
	size_t k, s;

	memset(r, 0, sizeof(*r));
	if (p[0] & 0x80)
		r->bits = 7, r->indexed = true;
	else if ((p[0] & 0xc0) == 0x40)
		r->bits = 6, r->literal = true;
	else if ((p[0] & 0xe0) == 0x20)
		r->bits = 5; /* dynamic table size update */
	else
		r->bits = 4, r->literal = true; /* without / never indexed */
	r->type = (uint8_t)(p[0] & ~((1u << r->bits) - 1));
	k = read_int(p, n, r->bits, &r->index);
	if (!k)
		return false;
	r->len = k;
	r->name_off = k;
	if (!r->literal)
		return true;
	if (!r->index) {
		s = skip_string(p + r->len, n - r->len);
		if (!s)
			return false;
		r->len += s;
	}
	s = skip_string(p + r->len, n - r->len);
	if (!s)
		return false;
	r->len += s;
	return true;
}

struct feed_ctx {
	tt_hpack_field_fn fn;
	void *ctx;
	int unknown;
};

static void report(struct feed_ctx *f, const nghttp2_nv *nv)
{
	if (nv->namelen == PLACEHOLDER_LEN && !memcmp(nv->name, placeholder, PLACEHOLDER_LEN)) {
		f->unknown++;
		f->fn(f->ctx, NULL, 0, nv->value, nv->valuelen);
		return;
	}
	f->fn(f->ctx, nv->name, nv->namelen, nv->value, nv->valuelen);
}

/* Give nghttp2 bytes of the block; false if it failed. */
static bool feed(struct tt_hpack *hp, struct feed_ctx *f, const uint8_t *p, size_t n, int fin)
{
	for (;;) {
		nghttp2_nv nv;
		int flags = 0;
		ssize_t r = nghttp2_hd_inflate_hd2(hp->inf, &nv, &flags, p, n, fin);

		if (r < 0)
			return false;
		p += r;
		n -= (size_t)r;
		if (flags & NGHTTP2_HD_INFLATE_EMIT)
			report(f, &nv);
		if (flags & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(hp->inf);
			return true;
		}
		if (!(flags & NGHTTP2_HD_INFLATE_EMIT) && !n)
			return true;
	}
}

/* A literal whose name is an entry never seen: the same literal with a
 * placeholder name, so that an insertion still happens. */
static bool feed_renamed(struct tt_hpack *hp, struct feed_ctx *f, const uint8_t *p,
			 const struct rep *r)
{
	uint8_t buf[2 + PLACEHOLDER_LEN];
	size_t vlen = r->len - r->name_off;

	buf[0] = r->type; /* index 0: literal name */
	buf[1] = (uint8_t)PLACEHOLDER_LEN;
	memcpy(buf + 2, placeholder, PLACEHOLDER_LEN);
	return feed(hp, f, buf, sizeof(buf), 0) && feed(hp, f, p + r->name_off, vlen, 0);
}

int tt_hpack_block(struct tt_hpack *hp, const uint8_t *p, size_t n, tt_hpack_field_fn fn, void *ctx)
{
	static const uint8_t empty[1];
	struct feed_ctx f = {fn, ctx, 0};
	size_t pos = 0;

	if (!p)
		p = empty; /* an empty block (never NULL + 0) */

	if (!hp->inf && tt_hpack_reset(hp))
		return -1;
	while (pos < n) {
		size_t entries = nghttp2_hd_inflate_get_num_table_entries(hp->inf);
		struct rep r;
		bool ok;

		if (!parse_rep(p + pos, n - pos, &r) || (r.indexed && !r.index))
			goto broken;
		if (r.indexed && r.index > entries) {
			f.unknown++;
			fn(ctx, NULL, 0, NULL, 0);
			pos += r.len;
			continue;
		}
		if (r.literal && r.index > entries)
			ok = feed_renamed(hp, &f, p + pos, &r);
		else
			ok = feed(hp, &f, p + pos, r.len, 0);
		if (!ok)
			goto broken;
		pos += r.len;
	}
	if (!feed(hp, &f, p + n, 0, 1)) /* the end of the block */
		goto broken;
	return f.unknown;
broken:
	tt_hpack_reset(hp);
	return -1;
}
