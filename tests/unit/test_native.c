// SPDX-License-Identifier: MIT
/*
 * Native resolver against Debian's libssl3, libgnutls30, libcrypto3 and the
 * node binary (static OpenSSL with symbols).  The oracle is binutils:
 * `readelf --dyn-syms -W` (and `nm -D` as a cross-check) for the symbols,
 * `readelf -l -W` for PT_LOAD, and the vaddr -> file offset conversion is
 * computed here, independently of the resolver's.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"
#include "tlstap/compiler.h"
#include "trace/proc.h"
#include "cli/resolve_pid.h"
#include "tlstap/resolve.h"

#define LIBDIR "/usr/lib/x86_64-linux-gnu"
#define LIBSSL LIBDIR "/libssl.so.3"
#define LIBCRYPTO LIBDIR "/libcrypto.so.3"
#define LIBGNUTLS LIBDIR "/libgnutls.so.30"
#define LIBC LIBDIR "/libc.so.6"
#define NODE "/usr/bin/node"

static const char *const openssl_names[] = {
    "SSL_read",	   "SSL_write",	       "SSL_read_ex",  "SSL_write_ex", "SSL_set_fd",
    "SSL_set_bio", "SSL_do_handshake", "SSL_shutdown", "SSL_free",     "BIO_new_socket",
    "BIO_write",   "BIO_write_ex",     "BIO_read",     "BIO_read_ex",
};
static const char *const gnutls_names[] = {
    "gnutls_record_recv",	"gnutls_record_send", "gnutls_transport_set_int2",
    "gnutls_transport_set_ptr", "gnutls_bye",	      "gnutls_deinit",
};
#define N(a) (sizeof(a) / sizeof((a)[0]))

/* --- the oracle ---------------------------------------------------------- */

struct load {
	uint64_t offset, vaddr, filesz;
};

struct oracle {
	struct load loads[16];
	size_t n_loads;
};

static FILE *run(const char *fmt, const char *path)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), fmt, path);
	return popen(cmd, "r");
}

/* "  LOAD  0x000000 0x0000000000400000 0x... 0x76e5d8 0x76e5d8 R 0x1000" */
static void oracle_loads(const char *path, struct oracle *o)
{
	char line[512];
	FILE *f = run("readelf -l -W '%s' 2>/dev/null", path);

	assert_non_null(f);
	o->n_loads = 0;
	while (fgets(line, sizeof(line), f)) {
		struct load l;
		uint64_t paddr;

		if (sscanf(line, " LOAD 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64 " 0x%" SCNx64,
			   &l.offset, &l.vaddr, &paddr, &l.filesz) == 4 &&
		    o->n_loads < N(o->loads))
			o->loads[o->n_loads++] = l;
	}
	pclose(f);
	assert_true(o->n_loads > 0);
}

static bool oracle_offset(const struct oracle *o, uint64_t vaddr, uint64_t *off)
{
	for (size_t i = 0; i < o->n_loads; i++) {
		const struct load *l = &o->loads[i];

		if (vaddr >= l->vaddr && vaddr < l->vaddr + l->filesz) {
			*off = vaddr - l->vaddr + l->offset;
			return true;
		}
	}
	return false;
}

/* One symbol the oracle saw defined. */
struct osym {
	char name[64];
	uint64_t value, size;
	bool in_nm;
	uint64_t nm_value;
};

struct osyms {
	struct osym s[N(openssl_names) + N(gnutls_names)];
	size_t n;
};

static bool wanted_name(const char *sym, char *out, size_t len)
{
	const char *const *lists[2] = {openssl_names, gnutls_names};
	const size_t sizes[2] = {N(openssl_names), N(gnutls_names)};

	for (int l = 0; l < 2; l++)
		for (size_t i = 0; i < sizes[l]; i++) {
			size_t n = strlen(lists[l][i]);

			if (!strncmp(sym, lists[l][i], n) && (!sym[n] || sym[n] == '@')) {
				snprintf(out, len, "%s", lists[l][i]);
				return true;
			}
		}
	return false;
}

