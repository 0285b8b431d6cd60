// SPDX-License-Identifier: MIT
/* `tlstap trace -- CMD`: start CMD stopped at its exec with ptrace. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "launch.h"

pid_t tt_launch_stopped(char *const argv[], struct tt_error *err)
{
	int p[2], child_errno = 0, status;
	pid_t pid;
	ssize_t n;

	if (pipe2(p, O_CLOEXEC))
		return tt_error_set(err, errno, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return tt_error_set(err, errno, "fork: %s", strerror(errno));
	}
	if (pid == 0) {
		/* The exec stops us with SIGTRAP; the write end closes on success. */
		close(p[0]);
		if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0)
			execvp(argv[0], argv);
		child_errno = errno;
		n = write(p[1], &child_errno, sizeof(child_errno));
		(void)n;
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], &child_errno, sizeof(child_errno));
	close(p[0]);
	if (n == sizeof(child_errno)) {
		waitpid(pid, &status, 0);
		return tt_error_set(err, child_errno, "%s: %s", argv[0], strerror(child_errno));
	}
	if (waitpid(pid, &status, 0) != pid)
		return tt_error_set(err, errno, "waitpid: %s", strerror(errno));
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return tt_error_set(err, ECHILD, "%s did not stop at exec", argv[0]);
	}
	return pid;
}

int tt_launch_resume(pid_t pid, struct tt_error *err)
{
	if (ptrace(PTRACE_DETACH, pid, NULL, NULL))
		return tt_error_set(err, errno, "ptrace detach %d: %s", pid, strerror(errno));
	return 0;
}

#if defined(__x86_64__)
/* AT_ENTRY of a process, from /proc/PID/auxv. */
static int auxv_entry(pid_t pid, uint64_t *entry)
{
	Elf64_auxv_t av;
	char path[64];
	FILE *f;
	int ret = -ENOENT;

	snprintf(path, sizeof(path), "/proc/%d/auxv", pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (fread(&av, sizeof(av), 1, f) == 1 && av.a_type != AT_NULL) {
		if (av.a_type == AT_ENTRY) {
			*entry = av.a_un.a_val;
			ret = 0;
			break;
		}
	}
	fclose(f);
	return ret;
}

int tt_launch_run_to_entry(pid_t pid, struct tt_error *err)
{
	struct user_regs_struct regs;
	uint64_t entry = 0;
	long orig;
	int status, ret;

	ret = auxv_entry(pid, &entry);
	if (ret < 0)
		return tt_error_set(err, -ret, "pid %d: no entry point in auxv", pid);
	errno = 0;
	orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)entry, NULL);
	if (errno)
		return tt_error_set(err, errno, "peek at entry: %s", strerror(errno));
	/* int3 at the entry; restored once we stop there. */
	if (ptrace(PTRACE_POKETEXT, pid, (void *)entry, (void *)((orig & ~0xffL) | 0xcc)))
		return tt_error_set(err, errno, "poke at entry: %s", strerror(errno));
	for (;;) {
		if (ptrace(PTRACE_CONT, pid, NULL, NULL))
			return tt_error_set(err, errno, "ptrace cont: %s", strerror(errno));
		if (waitpid(pid, &status, 0) != pid)
			return tt_error_set(err, errno, "waitpid: %s", strerror(errno));
		if (!WIFSTOPPED(status))
			return tt_error_set(err, ECHILD, "pid %d exited before its entry point",
					    pid);
		if (WSTOPSIG(status) == SIGTRAP)
			break;
		/* Anything else before the entry point is unexpected; deliver it
		 * on the next continue rather than swallow it. */
		if (ptrace(PTRACE_CONT, pid, NULL, (void *)(long)WSTOPSIG(status)))
			return tt_error_set(err, errno, "ptrace cont: %s", strerror(errno));
		if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
			return tt_error_set(err, ECHILD, "pid %d did not reach its entry point",
					    pid);
		if (WSTOPSIG(status) == SIGTRAP)
			break;
	}
	if (ptrace(PTRACE_GETREGS, pid, NULL, &regs))
		return tt_error_set(err, errno, "ptrace getregs: %s", strerror(errno));
	if (regs.rip != entry + 1)
		return tt_error_set(err, EPROTO, "pid %d stopped at 0x%llx, not its entry point",
				    pid, (unsigned long long)regs.rip);
	if (ptrace(PTRACE_POKETEXT, pid, (void *)entry, (void *)orig))
		return tt_error_set(err, errno, "restore entry: %s", strerror(errno));
	regs.rip = entry;
	if (ptrace(PTRACE_SETREGS, pid, NULL, &regs))
		return tt_error_set(err, errno, "ptrace setregs: %s", strerror(errno));
	return 0;
}
#else
int tt_launch_run_to_entry(pid_t pid, struct tt_error *err)
{
	(void)pid;
	(void)err;
	return 0;
}
#endif
