/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_GOFIELDS_H
#define TLSTAP_GOFIELDS_H

/*
 * The Go struct fields the tracer reads: one list, from which come the enum
 * (BPF indexes its per-binary offsets with it), the resolver's table of
 * names (DWARF and type-descriptor lookups, the layout-table generator,
 * resolve's JSON keys) and what the tracer requires.
 *
 * X(ENUM, "struct", "member", required): required fields must be known for
 * the tracer to attach to a binary; the others make events richer.
 */
#define TT_GO_FIELDS(X)                                                                  \
	X(TLS_CONN_CONN, "crypto/tls.Conn", "conn", 1)   /* net.Conn interface */        \
	X(TCPCONN_CONN, "net.TCPConn", "conn", 1)        /* embedded net.conn */         \
	X(CONN_FD, "net.conn", "fd", 1)                  /* *net.netFD */                \
	X(NETFD_PFD, "net.netFD", "pfd", 1)              /* internal/poll.FD */          \
	X(POLLFD_SYSFD, "internal/poll.FD", "Sysfd", 1)  /* int */                       \
	X(NETFD_FAMILY, "net.netFD", "family", 0)        /* int */                       \
	X(NETFD_LADDR, "net.netFD", "laddr", 1)          /* net.Addr interface */        \
	X(NETFD_RADDR, "net.netFD", "raddr", 1)          /* net.Addr interface */        \
	X(TCPADDR_IP, "net.TCPAddr", "IP", 1)            /* []byte */                    \
	X(TCPADDR_PORT, "net.TCPAddr", "Port", 1)        /* int */                       \
	X(G_GOID, "runtime.g", "goid", 0)                /* int64/uint64 */

enum tt_go_field {
#define TT_GO_FIELD_ENUM(e, s, m, r) TT_F_##e,
	TT_GO_FIELDS(TT_GO_FIELD_ENUM)
#undef TT_GO_FIELD_ENUM
	TT_F_COUNT,
};

#define TT_FIELD_UNKNOWN (-1)

#endif
