// SPDX-License-Identifier: MIT
/* The guardian of held processes (see guardian.h). */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <signal.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "trace/guardian.h"

/* Where the guardian keeps its two descriptors (the rest it closes). */
#define GUARD_PIPE_FD 3
#define GUARD_MAP_FD 4

/* Every process in the map gets SIGCONT; the map is left empty. */
static void release_all(int map_fd)
{
	uint32_t key, next;
	uint32_t *prev = NULL;

	while (!bpf_map_get_next_key(map_fd, prev, &next)) {
		kill((pid_t)next, SIGCONT);
		key = next;
		prev = &key;
	}
	prev = NULL;
	while (!bpf_map_get_next_key(map_fd, prev, &next))
		if (bpf_map_delete_elem(map_fd, &next))
			break;
}

/* The child: only system calls from here (the parent may have threads by
 * the time this runs; it has none at the fork, see tt_guardian_start). */
static void guard(int rfd, int map_fd)
{
	int null = open("/dev/null", O_RDWR);
	char c;

	/* Only the pipe and the map: a BPF link or the ring buffer kept open
	 * here would outlive the tracer's detach, an output kept open would
	 * hide its end from a reader. */
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
	}
	/* Out of the way first: either may already be 3 or 4. */
	rfd = fcntl(rfd, F_DUPFD, GUARD_MAP_FD + 1);
	map_fd = fcntl(map_fd, F_DUPFD, GUARD_MAP_FD + 1);
	if (rfd < 0 || map_fd < 0 || dup2(rfd, GUARD_PIPE_FD) < 0 ||
	    dup2(map_fd, GUARD_MAP_FD) < 0)
		_exit(1);
	rfd = GUARD_PIPE_FD;
	map_fd = GUARD_MAP_FD;
	close_range(GUARD_MAP_FD + 1, ~0u, 0);
	prctl(PR_SET_NAME, "tlstap-guard", 0, 0, 0);
	/* Not killed with the tracer's process group by a terminal's ^C
	 * before it has done its job; the tracer's end is the pipe's. */
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	while (read(rfd, &c, 1) < 0 && errno == EINTR)
		;
	release_all(map_fd);
	_exit(0);
}

int tt_guardian_start(struct tt_guardian *g, int held_map_fd)
{
	int p[2];
	pid_t pid;

	g->pid = 0;
	g->fd = -1;
	if (pipe2(p, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int e = errno;

		close(p[0]);
		close(p[1]);
		return -e;
	}
	if (pid == 0) {
		close(p[1]);
		guard(p[0], held_map_fd);
	}
	close(p[0]);
	g->pid = pid;
	g->fd = p[1];
	return 0;
}

void tt_guardian_stop(struct tt_guardian *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
	if (g->pid > 0)
		waitpid(g->pid, NULL, 0);
	g->pid = 0;
}

void tt_release_held(int held_map_fd, int pid)
{
	uint32_t key = (uint32_t)pid;

	/* Forgotten first: the guardian must not continue a pid reused by a
	 * process someone else stopped. */
	bpf_map_delete_elem(held_map_fd, &key);
	kill(pid, SIGCONT);
}
