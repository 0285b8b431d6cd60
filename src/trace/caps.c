// SPDX-License-Identifier: MIT
/* Effective capabilities, from capget(2) (no libcap needed). */
#include <linux/capability.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tlstap/compiler.h"
#include "trace/caps.h"

/* Older headers lack the 5.8 capabilities. */
#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* What each needed capability is for: one table for the check and the message. */
static const struct {
	int cap;
	const char *name;
	bool hold_only; /* needed only when holding processes */
} needed[] = {
	{ CAP_BPF, "CAP_BPF", false },               /* load programs, create maps */
	{ CAP_PERFMON, "CAP_PERFMON", false },       /* uprobes, tracepoints, reading memory */
	{ CAP_SYS_PTRACE, "CAP_SYS_PTRACE", false }, /* /proc/PID/{maps,exe,root} of others */
	{ CAP_KILL, "CAP_KILL", true },              /* SIGCONT to a process held at exec */
};

static bool effective(const struct __user_cap_data_struct d[2], int cap)
{
	return d[cap / 32].effective & (1u << (cap % 32));
}

void tt_caps_missing(bool hold, char *buf, size_t len)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2];
	size_t off = 0;

	buf[0] = '\0';
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d))
		return; /* cannot tell: the kernel will say */
	/* CAP_SYS_ADMIN stands for CAP_BPF and CAP_PERFMON (kernels before 5.8). */
	for (size_t i = 0; i < ARRAY_SIZE(needed); i++) {
		if (needed[i].hold_only && !hold)
			continue;
		if (effective(d, needed[i].cap))
			continue;
		if ((needed[i].cap == CAP_BPF || needed[i].cap == CAP_PERFMON) &&
		    effective(d, CAP_SYS_ADMIN))
			continue;
		off += snprintf(buf + off, off < len ? len - off : 0, "%s%s", off ? ", " : "",
				needed[i].name);
	}
}
