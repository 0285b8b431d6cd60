// SPDX-License-Identifier: MIT
/*
 * Names of the Go struct fields the tracer reads: the keys of "fields" in
 * resolve's JSON and the rows of the layout table.  On their own so that
 * the layout table generator links them without the table it generates.
 */
#include "tlstap/resolve.h"

static const char *const field_names[TT_F_COUNT] = {
	[TT_F_TLS_CONN_CONN] = "crypto/tls.Conn.conn",
	[TT_F_TCPCONN_CONN] = "net.TCPConn.conn",
	[TT_F_CONN_FD] = "net.conn.fd",
	[TT_F_NETFD_PFD] = "net.netFD.pfd",
	[TT_F_POLLFD_SYSFD] = "internal/poll.FD.Sysfd",
	[TT_F_NETFD_FAMILY] = "net.netFD.family",
	[TT_F_NETFD_LADDR] = "net.netFD.laddr",
	[TT_F_NETFD_RADDR] = "net.netFD.raddr",
	[TT_F_TCPADDR_IP] = "net.TCPAddr.IP",
	[TT_F_TCPADDR_PORT] = "net.TCPAddr.Port",
	[TT_F_G_GOID] = "runtime.g.goid",
};

const char *tt_go_field_name(enum tt_go_field f)
{
	return (unsigned)f < TT_F_COUNT ? field_names[f] : "?";
}
