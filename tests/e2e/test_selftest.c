// SPDX-License-Identifier: MIT
/*
 * End-to-end (root): load bpf/selftest.bpf.c from its skeleton, attach a
 * uprobe to tt_target_marker() in build/testdata/c/uprobe_target, run the
 * target and check that every call arrives through the ring buffer with its
 * arguments and the target's pid.
 */
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "testutil.h"
#include "selftest.skel.h"
#include "tlstap/selftest.h"

#define CALLS 1000
#define MAGIC 0x5eed

struct seen {
	pid_t pid;
	int count;
	int bad;
	unsigned char hit[CALLS];
};

static int on_event(void *ctx, void *data, size_t len)
{
	struct seen *s = ctx;
	const struct tt_selftest_event *e = data;

	if (len < sizeof(*e) || e->tgid != (__u32)s->pid || e->arg1 != MAGIC ||
	    e->arg0 < 0 || e->arg0 >= CALLS || s->hit[e->arg0]) {
		s->bad++;
		return 0;
	}
	s->hit[e->arg0] = 1;
	s->count++;
	return 0;
}

/* Start the target blocked on its stdin; returns the write end of the pipe. */
static pid_t start_target(const char *path, int *go_fd)
{
	char n[16], m[16];
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	snprintf(n, sizeof(n), "%d", CALLS);
	snprintf(m, sizeof(m), "%d", MAGIC);
	pid = fork();
	if (pid == 0) {
		dup2(p[0], 0);
		close(p[1]);
		freopen("/dev/null", "w", stdout);
		execl(path, path, n, m, (char *)NULL);
		_exit(127);
	}
	close(p[0]);
	*go_fd = p[1];
	return pid;
}

static void test_uprobe_ringbuf(void **state)
{
	struct selftest_bpf *skel;
	struct ring_buffer *rb = NULL;
	struct seen *s = calloc(1, sizeof(*s));
	char target[512];
	int go_fd = -1, status = 0, err;
	pid_t pid;
	LIBBPF_OPTS(bpf_uprobe_opts, uopts, .func_name = "tt_target_marker");

	(void)state;
	assert_non_null(s);
	TT_BUILD_PATH(target, "testdata/c/uprobe_target");
	assert_int_equal(access(target, X_OK), 0);

	skel = selftest_bpf__open();
	assert_non_null(skel);
	pid = start_target(target, &go_fd);
	assert_true(pid > 0);
	s->pid = pid;
	skel->rodata->target_tgid = pid;
	err = selftest_bpf__load(skel);
	assert_int_equal(err, 0);
	skel->links.selftest_marker = bpf_program__attach_uprobe_opts(
		skel->progs.selftest_marker, pid, target, 0, &uopts);
	assert_non_null(skel->links.selftest_marker);
	rb = ring_buffer__new(bpf_map__fd(skel->maps.selftest_events), on_event, s, NULL);
	assert_non_null(rb);

	assert_int_equal(write(go_fd, "g", 1), 1);
	close(go_fd);
	for (int i = 0; i < 200 && s->count < CALLS; i++)
		ring_buffer__poll(rb, 50);
	waitpid(pid, &status, 0);
	ring_buffer__poll(rb, 0);

	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	assert_int_equal(s->bad, 0);
	assert_int_equal(s->count, CALLS);

	ring_buffer__free(rb);
	selftest_bpf__destroy(skel);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uprobe_ringbuf),
	};
	return cmocka_run_group_tests_name("e2e_selftest", tests, NULL, NULL);
}
