// SPDX-License-Identifier: MIT
/*
 * A tracing session: the control thread.  It attaches to the targets,
 * reacts to their process records (exec: attach the new program; dlopen:
 * attach what was loaded; exit: detach), rescans for libraries a record
 * could not announce, watches liveness and the state maps' pressure (a
 * full map is said at once, by name), and prints the counters.  Records
 * flow on their own threads (trace/source.c); the process trees it follows
 * are trace/follow.c's.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <inttypes.h>

#include "trace/clock.h"
#include "trace/hostwide.h"
#include "trace/launch.h"
#include "trace/proc.h"
#include "trace/session.h"
#include "trace/session_int.h"
#include "trace/source.h"

/* Libraries loaded after attach (dlopen) are found by looking again. */
#define RESCAN_INTERVAL_S 0.5
/* Seconds a launched command has to end by itself after tlstap was asked
 * to stop with SIGINT (a terminal sends it to the command too), before it
 * gets SIGTERM. */
#define CHILD_GRACE_S 2.0
/* How long the control thread sleeps when nothing happens. */
#define CONTROL_POLL_MS 100
/* --all: how often every process's liveness is checked (exit records are
 * the rule, this is a backstop). */
#define HOST_SWEEP_S 5.0
/* --all: the time a sweep may spend detaching unused files (each waits for
 * the kernel) while new programs wait to be attached. */
#define RELEASE_BUDGET_S 0.25
/* The state maps' entries are counted this often (a walk of each map). */
#define PRESSURE_INTERVAL_S 1.0
/*
 * An LRU map evicts before it holds max_entries (its free entries are
 * spread over per-CPU lists): from this fill on it is said to be full, and
 * again after falling below FULL_AGAIN_BELOW.
 */
#define FULL_LRU 0.95
#define FULL_AGAIN_BELOW 0.9

/* The counters on one line; a map whose updates failed is named.  last:
 * the queue's, NULL to read them from the running source. */
static void print_counters(struct session *s, const char *prefix,
			   const struct tt_source_stats *last)
{
	uint64_t c[TT_C_COUNT], m[TT_M_COUNT];
	struct tt_source_stats st = { 0 };

	tt_tracer_counters(&s->t, c);
	tt_tracer_map_full(&s->t, m);
	if (last)
		st = *last;
	else if (s->src)
		tt_source_stats(s->src, &st);
	tt_diag("%s", prefix);
	for (int i = 0; i < TT_C_COUNT; i++)
		tt_diag("%s%s=%llu", i ? " " : "", tt_counter_name(i),
			(unsigned long long)c[i]);
	for (int i = 0; i < TT_M_COUNT; i++)
		if (m[i])
			tt_diag(" map_full[%s]=%llu", tt_state_map_name(i),
				(unsigned long long)m[i]);
	tt_diag(" swept_entries=%llu", (unsigned long long)s->t.swept);
	/* Empty maps are not named: the line stays readable. */
	for (int i = 0; s->maps.counted && i < TT_M_COUNT; i++)
		if (s->maps.entries[i])
			tt_diag(" pressure[%s]=%zu/%u", tt_state_map_name(i),
				s->maps.entries[i], s->maps.max[i]);
	for (int i = 0; last && s->maps.counted && i < TT_M_COUNT; i++)
		if (s->maps.peak[i])
			tt_diag(" peak_pressure[%s]=%zu/%u", tt_state_map_name(i),
				s->maps.peak[i], s->maps.max[i]);
	tt_diag(" queued_bytes=%zu queued_max=%zu", st.queued, st.queued_max);
	tt_diag(" late_bound_records=%" PRIu64 " late_unbound_records=%" PRIu64
		" late_filtered_records=%" PRIu64,
		st.late_bound, st.late_unbound, st.late_filtered);
	if (s->o->all)
		tt_diag(
			" objects_attached=%zu objects_detached=%" PRIu64 " processes_seen=%" PRIu64
			" new_executables=%" PRIu64 " processes_held=%" PRIu64
			" attach_latency_p50_us=%" PRIu64 " attach_latency_p99_us=%" PRIu64,
			s->t.n_objects, s->released, s->procs_seen, s->new_exes, s->procs_held,
			tt_latency_pct(&s->attach_ns, 0.5) / 1000,
			tt_latency_pct(&s->attach_ns, 0.99) / 1000);
	if (s->o->print_stats)
		s->o->print_stats(s->o->ctx, stderr);
	fputc('\n', stderr);
}