static struct osym *osym_find(struct osyms *o, const char *name)
{
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->s[i].name, name))
			return &o->s[i];
	return NULL;
}

/*
 * One readelf pass per file (node has 100k dynamic symbols):
 * "   564: 0000000000035980   131 FUNC    GLOBAL DEFAULT   13 SSL_write@@OPENSSL_3.0.0"
 * keeps defined (Ndx not UND) FUNC/IFUNC of the wanted names.
 */
static void oracle_dynsym(const char *path, struct osyms *o)
{
	char line[1024], type[16], bind[16], vis[16], ndx[16], sym[512], name[64];
	FILE *f = run("readelf --dyn-syms -W '%s' 2>/dev/null", path);

	assert_non_null(f);
	o->n = 0;
	while (fgets(line, sizeof(line), f)) {
		uint64_t v, s;
		unsigned num;

		if (sscanf(line, " %u: %" SCNx64 " %" SCNu64 " %15s %15s %15s %15s %511s", &num, &v,
			   &s, type, bind, vis, ndx, sym) != 8)
			continue;
		if (!strcmp(ndx, "UND") || (strcmp(type, "FUNC") && strcmp(type, "IFUNC")))
			continue;
		if (!wanted_name(sym, name, sizeof(name)) || osym_find(o, name) || o->n >= N(o->s))
			continue;
		memset(&o->s[o->n], 0, sizeof(o->s[o->n]));
		snprintf(o->s[o->n].name, sizeof(o->s[o->n].name), "%s", name);
		o->s[o->n].value = v;
		o->s[o->n].size = s;
		o->n++;
	}
	pclose(f);
}

/* `nm -D --defined-only`: "0000000000035430 T SSL_read@@OPENSSL_3.0.0" */
static void oracle_nm(const char *path, struct osyms *o)
{
	char line[1024], t[4], sym[512], name[64];
	FILE *f = run("nm -D --defined-only '%s' 2>/dev/null", path);
	struct osym *s;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		uint64_t v;

		if (sscanf(line, "%" SCNx64 " %3s %511s", &v, t, sym) != 3)
			continue;
		if ((t[0] == 'T' || t[0] == 'i' || t[0] == 'W') &&
		    wanted_name(sym, name, sizeof(name)) && (s = osym_find(o, name)) && !s->in_nm) {
			s->in_nm = true;
			s->nm_value = v;
		}
	}
	pclose(f);
}

static bool have(const char *path)
{
	return access(path, R_OK) == 0;
}

static struct osyms cached;
static char cached_path[256];
static bool cached_nm;

/* Every wanted name: found by the resolver iff the oracle defines it, same offset. */
static size_t check_against_oracle(const struct tt_resolution *r, const char *path,
				   const char *const *names, size_t n_names, bool use_nm)
{
	struct oracle o;
	struct osyms syms;
	size_t matched = 0;

	oracle_loads(path, &o);
	/* readelf takes seconds on node's 100k symbols: once per file. */
	if (strcmp(cached_path, path) || (use_nm && !cached_nm)) {
		oracle_dynsym(path, &cached);
		if (use_nm)
			oracle_nm(path, &cached);
		snprintf(cached_path, sizeof(cached_path), "%s", path);
		cached_nm = use_nm;
	}
	syms = cached;
	for (size_t i = 0; i < n_names; i++) {
		const struct tt_function *fn = tt_resolution_function(r, names[i]);
		const struct osym *s = osym_find(&syms, names[i]);
		uint64_t off;

		if (!s) {
			if (fn)
				print_error("%s: resolver found %s, oracle did not\n", path,
					    names[i]);
			assert_true(fn == NULL || !fn->found);
			continue;
		}
		if (!fn)
			print_error("%s: %s missing\n", path, names[i]);
		assert_non_null(fn);
		assert_true(fn->found);
		assert_true(oracle_offset(&o, s->value, &off));
		assert_int_equal(fn->address, s->value);
		assert_int_equal(fn->file_offset, off);
		assert_int_equal(fn->size, s->size);
		if (use_nm) {
			assert_true(s->in_nm);
			assert_int_equal(s->nm_value, s->value);
		}
		matched++;
	}
	return matched;
}

