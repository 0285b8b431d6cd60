// SPDX-License-Identifier: MIT
/* State-map entries decoded by what their key holds (see entry.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "doctor/entry.h"
#include "out/json.h"
#include "out/raw.h"
#include "tlstap/compiler.h"
#include "tlstap/hooks.h"
#include "trace/tracer.h"

int tt_doc_map_find(const char *name)
{
	for (int i = 0; i < TT_M_COUNT; i++)
		if (!strcmp(tt_state_map_name(i), name))
			return i;
	return -1;
}

/* A field of a key: a number, shown in hex (addresses) or decimal, or a name. */
struct field {
	const char *name;
	uint64_t v;
	const char *s;
	bool hex;
};

#define MAX_FIELDS 4

typedef void (*decode_fn)(const void *key, const void *value, struct tt_doc_entry *e);
typedef size_t (*fields_fn)(const struct tt_doc_entry *e, struct field *f);

struct kind_desc {
	uint32_t key_size, value_size;
	decode_fn decode;
	fields_fn fields;
};

static void decode_tgid(const void *key, const void *value, struct tt_doc_entry *e)
{
	(void)value;
	memcpy(&e->tgid, key, sizeof(e->tgid));
}

static void decode_pid_tgid(const void *key, const void *value, struct tt_doc_entry *e)
{
	const struct tt_native_call *v = value;
	uint64_t id;

	memcpy(&id, key, sizeof(id));
	e->tgid = id >> 32;
	e->tid = (uint32_t)id;
	e->start_ns = v->start_ns;
	e->fd = v->sk ? v->fd : -1;
	e->sk = v->sk;
	e->sp = v->sp;
	e->conn = v->conn;
}

static void decode_go_call(const void *key, const void *value, struct tt_doc_entry *e)
{
	const struct tt_go_call_key *k = key;
	const struct tt_go_call *v = value;

	e->tgid = k->tgid;
	e->func = k->func;
	e->g = k->g;
	/* Frame 0 in the key is the goroutine's slot: the call's own frame is
	 * in the value. */
	e->frame = k->frame ? k->frame : v->frame;
	e->start_ns = v->start_ns;
	e->conn = v->conn;
	e->netfd = v->netfd;
	e->flags = v->flags;
	/* The connection as attributed at the call's entry, if it was. */
	if (v->attr.tuple.family) {
		e->fd = v->attr.fd;
		e->tuple = v->attr.tuple;
	}
}

static void decode_go_conn(const void *key, const void *value, struct tt_doc_entry *e)
{
	const struct tt_go_conn_key *k = key;
	const struct tt_go_conn *v = value;

	e->tgid = k->tgid;
	e->conn = k->conn;
	e->netfd = k->netfd;
	e->sk = v->sk;
	if (v->sk) {
		e->fd = v->fd;
		e->tuple = v->tuple;
	}
}

static void decode_go_goroutine(const void *key, const void *value, struct tt_doc_entry *e)
{
	const struct tt_go_gkey *k = key;
	const struct tt_go_gcall *v = value;

	e->tgid = k->tgid;
	e->g = k->g;
	e->sk = v->sk;
	e->fd = v->sk ? v->fd : -1;
	e->depth = v->depth;
}

static void decode_native_conn(const void *key, const void *value, struct tt_doc_entry *e)
{
	const struct tt_native_conn_key *k = key;
	const struct tt_native_conn *v = value;

	e->tgid = k->tgid;
	e->conn = k->conn;
	e->sk = v->sk;
	e->fd = v->sk ? v->fd : -1;
}

static void decode_sock(const void *key, const void *value, struct tt_doc_entry *e)
{
	const struct tt_sock *v = value;

	memcpy(&e->sk, key, sizeof(e->sk));
	e->tgid = v->tgid;
	e->conn = v->conn;
	e->netfd = v->netfd;
	e->tuple = v->tuple;
}

static void decode_file(const void *key, const void *value, struct tt_doc_entry *e)
{
	const struct tt_file_key *k = key;

	(void)value;
	e->dev = k->dev;
	e->ino = k->ino;
}

/* cipher_out and cipher_in share the key; their values differ. */
static void decode_cipher(const void *key, const void *value, struct tt_doc_entry *e)
{
	const struct tt_cipher_key *k = key;

	(void)value;
	e->tgid = k->tgid;
	memcpy(e->prefix, k->prefix, sizeof(e->prefix));
}

static void decode_frame(const void *key, const void *value, struct tt_doc_entry *e)
{
	const struct tt_frame_key *k = key;
	const struct tt_frame *v = value;

	e->sk = k->sk;
	e->tgid = v->tgid;
	e->dir = k->dir;
}

