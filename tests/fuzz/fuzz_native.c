// SPDX-License-Identifier: MIT
/*
 * libFuzzer harness: a whole file through the resolver's native path (the
 * ELF layer, the symbol walk over .symtab/.dynsym with versions, the
 * OpenSSL/GnuTLS version readers and the TLS-marker scan of .rodata).
 * Seeds are Debian's libssl, libcrypto and libgnutls and corrupted copies
 * of them (mkcorpus.sh).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "elf.h"
#include "native.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tt_resolution r;
	struct tt_error err;
	struct tt_elf *e;

	if (tt_elf_open_mem(data, size, &e, &err))
		return 0;
	memset(&r, 0, sizeof(r));
	r.arch = tt_elf_arch(e);
	tt_native_resolve(e, &r, &err);
	/* Touch what a printer would: every name and note. */
	for (size_t i = 0; i < r.n_functions; i++)
		if (r.functions[i].name)
			(void)strlen(r.functions[i].name);
	for (size_t i = 0; i < r.n_notes; i++)
		free(r.notes[i].text);
	free(r.notes);
	free(r.functions);
	tt_elf_close(e);
	return 0;
}