struct tt_target *session_add_target(struct session *s, int pid)
{
	struct tt_target *tg;

	if (s->n_targets == s->cap_targets) {
		size_t cap = s->cap_targets ? 2 * s->cap_targets : 64;
		struct tt_target **t = realloc(s->targets, cap * sizeof(*t));

		if (!t)
			return NULL;
		s->targets = t;
		s->cap_targets = cap;
	}
	tg = calloc(1, sizeof(*tg));
	if (!tg)
		return NULL;
	tg->pid = pid;
	tg->scope = s->o->all ? -1 : pid;
	tg->since_ns = tt_clock_ns(CLOCK_BOOTTIME);
	s->targets[s->n_targets++] = tg;
	return tg;
}

/* The live target of pid: one that is gone or has exited is not the
 * process that may now have its pid. */
struct tt_target *session_find_target(struct session *s, int pid)
{
	for (size_t i = 0; i < s->n_targets; i++)
		if (s->targets[i]->pid == pid && !s->targets[i]->gone && !s->targets[i]->exited)
			return s->targets[i];
	return NULL;
}

static void free_target(struct tt_target *tg)
{
	free(tg->objs);
	free(tg->seen);
	free(tg);
}

/* --all forgets the processes that are gone, and -- CMD and -p --children
 * the ones their trees forked (the -p processes themselves are kept: -p
 * ends when all are gone). */
static void drop_gone(struct session *s)
{
	size_t k = 0;

	for (size_t i = 0; i < s->n_targets; i++) {
		if ((s->o->all || s->targets[i]->forked) && s->targets[i]->gone) {
			free_target(s->targets[i]);
			continue;
		}
		s->targets[k++] = s->targets[i];
	}
	s->n_targets = k;
}

/*
 * A state map whose update failed is said at once, by name, then at most
 * once a second while it keeps failing: what it failed to hold is lost.
 */
static void say_failed_updates(struct session *s, double now)
{
	struct maps_seen *ms = &s->maps;
	uint64_t m[TT_M_COUNT];

	tt_tracer_map_full(&s->t, m);
	for (int i = 0; i < TT_M_COUNT; i++) {
		if (m[i] <= ms->failed[i] || now - ms->failed_said[i] < 1.0)
			continue;
		tt_diag("tlstap: map %s is full: %llu updates failed so far\n",
			tt_state_map_name(i), (unsigned long long)m[i]);
		ms->failed[i] = m[i];
		ms->failed_said[i] = now;
	}
}

/* Count the state maps' entries; a full LRU map does not fail its updates
 * but evicts its oldest entries: said once, by name. */
static void count_maps(struct session *s)
{
	struct maps_seen *ms = &s->maps;

	tt_tracer_map_pressure(&s->t, ms->entries, ms->max, ms->lru);
	ms->counted = true;
	for (int i = 0; i < TT_M_COUNT; i++) {
		double full = ms->lru[i] ? FULL_LRU * ms->max[i] : ms->max[i];

		if (ms->entries[i] > ms->peak[i])
			ms->peak[i] = ms->entries[i];
		if (!ms->full[i] && ms->max[i] && ms->entries[i] >= full) {
			tt_diag("tlstap: map %s is full (%zu/%u entries)%s\n",
				tt_state_map_name(i), ms->entries[i], ms->max[i],
				ms->lru[i] ? ": new entries evict the oldest (LRU)" : "");
			ms->full[i] = true;
		} else if (ms->full[i] && ms->entries[i] < FULL_AGAIN_BELOW * ms->max[i]) {
			ms->full[i] = false;
		}
	}
}

/* -v: what is attached to the process now ("probes" is what tests wait for). */
void session_say_probes(const struct session *s, const struct tt_target *tg, const char *what)
{
	if (s->o->tracer.verbose)
		tt_diag(
			"tlstap: pid %d (%s)%s: %zu Go probes, %zu native probes in %zu objects\n",
			tg->pid, tg->exe, what, tg->n_go_probes, tg->n_native_probes,
			tg->n_native_objects);
}

static void detach_target(struct session *s, struct tt_target *tg)
{
	tt_tracer_detach(&s->t, tg);
	tg->gone = true;
	if (s->o->tracer.verbose)
		tt_diag("tlstap: pid %d exited\n", tg->pid);
}

