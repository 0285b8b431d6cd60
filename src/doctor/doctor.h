/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_DOCTOR_DOCTOR_H
#define TLSTAP_DOCTOR_DOCTOR_H

/*
 * `tlstap doctor`: find the running tracers, read every map of each (the
 * pressure of each), and judge every entry of the state maps against the
 * system (doctor/judge.h).  An entry judged leaked is read and judged again
 * after the re-check delay with a fresh view of the system: an entry gone
 * or changed meanwhile, or judged live then, was a race with the scan (a
 * connection opened or closed while it ran), not a leak.
 */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "doctor/discover.h"
#include "doctor/entry.h"
#include "doctor/judge.h"
#include "tlstap/error.h"

struct tt_doctor_opts {
	int pid;	      /* the tracer to check, 0: every one */
	double recheck_delay; /* seconds before suspects are judged again, 0: never */
	double call_age;      /* seconds: an older call is looked at closer */
	bool force_iter;      /* read maps key by key even where batches work */
	const char *proc;     /* the proc tree the entries are judged against */
};

struct tt_doc_leak {
	size_t tracer; /* index in tracers */
	enum tt_state_map map;
	struct tt_doc_entry e;
	struct tt_doc_verdict v;
};

struct tt_doctor {
	struct tt_doctor_opts opts;
	struct tt_doc_tracer *tracers;
	size_t n_tracers;
	struct tt_doc_leak *leaks;
	size_t n_leaks;
	size_t checked, live, unjudged, races;
	uint64_t now_ns; /* CLOCK_BOOTTIME of the first reading */
	double read_s;	 /* seconds the first reading of the maps took */
};

/* 0 (leaks or not: see n_leaks), or -errno with err set. */
int tt_doctor_run(struct tt_doctor *d, const struct tt_doctor_opts *o, struct tt_error *err);
void tt_doctor_free(struct tt_doctor *d);

/* Print the report: text for people, or one JSON object. */
void tt_doctor_print_text(const struct tt_doctor *d, FILE *f);
void tt_doctor_print_json(const struct tt_doctor *d, FILE *f);

#endif
