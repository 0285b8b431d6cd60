/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_CLI_OUTPUTS_H
#define TLSTAP_CLI_OUTPUTS_H

/*
 * The files `trace` and `replay` write: the events (-o, stdout by default:
 * raw events, exchanges, summaries) and the pcapng (-w), each a buffer over
 * a file opened by tt_output_open() (0600, no link).  "-w -" takes stdout;
 * the other output then needs a file of its own, or is not written at all
 * when nothing asked for it.  Opening changes no existing file: a file
 * becomes the run's (an existing one truncated) at its first write, or at
 * tt_outputs_commit() once the run has started; one that never did is left
 * as it was, or removed if the open created it, when closed.
 */

#include <getopt.h>
#include <stdbool.h>

#include "cli/pipeline.h"
#include "out/file.h"
#include "out/pcapng.h"
#include "out/wbuf.h"
#include "tlstap/error.h"

/*
 * What to write and where, the options trace and replay share: -f, -o, -w,
 * --http, --summary[=N].  Their long options are TT_OUTPUT_OPTIONS (the two
 * long-only ones take codes no command uses otherwise).
 */
struct tt_output_args {
	struct tt_pipeline_opts po; /* format, http, summary */
	const char *output;         /* -o, NULL: stdout */
	const char *pcapng;         /* -w */
	bool format_set;            /* -f was given */
};

enum { TT_OPT_HTTP = 0x1000, TT_OPT_SUMMARY };

#define TT_OUTPUT_OPTIONS                                                                \
	{ "format", required_argument, NULL, 'f' },                                       \
	{ "output", required_argument, NULL, 'o' },                                       \
	{ "pcapng", required_argument, NULL, 'w' },                                       \
	{ "http", no_argument, NULL, TT_OPT_HTTP },                                       \
	{ "summary", optional_argument, NULL, TT_OPT_SUMMARY }

/* Option c (getopt's return) with its argument: 1 taken, 0 not one of these,
 * -1 a usage error: *why is its message, a format with one %s, the argument. */
int tt_output_option(int c, const char *arg, struct tt_output_args *a, const char **why);
/* The usage error of the whole set (NULL if none), after the options. */
const char *tt_output_args_check(const struct tt_output_args *a);

struct tt_outputs {
	struct tt_wbuf out;  /* events; fd -1 when not written */
	struct tt_wbuf pcap; /* pcapng; fd -1 without -w */
	struct tt_output_file out_file, pcap_file;
	const char *out_name, *pcap_name;
	bool out_failed, pcap_failed;
};

/* The usage error of -w PCAP with -o OUT (NULL if none); events: -f,
 * --http or --summary was given, so the events must go somewhere. */
const char *tt_outputs_check(const char *pcap, const char *out, bool events);
/* Whether the events are written (not with "-w -" alone). */
bool tt_outputs_events(const char *pcap, const char *out);

/* Open what is asked; on error the reason in err, nothing left open. */
int tt_outputs_open(struct tt_outputs *o, const char *out, const char *pcap, struct tt_error *err);
/* The run has started: both files are its own (existing ones set to 0600
 * and truncated, if nothing was written yet).  0, or -1 with err set. */
int tt_outputs_commit(struct tt_outputs *o, struct tt_error *err);
/* An output is the file open at fd (replay's capture). */
bool tt_outputs_include(const struct tt_outputs *o, int fd);
/*
 * Write out what is buffered.  A failure is reported once, as one line on
 * stderr after prefix ("tlstap: "): the events' output quietly when it is a
 * closed pipe (| head), the pcapng's always.  Returns true when an output
 * has failed (the session then stops).  pcapng: the writer, which cuts a
 * regular file back to its last whole block on an error.
 */
bool tt_outputs_flush(struct tt_outputs *o, struct tt_pcapng *pcapng, const char *prefix);
/* Exit status for an output failure: 1 unless it was a closed pipe. */
int tt_outputs_status(const struct tt_outputs *o);
/* Close: a file the run never made its own is left as it was, or removed
 * if the open created it. */
void tt_outputs_close(struct tt_outputs *o);

#endif
