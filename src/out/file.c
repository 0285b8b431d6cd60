// SPDX-License-Identifier: MIT
/* Opening the files tlstap writes: 0600, no symbolic or hard links. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "out/file.h"

#define OPEN_FLAGS (O_WRONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)

static int open_error(const char *path, int e, struct tt_error *err)
{
	if (e == ELOOP)
		return tt_error_set(err, ELOOP,
				    "%s: is a symbolic link; refusing to write a capture through it",
				    path);
	return tt_error_set(err, e, "%s: %s", path, strerror(e));
}

int tt_output_open(struct tt_output_file *f, const char *path, struct tt_error *err)
{
	struct stat st;
	int fd, ret;

	f->path = path;
	f->fd = -1;
	f->created = f->regular = f->committed = false;
	if (!strcmp(path, "-")) {
		/* A copy: the writer may close its fd like any other. */
		fd = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
		if (fd < 0)
			return tt_error_set(err, errno, "stdout: %s", strerror(errno));
		f->fd = fd;
		return 0;
	}
	/* Created by us, or opened as it is: no O_TRUNC before the commit. */
	fd = open(path, OPEN_FLAGS | O_CREAT | O_EXCL, 0600);
	if (fd >= 0)
		f->created = true;
	else if (errno == EEXIST)
		fd = open(path, OPEN_FLAGS);
	if (fd < 0)
		return open_error(path, errno, err);
	if (fstat(fd, &st)) {
		ret = tt_error_set(err, errno, "%s: %s", path, strerror(errno));
		goto fail;
	}
	f->fd = fd;
	if (!S_ISREG(st.st_mode))
		return 0; /* /dev/null, a pipe, a terminal */
	f->regular = true;
	if (st.st_nlink > 1) {
		ret = tt_error_set(err, EPERM,
				   "%s: has %ju hard links; refusing to write a capture into it",
				   path, (uintmax_t)st.st_nlink);
		goto fail;
	}
	return 0;
fail:
	f->fd = fd;
	tt_output_close(f);
	return ret;
}

int tt_output_commit(struct tt_output_file *f, struct tt_error *err)
{
	struct stat st;

	if (f->fd < 0 || f->committed)
		return 0;
	if (f->regular && !f->created) {
		if (fstat(f->fd, &st))
			return tt_error_set(err, errno, "%s: %s", f->path, strerror(errno));
		if ((st.st_mode & 07777) != 0600 && fchmod(f->fd, 0600))
			return tt_error_set(err, errno, "%s: chmod 0600: %s", f->path,
					    strerror(errno));
		if (ftruncate(f->fd, 0))
			return tt_error_set(err, errno, "%s: truncate: %s", f->path,
					    strerror(errno));
	}
	f->committed = true;
	return 0;
}

void tt_output_close(struct tt_output_file *f)
{
	struct stat a, b;

	if (f->fd < 0)
		return;
	/* Not the run's: only a file we created goes, if the name still
	 * leads to it. */
	if (!f->committed && f->created && !fstat(f->fd, &a) && !lstat(f->path, &b) &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino)
		unlink(f->path);
	close(f->fd);
	f->fd = -1;
}

bool tt_output_same(int fd_a, int fd_b)
{
	struct stat sa, sb;

	return fd_a >= 0 && fd_b >= 0 && !fstat(fd_a, &sa) && !fstat(fd_b, &sb) &&
	       S_ISREG(sa.st_mode) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}
