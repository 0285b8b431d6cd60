// SPDX-License-Identifier: MIT
/*
 * The functions tlstap hooks (see tlstap/hooks.h).  The order is the order
 * of r->functions in a resolution.
 */
#include <string.h>

#include "tlstap/compiler.h"
#include "tlstap/hooks.h"

#define OSSL(dir) TT_NCOOKIE(TT_LIB_OPENSSL, TT_DIR_##dir)
#define GNUTLS(dir) TT_NCOOKIE(TT_LIB_GNUTLS, TT_DIR_##dir)

const struct tt_hook tt_hooks[] = {
	/* Go crypto/tls: the object index is added to the cookie at attach. */
	{ "crypto/tls.(*Conn).Read", TT_LIB_GO, TT_PROG_GO, TT_GO_READ,
	  TT_HOOK_REQUIRED | TT_HOOK_DATA, "plaintext read" },
	{ "crypto/tls.(*Conn).Write", TT_LIB_GO, TT_PROG_GO, TT_GO_WRITE,
	  TT_HOOK_REQUIRED | TT_HOOK_DATA, "plaintext written" },
	{ "crypto/tls.(*Conn).Close", TT_LIB_GO, TT_PROG_GO_ENTRY, TT_GO_CLOSE, 0,
	  "connection state dropped" },

	/* OpenSSL (and BoringSSL/LibreSSL, which keep its API). */
	{ "SSL_read", TT_LIB_OPENSSL, TT_PROG_NATIVE, OSSL(READ) | TT_NCOOKIE_INT_RET,
	  TT_HOOK_DATA, "plaintext read" },
	{ "SSL_write", TT_LIB_OPENSSL, TT_PROG_NATIVE, OSSL(WRITE) | TT_NCOOKIE_INT_RET,
	  TT_HOOK_DATA, "plaintext written" },
	{ "SSL_read_ex", TT_LIB_OPENSSL, TT_PROG_NATIVE,
	  OSSL(READ) | TT_NCOOKIE_EX | TT_NCOOKIE_INT_RET, TT_HOOK_DATA, "plaintext read" },
	{ "SSL_write_ex", TT_LIB_OPENSSL, TT_PROG_NATIVE,
	  OSSL(WRITE) | TT_NCOOKIE_EX | TT_NCOOKIE_INT_RET, TT_HOOK_DATA, "plaintext written" },
	/* FORGET: the object's connection state ends, or it gets another
	 * transport.  NONE: looked up, not probed (they tell a TLS library
	 * from libcrypto). */
	{ "SSL_set_fd", TT_LIB_OPENSSL, TT_PROG_NATIVE_ENTRY, TT_NCOOKIE_FORGET, 0,
	  "connection state dropped" },
	{ "SSL_set_bio", TT_LIB_OPENSSL, TT_PROG_NATIVE_ENTRY, TT_NCOOKIE_FORGET, 0,
	  "connection state dropped" },
	{ "SSL_do_handshake", TT_LIB_OPENSSL, TT_PROG_NONE, 0, 0, "identifies libssl" },
	{ "SSL_shutdown", TT_LIB_OPENSSL, TT_PROG_NATIVE_ENTRY, TT_NCOOKIE_FORGET, 0,
	  "connection state dropped" },
	{ "SSL_free", TT_LIB_OPENSSL, TT_PROG_NATIVE_ENTRY, TT_NCOOKIE_FORGET, 0,
	  "connection state dropped" },
	{ "BIO_new_socket", TT_LIB_OPENSSL, TT_PROG_NONE, 0, 0, "identifies libcrypto" },

	/* GnuTLS. */
	{ "gnutls_record_recv", TT_LIB_GNUTLS, TT_PROG_NATIVE, GNUTLS(READ), TT_HOOK_DATA,
	  "plaintext read" },
	{ "gnutls_record_send", TT_LIB_GNUTLS, TT_PROG_NATIVE, GNUTLS(WRITE), TT_HOOK_DATA,
	  "plaintext written" },
	{ "gnutls_transport_set_int2", TT_LIB_GNUTLS, TT_PROG_NATIVE_ENTRY, TT_NCOOKIE_FORGET,
	  0, "connection state dropped" },
	{ "gnutls_transport_set_ptr", TT_LIB_GNUTLS, TT_PROG_NATIVE_ENTRY, TT_NCOOKIE_FORGET, 0,
	  "connection state dropped" },
	{ "gnutls_bye", TT_LIB_GNUTLS, TT_PROG_NATIVE_ENTRY, TT_NCOOKIE_FORGET, 0,
	  "connection state dropped" },
	{ "gnutls_deinit", TT_LIB_GNUTLS, TT_PROG_NATIVE_ENTRY, TT_NCOOKIE_FORGET, 0,
	  "connection state dropped" },
};
const size_t tt_n_hooks = ARRAY_SIZE(tt_hooks);

const struct tt_hook *tt_hook_find(enum tt_lib lib, const char *name)
{
	for (size_t i = 0; i < tt_n_hooks; i++)
		if (tt_hooks[i].lib == lib && !strcmp(tt_hooks[i].name, name))
			return &tt_hooks[i];
	return NULL;
}
