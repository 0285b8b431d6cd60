// SPDX-License-Identifier: MIT
/*
 * The streams + HTTP stages on one core, without the NDJSON reader in the
 * way: a capture is loaded into memory once, then fed RUNS times to
 *   raw   the raw NDJSON writer (what `trace -f json` does per chunk)
 *   http  the pipeline with --http -f json (streams, decoders, exchange writer)
 *   sum   the pipeline with --summary only (streams, decoders, summary)
 * each writing to /dev/null.  Prints one line per run: "MODE SECONDS".
 *
 *   stagebench CAPTURE RUNS
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/pipeline.h"
#include "trace/ndjson.h"

struct ev {
	struct tt_chunk c;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double run(struct ev *evs, size_t n, int mode, int fd, uint64_t *exchanges)
{
	struct tt_pipeline_opts o = {
	    .format = TT_RAW_JSON, .http = mode == 1, .summary = mode == 2};
	struct tt_error err;
	struct tt_pipeline p;
	struct tt_wbuf w;
	double t0;

	tt_wbuf_init(&w, fd, 1 << 20);
	if (tt_pipeline_init(&p, &o, &w, &err))
		exit(1);
	t0 = now_s();
	for (size_t i = 0; i < n; i++) {
		tt_pipeline_chunk(&p, &evs[i].c);
		if (w.len > (1 << 19))
			tt_wbuf_flush(&w);
	}
	tt_pipeline_finish(&p, p.now_ns);
	tt_wbuf_flush(&w);
	t0 = now_s() - t0;
	*exchanges = p.http.counters[TT_HC_EXCHANGES];
	tt_pipeline_free(&p);
	tt_wbuf_free(&w);
	return t0;
}

int main(int argc, char **argv)
{
	static const char *const modes[] = {"raw", "http", "sum"};
	struct tt_ndjson_reader r;
	struct tt_ndjson_event e;
	struct tt_error err;
	struct ev *evs = NULL;
	size_t n = 0, cap = 0;
	uint64_t bytes = 0, x = 0;
	int runs, fd = open("/dev/null", O_WRONLY);

	if (argc != 3 || (runs = atoi(argv[2])) < 1)
		return 2;
	if (tt_ndjson_open(&r, argv[1], &err)) {
		fprintf(stderr, "%s\n", err.msg);
		return 1;
	}
	while (tt_ndjson_next(&r, &e, &err) > 0) {
		uint8_t *d;

		if (e.kind != TT_ND_CHUNK)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			evs = realloc(evs, cap * sizeof(*evs));
		}
		d = malloc(e.chunk.data_len ? e.chunk.data_len : 1);
		memcpy(d, e.chunk.data, e.chunk.data_len);
		evs[n].c = e.chunk;
		evs[n].c.data = d;
		bytes += e.chunk.data_len;
		n++;
	}
	tt_ndjson_close(&r);
	printf("chunks %zu plaintext_bytes %llu\n", n, (unsigned long long)bytes);
	/* Interleaved, so that a noisy machine biases no mode. */
	for (int i = 0; i < runs; i++)
		for (int m = 0; m < 3; m++) {
			double t = run(evs, n, m, fd, &x);

			printf("%s %.6f %llu\n", modes[m], t, (unsigned long long)x);
		}
	return 0;
}