static struct tt_resolution *resolve(const char *path)
{
	struct tt_resolution *r = NULL;
	struct tt_error err = {""};
	int ret = tt_resolve_path(path, NULL, &r, &err);

	if (ret)
		print_error("%s: %s\n", path, err.msg);
	assert_int_equal(ret, 0);
	assert_non_null(r);
	return r;
}

static bool has_note(const struct tt_resolution *r, const char *needle)
{
	for (size_t i = 0; i < r->n_notes; i++)
		if (strstr(r->notes[i].text, needle))
			return true;
	return false;
}

/* First line of a command's output, newline removed. */
static bool command_line(const char *cmd, char *buf, size_t len)
{
	FILE *f = popen(cmd, "r");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, len, f) != NULL;
	pclose(f);
	if (ok)
		buf[strcspn(buf, "\n")] = 0;
	return ok && buf[0];
}

/* --- tests --------------------------------------------------------------- */

static void test_libssl(void **state)
{
	struct tt_resolution *r;
	size_t n;

	(void)state;
	if (!have(LIBSSL))
		skip();
	r = resolve(LIBSSL);
	assert_int_equal(r->kind, TT_KIND_NATIVE);
	assert_int_equal(r->arch, TT_ARCH_X86_64);
	assert_string_equal(r->library.name, "openssl");
	/* libssl has no version string: the version node gives a lower bound. */
	assert_true(!strncmp(r->library.version, ">=3.", 4));
	assert_true(has_note(r, "OPENSSL_3.0.0"));
	n = check_against_oracle(r, LIBSSL, openssl_names, N(openssl_names), true);
	assert_int_equal(n, 9); /* all but the BIO_ functions, which are libcrypto's */
	assert_int_equal(r->n_functions, n);
	assert_null(tt_resolution_function(r, "BIO_new_socket"));
	tt_resolution_free(r);
}

static void test_libcrypto(void **state)
{
	struct tt_resolution *r;
	char ver[256];

	(void)state;
	if (!have(LIBCRYPTO))
		skip();
	r = resolve(LIBCRYPTO);
	/* BIO_new_socket and the BIO_read/BIO_write family alone do not make a
	 * TLS library. */
	assert_int_equal(r->kind, TT_KIND_NONE);
	assert_int_equal(check_against_oracle(r, LIBCRYPTO, openssl_names, N(openssl_names), false),
			 5);
	assert_string_equal(r->library.name, "openssl");
	assert_true(has_note(r, "no TLS entry points"));
	/* "OpenSSL 3.0.19 27 Jan 2026 (Library: OpenSSL 3.0.19 27 Jan 2026)" */
	if (command_line("openssl version 2>/dev/null", ver, sizeof(ver)) &&
	    strstr(ver, " (Library: ")) {
		*strstr(ver, " (Library: ") = 0;
		assert_string_equal(r->library.version, ver);
	}
	tt_resolution_free(r);
}

static void test_libgnutls(void **state)
{
	struct tt_resolution *r;
	char line[256];
	size_t n;

	(void)state;
	if (!have(LIBGNUTLS))
		skip();
	r = resolve(LIBGNUTLS);
	assert_int_equal(r->kind, TT_KIND_NATIVE);
	assert_string_equal(r->library.name, "gnutls");
	n = check_against_oracle(r, LIBGNUTLS, gnutls_names, N(gnutls_names), true);
	assert_int_equal(n, N(gnutls_names));
	assert_int_equal(r->n_functions, n);
	/* "gnutls-cli 3.7.9": the CLI links the same library. */
	if (command_line("gnutls-cli --version 2>/dev/null", line, sizeof(line)) &&
	    !strncmp(line, "gnutls-cli ", 11))
		assert_string_equal(r->library.version, line + 11);
	else
		assert_true(r->library.version[0] == '3');
	tt_resolution_free(r);
}

