// SPDX-License-Identifier: MIT
/*
 * The live event source: ring buffer -> reader thread -> queue in memory ->
 * delivery thread -> sink.  The reader only copies, so it keeps up with the
 * kernel; a slow or stalled writer costs memory (up to queue_max), not
 * records.  Process records also come through a ring buffer of their own,
 * which a third thread reads into a list for the control thread: when the
 * data path stalls or overflows, or the control thread is busy attaching,
 * no process record waits in the kernel.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#include <bpf/libbpf.h>

#include "trace/clock.h"
#include "trace/held.h"
#include "trace/pending.h"
#include "trace/source.h"
/* After tracer.h: the skeleton refers to the shared structures. */
#include "tlstap.skel.h"

/* Records are copied into blocks of this size (a larger record gets its own). */
#define BLOCK_SIZE (4u << 20)
/* How long the reader sleeps in epoll when no wakeup comes (records are
 * submitted without one until enough are waiting). */
#define READER_POLL_MS 50
#define READER_NICE (-10)

/* The kernel submits records without waking the reader until this much
 * waits: 256 KiB, or an eighth of a smaller buffer, which would fill before
 * a wakeup came (the reader would then drain it every READER_POLL_MS only). */
#define WAKEUP_BYTES_MAX (256u << 10)

/* While records are held (trace/held.h), the delivery thread looks at
 * them this often when no block comes. */
#define HELD_POLL_MS 50
/* Otherwise it still calls the sink's flush this often when idle: the
 * sink's clock (exchanges that time out, --summary=N's tables) must move
 * while no record comes. */
#define IDLE_FLUSH_MS 100

uint32_t tt_source_wakeup_bytes(uint32_t buffer_size)
{
	return buffer_size / 8 < WAKEUP_BYTES_MAX ? buffer_size / 8 : WAKEUP_BYTES_MAX;
}

struct block {
	struct block *next;
	size_t len, cap;
	uint8_t data[];
};

struct tt_source {
	struct tt_tracer *t;
	struct tt_sink sink;
	void (*flush)(void *ctx);
	struct ring_buffer *rb;
	pthread_t reader, delivery;
	bool reader_started, delivery_started;

	pthread_mutex_t lock;
	pthread_cond_t data_cv;  /* blocks ready, or eof */
	pthread_cond_t space_cv; /* room in the queue, or stop */
	pthread_cond_t drain_cv; /* a drain was done */
	struct block *head, *tail; /* ready, in order */
	size_t queued, queue_max;
	int64_t drained_ns; /* reader: every record the kernel made before this
			     * (CLOCK_BOOTTIME) is in the queue */
	bool stop;       /* reader: drain once more and end */
	bool eof;        /* the reader ended: deliver what is left and end */
	unsigned drain_req, drain_done;
	struct tt_source_stats st;

	/* Filled by the reader thread only, then published. */
	struct block *cur;

	/* The delivery thread's records that end streams, held, and its data
	 * records waiting for their socket. */
	struct tt_held held;
	struct tt_pending pending;

	/* The control ring buffer, read by a thread of its own into a list the
	 * control thread takes (ctl_efd): neither a stalled data path nor a
	 * busy control thread leaves it to fill. */
	struct ring_buffer *ctl_rb;
	pthread_t ctl_reader;
	bool ctl_reader_started;
	bool ctl_stop;
	struct tt_proc_rec *ctl;
	size_t n_ctl, cap_ctl;
	int ctl_efd;
};

static struct block *block_new(size_t need)
{
	size_t cap = need > BLOCK_SIZE ? need : BLOCK_SIZE;
	struct block *b = malloc(sizeof(*b) + cap);

	if (!b)
		return NULL;
	b->next = NULL;
	b->len = 0;
	b->cap = cap;
	return b;
}

/* Reader: hand the block being filled to the delivery thread. */
static void publish(struct tt_source *s)
{
	struct block *b = s->cur;

	if (!b || !b->len)
		return;
	s->cur = NULL;
	pthread_mutex_lock(&s->lock);
	while (s->queued && s->queued + b->len > s->queue_max && !s->stop) {
		/* Full: wait, and let the ring buffer take the pressure. */
		s->st.reader_waits++;
		pthread_cond_wait(&s->space_cv, &s->lock);
	}
	if (s->tail)
		s->tail->next = b;
	else
		s->head = b;
	s->tail = b;
	s->queued += b->len;
	if (s->queued > s->st.queued_max)
		s->st.queued_max = s->queued;
	pthread_cond_signal(&s->data_cv);
	pthread_mutex_unlock(&s->lock);
}