static size_t fields_tgid(const struct tt_doc_entry *e, struct field *f)
{
	f[0] = (struct field){"tgid", e->tgid};
	return 1;
}

static size_t fields_pid_tgid(const struct tt_doc_entry *e, struct field *f)
{
	f[0] = (struct field){"tgid", e->tgid};
	f[1] = (struct field){"tid", e->tid};
	return 2;
}

/* The hook table names the Go functions. */
static const char *go_func_name(uint32_t func)
{
	for (size_t i = 0; i < tt_n_hooks; i++)
		if (tt_hooks[i].lib == TT_LIB_GO && TT_GO_COOKIE_FUNC(tt_hooks[i].cookie) == func)
			return tt_hooks[i].name;
	return NULL;
}

static size_t fields_go_call(const struct tt_doc_entry *e, struct field *f)
{
	const char *name = go_func_name(e->func);

	f[0] = (struct field){"tgid", e->tgid};
	f[1] = name ? (struct field){"func", .s = name} : (struct field){"func", e->func};
	f[2] = (struct field){"g", e->g, .hex = true};
	f[3] = (struct field){"frame", e->frame, .hex = true};
	return 4;
}

static size_t fields_go_conn(const struct tt_doc_entry *e, struct field *f)
{
	f[0] = (struct field){"tgid", e->tgid};
	f[1] = (struct field){"conn", e->conn, .hex = true};
	f[2] = (struct field){"netfd", e->netfd, .hex = true};
	return 3;
}

static size_t fields_go_goroutine(const struct tt_doc_entry *e, struct field *f)
{
	f[0] = (struct field){"tgid", e->tgid};
	f[1] = (struct field){"g", e->g, .hex = true};
	return 2;
}

static size_t fields_native_conn(const struct tt_doc_entry *e, struct field *f)
{
	f[0] = (struct field){"tgid", e->tgid};
	f[1] = (struct field){"conn", e->conn, .hex = true};
	return 2;
}

static size_t fields_sock(const struct tt_doc_entry *e, struct field *f)
{
	f[0] = (struct field){"sk", e->sk, .hex = true};
	return 1;
}

static size_t fields_file(const struct tt_doc_entry *e, struct field *f)
{
	f[0] = (struct field){"dev", e->dev};
	f[1] = (struct field){"ino", e->ino};
	return 2;
}

/* The prefix's first 8 bytes: the record header and 3 ciphertext bytes. */
static size_t fields_cipher(const struct tt_doc_entry *e, struct field *f)
{
	uint64_t head = 0;

	for (int i = 0; i < 8; i++)
		head = head << 8 | e->prefix[i];
	f[0] = (struct field){"tgid", e->tgid};
	f[1] = (struct field){"prefix", head, .hex = true};
	return 2;
}

static size_t fields_frame(const struct tt_doc_entry *e, struct field *f)
{
	f[0] = (struct field){"sk", e->sk, .hex = true};
	f[1] = (struct field){"dir", .s = e->dir == TT_DIR_WRITE ? "write" : "read"};
	return 2;
}

static const struct kind_desc kinds[TT_KEY_KIND_COUNT] = {
    [TT_KEY_TGID] = {sizeof(__u32), 0, decode_tgid, fields_tgid},
    [TT_KEY_PID_TGID] = {sizeof(__u64), sizeof(struct tt_native_call), decode_pid_tgid,
			 fields_pid_tgid},
    [TT_KEY_GO_CALL] = {sizeof(struct tt_go_call_key), sizeof(struct tt_go_call), decode_go_call,
			fields_go_call},
    [TT_KEY_GO_CONN] = {sizeof(struct tt_go_conn_key), sizeof(struct tt_go_conn), decode_go_conn,
			fields_go_conn},
    [TT_KEY_GO_GOROUTINE] = {sizeof(struct tt_go_gkey), sizeof(struct tt_go_gcall),
			     decode_go_goroutine, fields_go_goroutine},
    [TT_KEY_NATIVE_CONN] = {sizeof(struct tt_native_conn_key), sizeof(struct tt_native_conn),
			    decode_native_conn, fields_native_conn},
    [TT_KEY_SOCK] = {sizeof(__u64), sizeof(struct tt_sock), decode_sock, fields_sock},
    [TT_KEY_FILE] = {sizeof(struct tt_file_key), sizeof(__u8), decode_file, fields_file},
    [TT_KEY_CIPHER] = {sizeof(struct tt_cipher_key), 0, decode_cipher, fields_cipher},
    [TT_KEY_FRAME] = {sizeof(struct tt_frame_key), sizeof(struct tt_frame), decode_frame,
		      fields_frame},
};

