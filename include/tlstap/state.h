/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_STATE_H
#define TLSTAP_STATE_H

/*
 * Keys and values of the BPF state maps: per call, per TLS object and per
 * socket.  Every key that holds per-call or per-connection state includes
 * the tgid.  Shared by bpf/, the tracer (sweeps at exit and exec) and
 * `tlstap doctor` (which decodes every entry to check it against the system).
 */

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#include "tlstap/config.h"
#include "tlstap/record.h"

/*
 * Bytes of a TLS record's start that identify it (memory BIO matching):
 * the header and 19 bytes of what follows, ciphertext under the
 * connection's keys (TLS 1.3; TLS 1.2 GCM's first 8 are its explicit
 * nonce).  Short enough for a 2-byte request in TLS 1.3 (1 byte, its
 * content type, a 16-byte tag).
 */
#define TT_CIPHER_PREFIX 24
/* Room for it in a call's state: a power of two, so that an index masked
 * with it is in bounds for the verifier. */
#define TT_CIPHER_PFX_BUF 32

/*
 * What the key of a state map holds (the KEY of TT_STATE_MAPS,
 * tlstap/counters.h), so that `doctor` can tell whether an entry still
 * stands for something that exists: a process, a thread, a goroutine's
 * call, a connection.
 */
enum tt_key_kind {
	TT_KEY_TGID,         /* __u32 tgid (watch: value __u8; go_tgids: __s64) */
	TT_KEY_PID_TGID,     /* __u64 tgid << 32 | tid; value struct tt_native_call */
	TT_KEY_GO_CALL,      /* struct tt_go_call_key; value struct tt_go_call */
	TT_KEY_GO_CONN,      /* struct tt_go_conn_key; value struct tt_go_conn */
	TT_KEY_GO_GOROUTINE, /* struct tt_go_gkey; value struct tt_go_gcall */
	TT_KEY_NATIVE_CONN,  /* struct tt_native_conn_key; value struct tt_native_conn */
	TT_KEY_SOCK,         /* __u64 struct sock *; value struct tt_sock (its tgid) */
	TT_KEY_FILE,         /* struct tt_file_key; value __u8 */
	TT_KEY_CIPHER,       /* struct tt_cipher_key (its tgid); value tt_cipher_out/_in */
	TT_KEY_FRAME,        /* struct tt_frame_key; value struct tt_frame (its tgid) */
	TT_KEY_KIND_COUNT,
};

/* Values of the watch map (key tgid). */
#define TT_WATCH_NOTIFY 1 /* send process records for it */
#define TT_WATCH_STOP 2   /* and stop it (SIGSTOP) at exec and at dlopen until the
			   * tracer has attached and sent SIGCONT: for processes the
			   * tracer launched itself */
#define TT_WATCH_QUIET 4  /* --all: the process filters excluded it at its exec or
			   * fork: no records for it until they let it through
			   * (at a record or a TLS call's entry); its entry is
			   * deleted at its exit, which has nothing to sweep */
#define TT_WATCH_FOLLOW 8 /* -- CMD, -p --children: its children are watched and
			   * traced too (with its flags), held at their fork when
			   * the flags hold (TT_WATCH_STOP) and the kernel lets
			   * BPF signal another task */
#define TT_WATCH_PASSED 16 /* the process filters let it through once (its exec
			    * or fork, a record, a TLS call): its exit is output */

/*
 * A Go Read/Write in flight: key {tgid, func, goroutine, frame}.  The frame
 * is g.stack.hi - SP at the entry probe, which equals the same difference at
 * the RET (the frame is torn down again) and survives stack copies.  A call
 * is saved under frame 0, its goroutine's slot for the function, unless an
 * outer call of the same function still holds that slot (TLS inside TLS on
 * one goroutine, e.g. a proxy tunnel): then under its own frame, and the
 * outer is marked TT_GO_NESTED.  At a RET whose SP is the slot's entry SP,
 * nothing nested in it, the slot's call is the one returning and
 * g.stack.hi is SP + frame, not read again (a user read costs more than the
 * map lookup).  Any other RET reads g.stack.hi and compares frames.
 */
