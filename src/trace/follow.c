// SPDX-License-Identifier: MIT
/*
 * The process trees a session follows: -- CMD's (each child held from its
 * fork where the kernel lets BPF signal it) and -p --children's (never
 * held; the descendants present at start found through /proc).  Each
 * process is traced under its own pid and forgotten once gone.
 */
#include <stdio.h>
#include <stdlib.h>

#include "trace/hostwide.h"
#include "trace/proc.h"
#include "trace/session_int.h"

/* A process of a followed tree (-- CMD's, or -p --children's): traced under
 * its own pid, forgotten once gone; how: what -v says of its hold. */
static struct tt_target *follow_process(struct session *s, int pid, const char *how)
{
	struct tt_target *tg = session_add_target(s, pid);
	struct tt_error err = { "" };

	if (!tg)
		return NULL;
	tg->forked = true;
	/* Held at its exec and dlopens like the command; -p's are never held. */
	tg->stop_on_dlopen = s->o->cmd != NULL;
	if (tt_tracer_attach(&s->t, tg, &err) < 0) {
		if (tt_proc_alive(tg->pid))
			tt_diag("tlstap: %s\n", err.msg);
		tg->gone = true;
		return NULL;
	}
	if (s->o->tracer.verbose)
		tt_diag("tlstap: pid %d (%s): %s%s\n", tg->pid, tg->exe,
			s->o->cmd ? "forked in the command's tree" : "a descendant of a -p process",
			how);
	session_say_probes(s, tg, "");
	return tg;
}

/*
 * A process a followed tree forked (only they are watched besides the
 * targets): traced too.
 */
struct tt_target *session_follow_child(struct session *s, const struct tt_proc_rec *r)
{
	return follow_process(s, (int)r->hdr.tgid,
			      r->kind != TT_PROC_FORK ? ""
			      : r->stopped ? ", held until attached"
					   : ", not held: its TLS calls before this attach are not seen");
}

/* Any target, live or not, ever had pid (the start-up scan tries a
 * process once, whether its attach worked or not). */
static bool known_target(const struct session *s, int pid)
{
	for (size_t i = 0; i < s->n_targets; i++)
		if (s->targets[i]->pid == pid)
			return true;
	return false;
}

/* One listing of the host's processes with their parents (-1: unread). */
struct listing {
	int *pids, *ppids;
	size_t n;
};

static void listing_free(struct listing *l)
{
	free(l->pids);
	free(l->ppids);
	l->pids = l->ppids = NULL;
	l->n = 0;
}

static int listing_read(struct listing *l)
{
	struct tt_error err = { "" };

	if (tt_host_pids(&l->pids, &l->n, &err) < 0) {
		tt_diag("tlstap: --children: %s\n", err.msg);
		return -1;
	}
	l->ppids = calloc(l->n ? l->n : 1, sizeof(*l->ppids));
	if (!l->ppids) {
		listing_free(l);
		return -1;
	}
	for (size_t i = 0; i < l->n; i++)
		l->ppids[i] = tt_proc_ppid(l->pids[i]);
	return 0;
}

/* Follow what one listing shows under the targets, generation by
 * generation; tried marks what was tried (attached or not).  How many were
 * new. */
static size_t follow_listed(struct session *s, const struct listing *l, bool *tried)
{
	size_t added = 0;
	bool grew;

	do {
		grew = false;
		for (size_t i = 0; i < l->n; i++) {
			struct tt_target *parent;

			if (tried[i] || l->ppids[i] <= 0 || known_target(s, l->pids[i]))
				continue;
			parent = session_find_target(s, l->ppids[i]);
			if (!parent)
				continue;
			tried[i] = true;
			/* Still that parent's child, not a pid reused since. */
			if (tt_proc_ppid(l->pids[i]) != l->ppids[i])
				continue;
			follow_process(s, l->pids[i], ", running at start");
			added++;
			grew = true;
		}
	} while (grew);
	return added;
}

/*
 * -p --children: the descendants the -p processes have at start, found by
 * their parents in /proc once the -p processes are watched (from then on
 * the fork hook reports what a watched process forks).  A descendant that
 * forks before its own watch entry is written is in no listing taken
 * before: the listing is taken again until one finds nothing new.  What
 * was reparented (to init, a subreaper) before the start is not found.
 */
void session_follow_descendants(struct session *s)
{
	for (int pass = 0; pass < 8; pass++) {
		struct listing l = { 0 };
		bool *tried;
		size_t added;

		if (listing_read(&l) < 0)
			return;
		tried = calloc(l.n ? l.n : 1, sizeof(*tried));
		if (!tried) {
			listing_free(&l);
			return;
		}
		added = follow_listed(s, &l, tried);
		free(tried);
		listing_free(&l);
		if (!added)
			return;
	}
}
