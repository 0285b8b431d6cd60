// SPDX-License-Identifier: MIT
/* tlstap: TLS plaintext with process and connection attribution. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"

#ifndef TLSTAP_VERSION
#define TLSTAP_VERSION "unknown"
#endif

static const char usage_text[] =
	"Usage: tlstap COMMAND [OPTIONS]\n"
	"\n"
	"Show the plaintext of a process's TLS traffic, attributed to the right\n"
	"process and TCP connection, using eBPF uprobes.\n"
	"\n"
	"Commands:\n"
	"  resolve BINARY|LIBRARY...   static analysis of Go binaries and TLS libraries\n"
	"  resolve -p PID...           the same for running processes and their libraries\n"
	"  trace -p PID... | -- CMD | --all\n"
	"                              attach to processes and print TLS plaintext (root)\n"
	"  replay FILE.ndjson          a recorded capture through the same streams,\n"
	"                              HTTP decoders (--http, --summary) and writers\n"
	"  doctor [-p TRACER_PID]      check running tracers: map pressure, leaked state\n"
	"                              (root)\n"
	"\n"
	"Options:\n"
	"  -h, --help      show this help (also: tlstap COMMAND --help)\n"
	"  -V, --version   print the version\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return TT_EXIT_USAGE;
	}
	cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		usage(stdout);
		return TT_EXIT_OK;
	}
	if (!strcmp(cmd, "-V") || !strcmp(cmd, "--version")) {
		printf("tlstap %s\n", TLSTAP_VERSION);
		return TT_EXIT_OK;
	}
	if (!strcmp(cmd, "resolve"))
		return tt_cmd_resolve(argc - 1, argv + 1);
	if (!strcmp(cmd, "trace"))
		return tt_cmd_trace(argc - 1, argv + 1);
	if (!strcmp(cmd, "replay"))
		return tt_cmd_replay(argc - 1, argv + 1);
	if (!strcmp(cmd, "doctor"))
		return tt_cmd_doctor(argc - 1, argv + 1);

	if (cmd[0] == '-')
		fprintf(stderr, "tlstap: unknown option '%s'\n", cmd);
	else
		fprintf(stderr, "tlstap: unknown command '%s'\n", cmd);
	usage(stderr);
	return TT_EXIT_USAGE;
}