static void check_targets(struct session *s)
{
	for (size_t i = 0; i < s->n_targets; i++) {
		struct tt_target *tg = s->targets[i];
		int status;

		if (tg->gone)
			continue;
		if (s->child > 0 && tg->pid == s->child) {
			if (waitpid(s->child, &status, WNOHANG) != s->child)
				continue;
			s->child_status = status;
			s->child_exited = true;
		} else if (!tg->exited && tt_proc_alive(tg->pid)) {
			continue;
		}
		/* Its records already sent stay queued; its probes and state go. */
		detach_target(s, tg);
	}
	drop_gone(s);
}

static bool all_gone(const struct session *s)
{
	if (s->o->all)
		return false; /* new processes come */
	if (s->o->cmd)
		return s->targets[0]->gone; /* what its tree forked is let go with it */
	for (size_t i = 0; i < s->n_targets; i++)
		if (!s->targets[i]->gone)
			return false;
	return true;
}

/* Attach what the process loaded since (TT_PROC_RESCAN), or its new program
 * after an exec (TT_PROC_EXEC), and say so. */
static void reattach(struct session *s, struct tt_target *tg, unsigned kind)
{
	size_t before = tg->n_go_probes + tg->n_native_probes;
	struct tt_error err = { "" };
	int n;

	n = kind == TT_PROC_EXEC ? tt_tracer_reexec(&s->t, tg, &err)
				 : tt_tracer_rescan(&s->t, tg, &err);
	/* --all: a process that cannot be read (a zombie, one exiting) is not
	 * news unless asked for. */
	if (n < 0 && tt_proc_alive(tg->pid) && (!s->o->all || s->o->tracer.verbose))
		tt_diag("tlstap: %s\n", err.msg);
	else if (!s->o->all &&
		 (kind == TT_PROC_EXEC || tg->n_go_probes + tg->n_native_probes != before))
		session_say_probes(s, tg, kind == TT_PROC_EXEC ? " exec'd" : " loaded code");
}

static int attach_all(struct session *s)
{
	int attached = 0;

	for (size_t i = 0; i < s->n_targets; i++) {
		struct tt_target *tg = s->targets[i];
		struct tt_error err = { "" };

		if (tt_tracer_attach(&s->t, tg, &err) < 0) {
			/* --all: a process gone meanwhile, or one we may not read. */
			if (!s->o->all)
				tt_diag("tlstap: %s\n", err.msg);
			tg->gone = true;
			continue;
		}
		if (s->o->all) {
			tt_host_known_exe_of(&s->t, tg->pid);
			s->procs_seen++;
			attached++;
			continue;
		}
		attached++;
		/* A launched command is held at exec: its libraries come later. */
		if (!tg->n_go_probes && !tg->n_native_objects && !tg->stop_on_dlopen)
			tt_diag(
				"tlstap: pid %d (%s): no Go crypto/tls and no OpenSSL/GnuTLS mapped "
				"yet; watching for libraries it loads and programs it executes\n",
				tg->pid, tg->exe);
		session_say_probes(s, tg, "");
	}
	return attached;
}

static void rescan_all(struct session *s)
{
	for (size_t i = 0; i < s->n_targets; i++)
		if (!s->targets[i]->gone && s->targets[i]->attached)
			reattach(s, s->targets[i], TT_PROC_RESCAN);
}

/* The process's TLS calls do no socket I/O: its ciphertext probes. */
static void membio(struct session *s, struct tt_target *tg)
{
	struct tt_error err = { "" };
	double start = tt_mono_s();
	int n = tt_tracer_membio(&s->t, tg, &err);

	if (n < 0 && tt_proc_alive(tg->pid))
		tt_diag("tlstap: pid %d: memory BIO: %s\n", tg->pid, err.msg);
	else if (n > 0 && s->o->tracer.verbose)
		tt_diag("tlstap: pid %d: memory BIO: ciphertext probes in %.1f ms\n",
			tg->pid, (tt_mono_s() - start) * 1e3);
	if (n > 0)
		session_say_probes(s, tg, " uses memory BIOs");
}

/*
 * --all: a process we have not seen (started after us): attach it.  Its
 * executable becomes known, so that the next process running it is not
 * held at exec.
 */
static struct tt_target *host_new_process(struct session *s, const struct tt_proc_rec *r)
{
	struct tt_target *tg = session_add_target(s, (int)r->hdr.tgid);
	struct tt_error err = { "" };

