// SPDX-License-Identifier: MIT
/*
 * The streams + HTTP stages on one core, without the NDJSON reader in the
 * way: a capture is loaded into memory once, then fed RUNS times to
 *   raw   the raw NDJSON writer (what `trace -f json` does per chunk)
 *   http  the pipeline with --http -f json (streams, decoders, exchange writer)
 *   sum   the pipeline with --summary only (streams, decoders, summary)
 *   pcap  the pipeline with -w alone (streams, decoders for the roles, the
 *         pcapng writer)
 * each writing to /dev/null.  Prints one line per run: "MODE SECONDS
 * EXCHANGES OUTPUT_BYTES".
 *
 *   stagebench CAPTURE RUNS [MODE,...]   (default raw,http,sum)
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

enum { RAW, HTTP, SUM, PCAP, MODES };
static const char *const modes[MODES] = {"raw", "http", "sum", "pcap"};

static double run(struct ev *evs, size_t n, int mode, int fd, uint64_t *exchanges,
		  uint64_t *out_bytes)
{
	struct tt_pipeline_opts o = {
	    .format = TT_RAW_JSON, .http = mode == HTTP, .summary = mode == SUM};
	struct tt_error err;
	struct tt_pipeline p;
	struct tt_wbuf w;
	double t0;

	tt_wbuf_init(&w, fd, 1 << 20);
	if (mode == PCAP) {
		o.pcapng = &w;
		o.no_out = true;
	}
	if (tt_pipeline_init(&p, &o, o.no_out ? NULL : &w, &err))
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
	*out_bytes = w.bytes;
	tt_pipeline_free(&p);
	tt_wbuf_free(&w);
	return t0;
}

/* "raw,pcap" -> which modes run; 0 if a name is unknown. */
static int parse_modes(const char *s, bool on[MODES])
{
	char buf[64], *tok, *save;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", s);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int m;

		for (m = 0; m < MODES && strcmp(tok, modes[m]); m++)
			;
		if (m == MODES)
			return 0;
		on[m] = true;
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	bool on[MODES] = {false};
	struct tt_ndjson_reader r;
	struct tt_ndjson_event e;
	struct tt_error err;
	struct ev *evs = NULL;
	size_t n = 0, cap = 0;
	uint64_t bytes = 0, x = 0, ob = 0;
	int runs, fd = open("/dev/null", O_WRONLY);

	if (argc < 3 || argc > 4 || (runs = atoi(argv[2])) < 1 ||
	    !parse_modes(argc == 4 ? argv[3] : "raw,http,sum", on))
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
		for (int m = 0; m < MODES; m++) {
			double t;

			if (!on[m])
				continue;
			t = run(evs, n, m, fd, &x, &ob);
			printf("%s %.6f %llu %llu\n", modes[m], t, (unsigned long long)x,
			       (unsigned long long)ob);
		}
	return 0;
}
