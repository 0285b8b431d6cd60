/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_PROC_H
#define TLSTAP_PROC_H

/*
 * Process discovery for `resolve -p` and the attach manager: what a process
 * runs and maps, read from /proc/PID/{exe,comm,maps}, and every file opened
 * as the process sees it (through /proc/PID/root, so containerised processes
 * work).
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tlstap/resolve.h"

/* One file-backed object with at least one executable mapping. */
struct tt_proc_object {
	char *path;   /* as in maps (the process's mount namespace), no " (deleted)" */
	bool deleted; /* unlinked or replaced since it was mapped */
	uint64_t dev; /* from maps: makedev(major, minor) of the mapped inode */
	uint64_t ino;
	uint64_t base;	     /* start - file offset of its lowest mapping: the load bias
			      * of objects linked at 0 (shared libraries, PIE) */
	uint64_t exec_start; /* first executable mapping (also names it in map_files/) */
	uint64_t exec_end;
	uint64_t exec_offset;
	size_t n_exec; /* executable mappings */
	bool is_exe;   /* the file /proc/PID/exe points to */
};

struct tt_proc {
	int pid;
	char comm[17];
	char *exe; /* readlink of /proc/PID/exe, no " (deleted)" */
	struct tt_proc_object *objects;
	size_t n_objects;
};

/*
 * Read a process's executable and executable file mappings.  Errors:
 * -ESRCH "no such process", -EACCES "permission denied ...", -ENOENT for a
 * kernel thread (no executable).
 */
int tt_proc_read(int pid, struct tt_proc *p, struct tt_error *err);
/* The same under another proc root (tests). */
int tt_proc_read_at(const char *proc, int pid, struct tt_proc *p, struct tt_error *err);
void tt_proc_free(struct tt_proc *p);

/* The process still exists (and is not a zombie left of it). */
bool tt_proc_alive(int pid);
/* The parent of pid (its /proc stat), -1 when it cannot be read. */
int tt_proc_ppid(int pid);
/* The process of a task id (Tgid of /proc/PID/status): pid itself for a
 * process, another for a thread; -1 when it cannot be read. */
int tt_proc_tgid(int pid);
/* Its state letter from /proc/PID/stat ('R', 'S', 'T', 'Z'...), 0 if gone. */
char tt_proc_state(int pid);

/*
 * Open an object as mapped: /proc/PID/root/PATH when it is still the mapped
 * inode, else the mapping itself (/proc/PID/map_files/, needs CAP_SYS_ADMIN).
 * Never a different file of the same name: offsets from it would be wrong.
 * Returns an fd (O_RDONLY|O_CLOEXEC) or a negative errno with err set.
 */
int tt_proc_open_object(const struct tt_proc *p, const struct tt_proc_object *o,
			struct tt_error *err);

#endif