static void test_node(void **state)
{
	struct tt_resolution *r;
	char ver[64], want[80];
	size_t n;

	(void)state;
	if (!have(NODE))
		skip();
	r = resolve(NODE);
	assert_int_equal(r->kind, TT_KIND_NATIVE);
	assert_string_equal(r->library.name, "openssl");
	n = check_against_oracle(r, NODE, openssl_names, N(openssl_names), false);
	assert_int_equal(n, N(openssl_names));
	assert_int_equal(r->n_functions, n);
	assert_int_equal(check_against_oracle(r, NODE, gnutls_names, N(gnutls_names), false), 0);
	/* process.versions.openssl is "3.0.19" (maybe "+quic"): the text starts so. */
	if (command_line("node -p process.versions.openssl 2>/dev/null", ver, sizeof(ver))) {
		ver[strcspn(ver, "+")] = 0;
		snprintf(want, sizeof(want), "OpenSSL %s", ver);
		assert_true(!strncmp(r->library.version, want, strlen(want)));
	}
	tt_resolution_free(r);
}

static void test_libc_is_not_tls(void **state)
{
	struct tt_resolution *r;

	(void)state;
	if (!have(LIBC))
		skip();
	r = resolve(LIBC);
	assert_int_equal(r->kind, TT_KIND_NONE);
	assert_int_equal(r->n_functions, 0);
	assert_int_equal(r->n_notes, 0);
	assert_string_equal(r->library.name, "");
	tt_resolution_free(r);
}

/* A symbol-less binary with TLS strings: TLS we cannot hook must be said. */
static void test_stripped_static_tls(void **state)
{
	char dir[] = "/tmp/tlstap-test-XXXXXX", src[64], bin[64], cmd[256];
	struct tt_resolution *r;
	FILE *f;

	(void)state;
	if (!mkdtemp(dir))
		skip();
	snprintf(src, sizeof(src), "%s/s.c", dir);
	snprintf(bin, sizeof(bin), "%s/s", dir);
	f = fopen(src, "w");
	assert_non_null(f);
	fputs("#include <stdio.h>\n"
	      "static const char *const s[] = { \"master secret\", \"key expansion\",\n"
	      "  \"CLIENT_RANDOM\", \"tls13 \", \"OpenSSL 1.1.1 (compatible; BoringSSL)\" };\n"
	      "int SSL_readx(void) { return 0; }\n"
	      "int main(int c, char **v) { (void)v; return puts(s[c % 5]); }\n",
	      f);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "cc -O1 -s -o %s %s 2>/dev/null", bin, src);
	if (system(cmd)) {
		unlink(src);
		rmdir(dir);
		skip();
	}
	r = resolve(bin);
	assert_int_equal(r->kind, TT_KIND_NONE);
	assert_int_equal(r->n_functions, 0);
	assert_string_equal(r->library.name, "boringssl");
	assert_true(has_note(r, "cannot hook"));
	tt_resolution_free(r);
	unlink(bin);
	unlink(src);
	rmdir(dir);
}

/* Truncated copies of libssl: an error or a resolution, never a crash. */
static void test_truncated(void **state)
{
	static const size_t cuts[] = {0, 16, 64, 4096, 65536, 300000};
	char path[] = "/tmp/tlstap-trunc-XXXXXX";
	struct tt_resolution *r;
	struct tt_error err;
	char buf[65536];
	FILE *in, *out;
	int fd;

	(void)state;
	if (!have(LIBSSL))
		skip();
	fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	for (size_t i = 0; i < N(cuts); i++) {
		size_t left = cuts[i], n;

		in = fopen(LIBSSL, "rb");
		out = fopen(path, "wb");
		assert_non_null(in);
		assert_non_null(out);
		while (left && (n = fread(buf, 1, left < sizeof(buf) ? left : sizeof(buf), in))) {
			fwrite(buf, 1, n, out);
			left -= n;
		}
		fclose(in);
		fclose(out);
		r = NULL;
		if (tt_resolve_path(path, NULL, &r, &err) == 0)
			tt_resolution_free(r);
		else
			assert_true(err.msg[0] != 0);
	}
	unlink(path);
}

