// SPDX-License-Identifier: MIT
/*
 * `tlstap resolve -p PID...`: for each process, its executable and every
 * mapped object that is or might be TLS, each analysed once (object cache),
 * with what the tracer would attach to and why anything else is skipped.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/proc.h"
#include "cli/resolve_pid.h"
#include "cli/commands.h"
#include "cli/resolve_print.h"
#include "out/wbuf.h"

/* What the tracer makes of one mapped object. */
struct verdict {
	const struct tt_proc_object *obj;
	const struct tt_resolution *r; /* NULL when it could not be resolved */
	bool listed;		       /* in "objects" (else in "skipped") */
	bool attach;
	char reason[512];
	char version[128]; /* shown instead of r->library.version if set */
};

struct pid_report {
	struct tt_proc proc;
	struct verdict *v;
	size_t n;
	size_t n_attach;
};

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static bool named_tls_library(const char *path)
{
	const char *b = base_name(path);

	return !strncmp(b, "libssl", 6) || !strncmp(b, "libgnutls", 9) ||
	       !strncmp(b, "libboringssl", 12);
}

/*
 * What the tracer would do with the object: tt_plan_object(), the very
 * decision `trace` takes.  Only the presentation is ours: which objects are
 * listed (the executable, anything attached, TLS code we cannot hook, a
 * library named like a TLS library) and which are summed up as skipped.
 */
static int judge(struct verdict *v, struct tt_error *err)
{
	const struct tt_resolution *r = v->r;
	struct tt_plan plan;
	int ret;

	ret = tt_plan_object(r, &plan, err);
	if (ret)
		return ret;
	v->attach = plan.attach;
	snprintf(v->reason, sizeof(v->reason), "%s", plan.reason);
	tt_plan_free(&plan);
	if (v->attach || r->kind == TT_KIND_GO) {
		v->listed = true;
		return 0;
	}
	switch (r->why_none) {
	case TT_NONE_HELPERS_ONLY:
		return 0;
	case TT_NONE_USES_SHARED:
		v->listed = v->obj->is_exe;
		return 0;
	case TT_NONE_UNHOOKABLE:
		v->listed = true;
		return 0;
	case TT_NONE_NOT_TLS:
		break;
	}
	if (v->obj->is_exe) {
		v->listed = true;
		snprintf(v->reason, sizeof(v->reason),
			 "no TLS code of its own (any TLS library it uses is listed separately)");
	} else if (named_tls_library(v->obj->path)) {
		v->listed = true;
		snprintf(v->reason, sizeof(v->reason),
			 "named like a TLS library but defines no TLS entry points (stripped?)");
	}
	return 0;
}

/*
 * libssl keeps no version string (libcrypto does), so the resolver could
 * only give a lower bound from symbol versions.  In a process the libcrypto
 * it runs with is known: libcrypto.so.N next to libssl.so.N.
 */
static void version_from_libcrypto(struct pid_report *pr, struct verdict *v)
{
	const char *ssl = v->obj->path, *b = base_name(ssl), *suffix;

	if (!v->attach || strcmp(v->r->library.name, "openssl") ||
	    strncmp(v->r->library.version, ">=", 2) || strncmp(b, "libssl", 6))
		return;
	suffix = b + 6; /* ".so.3" */
	for (size_t i = 0; i < pr->n; i++) {
		const struct verdict *c = &pr->v[i];
		const char *cb;

		if (!c->r || !c->r->library.version[0] || strcmp(c->r->library.name, "openssl"))
			continue;
		cb = base_name(c->obj->path);
		if (strncmp(cb, "libcrypto", 9) || strcmp(cb + 9, suffix) ||
		    cb - c->obj->path != b - ssl || strncmp(c->obj->path, ssl, b - ssl))
			continue;
		snprintf(v->version, sizeof(v->version), "%s", c->r->library.version);
		snprintf(v->reason + strlen(v->reason), sizeof(v->reason) - strlen(v->reason),
			 " (version from %s mapped alongside)", cb);
		return;
	}
}

