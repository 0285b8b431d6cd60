// SPDX-License-Identifier: MIT
#include <errno.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/bpf.h>

#include "trace/uprobe_multi.h"

/* The link_create member of union bpf_attr for uprobe_multi, as the kernel
 * lays it out (include/uapi/linux/bpf.h); this system's uapi header is older. */
struct link_create_uprobe_multi {
	uint32_t prog_fd;
	uint32_t target_fd;
	uint32_t attach_type;
	uint32_t flags;
	uint64_t path;
	uint64_t offsets;
	uint64_t ref_ctr_offsets;
	uint64_t cookies;
	uint32_t cnt;
	uint32_t um_flags; /* BPF_F_UPROBE_MULTI_RETURN */
	uint32_t pid;
};

#define UPROBE_MULTI_RETURN 1u

int tt_uprobe_multi_attach(int prog_fd, const char *path, const uint64_t *offsets,
			   const uint64_t *cookies, uint32_t cnt, bool retprobe, int pid)
{
	union {
		union bpf_attr attr; /* the size the kernel checks the tail of */
		struct link_create_uprobe_multi lc;
	} a;
	long fd;

	memset(&a, 0, sizeof(a));
	a.lc.prog_fd = prog_fd;
	a.lc.attach_type = TT_BPF_TRACE_UPROBE_MULTI;
	a.lc.path = (uint64_t)(uintptr_t)path;
	a.lc.offsets = (uint64_t)(uintptr_t)offsets;
	a.lc.cookies = (uint64_t)(uintptr_t)cookies;
	a.lc.cnt = cnt;
	a.lc.um_flags = retprobe ? UPROBE_MULTI_RETURN : 0;
	a.lc.pid = pid;
	fd = syscall(__NR_bpf, BPF_LINK_CREATE, &a, sizeof(a));
	return fd < 0 ? -errno : (int)fd;
}