	if (!tg)
		return NULL;
	/* The first process of an executable (held at exec) is held at its
	 * dlopens too: what it loads may be new.  The next ones load the same
	 * files, already attached. */
	tg->stop_on_dlopen = r->stopped;
	s->procs_seen++;
	/* Known even if this process is gone before we look: its files were
	 * resolved, or will be by the next one. */
	if (r->kind == TT_PROC_EXEC)
		tt_host_known_exe(&s->t, r->exe_dev, r->exe_ino);
	if (tt_tracer_attach(&s->t, tg, &err) < 0) {
		if (s->o->tracer.verbose && err.msg[0])
			tt_diag("tlstap: %s\n", err.msg); /* names the pid */
		tg->gone = true; /* gone already, most likely */
		return NULL;
	}
	return tg;
}

/* --all: a new executable's probes are live (and its process, if held,
 * runs again): the time from its exec. */
static void new_exe_attached(struct session *s, const struct tt_proc_rec *r)
{
	uint64_t ns = (uint64_t)(tt_clock_ns(CLOCK_BOOTTIME) - (int64_t)r->hdr.time_ns);
	struct tt_target *tg = session_find_target(s, (int)r->hdr.tgid);

	s->procs_held += r->stopped;
	s->new_exes++;
	tt_latency_add(&s->attach_ns, ns);
	if (s->o->tracer.verbose && tg)
		tt_diag("tlstap: pid %d (%s): probes live %.2f ms after its exec\n", tg->pid,
			tg->exe, ns / 1e6);
}

/*
 * A process record: the process exec'd (attach to the new program), its
 * loader changed the link map (attach what it loaded), it uses memory
 * BIOs, or it exited.  A process held for it (launched by us, or new to
 * --all) is released once attached.
 */
static void on_control(void *ctx, const struct tt_proc_rec *r)
{
	struct session *s = ctx;
	int tgid = (int)r->hdr.tgid;
	struct tt_target *tg = session_find_target(s, tgid);

	if (s->closing) {
		if (r->stopped)
			tt_tracer_release(&s->t, tgid);
		return;
	}
	/* A fork under a pid we still trace, after we began to: that process
	 * is gone, its exit record lost (counted), and this one is new.  An
	 * older fork record is of the same process (found at start by
	 * --children before its record was read). */
	if (tg && tg->forked && r->kind == TT_PROC_FORK &&
	    (int64_t)r->hdr.time_ns > tg->since_ns) {
		detach_target(s, tg);
		tg = NULL;
	}
	if (!tg && (s->o->all || s->t.follow) && r->kind == TT_PROC_EXIT) {
		tt_tracer_forget(&s->t, tgid); /* forked, never a target: its state */
	} else if (!tg && (s->o->all || s->t.follow)) {
		/* New to us; a memory-BIO request is its first record when it
		 * forked from a target without exec (a server's worker). */
		tg = s->o->all ? host_new_process(s, r) : session_follow_child(s, r);
		if (tg && r->kind == TT_PROC_MEMBIO)
			membio(s, tg);
	} else if (tg && r->kind == TT_PROC_EXIT) {
		tg->exited = true;
		/* --all, and a process of a followed tree (not ours to reap):
		 * at once, before its pid can be reused. */
		if (s->o->all || tg->forked)
			detach_target(s, tg);
	} else if (tg && r->kind == TT_PROC_MEMBIO)
		membio(s, tg);
	else if (tg && (r->kind == TT_PROC_EXEC || (r->kind == TT_PROC_RESCAN && tg->attached))) {
		reattach(s, tg, r->kind);
		if (s->o->all && r->kind == TT_PROC_EXEC)
			tt_host_known_exe(&s->t, r->exe_dev, r->exe_ino);
	}
	if (r->stopped)
		tt_tracer_release(&s->t, tgid);
	if (s->o->all && r->kind == TT_PROC_EXEC && (r->flags & TT_PROCF_NEW_EXE))
		new_exe_attached(s, r);
}

/* Wait for control records or the poll interval; handle them. */
static void control_wait(struct session *s, int timeout_ms)
{
	struct pollfd p = { .fd = tt_source_control_fd(s->src), .events = POLLIN };

	if (poll(&p, 1, timeout_ms) > 0)
		tt_source_control(s->src, on_control, s);
}

/* --all: detach the files no process has mapped for --detach-idle, looked
 * for every quarter of it (each look reads every process's maps), or at the
 * next sweep when the last one had more than its time to detach them. */