static int analyse(struct tt_obj_cache *cache, struct pid_report *pr,
		   const struct tt_resolve_opts *opts, struct tt_error *err)
{
	struct tt_error oerr;
	int fd, ret;

	pr->v = calloc(pr->proc.n_objects ? pr->proc.n_objects : 1, sizeof(*pr->v));
	if (!pr->v)
		return tt_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < pr->proc.n_objects; i++) {
		struct verdict *v = &pr->v[pr->n++];

		v->obj = &pr->proc.objects[i];
		fd = tt_proc_open_object(&pr->proc, v->obj, &oerr);
		if (fd == -ESRCH)
			return tt_error_set(err, ESRCH, "process exited during analysis");
		if (fd < 0) {
			v->listed = v->obj->is_exe;
			snprintf(v->reason, sizeof(v->reason), "%s", oerr.msg);
			continue;
		}
		ret = tt_obj_cache_resolve(cache, fd, v->obj->path, opts, &v->r, &oerr);
		close(fd);
		if (ret) {
			v->r = NULL;
			v->listed = v->obj->is_exe;
			snprintf(v->reason, sizeof(v->reason), "cannot be analysed: %.400s",
				 oerr.msg);
			continue;
		}
		ret = judge(v, err);
		if (ret)
			return ret;
	}
	for (size_t i = 0; i < pr->n; i++) {
		version_from_libcrypto(pr, &pr->v[i]);
		pr->n_attach += pr->v[i].attach;
	}
	/* Whatever we read about a process that is gone may be half of it. */
	if (!tt_proc_alive(pr->proc.pid))
		return tt_error_set(err, ESRCH, "process exited during analysis");
	return 0;
}

/*
 * The resolution as this process sees it: its path and, for libssl, the
 * version of its libcrypto (the lower-bound note is then dropped).  Shallow:
 * the cached resolution is shared by every process and never modified.
 * Free view->notes with free() when it differs from v->r->notes.
 */
static struct tt_resolution view_of(const struct verdict *v)
{
	struct tt_resolution view = *v->r;
	struct tt_note *notes;

	view.path = v->obj->path;
	if (!v->version[0])
		return view;
	snprintf(view.library.version, sizeof(view.library.version), "%s", v->version);
	notes = calloc(v->r->n_notes + 1, sizeof(*notes));
	if (!notes)
		return view;
	view.notes = notes;
	view.n_notes = 0;
	for (size_t i = 0; i < v->r->n_notes; i++)
		if (v->r->notes[i].kind != TT_NOTE_VERSION)
			notes[view.n_notes++] = v->r->notes[i];
	return view;
}

static void view_done(const struct verdict *v, struct tt_resolution *view)
{
	if (view->notes != v->r->notes)
		free(view->notes);
}

static void print_text(FILE *f, const struct pid_report *pr)
{
	const struct tt_proc *p = &pr->proc;
	char name[TT_NAME_TEXT_MAX];

	fprintf(f, "pid %d (%s): %s\n", p->pid, tt_fmt_name(name, p->comm), p->exe);
	for (size_t i = 0; i < pr->n; i++) {
		const struct verdict *v = &pr->v[i];
		struct tt_resolution view;

		if (!v->listed)
			continue;
		fprintf(f, "  %s %s%s: %s\n", v->attach ? "attach" : "no-attach", v->obj->path,
			v->obj->is_exe ? " (executable)" : "", v->reason);
		fprintf(f, "    mapped at base 0x%" PRIx64 "\n", v->obj->base);
		if (!v->r)
			continue;
		view = view_of(v);
		tt_print_resolution_text(f, &view, "    ");
		view_done(v, &view);
	}
	for (size_t i = 0; i < pr->n; i++) {
		const struct verdict *v = &pr->v[i];

		if (!v->listed)
			fprintf(f, "  skip %s: %s\n", v->obj->path, v->reason);
	}
}

/* One entry of "objects": the single-file resolution keys plus ours. */
static void json_object_entry(struct tt_json *j, const struct verdict *v)
{
	struct tt_resolution view = view_of(v);

	tt_json_object_begin(j);
	tt_print_resolution_json_members(j, &view);
	view_done(v, &view);
	tt_json_kv_bool(j, "attach", v->attach);
	tt_json_kv_string(j, "reason", v->reason);
	tt_json_kv_bool(j, "executable", v->obj->is_exe);
	tt_json_kv_uint(j, "base", v->obj->base);
	tt_json_object_end(j);
}

