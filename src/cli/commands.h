/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_COMMANDS_H
#define TLSTAP_COMMANDS_H

/* Subcommands: each returns the process exit status (0 ok, 1 error, 2 usage). */
int tt_cmd_resolve(int argc, char **argv);
int tt_cmd_trace(int argc, char **argv);
int tt_cmd_replay(int argc, char **argv);

/* Exit statuses. */
#define TT_EXIT_OK 0
#define TT_EXIT_ERROR 1
#define TT_EXIT_USAGE 2

#endif