/* The data ring buffer's callback (reader thread): copy, nothing else. */
static int copy_record(void *ctx, void *data, size_t len)
{
	struct tt_source *s = ctx;
	size_t need = sizeof(uint32_t) + ((len + 7) & ~(size_t)7);

	if (s->cur && s->cur->cap - s->cur->len < need)
		publish(s);
	if (!s->cur) {
		s->cur = block_new(need);
		if (!s->cur)
			return -ENOMEM;
	}
	memcpy(s->cur->data + s->cur->len, &(uint32_t){ (uint32_t)len }, sizeof(uint32_t));
	memcpy(s->cur->data + s->cur->len + sizeof(uint32_t), data, len);
	s->cur->len += need;
	return 0;
}

static void *reader_main(void *arg)
{
	struct tt_source *s = arg;

	/* The reader only copies: let it run before the writers (and the
	 * traced programs) when the CPUs are busy, so the ring buffer never
	 * fills while it waits for a turn.  Best effort (needs CAP_SYS_NICE). */
	setpriority(PRIO_PROCESS, (id_t)gettid(), READER_NICE);
	for (;;) {
		bool stop;
		unsigned req;

		int64_t start;

		ring_buffer__poll(s->rb, READER_POLL_MS);
		start = tt_clock_ns(CLOCK_BOOTTIME); /* what comes after, the next drain takes */
		ring_buffer__consume(s->rb);
		publish(s);
		pthread_mutex_lock(&s->lock);
		s->drained_ns = start;
		stop = s->stop;
		req = s->drain_req;
		pthread_mutex_unlock(&s->lock);
		if (req != s->drain_done || stop) {
			ring_buffer__consume(s->rb);
			publish(s);
			pthread_mutex_lock(&s->lock);
			s->drain_done = req;
			pthread_cond_broadcast(&s->drain_cv);
			pthread_mutex_unlock(&s->lock);
		}
		if (stop)
			break;
	}
	pthread_mutex_lock(&s->lock);
	s->eof = true;
	pthread_cond_signal(&s->data_cv);
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void decode(void *ctx, const void *rec, uint32_t len)
{
	struct tt_source *s = ctx;

	tt_tracer_decode(s->t, rec, len, &s->sink);
}

/* A record past the data waiting for its socket: held if it ends streams,
 * else decoded. */
static void pass(void *ctx, const void *rec, uint32_t len)
{
	struct tt_source *s = ctx;

	if (!tt_held_push(&s->held, rec, len, decode, s))
		decode(s, rec, len);
}

/*
 * Send on what waited long enough (now: CLOCK_BOOTTIME ns, INT64_MAX all):
 * data waiting for its socket first, then what ends streams.  A wait for a
 * socket is judged by a clock that only counts what the reader has taken
 * from the kernel: after a block, the records' own (behind a backlog, the
 * bind record is in the next block); when none came, the reader's last
 * drain (the bind record may still be in the ring buffer, which wakes the
 * reader only when enough waits).
 */
static void release(struct tt_source *s, int64_t now, int64_t pending_now)
{
	if (pending_now > now)
		pending_now = now;
	tt_pending_release(&s->pending, pending_now, pass, s);
	tt_held_release(&s->held, now, tt_pending_oldest(&s->pending), decode, s);
}

/* The hold's counts, for the statistics (under s->lock). */
static void pending_stats(struct tt_source *s)
{
	s->st.late_bound = s->pending.bound;
	s->st.late_unbound = s->pending.unbound;
	s->st.late_filtered = s->pending.filtered;
}

/* Decode a block's records for the sink; how many there were. */
static uint64_t deliver_block(struct tt_source *s, const struct block *b)
{
	uint64_t n = 0;

	for (size_t off = 0; off + sizeof(uint32_t) <= b->len; n++) {
		const uint8_t *rec;
		uint32_t len;

		memcpy(&len, b->data + off, sizeof(len));
		rec = b->data + off + sizeof(len);
		if (!tt_pending_push(&s->pending, rec, len, pass, s))
			pass(s, rec, len);
		off += sizeof(uint32_t) + ((len + 7) & ~(size_t)7);
	}
	release(s, tt_clock_ns(CLOCK_BOOTTIME), s->pending.seen_ns);
	return n;
}

/* Wait for a block, or until the next look at the held records or the
 * next idle flush. */
static void wait_for_data(struct tt_source *s)
{
	long ms = s->held.n || s->pending.n ? HELD_POLL_MS : IDLE_FLUSH_MS;
	struct timespec until;

	clock_gettime(CLOCK_MONOTONIC, &until); /* the condition's clock */
	until.tv_nsec += ms * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&s->data_cv, &s->lock, &until);
}

