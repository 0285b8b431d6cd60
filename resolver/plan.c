// SPDX-License-Identifier: MIT
/*
 * The attach plan: from a resolution and the hook table, the probe sites of
 * an object and, for Go, the configuration its BPF programs read; or why
 * the object is not attached.  `trace` attaches exactly this and `resolve
 * -p` reports exactly this, so the two cannot disagree.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlstap/resolve.h"

static int add_site(struct tt_plan *p, size_t *cap, const struct tt_hook *h, uint64_t off,
		    bool ret, struct tt_error *err)
{
	if (p->n_sites == *cap) {
		size_t n = *cap ? 2 * *cap : 16;
		struct tt_probe_site *s = realloc(p->sites, n * sizeof(*s));

		if (!s)
			return tt_error_set(err, ENOMEM, "out of memory");
		p->sites = s;
		*cap = n;
	}
	p->sites[p->n_sites++] = (struct tt_probe_site){ h, off, ret };
	return 0;
}

static int refuse(struct tt_plan *p, const char *fmt, ...) TT_PRINTF(2, 3);
static int refuse(struct tt_plan *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
	p->attach = false;
	free(p->sites);
	p->sites = NULL;
	p->n_sites = 0;
	return 0;
}

/* Go ABI registers the entry probe reads: c, b.ptr, b.len. */
#define GO_ENTRY_ARGS_MASK 0x7u

/*
 * Where the entry probe of a Go function goes.  A probe on an instruction
 * the kernel emulates (jcc, push, nop) costs about a quarter of one it must
 * single-step (the `cmp rsp, [r14+16]` at the entry), so take the first
 * emulated instruction of the prologue, provided nothing before it writes
 * an argument register the probe reads or moves the stack pointer (the BPF
 * side keys a call by g.stack.hi - SP, which must be the same at the entry
 * probe and at the RET).  Every call passes it: before it the prologue is
 * straight-line code.  (The stack check's jcc sends a call through
 * morestack and back to the entry, so the probe may fire twice for one
 * call, exactly as at the entry: the second save overwrites the first.)
 */
static const struct tt_insn *go_entry_site(const struct tt_function *fn)
{
	for (size_t i = 0; i < fn->n_prologue; i++) {
		const struct tt_insn *in = &fn->prologue[i];

		if (in->emulated)
			return in;
		if ((in->regs_written & GO_ENTRY_ARGS_MASK) || in->writes_sp)
			break;
	}
	return NULL;
}

static int plan_go_function(const struct tt_function *fn, struct tt_plan *p, size_t *cap,
			    struct tt_error *err)
{
	const struct tt_hook *h = fn->hook;
	const struct tt_insn *in = go_entry_site(fn);
	uint64_t entry_off = in ? in->file_offset : fn->file_offset;
	uint32_t func = TT_GO_COOKIE_FUNC(h->cookie);
	int ret;

	if (func < TT_GO_FUNC_MAX)
		p->go.entry_vaddr[func] = in ? in->address : fn->address;
	ret = add_site(p, cap, h, entry_off, false, err);
	for (size_t k = 0; !ret && h->prog == TT_PROG_GO && k < fn->n_returns; k++)
		ret = add_site(p, cap, h, fn->returns[k], true, err);
	return ret;
}

