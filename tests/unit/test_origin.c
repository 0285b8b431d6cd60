// SPDX-License-Identifier: MIT
/*
 * Origins: what a cgroup path says of containers and pods, for the shapes
 * the runtimes and kubelet's two cgroup drivers give them, and the cgroup
 * id -> path cache on a directory tree standing in for the cgroup mount.
 */
#include "testutil.h"

#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tlstap/compiler.h"
#include "trace/origin.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define UID_DASH "1234abcd-5678-90ab-cdef-1234567890ab"
#define UID_UNDER "1234abcd_5678_90ab_cdef_1234567890ab"

struct shape {
	const char *path, *container, *pod;
};

static const struct shape shapes[] = {
	/* docker, systemd and cgroupfs drivers */
	{ "/system.slice/docker-" ID64 ".scope", ID64, "" },
	{ "/docker/" ID64, ID64, "" },
	/* podman */
	{ "/machine.slice/libpod-" ID64 ".scope", ID64, "" },
	{ "/machine.slice/libpod-" ID64 ".scope/container", ID64, "" },
	/* containerd (CRI) and CRI-O under kubelet's systemd driver */
	{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" UID_UNDER
	  ".slice/cri-containerd-" ID64 ".scope",
	  ID64, UID_DASH },
	{ "/kubepods.slice/kubepods-pod" UID_UNDER ".slice/crio-" ID64 ".scope", ID64, UID_DASH },
	/* kubelet's cgroupfs driver */
	{ "/kubepods/besteffort/pod" UID_DASH "/" ID64, ID64, UID_DASH },
	/* the pod's own cgroup: a pod, no container yet */
	{ "/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod" UID_UNDER ".slice",
	  "", UID_DASH },
	/* nothing: plain services, users, the root, near misses */
	{ "/system.slice/nginx.service", "", "" },
	{ "/user.slice/user-0.slice/session-1.scope", "", "" },
	{ "/", "", "" },
	{ "", "", "" },
	{ "/system.slice/docker-" ID64 "0.scope", "", "" },          /* 65 digits */
	{ "/system.slice/docker-0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef.scope",
	  "", "" },                                                  /* upper case */
	{ "/machine.slice/crio-conmon-" ID64 ".scope", "", "" },    /* conmon, not the container */
	{ "/kubepods/xpod" UID_DASH, "", "" },                       /* not "pod<uid>" */
	{ "/kubepods/pod1234abcd-5678-90ab-cdef-1234567890a", "", "" }, /* short uid */
};

static void test_parse_shapes(void **state)
{
	char container[TT_CONTAINER_ID_LEN + 1], pod[TT_POD_UID_LEN + 1];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(shapes); i++) {
		tt_origin_parse(shapes[i].path, container, pod);
		if (strcmp(container, shapes[i].container) || strcmp(pod, shapes[i].pod))
			fail_msg("%s: container '%s' pod '%s'", shapes[i].path, container, pod);
	}
}

static char root[] = "/tmp/tlstap-origin-XXXXXX";

static uint64_t mkdir_ino(const char *rel)
{
	char path[PATH_MAX];
	struct stat st;

	snprintf(path, sizeof(path), "%s%s", root, rel);
	assert_int_equal(mkdir(path, 0755), 0);
	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

/* Without kernfs handles the cache walks the tree: every directory's
 * inode is its id; an id not in the tree stays unknown. */
static void test_cache_walk(void **state)
{
	struct tt_origin o = { 0 };
	struct tt_origins *c;
	uint64_t pod, ctr, svc;

	(void)state;
	assert_non_null(mkdtemp(root));
	mkdir_ino("/kubepods");
	pod = mkdir_ino("/kubepods/pod" UID_DASH);
	ctr = mkdir_ino("/kubepods/pod" UID_DASH "/" ID64);
	svc = mkdir_ino("/system.slice");
	c = tt_origins_new(root, 0);
	assert_non_null(c);

	tt_origins_lookup(c, ctr, &o);
	assert_string_equal(o.cgroup, "/kubepods/pod" UID_DASH "/" ID64);
	assert_string_equal(o.container, ID64);
	assert_string_equal(o.pod_uid, UID_DASH);
	tt_origins_lookup(c, pod, &o);
	assert_string_equal(o.cgroup, "/kubepods/pod" UID_DASH);
	assert_null(o.container);
	assert_string_equal(o.pod_uid, UID_DASH);
	tt_origins_lookup(c, svc, &o);
	assert_string_equal(o.cgroup, "/system.slice");
	assert_null(o.container);
	assert_null(o.pod_uid);
	/* The last hit again, then an id nobody has. */
	tt_origins_lookup(c, svc, &o);
	assert_string_equal(o.cgroup, "/system.slice");
	tt_origins_lookup(c, 0x7fffffffffull, &o);
	assert_null(o.cgroup);
	assert_null(o.container);
	tt_origins_lookup(c, 0, &o);
	assert_null(o.cgroup);
	tt_origins_free(c);
	assert_int_equal(tt_test_remove_tree(root), 0);
}

/* n directories dir/svc-I.service, their inodes in ino. */
static void make_dirs(const char *dir, uint64_t *ino, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char path[PATH_MAX];
		struct stat st;

		snprintf(path, sizeof(path), "%s/svc-%zu.service", dir, i);
		assert_int_equal(mkdir(path, 0755), 0);
		assert_int_equal(stat(path, &st), 0);
		ino[i] = st.st_ino; /* on cgroupfs, the cgroup's id */
	}
}

