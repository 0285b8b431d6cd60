// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness for the replay path: the input is an NDJSON capture;
 * every line goes through the reader (trace/ndjson.c), and the events it
 * accepts through the whole pipeline (streams, HTTP/1.1, HTTP/2 + HPACK,
 * exchange writer, summary, pcapng writer) into /dev/null.  A malformed line must give an
 * error, never a crash, a leak or undefined behaviour.
 * Seeds: the recorded captures of tests/data.
 */
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "cli/pipeline.h"
#include "trace/ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int null_fd = -1;
	struct tt_pipeline_opts o = {.format = TT_RAW_JSON, .http = true, .summary = true};
	struct tt_ndjson_reader r = {.fd = -1};
	struct tt_ndjson_event ev;
	struct tt_error err;
	struct tt_pipeline p;
	struct tt_wbuf w, pw;
	size_t pos = 0;

	if (null_fd < 0)
		null_fd = open("/dev/null", O_WRONLY);
	if (tt_wbuf_init(&w, null_fd, 1 << 16))
		return 0;
	if (tt_wbuf_init(&pw, null_fd, 1 << 16)) {
		tt_wbuf_free(&w);
		return 0;
	}
	o.pcapng = &pw;
	if (tt_pipeline_init(&p, &o, &w, &err)) {
		tt_wbuf_free(&w);
		tt_wbuf_free(&pw);
		return 0;
	}
	while (pos < size) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t n = nl ? (size_t)(nl - data - pos) : size - pos;

		r.line++;
		if (tt_ndjson_parse(&r, (const char *)data + pos, n, &ev, &err) == 0) {
			if (ev.kind == TT_ND_CHUNK)
				tt_pipeline_chunk(&p, &ev.chunk);
			else if (ev.kind == TT_ND_CONN_END)
				tt_pipeline_conn_end(&p, &ev.end);
			else
				tt_pipeline_proc_exit(&p, ev.pid, ev.time_ns);
		}
		pos += n + 1;
	}
	tt_pipeline_finish(&p, p.now_ns);
	tt_pcapng_flush(&p.pcapng);
	tt_pipeline_free(&p);
	tt_wbuf_flush(&w);
	tt_wbuf_free(&w);
	tt_wbuf_free(&pw);
	tt_ndjson_close(&r);
	return 0;
}
