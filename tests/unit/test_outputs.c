// SPDX-License-Identifier: MIT
/*
 * The output files of trace and replay: a run that fails before it starts
 * leaves an existing file as it was and removes a file it created; the
 * commit (or the first write) makes a file 0600 and empty, once; one file
 * under two names is seen.
 * And the text form of a process name, which the process chooses.
 */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/outputs.h"
#include "out/file.h"
#include "out/wbuf.h"

static char dir[] = "/tmp/tlstap-outputs-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return tt_test_remove_tree(dir);
}

static void path_of(char *buf, size_t n, const char *name)
{
	snprintf(buf, n, "%s/%s", dir, name);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static off_t size_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? -1 : st.st_size;
}

static void test_discard_keeps_existing(void **state)
{
	struct tt_output_file f;
	struct tt_error err = { "" };
	char p[256];
	struct stat st;

	(void)state;
	path_of(p, sizeof(p), "old");
	write_file(p, "earlier capture\n", 0644);
	assert_int_equal(tt_output_open(&f, p, &err), 0);
	assert_false(f.created);
	tt_output_close(&f);
	assert_int_equal(size_of(p), 16);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);
}

static void test_discard_removes_created(void **state)
{
	struct tt_output_file f;
	struct tt_error err = { "" };
	char p[256];
	struct stat st;

	(void)state;
	path_of(p, sizeof(p), "new");
	assert_int_equal(tt_output_open(&f, p, &err), 0);
	assert_true(f.created);
	assert_int_equal(fstat(f.fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	tt_output_close(&f);
	assert_int_equal(size_of(p), -1);
}

static void test_commit_truncates(void **state)
{
	struct tt_output_file f;
	struct tt_error err = { "" };
	char p[256];
	struct stat st;

	(void)state;
	path_of(p, sizeof(p), "again");
	write_file(p, "earlier capture\n", 0666);
	assert_int_equal(tt_output_open(&f, p, &err), 0);
	assert_int_equal(tt_output_commit(&f, &err), 0);
	assert_int_equal(fstat(f.fd, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 0);
	close(f.fd);
}

static void test_refused_links(void **state)
{
	struct tt_output_file f;
	struct tt_error err = { "" };
	char p[256], l[256];

	(void)state;
	path_of(p, sizeof(p), "target");
	path_of(l, sizeof(l), "link");
	write_file(p, "x", 0600);
	assert_int_equal(symlink(p, l), 0);
	assert_int_equal(tt_output_open(&f, l, &err), -ELOOP);
	assert_int_equal(f.fd, -1);
	unlink(l);
	assert_int_equal(link(p, l), 0);
	assert_int_equal(tt_output_open(&f, l, &err), -EPERM);
	/* Refused: neither name changed, nor removed. */
	assert_int_equal(size_of(p), 1);
	assert_int_equal(size_of(l), 1);
}

static void test_outputs_failed_start(void **state)
{
	struct tt_outputs o;
	struct tt_error err = { "" };
	char out[256], pcap[256];

	(void)state;
	/* -w cannot be opened: -o, which exists, is left as it was. */
	path_of(out, sizeof(out), "events");
	write_file(out, "keep\n", 0600);
	path_of(pcap, sizeof(pcap), "no/such/dir.pcapng");
	assert_true(tt_outputs_open(&o, out, pcap, &err) < 0);
	assert_int_equal(size_of(out), 5);
	/* Opened, never committed: the file created is removed. */
	path_of(pcap, sizeof(pcap), "cap.pcapng");
	assert_int_equal(tt_outputs_open(&o, out, pcap, &err), 0);
	tt_outputs_close(&o);
	assert_int_equal(size_of(pcap), -1);
	assert_int_equal(size_of(out), 5);
	/* Committed: both are the run's. */
	assert_int_equal(tt_outputs_open(&o, out, pcap, &err), 0);
	assert_int_equal(tt_outputs_commit(&o, &err), 0);
	tt_outputs_close(&o);
	assert_int_equal(size_of(pcap), 0);
	assert_int_equal(size_of(out), 0);
}

static void test_first_write_commits(void **state)
{
	struct tt_outputs o;
	struct tt_error err = { "" };
	char out[256], buf[64] = "";
	FILE *f;

	(void)state;
	path_of(out, sizeof(out), "written");
	write_file(out, "a much longer earlier capture\n", 0644);
	assert_int_equal(tt_outputs_open(&o, out, NULL, &err), 0);
	tt_wbuf_puts(&o.out, "new\n");
	assert_int_equal(tt_wbuf_flush(&o.out), 0);
	/* Written: the run's, and committing again truncates nothing. */
	assert_int_equal(tt_outputs_commit(&o, &err), 0);
	tt_outputs_close(&o);
	f = fopen(out, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_null(fgets(buf + 4, sizeof(buf) - 4, f));
	fclose(f);
	assert_string_equal(buf, "new\n");
}

static void test_outputs_include(void **state)
{
	struct tt_outputs o;
	struct tt_error err = { "" };
	char out[256], alias[256];
	int fd;

	(void)state;
	path_of(out, sizeof(out), "capture.ndjson");
	write_file(out, "{}\n", 0600);
	snprintf(alias, sizeof(alias), "%s/./capture.ndjson", dir);
	fd = open(out, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(tt_outputs_open(&o, alias, NULL, &err), 0);
	assert_true(tt_outputs_include(&o, fd));
	tt_outputs_close(&o);
	close(fd);
	assert_int_equal(size_of(out), 3);
}

static void test_name_text(void **state)
{
	char buf[TT_NAME_TEXT_MAX], hostile[16] = "x\x1b[31mR\nF \\\xff";
	const char all[16] = { 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h',
			       'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p' };

	(void)state;
	assert_string_equal(tt_fmt_name(buf, "curl"), "curl");
	assert_string_equal(tt_fmt_name(buf, hostile), "x\\x1b[31mR\\x0aF\\x20\\x5c\\xff");
	/* 16 bytes without a NUL: no more read. */
	assert_string_equal(tt_fmt_name(buf, all), "abcdefghijklmnop");
	memset(hostile, 0x07, sizeof(hostile));
	assert_int_equal(strlen(tt_fmt_name(buf, hostile)), TT_NAME_TEXT_MAX - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_discard_keeps_existing),
		cmocka_unit_test(test_discard_removes_created),
		cmocka_unit_test(test_commit_truncates),
		cmocka_unit_test(test_refused_links),
		cmocka_unit_test(test_outputs_failed_start),
		cmocka_unit_test(test_first_write_commits),
		cmocka_unit_test(test_outputs_include),
		cmocka_unit_test(test_name_text),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
