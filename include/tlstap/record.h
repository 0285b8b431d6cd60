/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_RECORD_H
#define TLSTAP_RECORD_H

/*
 * Records the BPF programs send to user space through the ring buffer.  Every
 * record starts with struct tt_rec_hdr; its type says which struct follows.
 * One definition each, shared by bpf/ and src/.
 *
 * BPF includes vmlinux.h before this file; user space includes <linux/types.h>.
 */

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Largest plaintext chunk one data record carries (the BPF scratch buffer). */
#define TT_CHUNK_MAX 16384
/* Most plaintext one TLS call may have captured (--max-bytes): 1 GiB, a
 * plain number so that help texts can spell it. */
#define TT_MAX_BYTES 1073741824

/*
 * Each enumeration comes with its names (NDJSON, text, replay), from one
 * list: X(ENUM, value, "name").
 */
#define TT_LIBS(X)                                                                       \
	X(GO, 1, "go")                                                                   \
	X(OPENSSL, 2, "openssl")                                                         \
	X(GNUTLS, 3, "gnutls")

#define TT_DIRS(X)                                                                       \
	X(READ, 1, "read")                                                               \
	X(WRITE, 2, "write")

/* How the connection of a data record was attributed (see README). */
#define TT_ATTRIBUTIONS(X)                                                               \
	X(NONE, 0, "none")             /* no tuple: plaintext and pid only */            \
	X(GO_MEMORY, 1, "go-memory")   /* Go memory agreed with the fd's socket */       \
	X(SYSCALL_FD, 2, "syscall-fd") /* the socket the TLS call itself did I/O on */   \
	X(CACHE, 3, "cache")           /* learned earlier for the TLS object, checked */ \
	X(AMBIGUOUS, 4, "ambiguous")   /* two sockets, or Go memory != socket */         \
	X(CIPHERTEXT, 5, "ciphertext") /* memory BIO: its records matched a socket's */

#define TT_ENUM_LIB(e, v, n) TT_LIB_##e = v,
#define TT_ENUM_DIR(e, v, n) TT_DIR_##e = v,
#define TT_ENUM_ATTR(e, v, n) TT_ATTR_##e = v,
enum tt_lib { TT_LIBS(TT_ENUM_LIB) };
enum tt_dir { TT_DIRS(TT_ENUM_DIR) };
enum tt_attribution { TT_ATTRIBUTIONS(TT_ENUM_ATTR) };
#undef TT_ENUM_LIB
#undef TT_ENUM_DIR
#undef TT_ENUM_ATTR

/* Data record flags. */
#define TT_EV_TRUNCATED (1u << 0)      /* the call's data was cut at max_bytes */
#define TT_EV_MORE (1u << 1)           /* another chunk of the same call follows */
#define TT_EV_TUPLE_MISMATCH (1u << 2) /* Go memory tuple != socket tuple */
#define TT_EV_MULTI_FD (1u << 3)       /* several sockets used inside one call */
/* Memory BIO: the call's ciphertext is still in its BIO, not yet sent; a bind
 * record with the same bind_token may name its socket (user space holds the
 * record until then; never in the output). */
#define TT_EV_BIND_PENDING (1u << 4)

struct tt_tuple {
	__u16 family; /* AF_INET, AF_INET6, 0 = none */
	__u16 lport;  /* host byte order */
	__u16 rport;
	__u16 pad;
	__u8 laddr[16]; /* IPv4 in the first 4 bytes */
	__u8 raddr[16];
};

enum tt_rec_type {
	TT_REC_DATA = 1,     /* struct tt_data_rec + chunk_len bytes of plaintext */
	TT_REC_PROC = 2,     /* struct tt_proc_rec: the tracer must look at a process */
	TT_REC_CONN_END = 3, /* struct tt_conn_end_rec: an attributed TCP socket closed */
	TT_REC_BIND = 4,     /* struct tt_bind_rec: a memory BIO's pending call was sent */
};

struct tt_rec_hdr {
	__u16 type; /* enum tt_rec_type */
	__u16 pad;
	__u32 tgid; /* host pid of the process the record is about */
	__u64 time_ns; /* CLOCK_BOOTTIME */
};

/* One chunk of the plaintext of one TLS call. */
struct tt_data_rec {
	struct tt_rec_hdr hdr;
	__u32 tid;
	__u32 ns_tgid;   /* the pid inside the process's own pid namespace */
	__u64 cgroup_id; /* cgroup v2 id (the cgroup directory's inode) */
	__u64 goid;      /* Go goroutine id, 0 for native */
	__u64 conn_ptr;  /* tls.Conn* / SSL* / gnutls_session_t: correlation only */
	/*
	 * Offset of this chunk's first byte in the byte stream of this TLS
	 * object and direction, counting every byte its calls returned: bytes
	 * cut by max_bytes or lost with a full ring buffer leave a hole, never
	 * a seam.
	 */
	__u64 stream_off;
	__u32 len;       /* bytes the TLS call returned */
	__u32 chunk_off; /* offset of the data within the call's plaintext */
	__u32 chunk_len; /* bytes of data that follow */
	__s32 fd;        /* socket fd the tuple belongs to, -1 unknown */
	__u8 lib;        /* enum tt_lib */
	__u8 dir;        /* enum tt_dir */
	__u8 attribution; /* enum tt_attribution */
	__u8 flags;      /* TT_EV_* */
	__u32 bind_token; /* TT_EV_BIND_PENDING: names the call in a bind record */
	struct tt_tuple tuple;
	char comm[16];
	/* chunk_len bytes of plaintext follow. */
};

/* What happened to a process (struct tt_proc_rec.kind). */
enum tt_proc_kind {
	TT_PROC_RESCAN = 1, /* the dynamic loader changed the link map (dlopen) */
	TT_PROC_EXEC = 2,   /* the process executed a new program */
	TT_PROC_EXIT = 3,   /* the process (thread group) exited */
	TT_PROC_MEMBIO = 4, /* its TLS calls do no socket I/O (memory BIO): it needs
			     * the ciphertext probes */
	TT_PROC_FORK = 5,   /* a process of the launched command's tree forked this
			     * one (hdr.tgid): it is traced too */
};

/* Flags of a process record. */
#define TT_PROCF_NEW_EXE 1 /* --all: an executable the tracer had not seen */
#define TT_PROCF_EXCLUDED 2 /* the exit of a process the process filters never let
			     * through: for the tracer's bookkeeping, not for output */

struct tt_proc_rec {
	struct tt_rec_hdr hdr;
	__u16 kind;    /* enum tt_proc_kind */
	__u16 stopped; /* SIGSTOP was sent with it: the tracer must send SIGCONT */
	__u32 flags;   /* TT_PROCF_* */
	__u64 exe_dev; /* TT_PROC_EXEC: the new program's file, as the kernel */
	__u64 exe_ino; /* names it (s_dev, i_ino): the key of known_exes */
};

/*
 * The ciphertext a memory BIO produced in a TLS call whose data record went
 * out without a socket (TT_EV_BIND_PENDING, the same tgid, conn_ptr and
 * bind_token) was sent on this socket: the record is attributed
 * "ciphertext" to it.
 */
struct tt_bind_rec {
	struct tt_rec_hdr hdr; /* tgid: the process of the TLS object */
	__u64 conn_ptr;
	__u32 bind_token;
	__s32 fd;
	struct tt_tuple tuple;
};

/* A TCP socket that attributed data records has closed: its streams end. */
struct tt_conn_end_rec {
	struct tt_rec_hdr hdr; /* tgid: the process that used it */
	struct tt_tuple tuple;
};

#endif