struct tt_go_call_key {
	__u32 tgid;
	__u32 func; /* enum tt_go_func */
	__u64 g;    /* runtime.g pointer (R14 on amd64, R28 on arm64) */
	__u64 frame;
};

#define TT_GO_BUF_ON_STACK 1 /* buf is g.stack.hi - address: the stack may move */
#define TT_GO_WRAPPED 2      /* c.conn is not a *net.TCPConn: watch the goroutine's I/O */
#define TT_GO_NESTED 4       /* a call of the same function entered on its goroutine while it
			      * ran: its RET checks the frame */

/* How a Go call's connection was attributed at its entry. */
struct tt_go_attr {
	struct tt_tuple tuple;
	__s32 fd;
	__u8 attribution; /* enum tt_attribution */
	__u8 ev_flags;    /* TT_EV_* */
	__u16 pad;
};

struct tt_go_call {
	__u64 conn;  /* *tls.Conn */
	__u64 netfd; /* *net.netFD behind it, 0 if wrapped: with conn and tgid, the
		      * key of its go_conns entry */
	__u64 buf;   /* address, or offset from g.stack.hi (TT_GO_BUF_ON_STACK) */
	__u64 len;
	__u64 start_ns; /* CLOCK_BOOTTIME at entry (doctor: calls in flight too long) */
	__u32 obj;      /* go_objects index */
	__u32 flags;    /* TT_GO_* */
	__u64 goid;     /* the goroutine's id, 0 when its offset is unknown */
	__u64 frame;    /* g.stack.hi - SP at the entry (the key's, when not 0) */
	__u64 sp;       /* SP at the entry */
	/* Attributed at the entry, while the call's socket is certainly open:
	 * by the RET another goroutine may have closed it. */
	struct tt_go_attr attr;
};

/* A Go TLS connection: key {tgid, tls.Conn, netFD}.  The netFD is unique per
 * TCP connection, so a tls.Conn address reused after GC never hits the state
 * of the connection that had it before. */
struct tt_go_conn_key {
	__u32 tgid;
	__u32 pad;
	__u64 conn;
	__u64 netfd; /* 0 for a wrapped connection */
};

struct tt_go_conn {
	__u64 sk;              /* kernel socket it was verified against, 0 none yet */
	__s32 fd;              /* -1 unknown */
	__u32 pad;
	__u64 stream_off[2];   /* bytes returned so far, per enum tt_dir - 1 */
	struct tt_tuple tuple; /* from Go memory (0 family for wrapped) */
};

/* The socket I/O a goroutine did while a wrapped Go call was on its stack:
 * key {tgid, g}. */
struct tt_go_gkey {
	__u32 tgid;
	__u32 pad;
	__u64 g;
};

struct tt_go_gcall {
	__u64 sk;     /* first TCP socket used, 0 none yet */
	__s32 fd;     /* its fd, -1 unknown */
	__u16 depth;  /* wrapped calls nested on this goroutine */
	__u8 multi;   /* another socket was used too */
	__u8 pad;
};

/* Native call in flight: key = pid_tgid of the calling thread. */
struct tt_native_call {
	__u64 conn;    /* SSL* or gnutls_session_t */
	__u64 buf;
	__u64 len_ptr; /* SSL_read_ex/SSL_write_ex: size_t *; else 0 */
	__u64 sk;      /* first TCP socket used inside the call, 0 none */
	__u64 sp;      /* stack pointer at entry: tells the outer call's return from a
			* nested one, and a stale record from a live one */
	__u64 start_ns;
	__s32 fd;      /* -1 until known */
	__u8 lib;
	__u8 dir;      /* 0: a call without data of its own (SSL_do_handshake) */
	__u8 multi_fd; /* another socket was used too */
	__u8 cipher;   /* sk was proven by ciphertext (memory BIO), not by I/O */
	/* Memory BIO: the BIO call in flight inside this TLS call, and the
	 * first bytes of the TLS record being read through it. */
	__u64 bio_buf;
	__u64 bio_len_ptr; /* BIO_read_ex/BIO_write_ex: size_t *; else 0 */
	__u64 bio_sp;      /* 0: none in flight */
	__u8 bio_dir;      /* enum tt_dir */
	__u8 pfx_len;
	__u8 no_token;     /* its records carry the plaintext (a NULL cipher) */
	__u8 nested_other; /* began inside a call on another TLS object: TLS inside
			    * TLS when its data is TLS records, else a callback's */
	__u32 bind_token;  /* its records went to the BIO of an object not bound
			    * yet: the token of its late binding, 0 none */
	__u8 pfx[TT_CIPHER_PFX_BUF];
};

