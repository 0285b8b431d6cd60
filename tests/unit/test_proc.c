// SPDX-License-Identifier: MIT
/*
 * Process discovery on a fake /proc: which mapped object is the executable
 * when two mappings share an inode number on different devices.
 */
#include "testutil.h"

#include <limits.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "trace/proc.h"

#define PID 4242
#define EXE_START 0x555555554000ULL

static char root[] = "/tmp/tlstap-proc-XXXXXX";

static void write_file(const char *name, const char *text)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%d/%s", root, PID, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* /proc/PID/stat with startcode (field 26) set. */
static void write_stat(unsigned long long startcode)
{
	char buf[1024];
	size_t n = 0;

	n += snprintf(buf + n, sizeof(buf) - n, "%d (fake) S", PID);
	for (int field = 4; field <= 52; field++)
		n += snprintf(buf + n, sizeof(buf) - n, " %llu", field == 26 ? startcode : 0ULL);
	snprintf(buf + n, sizeof(buf) - n, "\n");
	write_file("stat", buf);
}

/*
 * Two r-xp mappings with the inode of the real executable: the first on
 * another device but with the executable's path (what overlayfs or a
 * container could show), the second the executable itself.
 */
static void make_proc(const char *exe, const struct stat *st)
{
	char dir[PATH_MAX], link[PATH_MAX + 8], maps[1024];

	snprintf(dir, sizeof(dir), "%s/%d", root, PID);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(link, sizeof(link), "%s/exe", dir);
	assert_int_equal(symlink(exe, link), 0);
	write_file("comm", "fake\n");
	snprintf(maps, sizeof(maps),
		 "7f0000000000-7f0000001000 r-xp 00000000 fe:09 %ju %s\n"
		 "%llx-%llx r-xp 00000000 %02x:%02x %ju /elsewhere/fake\n",
		 (uintmax_t)st->st_ino, exe, EXE_START, EXE_START + 0x1000, major(st->st_dev),
		 minor(st->st_dev), (uintmax_t)st->st_ino);
	write_file("maps", maps);
}

static const struct tt_proc_object *the_exe(const struct tt_proc *p)
{
	const struct tt_proc_object *found = NULL;

	for (size_t i = 0; i < p->n_objects; i++) {
		if (!p->objects[i].is_exe)
			continue;
		assert_null(found); /* exactly one */
		found = &p->objects[i];
	}
	return found;
}

static void test_exe_by_startcode_and_device(void **state)
{
	const char *exe = "/bin/true";
	struct tt_error err = { "" };
	struct tt_proc p;
	struct stat st;

	(void)state;
	assert_int_equal(stat(exe, &st), 0);
	assert_non_null(mkdtemp(root));
	make_proc(exe, &st);

	/* The start of the code names the mapping. */
	write_stat(EXE_START + 0x10);
	assert_int_equal(tt_proc_read_at(root, PID, &p, &err), 0);
	assert_int_equal(p.n_objects, 2);
	assert_non_null(the_exe(&p));
	assert_string_equal(the_exe(&p)->path, "/elsewhere/fake");
	tt_proc_free(&p);

	/* Without it (no ptrace access: the kernel shows 0), device and
	 * inode decide, never the inode alone. */
	write_stat(0);
	assert_int_equal(tt_proc_read_at(root, PID, &p, &err), 0);
	assert_non_null(the_exe(&p));
	assert_string_equal(the_exe(&p)->path, "/elsewhere/fake");
	tt_proc_free(&p);
}

static int cleanup(void **state)
{
	(void)state;
	return tt_test_remove_tree(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exe_by_startcode_and_device),
	};

	return cmocka_run_group_tests(tests, NULL, cleanup);
}