/* --- process discovery (no root: our own process) ------------------------ */

static void test_proc_self(void **state)
{
	struct tt_proc p;
	struct tt_error err;
	char exe[4096];
	ssize_t n;
	bool saw_exe = false, saw_libc = false;

	(void)state;
	assert_int_equal(tt_proc_read(getpid(), &p, &err), 0);
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = 0;
	assert_string_equal(p.exe, exe);
	for (size_t i = 0; i < p.n_objects; i++) {
		const struct tt_proc_object *o = &p.objects[i];
		int fd;

		assert_true(o->n_exec > 0);
		if (o->is_exe) {
			assert_string_equal(o->path, exe);
			saw_exe = true;
		}
		if (strstr(o->path, "/libc.so.6"))
			saw_libc = true;
		fd = tt_proc_open_object(&p, o, &err);
		assert_true(fd >= 0);
		close(fd);
	}
	assert_true(saw_exe);
	assert_true(saw_libc);
	tt_proc_free(&p);
}

static void test_proc_errors(void **state)
{
	struct tt_proc p;
	struct tt_error err;

	(void)state;
	assert_int_equal(tt_proc_read(999999999, &p, &err), -ESRCH);
	assert_string_equal(err.msg, "no such process");
	assert_int_equal(tt_proc_read(-1, &p, &err), -ESRCH);
}

static void test_cache_once(void **state)
{
	const struct tt_resolution *a, *b;
	struct tt_obj_cache *c;
	struct tt_error err;
	int fd1, fd2;

	(void)state;
	if (!have(LIBGNUTLS))
		skip();
	c = tt_obj_cache_new();
	assert_non_null(c);
	fd1 = open(LIBGNUTLS, O_RDONLY);
	fd2 = open(LIBDIR "/libgnutls.so.30", O_RDONLY); /* through the symlink */
	assert_true(fd1 >= 0 && fd2 >= 0);
	assert_int_equal(tt_obj_cache_resolve(c, fd1, LIBGNUTLS, NULL, &a, &err), 0);
	assert_int_equal(tt_obj_cache_resolve(c, fd2, "other", NULL, &b, &err), 0);
	assert_ptr_equal(a, b);
	assert_int_equal(tt_obj_cache_analyses(c), 1);
	close(fd1);
	close(fd2);
	/* A non-ELF file fails once and the failure is cached too. */
	fd1 = open("/proc/self/cmdline", O_RDONLY);
	assert_true(tt_obj_cache_resolve(c, fd1, "cmdline", NULL, &a, &err) < 0);
	close(fd1);
	tt_obj_cache_free(c);
}

/* With a bound, a miss when full starts over: the size never passes it,
 * and what was forgotten is analysed again when asked for. */
static void test_cache_bound(void **state)
{
	static const char *const files[] = { LIBGNUTLS, "/bin/sh", "/bin/true" };
	const struct tt_resolution *r;
	struct tt_obj_cache *c;
	struct tt_error err;

	(void)state;
	if (!have(LIBGNUTLS))
		skip();
	c = tt_obj_cache_new();
	assert_non_null(c);
	tt_obj_cache_set_max(c, 2);
	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
			int fd = open(files[i], O_RDONLY);

			assert_true(fd >= 0);
			assert_int_equal(tt_obj_cache_resolve(c, fd, files[i], NULL, &r, &err), 0);
			assert_true(tt_obj_cache_size(c) <= 2);
			close(fd);
		}
	}
	/* The third file pushed the first two out each round: 6 analyses. */
	assert_int_equal(tt_obj_cache_analyses(c), 6);
	tt_obj_cache_free(c);
}

/* A file forgotten (on any device: dev 0) is analysed again when asked
 * for; another one stays. */
