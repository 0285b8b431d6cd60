// SPDX-License-Identifier: MIT
/* `tlstap trace -- CMD`: start CMD stopped at its exec with ptrace. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#include "trace/launch.h"

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