static void release_unused(struct session *s, double now)
{
	double every = s->o->detach_idle / 4 > HOST_SWEEP_S ? s->o->detach_idle / 4 : HOST_SWEEP_S;

	if (s->o->detach_idle <= 0 || (now - s->last_release < every && !s->release_more))
		return;
	s->last_release = now;
	s->released += tt_host_release_unused(&s->t, now, s->o->detach_idle, RELEASE_BUDGET_S,
					      &s->release_more);
}

static void loop(struct session *s)
{
	double start = tt_mono_s(), last_stats = start, last_rescan = start, last_count = 0;
	const struct tt_session_opts *o = s->o;

	while (!*s->stop) {
		double now;

		control_wait(s, CONTROL_POLL_MS);
		if (o->failed && o->failed(o->ctx))
			break;
		now = tt_mono_s();
		/* --all learns of exits from their records; a look at /proc
		 * for every process of the host is only a backstop. */
		if (!o->all || now - last_rescan >= HOST_SWEEP_S)
			check_targets(s);
		if (all_gone(s))
			break;
		say_failed_updates(s, now);
		if (now - last_count >= PRESSURE_INTERVAL_S) {
			count_maps(s);
			last_count = now;
		}
		if (o->duration > 0 && now - start >= o->duration)
			break;
		if (now - last_rescan >= (o->all ? HOST_SWEEP_S : RESCAN_INTERVAL_S)) {
			if (o->all) {
				tt_host_refresh_libraries(&s->t);
				release_unused(s, now);
			}
			else
				rescan_all(s);
			last_rescan = now;
		}
		if (o->stats && now - last_stats >= 1.0) {
			print_counters(s, "tlstap: stats: ", NULL);
			last_stats = now;
		}
	}
}

/*
 * Wait for the launched command to end, still handling records: it may
 * load a library while it shuts down, and is then held stopped until we
 * attach.  Never a blocking waitpid(), which does not see that stop.
 */
static void finish_child(struct session *s)
{
	double start = tt_mono_s();
	bool termed = false;
	int seen_signal = *s->stop;

	if (s->child <= 0 || s->child_exited)
		return;
	if (seen_signal != SIGINT) {
		kill(s->child, SIGTERM); /* SIGTERM to us, or --duration elapsed */
		termed = true;
	}
	while (!s->child_exited) {
		control_wait(s, CONTROL_POLL_MS);
		check_targets(s);
		if (s->child_exited)
			break;
		if (!termed && tt_mono_s() - start >= CHILD_GRACE_S) {
			kill(s->child, SIGTERM);
			termed = true;
		}
		if (*s->stop != seen_signal) {
			/* Asked again: stop waiting. */
			kill(s->child, SIGKILL);
			seen_signal = *s->stop;
		}
	}
}

/* A launched command held at its exec that must not run after all. */
static void abandon_child(struct session *s)
{
	kill(s->child, SIGKILL);
	waitpid(s->child, NULL, 0);
	s->child = -1;
}

static int exit_status_of(int status)
{
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return 1;
}

static int make_targets(struct session *s)
{
	const struct tt_session_opts *o = s->o;
	struct tt_error err = { "" };
	int *pids = NULL;
	size_t n = 0;

	if (o->cmd)
		return session_add_target(s, 0) ? 0 : -ENOMEM;
	if (o->all && tt_host_pids(&pids, &n, &err) < 0) {
		tt_diag("tlstap: %s\n", err.msg);
		return -ENOMEM;
	}
	for (size_t i = 0; i < o->n_pids; i++)
		if (!session_add_target(s, o->pids[i]))
			goto fail;
	for (size_t i = 0; i < n; i++)
		if (!session_find_target(s, pids[i]) && !session_add_target(s, pids[i]))
			goto fail;
	free(pids);
	return 0;
fail:
	free(pids);
	return -ENOMEM;
}

/*
 * --all: the processes started between the first look at /proc and the
 * exec hook's attach (the BPF load takes a while) are in neither: look
 * again, now that every later one is reported.
 */
static void host_catch_up(struct session *s)
{
	struct tt_error err = { "" };
	int *pids = NULL;
	size_t n = 0;

	if (tt_host_pids(&pids, &n, &err) < 0)
		return;
	for (size_t i = 0; i < n; i++) {
		struct tt_target *tg;

		if (session_find_target(s, pids[i]) || !(tg = session_add_target(s, pids[i])))
			continue;
		if (tt_tracer_attach(&s->t, tg, &err) < 0) {
			tg->gone = true;
			continue;
		}
		tt_host_known_exe_of(&s->t, tg->pid);
		s->procs_seen++;
	}
	free(pids);
}

