/* SPDX-License-Identifier: MIT */
#ifndef TLSTAP_FUZZ_GOTYPES_INPUT_H
#define TLSTAP_FUZZ_GOTYPES_INPUT_H

/*
 * The input of fuzz_gotypes, written by mkseed_gotypes from real binaries:
 * a header describing the module, the type links, the itab links, then the
 * bytes of [types, etypes) as they are in the binary (pointers inside are
 * the binary's own addresses, so the harness maps them back at types).
 * Little-endian, packed.
 */

#include <stdint.h>

struct gotypes_input {
	uint8_t fmt;        /* enum tt_go_typefmt */
	uint8_t sequential; /* go1.27: descriptors and itabs end to end */
	uint8_t pad[2];
	uint32_t n_typelinks; /* int32 each, after the header */
	uint32_t n_itablinks; /* uint64 each, after the type links */
	uint32_t pad2;
	uint64_t types;       /* virtual address of the types bytes */
	uint64_t typedesclen, itaboffset, itabsize;
} __attribute__((packed));

/* Where the harness maps the link arrays: below any real types address. */
#define GOTYPES_LINKS_VA 0x1000ULL
#define GOTYPES_MAX_LINKS (1u << 16)

#endif
