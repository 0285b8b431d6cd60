// SPDX-License-Identifier: MIT
/* Opening the files tlstap writes: 0600, no symbolic or hard links. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out/file.h"

int tt_open_output(const char *path, struct tt_error *err)
{
	struct stat st;
	int fd, ret;

	if (!strcmp(path, "-")) {
		/* A copy: the writer may close its fd like any other. */
		fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		return fd < 0 ? tt_error_set(err, errno, "stdout: %s", strerror(errno)) : fd;
	}
	/* No O_TRUNC yet: a file that turns out to be refused keeps its data. */
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd < 0) {
		if (errno == ELOOP)
			return tt_error_set(err, ELOOP,
					    "%s: is a symbolic link; refusing to write a capture "
					    "through it",
					    path);
		return tt_error_set(err, errno, "%s: %s", path, strerror(errno));
	}
	if (fstat(fd, &st)) {
		ret = tt_error_set(err, errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode))
		return fd; /* /dev/null, a pipe, a terminal */
	if (st.st_nlink > 1) {
		ret = tt_error_set(err, EPERM,
				   "%s: has %ju hard links; refusing to write a capture into it",
				   path, (uintmax_t)st.st_nlink);
		goto fail;
	}
	if ((st.st_mode & 07777) != 0600 && fchmod(fd, 0600)) {
		ret = tt_error_set(err, errno, "%s: chmod 0600: %s", path, strerror(errno));
		goto fail;
	}
	if (ftruncate(fd, 0)) {
		ret = tt_error_set(err, errno, "%s: truncate: %s", path, strerror(errno));
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return ret;
}
