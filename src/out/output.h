/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_OUTPUT_H
#define TLSTAP_OUTPUT_H

#include <stdint.h>
#include <stdio.h>

#include "tlstap/trace.h"

enum tt_output_format {
	TT_OUT_TEXT = 0,
	TT_OUT_JSON,
};

struct tt_output {
	enum tt_output_format format;
	FILE *f;
	int64_t boot_to_real_ns; /* add to CLOCK_BOOTTIME to get CLOCK_REALTIME */
};

void tt_output_init(struct tt_output *o, enum tt_output_format format, FILE *f);
/* One event (one chunk); data holds ev->chunk_len bytes. */
void tt_output_event(struct tt_output *o, const struct tt_event *ev, const uint8_t *data);

/* Names used by both writers. */
const char *tt_lib_name(unsigned lib);
const char *tt_dir_name(unsigned dir);
const char *tt_attribution_name(unsigned attribution);
/* "1.2.3.4" / "::1"; "" for no tuple. */
void tt_format_addr(const struct tt_tuple *t, int remote, char *buf, size_t len);

#endif
