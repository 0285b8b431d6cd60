// SPDX-License-Identifier: MIT
/*
 * The doctor's decoders of the state maps' keys and values (tlstap/state.h):
 * every key kind, the sizes that make an entry of another layout refused,
 * and the key as text and JSON.
 */
#include "testutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <sys/socket.h>

#include "doctor/entry.h"
#include "out/json.h"
#include "tlstap/hooks.h"
#include "trace/tracer.h"

/* What the JSON writer wrote for one entry's key and value. */
static char *json_of(const struct tt_doc_entry *e, uint64_t now_ns)
{
	struct tt_json j;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	tt_json_init(&j, f);
	tt_json_array_begin(&j);
	tt_doc_key_json(&j, e);
	tt_doc_value_json(&j, e, now_ns);
	tt_json_array_end(&j);
	fclose(f);
	return buf;
}

static void test_map_kinds(void **state)
{
	(void)state;
	assert_int_equal(tt_doc_map_find("go_calls"), TT_M_GO_CALLS);
	assert_int_equal(tt_doc_map_find("watch"), TT_M_WATCH);
	assert_int_equal(tt_doc_map_find("socks"), TT_M_SOCKS);
	assert_int_equal(tt_doc_map_find("go_objects"), -1);
	assert_int_equal(tt_state_map_kind(TT_M_NATIVE_CALLS), TT_KEY_PID_TGID);
	assert_int_equal(tt_state_map_kind(TT_M_GO_TGIDS), TT_KEY_TGID);
	assert_int_equal(tt_state_map_kind(TT_M_SOCKS), TT_KEY_SOCK);
	assert_int_equal(tt_doc_key_size(TT_KEY_GO_CALL), 24);
	assert_int_equal(tt_doc_key_size(TT_KEY_GO_CONN), 24);
	assert_int_equal(tt_doc_key_size(TT_KEY_NATIVE_CONN), 16);
	assert_int_equal(tt_doc_key_size(TT_KEY_PID_TGID), 8);
	assert_int_equal(tt_doc_value_size(TT_KEY_TGID), 0); /* any */
}

static void test_tgid_keys(void **state)
{
	uint32_t tgid = 4242;
	uint8_t watch = TT_WATCH_NOTIFY;
	int64_t tls_off = -8;
	struct tt_doc_entry e;
	char text[128];

	(void)state;
	/* watch (__u8 values) and go_tgids (__s64): the same key kind. */
	assert_int_equal(tt_doc_decode(TT_KEY_TGID, &tgid, 4, &watch, 1, &e), 0);
	assert_int_equal(e.tgid, 4242);
	assert_int_equal(e.fd, -1);
	assert_int_equal(tt_doc_decode(TT_KEY_TGID, &tgid, 4, &tls_off, 8, &e), 0);
	tt_doc_key_text(&e, text, sizeof(text));
	assert_string_equal(text, "{tgid 4242}");
	assert_int_equal(tt_doc_decode(TT_KEY_TGID, &tgid, 8, &tls_off, 8, &e), -EINVAL);
}

static void test_native_call(void **state)
{
	uint64_t id = (uint64_t)4242 << 32 | 4250;
	struct tt_native_call v = {.conn = 0x55550000aa00,
				   .sk = 0xffff888012345600,
				   .sp = 0x7ffd00001000,
				   .start_ns = 5000000000,
				   .fd = 7};
	struct tt_doc_entry e;
	char text[128], *json;

	(void)state;
	assert_int_equal(tt_doc_decode(TT_KEY_PID_TGID, &id, 8, &v, sizeof(v), &e), 0);
	assert_int_equal(e.tgid, 4242);
	assert_int_equal(e.tid, 4250);
	assert_int_equal(e.fd, 7);
	assert_int_equal(e.sp, 0x7ffd00001000);
	assert_int_equal(e.start_ns, 5000000000);
	tt_doc_key_text(&e, text, sizeof(text));
	assert_string_equal(text, "{tgid 4242, tid 4250}");
	json = json_of(&e, 7500000000);
	assert_string_equal(json, "[{\"tgid\":4242,\"tid\":4250},{\"age_ms\":2500,\"fd\":7,"
				  "\"sk\":\"0xffff888012345600\"}]");
	free(json);
	/* The fd means nothing until the call has used a socket. */
	v.sk = 0;
	assert_int_equal(tt_doc_decode(TT_KEY_PID_TGID, &id, 8, &v, sizeof(v), &e), 0);
	assert_int_equal(e.fd, -1);
	assert_int_equal(tt_doc_decode(TT_KEY_PID_TGID, &id, 8, &v, sizeof(v) - 8, &e), -EINVAL);
}