static void *delivery_main(void *arg)
{
	struct tt_source *s = arg;
	uint64_t n;

	pthread_mutex_lock(&s->lock);
	for (;;) {
		struct block *b = s->head;

		if (!b) {
			int64_t drained = s->drained_ns;

			if (s->eof)
				break;
			pthread_mutex_unlock(&s->lock);
			release(s, tt_clock_ns(CLOCK_BOOTTIME), drained);
			if (s->flush)
				s->flush(s->sink.ctx);
			pthread_mutex_lock(&s->lock);
			if (!s->head && !s->eof)
				wait_for_data(s);
			continue;
		}
		s->head = b->next;
		if (!s->head)
			s->tail = NULL;
		s->queued -= b->len;
		pthread_cond_signal(&s->space_cv);
		pthread_mutex_unlock(&s->lock);
		n = deliver_block(s, b);
		pthread_mutex_lock(&s->lock);
		s->st.records += n;
		s->st.bytes += b->len;
		pending_stats(s);
		free(b);
	}
	pthread_mutex_unlock(&s->lock);
	release(s, INT64_MAX, INT64_MAX);
	pthread_mutex_lock(&s->lock);
	pending_stats(s);
	pthread_mutex_unlock(&s->lock);
	if (s->flush)
		s->flush(s->sink.ctx);
	return NULL;
}

static void source_free(struct tt_source *s)
{
	struct block *b, *n;

	ring_buffer__free(s->rb);
	ring_buffer__free(s->ctl_rb);
	for (b = s->head; b; b = n) {
		n = b->next;
		free(b);
	}
	free(s->cur);
	tt_pending_free(&s->pending);
	free(s->ctl);
	if (s->ctl_efd >= 0)
		close(s->ctl_efd);
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->data_cv);
	pthread_cond_destroy(&s->space_cv);
	pthread_cond_destroy(&s->drain_cv);
	free(s);
}

/* The control ring buffer's callback: queue the record for the control
 * thread and wake it. */
static int control_record(void *ctx, void *data, size_t len)
{
	struct tt_source *s = ctx;
	const struct tt_proc_rec *rec = data;
	uint64_t one = 1;

	if (len < sizeof(*rec) || rec->hdr.type != TT_REC_PROC)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (s->n_ctl == s->cap_ctl) {
		size_t cap = s->cap_ctl ? 2 * s->cap_ctl : 64;
		struct tt_proc_rec *c = realloc(s->ctl, cap * sizeof(*c));

		if (!c) {
			pthread_mutex_unlock(&s->lock);
			/* Lost (the ring has moved on): never leave it held. */
			if (rec->stopped)
				tt_tracer_release(s->t, (int)rec->hdr.tgid);
			return -ENOMEM;
		}
		s->ctl = c;
		s->cap_ctl = cap;
	}
	s->ctl[s->n_ctl++] = *rec;
	pthread_mutex_unlock(&s->lock);
	if (write(s->ctl_efd, &one, sizeof(one)) < 0) {
		/* The counter only saturates: the control thread is awake anyway. */
	}
	return 0;
}

static void *ctl_reader_main(void *arg)
{
	struct tt_source *s = arg;
	bool stop;

	do {
		ring_buffer__poll(s->ctl_rb, READER_POLL_MS);
		pthread_mutex_lock(&s->lock);
		stop = s->ctl_stop;
		pthread_mutex_unlock(&s->lock);
	} while (!stop);
	return NULL;
}

/* Stop reading process records in the background (the caller reads what
 * is left with ring_buffer__consume). */
static void ctl_reader_stop(struct tt_source *s)
{
	if (!s->ctl_reader_started)
		return;
	pthread_mutex_lock(&s->lock);
	s->ctl_stop = true;
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->ctl_reader, NULL);
	s->ctl_reader_started = false;
}

