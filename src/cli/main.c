// SPDX-License-Identifier: MIT
/* tlstap: TLS plaintext with process and connection attribution. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "tlstap/compiler.h"
#include "tlstap/error.h"

#ifndef TLSTAP_VERSION
#define TLSTAP_VERSION "unknown"
#endif

/* The subcommands: what runs each, and its lines of the usage. */
static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *usage;
} commands[] = {
	{ "resolve", tt_cmd_resolve,
	  "  resolve BINARY|LIBRARY...   static analysis of Go binaries and TLS libraries\n"
	  "  resolve -p PID...           the same for running processes and their libraries\n" },
	{ "trace", tt_cmd_trace,
	  "  trace -p PID... | -- CMD | --all\n"
	  "                              attach to processes and print TLS plaintext (root)\n" },
	{ "replay", tt_cmd_replay,
	  "  replay FILE.ndjson          a recorded capture through the same streams,\n"
	  "                              HTTP decoders (--http, --summary) and writers\n" },
	{ "doctor", tt_cmd_doctor,
	  "  doctor [-p TRACER_PID]      check running tracers: map pressure, leaked state\n"
	  "                              (root)\n" },
};

static void usage(FILE *f)
{
	fputs("Usage: tlstap COMMAND [OPTIONS]\n"
	      "\n"
	      "Show the plaintext of a process's TLS traffic, attributed to the right\n"
	      "process and TCP connection, using eBPF uprobes.\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		fputs(commands[i].usage, f);
	fputs("\n"
	      "Options:\n"
	      "  -h, --help      show this help (also: tlstap COMMAND --help)\n"
	      "  -V, --version   print the version\n",
	      f);
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
		if (argc > 2) {
			tt_diag("tlstap: %s takes no argument ('%s')\n", cmd, argv[2]);
			return TT_EXIT_USAGE;
		}
		printf("tlstap %s\n", TLSTAP_VERSION);
		return TT_EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(cmd, commands[i].name))
			return commands[i].run(argc - 1, argv + 1);

	if (cmd[0] == '-')
		tt_diag("tlstap: unknown option '%s'\n", cmd);
	else
		tt_diag("tlstap: unknown command '%s'\n", cmd);
	usage(stderr);
	return TT_EXIT_USAGE;
}
