// SPDX-License-Identifier: MIT
/* The events' and the pcapng's output files of trace and replay. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/outputs.h"
#include "out/file.h"

/* Bytes formatted before each write() of an output. */
#define OUTPUT_BUFFER (1u << 20)

static bool is_stdout(const char *path)
{
	return path && !strcmp(path, "-");
}

/* Two names of one existing file. */
static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	if (!strcmp(a, b))
		return true;
	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino &&
	       S_ISREG(sa.st_mode);
}

const char *tt_outputs_check(const char *pcap, const char *out, bool events)
{
	if (!pcap)
		return NULL;
	if (is_stdout(pcap)) {
		if (is_stdout(out))
			return "-w - and -o - would both write to stdout";
		if (!out && events)
			return "-w - writes the pcapng to stdout: give -o FILE for the other "
			       "output";
		if (isatty(STDOUT_FILENO))
			return "-w -: refusing to write pcapng to a terminal";
		return NULL;
	}
	if (out && !is_stdout(out) && same_file(pcap, out))
		return "-w and -o name the same file";
	return NULL;
}

bool tt_outputs_events(const char *pcap, const char *out)
{
	return out || !is_stdout(pcap);
}

/* The first write into a file makes it the run's. */
static int commit_before_write(void *ctx)
{
	struct tt_error err = { "" };
	int ret = tt_output_commit(ctx, &err);

	return ret < 0 ? -ret : 0;
}

static int open_one(struct tt_wbuf *w, struct tt_output_file *f, const char *path,
		    struct tt_error *err)
{
	int ret = tt_output_open(f, path, err);

	if (ret < 0)
		return ret;
	if (tt_wbuf_init(w, f->fd, OUTPUT_BUFFER)) {
		tt_output_close(f);
		return tt_error_set(err, ENOMEM, "out of memory");
	}
	w->before_write = commit_before_write;
	w->before_ctx = f;
	return 0;
}

int tt_outputs_open(struct tt_outputs *o, const char *out, const char *pcap, struct tt_error *err)
{
	int ret;

	memset(o, 0, sizeof(*o));
	o->out.fd = o->pcap.fd = -1;
	o->out_file.fd = o->pcap_file.fd = -1;
	o->pcap_name = pcap;
	o->out_name = out ? out : "-";
	if (tt_outputs_events(pcap, out)) {
		ret = open_one(&o->out, &o->out_file, o->out_name, err);
		if (ret < 0) {
			o->out.fd = -1;
			return ret;
		}
		/* -f text and json, into a file of ours (written from its
		 * start): stdout may be a file others wrote too. */
		o->out.whole_lines = strcmp(o->out_name, "-") != 0;
	}
	if (!pcap)
		return 0;
	ret = open_one(&o->pcap, &o->pcap_file, pcap, err);
	if (ret < 0) {
		o->pcap.fd = -1;
		goto fail;
	}
	/* Two names of one new file (x and ./x): not seen before opening. */
	if (tt_output_same(o->out.fd, o->pcap.fd)) {
		ret = tt_error_set(err, EINVAL, "-w %s and -o %s are the same file", pcap, out);
		goto fail;
	}
	return 0;
fail:
	tt_outputs_close(o);
	return ret;
}

/* whole: the file was cut back to its last whole block or line. */
static void report(const char *prefix, const char *what, const char *name, int e, bool whole)
{
	if (e == EPIPE)
		tt_diag("%s%s %s: the reader closed the pipe; stopping\n", prefix, what,
			name);
	else
		tt_diag("%s%s %s: %s; stopping%s\n", prefix, what, name, strerror(e),
			whole ? " (what was written before is whole)" : "");
}

bool tt_outputs_flush(struct tt_outputs *o, struct tt_pcapng *pcapng, const char *prefix)
{
	if (o->out.fd >= 0 && !o->out_failed && tt_wbuf_flush(&o->out)) {
		o->out_failed = true;
		if (o->out.err != EPIPE) /* stdout's reader is done: not worth a word */
			report(prefix, "output", o->out_name, o->out.err,
			       o->out.whole_lines && o->out.bytes == o->out.line_end);
	}
	if (o->pcap.fd >= 0 && !o->pcap_failed && tt_pcapng_flush(pcapng)) {
		o->pcap_failed = true;
		report(prefix, "pcapng", o->pcap_name, o->pcap.err, true);
	}
	return o->out_failed || o->pcap_failed;
}

int tt_outputs_status(const struct tt_outputs *o)
{
	if (o->pcap_failed && o->pcap.err != EPIPE)
		return TT_EXIT_ERROR;
	if (o->out_failed && o->out.err != EPIPE)
		return TT_EXIT_ERROR;
	return TT_EXIT_OK;
}

int tt_outputs_commit(struct tt_outputs *o, struct tt_error *err)
{
	if (tt_output_commit(&o->out_file, err) < 0 || tt_output_commit(&o->pcap_file, err) < 0)
		return -1;
	return 0;
}

bool tt_outputs_include(const struct tt_outputs *o, int fd)
{
	return tt_output_same(o->out.fd, fd) || tt_output_same(o->pcap.fd, fd);
}

static void close_one(struct tt_wbuf *w, struct tt_output_file *f)
{
	if (w->fd < 0)
		return;
	tt_wbuf_free(w);
	w->fd = -1;
	tt_output_close(f);
}

void tt_outputs_close(struct tt_outputs *o)
{
	close_one(&o->out, &o->out_file);
	close_one(&o->pcap, &o->pcap_file);
}

int tt_output_option(int c, const char *arg, struct tt_output_args *a, const char **why)
{
	switch (c) {
	case 'f':
		if (!strcmp(arg, "text"))
			a->po.format = TT_RAW_TEXT;
		else if (!strcmp(arg, "json"))
			a->po.format = TT_RAW_JSON;
		else
			return *why = "unknown format '%s' (text, json)", -1;
		a->format_set = true;
		return 1;
	case 'o':
		a->output = arg;
		return 1;
	case 'w':
		a->pcapng = arg;
		return 1;
	case TT_OPT_HTTP:
		a->po.http = true;
		return 1;
	case TT_OPT_SUMMARY:
		a->po.summary = true;
		if (tt_pipeline_parse_summary(arg, &a->po.summary_every_s))
			return *why = "--summary=N: '%s' is not in 1..86400", -1;
		return 1;
	}
	return 0;
}

const char *tt_output_args_check(const struct tt_output_args *a)
{
	return tt_outputs_check(a->pcapng, a->output,
				a->format_set || a->po.http || a->po.summary);
}
