/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_DOCTOR_SYSVIEW_H
#define TLSTAP_DOCTOR_SYSVIEW_H

/*
 * What the system says about the processes the tracer's map entries name,
 * read from a proc tree (/proc, or a test's): whether each still exists and
 * since when, its threads, its fds, and the TCP sockets of its own network
 * namespace.  Facts are read once per view: a re-check builds a new one.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/index.h"
#include "trace/tcptab.h"
#include "tlstap/error.h"

struct tt_sys_proc {
	int pid;
	bool alive;	   /* exists and is not a zombie */
	uint64_t start_ns; /* its start, CLOCK_BOOTTIME (10 ms resolution); 0 unknown */
	uint64_t netns;	   /* inode of its network namespace, 0 unknown */
	/* The sockets its fds hold, read the first time they are asked for. */
	bool fds_read;
	struct tt_sys_fd {
		int fd;
		uint64_t inode;
	} * socks;
	struct tt_index by_inode;
};

struct tt_sys_netns {
	uint64_t ino;
	bool loaded;
	int err; /* negative errno of the load, 0 if it worked */
	char why[256];
	struct tt_tcp_table tcp;
};

struct tt_sysview {
	char proc[256];
	long clk_tck;
	struct tt_sys_proc *procs;
	size_t n_procs;
	struct tt_index by_pid;
	struct tt_sys_netns *netns;
	size_t n_netns;
};

/* A view of the processes pids (duplicates allowed) under proc ("/proc"). */
int tt_sysview_init(struct tt_sysview *v, const char *proc, const uint32_t *pids, size_t n);
void tt_sysview_free(struct tt_sysview *v);

/* The facts of pid (one of those given to init), NULL if not given. */
const struct tt_sys_proc *tt_sysview_proc(const struct tt_sysview *v, int pid);

/*
 * The TCP sockets of the process's network namespace, read the first time
 * they are asked for; NULL when they cannot be read (*why says why).
 */
const struct tt_tcp_table *tt_sysview_tcp(struct tt_sysview *v, const struct tt_sys_proc *p,
					  const char **why);

/*
 * What fd of pid is: 1 and *inode for a socket, 0 for something else
 * (target names it), -ENOENT when the fd is closed, other -errno when it
 * cannot be read.
 */
int tt_sysview_fd(const struct tt_sysview *v, int pid, int fd, uint64_t *inode, char *target,
		  size_t len);

/*
 * Which fd of the process holds the socket of this inode (its fds are read
 * once per view): 1 and *fd, 0 none, -errno when they cannot be read.
 */
int tt_sysview_socket_fd(struct tt_sysview *v, const struct tt_sys_proc *p, uint64_t inode,
			 int *fd);

/* The thread tid of process pid exists (and since when: *start_ns). */
bool tt_sysview_thread(const struct tt_sysview *v, int pid, int tid, uint64_t *start_ns);

/*
 * Where the thread is: 1 and its user stack pointer when it is blocked (in
 * a system call, or stopped), 0 when it is running, -errno when unknown.
 */
int tt_sysview_thread_sp(const struct tt_sysview *v, int pid, int tid, uint64_t *sp);

#endif
