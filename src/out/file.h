/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_OUT_FILE_H
#define TLSTAP_OUT_FILE_H

#include "tlstap/error.h"

/*
 * Open a file tlstap writes (captures hold plaintext: passwords, tokens):
 * "-" is stdout; a path is created with mode 0600 or truncated and set to
 * 0600, never through a symbolic link (the last component is not followed)
 * and never when it has other hard links.  Devices and pipes (/dev/null, a
 * FIFO) are written as they are.  Returns an fd or a negative errno with
 * the reason in err.
 */
int tt_open_output(const char *path, struct tt_error *err);

#endif
