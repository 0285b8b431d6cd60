// SPDX-License-Identifier: MIT
/* Destruction of BPF links, concurrent and off the caller's thread. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "trace/reaper.h"

/* Links destroyed at once: each destroy waits for the kernel's uprobe
 * unregistration, which concurrent ones share. */
#define DESTROY_THREADS 128
/* They only destroy links (the reaper's frame: 128 jobs, about 5 KiB). */
#define DESTROY_STACK (64u << 10)

struct destroy_job {
	struct bpf_link **links;
	size_t n, first, stride;
};

/* A thread that only destroys links, with a small stack. */
static bool start_thread(pthread_t *th, void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	bool ok;

	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, DESTROY_STACK);
	ok = !pthread_create(th, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return ok;
}

static void *destroy_stride(void *arg)
{
	struct destroy_job *j = arg;

	for (size_t i = j->first; i < j->n; i += j->stride)
		bpf_link__destroy(j->links[i]);
	return NULL;
}

void tt_links_destroy(struct bpf_link **links, size_t n)
{
	struct destroy_job jobs[DESTROY_THREADS];
	pthread_t threads[DESTROY_THREADS];
	size_t n_jobs = n < DESTROY_THREADS ? n : DESTROY_THREADS, started = 0;

	for (size_t k = 0; k < n_jobs; k++) {
		jobs[k] = (struct destroy_job){ links, n, k, n_jobs };
		if (k == started && start_thread(&threads[k], destroy_stride, &jobs[k]))
			started++;
	}
	for (size_t k = started; k < n_jobs; k++)
		destroy_stride(&jobs[k]); /* no thread for these: here */
	for (size_t k = 0; k < started; k++)
		pthread_join(threads[k], NULL);
}

struct tt_reaper {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct bpf_link **links; /* pending */
	size_t n, cap;
	bool running, stop;
	bool busy; /* a batch taken is being destroyed */
	pthread_t thread;
};

struct tt_reaper *tt_reaper_new(void)
{
	struct tt_reaper *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	return r;
}

/* Take every pending link and destroy them, until stopped with none left.
 * The condition variable wakes both this thread (work, stop) and flushers
 * (a batch done). */
static void *reap(void *arg)
{
	struct tt_reaper *r = arg;

	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct bpf_link **links = r->links;
		size_t n = r->n;

		if (!n) {
			if (r->stop)
				break;
			pthread_cond_wait(&r->cond, &r->lock);
			continue;
		}
		r->links = NULL;
		r->n = r->cap = 0;
		r->busy = true;
		pthread_mutex_unlock(&r->lock);
		tt_links_destroy(links, n);
		free(links);
		pthread_mutex_lock(&r->lock);
		r->busy = false;
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

bool tt_reaper_give(struct tt_reaper *r, struct bpf_link **links, size_t n)
{
	bool taken = false;

	if (!r)
		return false;
	if (!n)
		return true;
	pthread_mutex_lock(&r->lock);
	if (!r->running && !r->stop)
		r->running = start_thread(&r->thread, reap, r);
	if (r->running && r->n + n > r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		struct bpf_link **l;

		while (cap < r->n + n)
			cap *= 2;
		l = realloc(r->links, cap * sizeof(*l));
		if (l) {
			r->links = l;
			r->cap = cap;
		}
	}
	if (r->running && r->n + n <= r->cap) {
		memcpy(r->links + r->n, links, n * sizeof(*links));
		r->n += n;
		taken = true;
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
	return taken;
}

void tt_reaper_flush(struct tt_reaper *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	while (r->running && (r->n || r->busy))
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
}

void tt_reaper_free(struct tt_reaper *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	/* It leaves none: links are taken only while it runs. */
	if (r->running)
		pthread_join(r->thread, NULL);
	free(r->links);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}