/* Each of make_dirs' ids is found as rel/svc-I.service; with held_max, the
 * cache never holds more. */
static void lookup_dirs(struct tt_origins *c, const char *rel, const uint64_t *ino, size_t n,
			size_t held_max)
{
	for (size_t i = 0; i < n; i++) {
		struct tt_origin o = { 0 };
		char want[PATH_MAX];

		tt_origins_lookup(c, ino[i], &o);
		snprintf(want, sizeof(want), "%s/svc-%zu.service", rel, i);
		assert_non_null(o.cgroup);
		assert_string_equal(o.cgroup, want);
		if (held_max)
			assert_true(tt_origins_held(c) <= held_max);
	}
}

/* Many cgroups: the table grows and keeps every one. */
static void test_cache_many(void **state)
{
	static char many[] = "/tmp/tlstap-origin-many-XXXXXX";
	uint64_t ino[300];
	struct tt_origins *c;

	(void)state;
	assert_non_null(mkdtemp(many));
	make_dirs(many, ino, ARRAY_SIZE(ino));
	c = tt_origins_new(many, 0);
	assert_non_null(c);
	lookup_dirs(c, "", ino, ARRAY_SIZE(ino), 0);
	tt_origins_free(c);
	assert_int_equal(tt_test_remove_tree(many), 0);
}

/* A small bound, ids found through the tree (no handles here): a walk may
 * store more than the bound (it stores what exists), and every id is still
 * found; past the bound an unknown id is not remembered. */
static void test_cache_bound_walk(void **state)
{
	static char tree[] = "/tmp/tlstap-origin-bound-XXXXXX";
	const size_t max = 64;
	uint64_t ino[200];
	struct tt_origins *c;
	struct tt_origin o;
	size_t held;

	(void)state;
	assert_non_null(mkdtemp(tree));
	make_dirs(tree, ino, ARRAY_SIZE(ino));
	c = tt_origins_new(tree, max);
	assert_non_null(c);
	lookup_dirs(c, "", ino, ARRAY_SIZE(ino), 0);
	held = tt_origins_held(c);
	assert_true(held > max); /* the walk's, all of them */
	tt_origins_lookup(c, 0x7fffffffffull, &o);
	assert_null(o.cgroup);
	assert_int_equal(tt_origins_held(c), held);
	tt_origins_free(c);
	assert_int_equal(tt_test_remove_tree(tree), 0);
}

/* The cgroups test_cache_bound_cgroupfs made, removed however it ended. */
static char cg_top[320];
#define CG_DIRS 100

static int cg_remove(void **state)
{
	(void)state;
	if (!cg_top[0])
		return 0;
	for (int i = 0; i < CG_DIRS; i++) {
		char path[400];

		snprintf(path, sizeof(path), "%s/svc-%d.service", cg_top, i);
		rmdir(path);
	}
	rmdir(cg_top);
	cg_top[0] = '\0';
	return 0;
}

/* The bound on the real cgroup tree, ids resolved one by one through
 * kernfs handles (root only): never more than the bound held, and every
 * id right, again after the cache started over. */
static void test_cache_bound_cgroupfs(void **state)
{
	const size_t max = 32;
	struct tt_origins *c;
	uint64_t ids[CG_DIRS];
	char root2[256], rel[64];

	(void)state;
	if (geteuid() != 0 || tt_cgroup2_root(root2, sizeof(root2)) < 0)
		skip();
	snprintf(rel, sizeof(rel), "/tlstap-origin-test-%d", (int)getpid());
	snprintf(cg_top, sizeof(cg_top), "%s%s", root2, rel);
	if (mkdir(cg_top, 0755) < 0) {
		cg_top[0] = '\0';
		skip(); /* a read-only or delegated tree */
	}
	make_dirs(cg_top, ids, ARRAY_SIZE(ids));
	c = tt_origins_new(root2, max);
	assert_non_null(c);
	for (int round = 0; round < 2; round++)
		lookup_dirs(c, rel, ids, ARRAY_SIZE(ids), max);
	tt_origins_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_shapes),
		cmocka_unit_test(test_cache_walk),
		cmocka_unit_test(test_cache_many),
		cmocka_unit_test(test_cache_bound_walk),
		cmocka_unit_test_teardown(test_cache_bound_cgroupfs, cg_remove),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