static void test_cache_forget(void **state)
{
	const struct tt_resolution *r;
	struct tt_obj_cache *c;
	struct tt_error err;
	struct stat st;
	char bid[65];
	int fd, fd2;

	(void)state;
	c = tt_obj_cache_new();
	assert_non_null(c);
	fd = open("/bin/true", O_RDONLY);
	fd2 = open("/bin/sh", O_RDONLY);
	assert_true(fd >= 0 && fd2 >= 0 && !fstat(fd, &st));
	assert_int_equal(tt_obj_cache_resolve(c, fd, "true", NULL, &r, &err), 0);
	snprintf(bid, sizeof(bid), "%s", r->build_id);
	assert_int_equal(tt_obj_cache_resolve(c, fd2, "sh", NULL, &r, &err), 0);
	assert_int_equal(tt_obj_cache_size(c), 2);
	tt_obj_cache_forget(c, 0, st.st_ino, "not its build-id");
	assert_int_equal(tt_obj_cache_size(c), 2);
	tt_obj_cache_forget(c, 0, st.st_ino, bid);
	assert_int_equal(tt_obj_cache_size(c), 1);
	assert_int_equal(tt_obj_cache_resolve(c, fd2, "sh", NULL, &r, &err), 0);
	assert_int_equal(tt_obj_cache_analyses(c), 2);
	assert_int_equal(tt_obj_cache_resolve(c, fd, "true", NULL, &r, &err), 0);
	assert_int_equal(tt_obj_cache_analyses(c), 3);
	close(fd);
	close(fd2);
	tt_obj_cache_free(c);
}

/* `resolve -p` on ourselves after dlopen(libssl): JSON names libssl to attach. */
static void test_resolve_pid_self(void **state)
{
	const struct tt_function *fn;
	struct tt_resolution *r;
	char *buf = NULL, needle[128];
	size_t len = 0;
	void *h;
	FILE *f;
	int pid = getpid();

	(void)state;
	h = dlopen("libssl.so.3", RTLD_NOW | RTLD_LOCAL);
	if (!h)
		skip();
	f = open_memstream(&buf, &len);
	assert_non_null(f);
	assert_int_equal(tt_resolve_pids(&pid, 1, NULL, true, f), 0);
	fclose(f);
	snprintf(needle, sizeof(needle), "{\"pid\":%d,", pid);
	assert_non_null(strstr(buf, needle));
	assert_non_null(strstr(buf, "\"path\":\"" LIBSSL "\",\"kind\":\"native\""));
	assert_non_null(strstr(buf, "\"attach\":true"));
	assert_non_null(strstr(buf, "\"skipped\":["));
	r = resolve(LIBSSL);
	fn = tt_resolution_function(r, "SSL_write");
	assert_non_null(fn);
	snprintf(needle, sizeof(needle),
		 "\"name\":\"SSL_write\",\"found\":true,\"source\":\"dynsym\","
		 "\"address\":%" PRIu64 ",\"file_offset\":%" PRIu64,
		 fn->address, fn->file_offset);
	assert_non_null(strstr(buf, needle));
	/* The version comes from the libcrypto mapped next to it. */
	assert_non_null(strstr(buf, "\"version\":\"OpenSSL 3."));
	tt_resolution_free(r);
	free(buf);
	dlclose(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_libssl),	     cmocka_unit_test(test_libcrypto),
	    cmocka_unit_test(test_libgnutls),	     cmocka_unit_test(test_node),
	    cmocka_unit_test(test_libc_is_not_tls),  cmocka_unit_test(test_stripped_static_tls),
	    cmocka_unit_test(test_truncated),	     cmocka_unit_test(test_proc_self),
	    cmocka_unit_test(test_proc_errors),	     cmocka_unit_test(test_cache_once),
	    cmocka_unit_test(test_cache_bound),	     cmocka_unit_test(test_cache_forget),
	    cmocka_unit_test(test_resolve_pid_self),
	};

	return cmocka_run_group_tests_name("native", tests, NULL, NULL);
}