static void test_go_call(void **state)
{
	struct tt_go_call_key k = {
	    .tgid = 77, .func = TT_GO_READ, .g = 0xc000102000, .frame = 0x1f8};
	struct tt_go_call v = {
	    .conn = 0xc000200000, .netfd = 0xc000300000, .start_ns = 1, .flags = 0};
	struct tt_doc_entry e;
	char text[160], *json;

	(void)state;
	v.attr.fd = 9;
	v.attr.tuple.family = AF_INET;
	v.attr.tuple.lport = 8443;
	v.attr.tuple.rport = 50000;
	inet_pton(AF_INET, "127.0.0.1", v.attr.tuple.laddr);
	inet_pton(AF_INET, "127.0.0.2", v.attr.tuple.raddr);
	assert_int_equal(tt_doc_decode(TT_KEY_GO_CALL, &k, sizeof(k), &v, sizeof(v), &e), 0);
	assert_int_equal(e.fd, 9);
	assert_int_equal(e.tuple.lport, 8443);
	tt_doc_key_text(&e, text, sizeof(text));
	/* The function's name comes from the hook table. */
	assert_string_equal(text, "{tgid 77, func crypto/tls.(*Conn).Read, g 0xc000102000, "
				  "frame 0x1f8}");
	json = json_of(&e, 0);
	assert_string_equal(json, "[{\"tgid\":77,\"func\":\"crypto/tls.(*Conn).Read\","
				  "\"g\":\"0xc000102000\",\"frame\":\"0x1f8\"},{\"fd\":9,"
				  "\"laddr\":\"127.0.0.1\",\"lport\":8443,\"raddr\":\"127.0.0.2\","
				  "\"rport\":50000}]");
	free(json);
	/* A call in its goroutine's slot (key frame 0): the value's frame. */
	k.frame = 0;
	v.frame = 0x2a0;
	assert_int_equal(tt_doc_decode(TT_KEY_GO_CALL, &k, sizeof(k), &v, sizeof(v), &e), 0);
	tt_doc_key_text(&e, text, sizeof(text));
	assert_string_equal(text, "{tgid 77, func crypto/tls.(*Conn).Read, g 0xc000102000, "
				  "frame 0x2a0}");
	/* Not attributed at its entry: no connection to judge it by. */
	memset(&v.attr, 0, sizeof(v.attr));
	v.attr.fd = -1;
	v.flags = TT_GO_WRAPPED;
	assert_int_equal(tt_doc_decode(TT_KEY_GO_CALL, &k, sizeof(k), &v, sizeof(v), &e), 0);
	assert_int_equal(e.tuple.family, 0);
	assert_int_equal(e.fd, -1);
	assert_int_equal(e.flags, TT_GO_WRAPPED);
}

static void test_connections(void **state)
{
	struct tt_go_conn_key gk = {.tgid = 5, .conn = 0xc0001, .netfd = 0xc0002};
	struct tt_go_conn gv = {.sk = 0, .fd = 3};
	struct tt_native_conn_key nk = {.tgid = 6, .conn = 0x5555};
	struct tt_native_conn nv = {.sk = 0xffff1, .fd = 4};
	uint64_t sk = 0xffff888000001000;
	struct tt_sock so = {.tgid = 8, .lib = TT_LIB_OPENSSL, .conn = 0x5555};
	struct tt_doc_entry e;
	char text[128], *json;

	(void)state;
	/* A Go connection never verified against a socket has no fd to check. */
	assert_int_equal(tt_doc_decode(TT_KEY_GO_CONN, &gk, sizeof(gk), &gv, sizeof(gv), &e), 0);
	assert_int_equal(e.fd, -1);
	assert_int_equal(e.tuple.family, 0);
	tt_doc_key_text(&e, text, sizeof(text));
	assert_string_equal(text, "{tgid 5, conn 0xc0001, netfd 0xc0002}");
	gv.sk = 0xffff2;
	gv.tuple.family = AF_INET6;
	assert_int_equal(tt_doc_decode(TT_KEY_GO_CONN, &gk, sizeof(gk), &gv, sizeof(gv), &e), 0);
	assert_int_equal(e.fd, 3);
	assert_int_equal(e.tuple.family, AF_INET6);

	assert_int_equal(tt_doc_decode(TT_KEY_NATIVE_CONN, &nk, sizeof(nk), &nv, sizeof(nv), &e),
			 0);
	assert_int_equal(e.tgid, 6);
	assert_int_equal(e.sk, 0xffff1);
	assert_int_equal(e.fd, 4);
	tt_doc_key_text(&e, text, sizeof(text));
	assert_string_equal(text, "{tgid 6, conn 0x5555}");

	/* socks: the key is the socket, the tgid is in the value. */
	so.tuple.family = AF_INET;
	so.tuple.lport = 1;
	so.tuple.rport = 2;
	assert_int_equal(tt_doc_decode(TT_KEY_SOCK, &sk, 8, &so, sizeof(so), &e), 0);
	assert_int_equal(e.tgid, 8);
	assert_int_equal(e.sk, sk);
	assert_int_equal(e.conn, 0x5555);
	json = json_of(&e, 0);
	assert_string_equal(json, "[{\"sk\":\"0xffff888000001000\"},{\"tgid\":8,"
				  "\"sk\":\"0xffff888000001000\",\"laddr\":\"0.0.0.0\","
				  "\"lport\":1,\"raddr\":\"0.0.0.0\",\"rport\":2}]");
	free(json);
}

static void test_goroutine(void **state)
{
	struct tt_go_gkey k = {.tgid = 9, .g = 0xc0000a};
	struct tt_go_gcall v = {.sk = 0, .fd = 5, .depth = 2};
	struct tt_doc_entry e;
	char text[64];

	(void)state;
	assert_int_equal(tt_doc_decode(TT_KEY_GO_GOROUTINE, &k, sizeof(k), &v, sizeof(v), &e), 0);
	assert_int_equal(e.fd, -1); /* no socket used yet */
	assert_int_equal(e.depth, 2);
	tt_doc_key_text(&e, text, sizeof(text));
	assert_string_equal(text, "{tgid 9, g 0xc0000a}");
	/* Truncated, never overrun. */
	tt_doc_key_text(&e, text, 8);
	assert_string_equal(text, "{tgid 9");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_map_kinds),	cmocka_unit_test(test_tgid_keys),
	    cmocka_unit_test(test_native_call), cmocka_unit_test(test_go_call),
	    cmocka_unit_test(test_connections), cmocka_unit_test(test_goroutine),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