uint32_t tt_doc_key_size(enum tt_key_kind k)
{
	return (unsigned)k < TT_KEY_KIND_COUNT ? kinds[k].key_size : 0;
}

uint32_t tt_doc_value_size(enum tt_key_kind k)
{
	return (unsigned)k < TT_KEY_KIND_COUNT ? kinds[k].value_size : 0;
}

int tt_doc_decode(enum tt_key_kind kind, const void *key, size_t key_size, const void *value,
		  size_t value_size, struct tt_doc_entry *e)
{
	const struct kind_desc *d;

	if ((unsigned)kind >= TT_KEY_KIND_COUNT)
		return -EINVAL;
	d = &kinds[kind];
	if (key_size != d->key_size || (d->value_size && value_size != d->value_size))
		return -EINVAL;
	memset(e, 0, sizeof(*e));
	e->kind = kind;
	e->fd = -1;
	d->decode(key, value, e);
	return 0;
}

void tt_doc_key_text(const struct tt_doc_entry *e, char *buf, size_t len)
{
	struct field f[MAX_FIELDS];
	size_t n = kinds[e->kind].fields(e, f), off = 0;

	off += snprintf(buf, len, "{");
	for (size_t i = 0; i < n && off < len; i++) {
		const char *sep = i ? ", " : "";

		if (f[i].s)
			off += snprintf(buf + off, len - off, "%s%s %s", sep, f[i].name, f[i].s);
		else
			off +=
			    snprintf(buf + off, len - off, f[i].hex ? "%s%s 0x%llx" : "%s%s %llu",
				     sep, f[i].name, (unsigned long long)f[i].v);
	}
	if (off < len)
		snprintf(buf + off, len - off, "}");
}

/* 64-bit addresses are strings: JSON numbers lose precision past 2^53. */
static void json_hex(struct tt_json *j, const char *key, uint64_t v)
{
	char s[24];

	snprintf(s, sizeof(s), "0x%llx", (unsigned long long)v);
	tt_json_kv_string(j, key, s);
}

void tt_doc_key_json(struct tt_json *j, const struct tt_doc_entry *e)
{
	struct field f[MAX_FIELDS];
	size_t n = kinds[e->kind].fields(e, f);

	tt_json_object_begin(j);
	for (size_t i = 0; i < n; i++) {
		if (f[i].s)
			tt_json_kv_string(j, f[i].name, f[i].s);
		else if (f[i].hex)
			json_hex(j, f[i].name, f[i].v);
		else
			tt_json_kv_uint(j, f[i].name, f[i].v);
	}
	tt_json_object_end(j);
}

void tt_doc_tuple_text(const struct tt_tuple *t, char *buf, size_t len)
{
	char l[64], r[64];

	buf[0] = 0;
	if (!t->family)
		return;
	tt_format_addr(t, 0, l, sizeof(l));
	tt_format_addr(t, 1, r, sizeof(r));
	if (t->family == AF_INET6)
		snprintf(buf, len, "[%s]:%u -> [%s]:%u", l, t->lport, r, t->rport);
	else
		snprintf(buf, len, "%s:%u -> %s:%u", l, t->lport, r, t->rport);
}

void tt_doc_value_json(struct tt_json *j, const struct tt_doc_entry *e, uint64_t now_ns)
{
	char buf[64];

	tt_json_object_begin(j);
	if (e->kind == TT_KEY_SOCK || e->kind == TT_KEY_FRAME)
		tt_json_kv_uint(j, "tgid", e->tgid);
	if (e->start_ns && now_ns >= e->start_ns) {
		tt_json_key(j, "age_ms");
		tt_json_uint(j, (now_ns - e->start_ns) / 1000000);
	}
	if (e->fd >= 0)
		tt_json_kv_int(j, "fd", e->fd);
	if (e->sk)
		json_hex(j, "sk", e->sk);
	if (e->tuple.family) {
		tt_format_addr(&e->tuple, 0, buf, sizeof(buf));
		tt_json_kv_string(j, "laddr", buf);
		tt_json_kv_uint(j, "lport", e->tuple.lport);
		tt_format_addr(&e->tuple, 1, buf, sizeof(buf));
		tt_json_kv_string(j, "raddr", buf);
		tt_json_kv_uint(j, "rport", e->tuple.rport);
	}
	tt_json_object_end(j);
}