static int plan_go(const struct tt_resolution *r, struct tt_plan *p, struct tt_error *err)
{
	size_t cap = 0, n_found = 0;
	int ret;

	for (size_t i = 0; i < r->n_functions; i++)
		p->tls |= r->functions[i].found;
	if (!p->tls)
		return refuse(p, "Go %s binary without crypto/tls functions", r->go.version);
	if (r->go.abi != TT_GO_ABI_REGISTER)
		return refuse(p, "Go %s uses the stack ABI (amd64 < go1.17, arm64 < go1.18): not "
				 "supported", r->go.version);
	for (int f = 0; f < TT_F_COUNT; f++) {
		if (r->fields[f] == TT_FIELD_UNKNOWN && tt_go_fields[f].required)
			return refuse(p, "Go %s: offset of %s unknown", r->go.version,
				      tt_go_fields[f].name);
		p->go.off[f] = (int32_t)r->fields[f];
	}
	p->go.abi = r->go.abi;
	p->go.itab_tcpconn = r->go.has_itab_tcpconn ? r->go.itab_tcpconn : 0;
	for (size_t i = 0; i < r->n_functions; i++) {
		const struct tt_function *fn = &r->functions[i];
		const struct tt_hook *h = fn->hook;

		if (!fn->found) {
			if (h->flags & TT_HOOK_REQUIRED)
				return refuse(p, "Go %s binary without %s", r->go.version,
					      h->name);
			continue;
		}
		if (h->prog == TT_PROG_GO && !fn->n_returns)
			return refuse(p, "Go %s: no RET site found in %s", r->go.version, h->name);
		ret = plan_go_function(fn, p, &cap, err);
		if (ret)
			return ret;
		n_found++;
	}
	p->attach = true;
	snprintf(p->reason, sizeof(p->reason), "Go %s crypto/tls (%zu functions)", r->go.version,
		 n_found);
	return 0;
}

/* "SSL_read, SSL_write, ..." of the found functions. */
static void function_list(const struct tt_resolution *r, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; i < r->n_functions && used < len; i++) {
		if (!r->functions[i].found)
			continue;
		used += snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
				 r->functions[i].name);
	}
}

static int plan_native(const struct tt_resolution *r, struct tt_plan *p, struct tt_error *err)
{
	char list[256];
	size_t cap = 0;
	bool data = false;
	int ret = 0;

	for (size_t i = 0; i < r->n_functions && !ret; i++) {
		const struct tt_function *fn = &r->functions[i];
		const struct tt_hook *h = fn->hook;

		if (!fn->found || h->prog == TT_PROG_NONE)
			continue;
		data |= (h->flags & TT_HOOK_DATA) != 0;
		ret = add_site(p, &cap, h, fn->file_offset, false, err);
		if (!ret && h->prog == TT_PROG_NATIVE)
			ret = add_site(p, &cap, h, fn->file_offset, true, err);
	}
	if (ret)
		return ret;
	p->tls = true;
	if (!data)
		return refuse(p, "no TLS entry points");
	function_list(r, list, sizeof(list));
	p->attach = true;
	snprintf(p->reason, sizeof(p->reason), "%s entry points: %s",
		 r->library.name[0] ? r->library.name : "TLS", list);
	return 0;
}

static int plan_none(const struct tt_resolution *r, struct tt_plan *p)
{
	switch (r->why_none) {
	case TT_NONE_HELPERS_ONLY:
		return refuse(p, "no TLS entry points (%s %s, helper functions only)",
			      r->library.name[0] ? r->library.name : "TLS", "crypto library");
	case TT_NONE_UNHOOKABLE:
		p->tls = true;
		/* fall through */
	case TT_NONE_USES_SHARED:
		return refuse(p, "%s", r->n_notes ? r->notes[0].text : "TLS tlstap cannot hook");
	case TT_NONE_NOT_TLS:
	default:
		return refuse(p, "not a TLS library");
	}
}

int tt_plan_object(const struct tt_resolution *r, struct tt_plan *p, struct tt_error *err)
{
	int ret;

	memset(p, 0, sizeof(*p));
	switch (r->kind) {
	case TT_KIND_GO:
		ret = plan_go(r, p, err);
		break;
	case TT_KIND_NATIVE:
		ret = plan_native(r, p, err);
		break;
	default:
		ret = plan_none(r, p);
	}
	if (ret)
		tt_plan_free(p);
	return ret;
}

void tt_plan_free(struct tt_plan *p)
{
	free(p->sites);
	p->sites = NULL;
	p->n_sites = 0;
}
