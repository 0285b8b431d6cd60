// SPDX-License-Identifier: MIT
/*
 * What a uprobe costs by the instruction under it (bench/probecost.sh): an
 * empty BPF program is attached at each given file offset of FILE (the
 * kernel's uprobe PMU, one perf event each), then CMD runs and its output is
 * passed through.  The program does nothing, so what CMD measures is the
 * probe mechanism alone: an instruction the kernel emulates (jcc, push,
 * nop) against one it single-steps out of line (everything else, `ret`
 * included).
 *
 * Usage: probecost FILE [OFFSET...] -- CMD [ARG...]   (root)
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define UPROBE_TYPE_FILE "/sys/bus/event_source/devices/uprobe/type"

static int uprobe_pmu_type(void)
{
	FILE *f = fopen(UPROBE_TYPE_FILE, "r");
	int type = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%d", &type) != 1)
		type = -1;
	fclose(f);
	return type;
}

/* r0 = 0; exit */
static int load_empty(void)
{
	struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};

	return bpf_prog_load(BPF_PROG_TYPE_KPROBE, "probecost", "GPL", insns, 2, NULL);
}

static int attach(int type, const char *file, unsigned long long off, int prog)
{
	struct perf_event_attr a = {.size = sizeof(a), .type = (unsigned int)type};
	int fd;

	a.config1 = (unsigned long long)(unsigned long)file;
	a.config2 = off;
	/* Any process, "CPU 0": a perf event needs a pid or a CPU, but the
	 * breakpoint it plants is in the file, hit on every CPU (the program
	 * measured is pinned elsewhere): its trap is what is measured. */
	fd = (int)syscall(__NR_perf_event_open, &a, -1, 0, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd < 0)
		return -1;
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog) || ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	int type = uprobe_pmu_type(), prog, i, status;
	char *end;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: probecost FILE [OFFSET...] -- CMD [ARG...]\n");
		return 2;
	}
	if (type < 0) {
		fprintf(stderr, "probecost: no uprobe PMU (%s)\n", UPROBE_TYPE_FILE);
		return 1;
	}
	prog = load_empty();
	if (prog < 0) {
		fprintf(stderr, "probecost: loading the empty program: %s\n", strerror(errno));
		return 1;
	}
	for (i = 2; i < argc && strcmp(argv[i], "--"); i++) {
		unsigned long long off = strtoull(argv[i], &end, 0);

		if (*end || end == argv[i]) {
			fprintf(stderr, "probecost: bad offset '%s'\n", argv[i]);
			return 2;
		}
		if (attach(type, argv[1], off, prog) < 0) {
			fprintf(stderr, "probecost: %s at 0x%llx: %s\n", argv[1], off, strerror(errno));
			return 1;
		}
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "probecost: no command after --\n");
		return 2;
	}
	pid = fork();
	if (pid < 0)
		return 1;
	if (pid == 0) {
		execvp(argv[i + 1], argv + i + 1);
		fprintf(stderr, "probecost: %s: %s\n", argv[i + 1], strerror(errno));
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