int tt_source_start(struct tt_source **out, struct tt_tracer *t, const struct tt_sink *sink,
		    void (*flush)(void *ctx), size_t queue_max, struct tt_error *err)
{
	struct tt_source *s = calloc(1, sizeof(*s));
	pthread_condattr_t ca;
	int ret;

	if (!s)
		return tt_error_set(err, ENOMEM, "out of memory");
	s->t = t;
	s->sink = *sink;
	s->flush = flush;
	s->queue_max = queue_max;
	s->ctl_efd = -1;
	/* The kernel cannot judge --port for a record still waiting for its
	 * socket: the hold does, once it has one. */
	if (t->skel->rodata->settings.filters & TT_FILTER_PORT)
		tt_pending_set_ports(&s->pending, t->skel->rodata->settings.ports,
				     t->skel->rodata->settings.n_ports);
	pthread_mutex_init(&s->lock, NULL);
	/* Timed waits on it run on the monotonic clock: a step of the wall
	 * clock must not stall the idle flushes. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->data_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_cond_init(&s->space_cv, NULL);
	pthread_cond_init(&s->drain_cv, NULL);
	s->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), copy_record, s, NULL);
	s->ctl_rb = s->rb ? ring_buffer__new(bpf_map__fd(t->skel->maps.control), control_record,
					     s, NULL)
			  : NULL;
	s->ctl_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!s->ctl_rb || s->ctl_efd < 0) {
		ret = tt_error_set(err, errno, "cannot create the ring buffer reader: %s",
				   strerror(errno));
		goto fail;
	}
	ret = pthread_create(&s->delivery, NULL, delivery_main, s);
	if (ret) {
		ret = tt_error_set(err, ret, "thread: %s", strerror(ret));
		goto fail;
	}
	s->delivery_started = true;
	ret = pthread_create(&s->reader, NULL, reader_main, s);
	s->reader_started = !ret;
	if (!ret) {
		ret = pthread_create(&s->ctl_reader, NULL, ctl_reader_main, s);
		s->ctl_reader_started = !ret;
	}
	if (ret) {
		ret = tt_error_set(err, ret, "thread: %s", strerror(ret));
		tt_source_stop(s, NULL); /* the threads started */
		return ret;
	}
	*out = s;
	return 0;
fail:
	source_free(s);
	return ret;
}

int tt_source_control_fd(const struct tt_source *s)
{
	return s->ctl_efd;
}

void tt_source_control(struct tt_source *s,
		       void (*handle)(void *ctx, const struct tt_proc_rec *rec), void *ctx)
{
	struct tt_proc_rec *recs;
	uint64_t v;
	size_t n;

	if (read(s->ctl_efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	if (!s->ctl_reader_started)
		ring_buffer__consume(s->ctl_rb); /* into s->ctl, in this thread */
	pthread_mutex_lock(&s->lock);
	recs = s->ctl;
	n = s->n_ctl;
	s->ctl = NULL;
	s->n_ctl = s->cap_ctl = 0;
	pthread_mutex_unlock(&s->lock);
	for (size_t i = 0; i < n; i++)
		handle(ctx, &recs[i]);
	free(recs);
}

void tt_source_drain(struct tt_source *s)
{
	unsigned want;

	/* Process records: read by tt_source_control from now on. */
	ctl_reader_stop(s);
	if (!s->reader_started)
		return;
	pthread_mutex_lock(&s->lock);
	want = ++s->drain_req;
	while ((int)(s->drain_done - want) < 0 && !s->eof)
		pthread_cond_wait(&s->drain_cv, &s->lock);
	pthread_mutex_unlock(&s->lock);
}

void tt_source_stop(struct tt_source *s, struct tt_source_stats *st)
{
	if (!s)
		return;
	ctl_reader_stop(s);
	pthread_mutex_lock(&s->lock);
	s->stop = true;
	pthread_cond_broadcast(&s->space_cv);
	pthread_mutex_unlock(&s->lock);
	if (s->reader_started)
		pthread_join(s->reader, NULL);
	else
		s->eof = true;
	pthread_mutex_lock(&s->lock);
	s->eof = true;
	pthread_cond_signal(&s->data_cv);
	pthread_mutex_unlock(&s->lock);
	if (s->delivery_started)
		pthread_join(s->delivery, NULL);
	if (st)
		tt_source_stats(s, st);
	source_free(s);
}

void tt_source_stats(struct tt_source *s, struct tt_source_stats *st)
{
	pthread_mutex_lock(&s->lock);
	*st = s->st;
	st->queued = s->queued;
	pthread_mutex_unlock(&s->lock);
}