/* Start and attach.  Returns an exit status when it must end already. */
static int start(struct session *s)
{
	struct tt_error err = { "" };

	if (s->o->cmd) {
		/* Stopped at its exec: the executable and the dynamic loader are
		 * mapped, nothing has run.  The loader's _dl_debug_state() then
		 * stops it again once it has mapped the libraries, before their
		 * constructors run, and we attach to those. */
		s->child = tt_launch_stopped(s->o->cmd, &err);
		if (s->child < 0) {
			tt_diag("tlstap: %s\n", err.msg);
			return tt_launch_failure_status(s->child);
		}
		s->targets[0]->pid = s->child;
		s->targets[0]->scope = s->o->all ? -1 : s->child;
		s->targets[0]->stop_on_dlopen = true;
	}
	if (s->o->cgroup && tt_filter_cgroup(&s->t, s->o->cgroup, &err) < 0) {
		tt_diag("tlstap: %s\n", err.msg);
		return 2;
	}
	if (s->o->all)
		tt_host_attach_libraries(&s->t);
	if (!attach_all(s) && !s->o->cmd && !s->o->all)
		return 1;
	if (s->o->children)
		session_follow_descendants(s);
	if (s->o->all)
		host_catch_up(s);
	if (s->o->all && s->o->tracer.verbose)
		tt_diag("tlstap: --all: %" PRIu64 " processes, %zu objects attached\n",
			s->procs_seen, s->t.n_objects);
	if (s->child > 0 && s->targets[0]->gone) {
		/* Do not run a command we could not trace. */
		abandon_child(s);
		return 1;
	}
	if (s->child > 0 && tt_launch_resume(s->child, &err) < 0) {
		tt_diag("tlstap: %s\n", err.msg);
		abandon_child(s);
		return 1;
	}
	return -1;
}

int tt_session_run(const struct tt_session_opts *o, volatile sig_atomic_t *stop)
{
	struct session s = { .o = o, .stop = stop, .child = -1 };
	struct tt_source_stats last = { 0 };
	struct tt_error err = { "" };
	int ret = 1;

	if (make_targets(&s)) {
		tt_diag("tlstap: out of memory\n");
		return 1;
	}
	if (tt_tracer_open(&s.t, &o->tracer, &err) < 0 ||
	    tt_source_start(&s.src, &s.t, &o->sink, o->flush, o->queue_max, &err) < 0) {
		tt_diag("tlstap: %s\n", err.msg);
		goto out;
	}
	ret = start(&s);
	if (ret >= 0)
		goto out;
	if (o->started)
		__atomic_store_n(o->started, true, __ATOMIC_RELEASE);
	loop(&s);
	finish_child(&s);
	ret = s.child > 0 ? exit_status_of(s.child_status) : 0;
out:
	/* No new hold: the records of the last ones may not be handled. */
	tt_tracer_stop_holding(&s.t);
	/* Probes off first (their links destroyed together, and done before
	 * the state goes: a -p process still runs), then what they sent before,
	 * then the counters. */
	for (size_t i = 0; i < s.n_targets; i++)
		if (s.targets[i]->pid > 0)
			tt_tracer_unprobe(&s.t, s.targets[i]);
	tt_tracer_flush_links(&s.t);
	for (size_t i = 0; i < s.n_targets; i++)
		if (s.targets[i]->pid > 0)
			tt_tracer_detach(&s.t, s.targets[i]);
	s.closing = true; /* records still queued: release, attach nothing */
	if (s.child > 0 && !s.child_exited && tt_proc_state(s.child) == 'T')
		tt_tracer_release(&s.t, s.child); /* never leave it held */
	if (s.src) {
		tt_source_drain(s.src);
		/* Records of processes still held (a dlopen stop) release them. */
		tt_source_control(s.src, on_control, &s);
	}
	/* Everything queued reaches the writers before the last counters. */
	tt_source_stop(s.src, &last);
	s.src = NULL;
	if (o->finish)
		o->finish(o->ctx);
	if (s.t.skel) {
		/* What is left once every target is detached: 0 but leaks. */
		count_maps(&s);
		print_counters(&s, "tlstap: ", &last);
	}
	tt_tracer_close(&s.t);
	for (size_t i = 0; i < s.n_targets; i++)
		free_target(s.targets[i]);
	free(s.targets);
	return ret;
}