/* An object that could not be opened or resolved (only the executable is listed). */
static void json_unresolved_entry(struct tt_json *j, const struct verdict *v)
{
	tt_json_object_begin(j);
	tt_json_kv_string(j, "path", v->obj->path);
	tt_json_kv_string(j, "kind", "none");
	tt_json_kv_bool(j, "attach", false);
	tt_json_kv_string(j, "reason", v->reason);
	tt_json_kv_bool(j, "executable", v->obj->is_exe);
	tt_json_kv_uint(j, "base", v->obj->base);
	tt_json_object_end(j);
}

/* The text report: paths and names the process chose, terminal-safe. */
static void print_safe_text(FILE *out, const struct pid_report *pr)
{
	struct tt_safe_text st;

	if (tt_safe_text_begin(&st))
		print_text(st.f, pr);
	tt_safe_text_end(&st, out, "resolve");
}

static void print_json(FILE *f, const struct pid_report *pr)
{
	const struct tt_proc *p = &pr->proc;
	struct tt_json j;

	tt_json_init(&j, f);
	tt_json_object_begin(&j);
	tt_json_kv_int(&j, "pid", p->pid);
	tt_json_kv_string(&j, "exe", p->exe);
	tt_json_kv_string(&j, "comm", p->comm);
	tt_json_key(&j, "objects");
	tt_json_array_begin(&j);
	for (size_t i = 0; i < pr->n; i++) {
		if (!pr->v[i].listed)
			continue;
		if (pr->v[i].r)
			json_object_entry(&j, &pr->v[i]);
		else
			json_unresolved_entry(&j, &pr->v[i]);
	}
	tt_json_array_end(&j);
	tt_json_key(&j, "skipped");
	tt_json_array_begin(&j);
	for (size_t i = 0; i < pr->n; i++) {
		if (pr->v[i].listed)
			continue;
		tt_json_object_begin(&j);
		tt_json_kv_string(&j, "path", pr->v[i].obj->path);
		tt_json_kv_string(&j, "reason", pr->v[i].reason);
		tt_json_object_end(&j);
	}
	tt_json_array_end(&j);
	tt_json_object_end(&j);
	tt_json_newline(&j);
}

static int resolve_one(struct tt_obj_cache *cache, int pid, const struct tt_resolve_opts *opts,
		       bool json, FILE *out)
{
	struct pid_report pr = {0};
	struct tt_error err = {""};
	int ret;

	ret = tt_proc_read(pid, &pr.proc, &err);
	if (ret)
		goto out;
	ret = analyse(cache, &pr, opts, &err);
	if (ret)
		goto out;
	if (json)
		print_json(out, &pr);
	else
		print_safe_text(out, &pr);
	fflush(out);
	if (!pr.n_attach)
		ret = tt_error_set(&err, ENOENT,
				   "nothing TLS to trace (no Go crypto/tls, no "
				   "OpenSSL/GnuTLS entry points in %zu mapped objects)",
				   pr.n);
out:
	if (ret)
		tt_diag("tlstap: pid %d: %s\n", pid, err.msg);
	free(pr.v);
	tt_proc_free(&pr.proc);
	return ret;
}

int tt_resolve_pids(const int *pids, size_t n_pids, const struct tt_resolve_opts *opts, bool json,
		    FILE *out)
{
	struct tt_obj_cache *cache;
	int failed = 0;

	cache = tt_obj_cache_new();
	if (!cache) {
		tt_diag("tlstap: out of memory\n");
		return (int)n_pids;
	}
	for (size_t i = 0; i < n_pids; i++)
		failed += resolve_one(cache, pids[i], opts, json, out) != 0;
	/* Lets tests check that shared objects were analysed once. */
	if (getenv("TLSTAP_DEBUG_CACHE"))
		tt_diag("tlstap: %zu objects analysed for %zu processes\n",
			tt_obj_cache_analyses(cache), n_pids);
	tt_obj_cache_free(cache);
	return failed;
}
