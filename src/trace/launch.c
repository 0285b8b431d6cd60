// SPDX-License-Identifier: MIT
/* `tlstap trace -- CMD`: start CMD stopped at its exec with ptrace. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
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

/* 0: an executable regular file; -EACCES: something there, not runnable. */
static int executable(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode) || access(path, X_OK))
		return -EACCES;
	return 0;
}

int tt_launch_find(const char *file, struct tt_error *err)
{
	const char *path = getenv("PATH"), *p, *colon;
	bool denied = false;
	char buf[PATH_MAX];
	int ret;

	if (!*file)
		return tt_error_set(err, ENOENT, "'': %s", strerror(ENOENT));
	if (strchr(file, '/')) {
		ret = executable(file);
		if (ret == -ENOENT || ret == -ENOTDIR)
			return tt_error_set(err, ENOENT, "%s: %s", file, strerror(ENOENT));
		if (ret)
			return tt_error_set(err, EACCES, "%s: %s", file, strerror(EACCES));
		return 0;
	}
	/* execvp's search: PATH unset is its default, an empty entry is ".". */
	for (p = path ? path : "/bin:/usr/bin";; p = colon + 1) {
		size_t n;

		colon = strchrnul(p, ':');
		n = (size_t)(colon - p);
		if (snprintf(buf, sizeof(buf), "%.*s%s%s", (int)n, n ? p : ".", "/", file) <
		    (int)sizeof(buf)) {
			ret = executable(buf);
			if (!ret)
				return 0;
			denied |= ret == -EACCES;
		}
		if (!*colon)
			break;
	}
	if (denied)
		return tt_error_set(err, EACCES, "%s: %s", file, strerror(EACCES));
	return tt_error_set(err, ENOENT, "%s: command not found", file);
}

int tt_launch_failure_status(int neg_errno)
{
	if (neg_errno == -ENOENT || neg_errno == -ENOTDIR)
		return 127;
	if (neg_errno == -EACCES || neg_errno == -ENOEXEC || neg_errno == -EISDIR ||
	    neg_errno == -EPERM)
		return 126;
	return 1;
}