/* A native TLS object: key {tgid, SSL*}. */
struct tt_native_conn_key {
	__u32 tgid;
	__u32 pad;
	__u64 conn;
};

struct tt_native_conn {
	__u64 sk;     /* socket learned by syscall-fd or ciphertext, 0 none */
	__s32 fd;     /* -1 unknown */
	__u8 cipher;  /* learned by ciphertext: later calls say so */
	__u8 pad[3];
	__u64 stream_off[2]; /* per enum tt_dir - 1 */
	__u64 carries; /* a tunnel: the TLS object whose records its calls made
			* inside that object's calls carry (TLS inside TLS), 0 none */
};

/*
 * Memory BIO ("custom BIO") TLS: the first bytes of a TLS record, key
 * {tgid, prefix}.  Only application-data records count (type 23, at least
 * TT_CIPHER_PREFIX bytes): their bytes after the header are ciphertext under
 * the connection's own keys, unique by construction.  A prefix seen for two
 * TLS objects or on two sockets is marked collided: it never binds, and a
 * binding it made is undone.
 */
struct tt_cipher_key {
	__u32 tgid;
	__u8 prefix[TT_CIPHER_PREFIX];
};

/* Records a memory BIO produced (BIO_write inside a TLS call), waiting for
 * the socket send that carries them: map cipher_out. */
struct tt_cipher_out {
	__u64 conn; /* the TLS object */
	__u64 sk;   /* the socket that sent it, once sent (the entry stays: a
		     * prefix seen again later proves it was not unique) */
	__u8 lib;
	__u8 collided;
	__u8 pad[2];
	__u32 bind_token; /* the call that wrote it waits for its socket: bind
			   * records carry it (0 none, or sent) */
};

/* Records a socket received, waiting for the TLS call that takes them from
 * its memory BIO: map cipher_in. */
struct tt_cipher_in {
	__u64 sk;
	__u64 conn; /* the TLS object that read it, once read (the entry stays) */
	__s32 fd;
	__u8 collided;
	__u8 pad[3];
};

/* Where the TLS records begin in a socket's byte stream (memory-BIO
 * processes): key {socket, direction}. */
struct tt_frame_key {
	__u64 sk;
	__u32 dir; /* enum tt_dir */
	__u32 pad;
};

struct tt_frame {
	__u32 tgid;      /* the process that moved them (its exit sweeps) */
	__u32 remaining; /* bytes of the current record still to come */
	__u8 hdr_len;    /* bytes of the next header seen so far (0..4) */
	__u8 lost;       /* the framing is not known (attached mid-stream) */
	__u8 hdr[5];
	__u8 pad;
};

/* Values of map membio_tgids (key tgid). */
#define TT_MEMBIO_REQUESTED 1 /* its TLS calls do no socket I/O: the tracer was told */
#define TT_MEMBIO_ACTIVE 2    /* BIO probes attached: match ciphertext */

/* A socket that attributed records (map socks, key = struct sock *): who
 * uses it, so that its close ends that state and the streams. */
struct tt_sock {
	__u32 tgid;
	__u8 lib; /* enum tt_lib: which state map holds the connection */
	__u8 pad[3];
	__u64 conn;  /* TLS object */
	__u64 netfd; /* Go: the go_conns key's netFD */
	struct tt_tuple tuple;
};

#endif
