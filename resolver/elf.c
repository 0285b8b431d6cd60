// SPDX-License-Identifier: MIT
/*
 * The ELF layer: direct parsing of ELF64 little-endian objects over a
 * read-only mapping.  Every header, section, segment, note and symbol is
 * checked against the mapping before it is read, so that a truncated or
 * corrupted file yields a one-line error and never an out-of-bounds read.
 * Headers are copied with memcpy because the mapping (or a fuzzer's buffer)
 * gives no alignment guarantee.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"

#ifndef DF_1_PIE
#define DF_1_PIE 0x08000000
#endif

struct elf_sec {
	Elf64_Shdr sh;
	const char *name;
	const uint8_t *data; /* NULL for NOBITS or empty */
};

struct elf_symtab {
	const uint8_t *syms;    /* Elf64_Sym array (unaligned) */
	size_t n;
	const char *strtab;
	size_t strsz;
	const uint8_t *versym;  /* Elf64_Half per symbol, or NULL */
};

struct tt_elf {
	const uint8_t *data;
	size_t size;
	bool mapped;
	Elf64_Ehdr eh;
	struct elf_sec *secs;
	size_t nsecs;
	Elf64_Phdr *phdrs;
	size_t nphdrs;
	struct elf_symtab symtab, dynsym;
	const char **vernames; /* version index -> name (verdef and verneed) */
	size_t nvernames;
	bool pie;
	char build_id[65];
	uint64_t dev, ino;
};

/* True when [off, off+len) lies inside a buffer of size total. */
static bool in_bounds(uint64_t off, uint64_t len, uint64_t total)
{
	return off <= total && len <= total - off;
}

/* NUL-terminated string at off inside a string table, or NULL. */
static const char *str_at(const char *tab, size_t tabsz, uint64_t off)
{
	if (!tab || off >= tabsz || !memchr(tab + off, '\0', tabsz - off))
		return NULL;
	return tab + off;
}

static int parse_ehdr(struct tt_elf *e, struct tt_error *err)
{
	const unsigned char *id = e->data;

	if (e->size < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG))
		return tt_error_set(err, ENOEXEC, "not an ELF file");
	if (id[EI_CLASS] != ELFCLASS64)
		return tt_error_set(err, ENOTSUP, "unsupported ELF class %u (only 64-bit)",
				    id[EI_CLASS]);
	if (id[EI_DATA] != ELFDATA2LSB)
		return tt_error_set(err, ENOTSUP, "unsupported ELF data encoding %u (only little-endian)",
				    id[EI_DATA]);
	if (e->size < sizeof(Elf64_Ehdr))
		return tt_error_set(err, EINVAL, "truncated: ELF header needs %zu bytes, file has %zu",
				    sizeof(Elf64_Ehdr), e->size);
	memcpy(&e->eh, e->data, sizeof(e->eh));
	return 0;
}

static int parse_sections(struct tt_elf *e, struct tt_error *err)
{
	const Elf64_Ehdr *eh = &e->eh;
	uint64_t shnum = eh->e_shnum, shstrndx = eh->e_shstrndx;
	Elf64_Shdr sh0;
	const struct elf_sec *strsec;

	if (!eh->e_shoff)
		return 0; /* no section headers: segments only */
	if (eh->e_shentsize != sizeof(Elf64_Shdr))
		return tt_error_set(err, EINVAL, "corrupted: e_shentsize %u", eh->e_shentsize);
	if (!in_bounds(eh->e_shoff, sizeof(sh0), e->size))
		return tt_error_set(err, EINVAL, "truncated: section headers at 0x%llx past end of file",
				    (unsigned long long)eh->e_shoff);
	memcpy(&sh0, e->data + eh->e_shoff, sizeof(sh0));
	/* Extended numbering: the real counts live in section 0. */
	if (shnum == 0)
		shnum = sh0.sh_size;
	if (shstrndx == SHN_XINDEX)
		shstrndx = sh0.sh_link;
	if (shnum > e->size / sizeof(Elf64_Shdr) ||
	    !in_bounds(eh->e_shoff, shnum * sizeof(Elf64_Shdr), e->size))
		return tt_error_set(err, EINVAL, "truncated: %llu section headers past end of file",
				    (unsigned long long)shnum);
	e->secs = calloc(shnum ? shnum : 1, sizeof(*e->secs));
	if (!e->secs)
		return tt_error_set(err, ENOMEM, "out of memory");
	e->nsecs = shnum;
	for (size_t i = 0; i < shnum; i++) {
		struct elf_sec *s = &e->secs[i];

		memcpy(&s->sh, e->data + eh->e_shoff + i * sizeof(Elf64_Shdr), sizeof(s->sh));
		s->name = "";
		if (s->sh.sh_type == SHT_NOBITS || s->sh.sh_type == SHT_NULL || !s->sh.sh_size)
			continue;
		if (!in_bounds(s->sh.sh_offset, s->sh.sh_size, e->size))
			return tt_error_set(err, EINVAL,
					    "truncated: section [%zu] at 0x%llx+0x%llx past end of file (%zu bytes)",
					    i, (unsigned long long)s->sh.sh_offset,
					    (unsigned long long)s->sh.sh_size, e->size);
		s->data = e->data + s->sh.sh_offset;
	}
	if (shstrndx >= shnum)
		return 0; /* no usable names: sections stay anonymous */
	strsec = &e->secs[shstrndx];
	if (!strsec->data)
		return 0;
	for (size_t i = 0; i < shnum; i++) {
		const char *n = str_at((const char *)strsec->data, strsec->sh.sh_size,
				       e->secs[i].sh.sh_name);
		e->secs[i].name = n ? n : "";
	}
	return 0;
}

static int parse_segments(struct tt_elf *e, struct tt_error *err)
{
	const Elf64_Ehdr *eh = &e->eh;
	uint64_t phnum = eh->e_phnum;

	if (!eh->e_phoff || !phnum)
		return 0;
	if (phnum == PN_XNUM && e->nsecs)
		phnum = e->secs[0].sh.sh_info;
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return tt_error_set(err, EINVAL, "corrupted: e_phentsize %u", eh->e_phentsize);
	if (phnum > e->size / sizeof(Elf64_Phdr) ||
	    !in_bounds(eh->e_phoff, phnum * sizeof(Elf64_Phdr), e->size))
		return tt_error_set(err, EINVAL, "truncated: program headers past end of file");
	e->phdrs = calloc(phnum, sizeof(*e->phdrs));
	if (!e->phdrs)
		return tt_error_set(err, ENOMEM, "out of memory");
	e->nphdrs = phnum;
	memcpy(e->phdrs, e->data + eh->e_phoff, phnum * sizeof(Elf64_Phdr));
	for (size_t i = 0; i < phnum; i++) {
		const Elf64_Phdr *p = &e->phdrs[i];

		if (p->p_type != PT_LOAD && p->p_type != PT_NOTE && p->p_type != PT_DYNAMIC)
			continue;
		if (!in_bounds(p->p_offset, p->p_filesz, e->size))
			return tt_error_set(err, EINVAL,
					    "truncated: segment [%zu] at 0x%llx+0x%llx past end of file (%zu bytes)",
					    i, (unsigned long long)p->p_offset,
					    (unsigned long long)p->p_filesz, e->size);
		if (p->p_type == PT_LOAD && p->p_vaddr + p->p_filesz < p->p_vaddr)
			return tt_error_set(err, EINVAL, "corrupted: segment [%zu] wraps around", i);
	}
	return 0;
}

/* Walk the notes of one blob; fills the build-id from NT_GNU_BUILD_ID. */
static void scan_notes(struct tt_elf *e, const uint8_t *p, uint64_t len)
{
	uint64_t off = 0;

	while (off <= len && len - off >= sizeof(Elf64_Nhdr)) {
		Elf64_Nhdr nh;
		uint64_t name_off, desc_off, next;

		memcpy(&nh, p + off, sizeof(nh));
		name_off = off + sizeof(nh);
		desc_off = name_off + (((uint64_t)nh.n_namesz + 3) & ~3ULL);
		next = desc_off + (((uint64_t)nh.n_descsz + 3) & ~3ULL);
		if (desc_off > len || !in_bounds(desc_off, nh.n_descsz, len))
			return;
		if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 &&
		    !memcmp(p + name_off, "GNU", 4) && nh.n_descsz && !e->build_id[0]) {
			size_t n = nh.n_descsz > 32 ? 32 : nh.n_descsz;

			for (size_t i = 0; i < n; i++)
				sprintf(e->build_id + 2 * i, "%02x", p[desc_off + i]);
			return;
		}
		if (next > len)
			return;
		off = next;
	}
}

static void parse_build_id(struct tt_elf *e)
{
	for (size_t i = 0; i < e->nphdrs && !e->build_id[0]; i++)
		if (e->phdrs[i].p_type == PT_NOTE)
			scan_notes(e, e->data + e->phdrs[i].p_offset, e->phdrs[i].p_filesz);
	for (size_t i = 0; i < e->nsecs && !e->build_id[0]; i++)
		if (e->secs[i].sh.sh_type == SHT_NOTE && e->secs[i].data)
			scan_notes(e, e->secs[i].data, e->secs[i].sh.sh_size);
}

static void load_symtab(struct tt_elf *e, uint32_t type, struct elf_symtab *st)
{
	for (size_t i = 0; i < e->nsecs; i++) {
		const struct elf_sec *s = &e->secs[i], *str;

		if (s->sh.sh_type != type || !s->data)
			continue;
		/* Entries are read as Elf64_Sym: a table that says its entries
		 * are another size is not one we can index. */
		if (s->sh.sh_entsize != sizeof(Elf64_Sym) || s->sh.sh_link >= e->nsecs)
			return;
		str = &e->secs[s->sh.sh_link];
		if (!str->data || str->sh.sh_type != SHT_STRTAB)
			return;
		st->syms = s->data;
		st->n = s->sh.sh_size / sizeof(Elf64_Sym);
		st->strtab = (const char *)str->data;
		st->strsz = str->sh.sh_size;
		return;
	}
}

static int add_vername(struct tt_elf *e, uint16_t idx, const char *name)
{
	idx &= 0x7fff;
	if (!name)
		return 0;
	if (idx >= e->nvernames) {
		size_t n = (size_t)idx + 1;
		const char **v = realloc(e->vernames, n * sizeof(*v));

		if (!v)
			return -ENOMEM;
		memset(v + e->nvernames, 0, (n - e->nvernames) * sizeof(*v));
		e->vernames = v;
		e->nvernames = n;
	}
	e->vernames[idx] = name;
	return 0;
}

/* Section strtab of a version section (sh_link), or NULL. */
static const struct elf_sec *linked_strtab(const struct tt_elf *e, const struct elf_sec *s)
{
	if (s->sh.sh_link >= e->nsecs || !e->secs[s->sh.sh_link].data)
		return NULL;
	return &e->secs[s->sh.sh_link];
}

static int parse_verdef(struct tt_elf *e, const struct elf_sec *s)
{
	const struct elf_sec *str = linked_strtab(e, s);
	uint64_t off = 0, size = s->sh.sh_size;

	/* Bounded by sh_info entries and by the section itself. */
	for (uint64_t n = 0; str && n < s->sh.sh_info && n < 0x10000; n++) {
		Elf64_Verdef vd;
		Elf64_Verdaux va;

		if (!in_bounds(off, sizeof(vd), size))
			break;
		memcpy(&vd, s->data + off, sizeof(vd));
		if (vd.vd_cnt && in_bounds(off + vd.vd_aux, sizeof(va), size)) {
			memcpy(&va, s->data + off + vd.vd_aux, sizeof(va));
			if (add_vername(e, vd.vd_ndx,
					str_at((const char *)str->data, str->sh.sh_size, va.vda_name)))
				return -ENOMEM;
		}
		if (!vd.vd_next)
			break;
		off += vd.vd_next;
	}
	return 0;
}

static int parse_verneed(struct tt_elf *e, const struct elf_sec *s)
{
	const struct elf_sec *str = linked_strtab(e, s);
	uint64_t off = 0, size = s->sh.sh_size;

	for (uint64_t n = 0; str && n < s->sh.sh_info && n < 0x10000; n++) {
		Elf64_Verneed vn;
		uint64_t aoff;

		if (!in_bounds(off, sizeof(vn), size))
			break;
		memcpy(&vn, s->data + off, sizeof(vn));
		aoff = off + vn.vn_aux;
		for (unsigned j = 0; j < vn.vn_cnt; j++) {
			Elf64_Vernaux va;

			if (!in_bounds(aoff, sizeof(va), size))
				break;
			memcpy(&va, s->data + aoff, sizeof(va));
			if (add_vername(e, va.vna_other,
					str_at((const char *)str->data, str->sh.sh_size, va.vna_name)))
				return -ENOMEM;
			if (!va.vna_next)
				break;
			aoff += va.vna_next;
		}
		if (!vn.vn_next)
			break;
		off += vn.vn_next;
	}
	return 0;
}

static int parse_versions(struct tt_elf *e, struct tt_error *err)
{
	for (size_t i = 0; i < e->nsecs; i++) {
		const struct elf_sec *s = &e->secs[i];
		int ret = 0;

		if (!s->data)
			continue;
		if (s->sh.sh_type == SHT_GNU_verdef)
			ret = parse_verdef(e, s);
		else if (s->sh.sh_type == SHT_GNU_verneed)
			ret = parse_verneed(e, s);
		else if (s->sh.sh_type == SHT_GNU_versym &&
			 s->sh.sh_entsize == sizeof(Elf64_Half) &&
			 s->sh.sh_size >= e->dynsym.n * sizeof(Elf64_Half))
			e->dynsym.versym = s->data;
		if (ret)
			return tt_error_set(err, -ret, "out of memory");
	}
	return 0;
}

/* PIE: DF_1_PIE, else an ET_DYN with an interpreter or an entry point and no
 * DT_SONAME (a shared library names itself, an executable does not). */
static void detect_pie(struct tt_elf *e)
{
	bool interp = false, soname = false;

	if (e->eh.e_type != ET_DYN)
		return;
	for (size_t i = 0; i < e->nphdrs; i++) {
		const Elf64_Phdr *p = &e->phdrs[i];

		if (p->p_type == PT_INTERP)
			interp = true;
		if (p->p_type != PT_DYNAMIC)
			continue;
		for (uint64_t off = 0; off + sizeof(Elf64_Dyn) <= p->p_filesz; off += sizeof(Elf64_Dyn)) {
			Elf64_Dyn d;

			memcpy(&d, e->data + p->p_offset + off, sizeof(d));
			if (d.d_tag == DT_NULL)
				break;
			if (d.d_tag == DT_FLAGS_1 && (d.d_un.d_val & DF_1_PIE)) {
				e->pie = true;
				return;
			}
			if (d.d_tag == DT_SONAME)
				soname = true;
		}
	}
	e->pie = !soname && (interp || e->eh.e_entry);
}

static int parse(struct tt_elf *e, struct tt_error *err)
{
	int ret;

	ret = parse_ehdr(e, err);
	if (!ret)
		ret = parse_sections(e, err);
	if (!ret)
		ret = parse_segments(e, err);
	if (ret)
		return ret;
	if (!e->nsecs && !e->nphdrs)
		return tt_error_set(err, EINVAL, "corrupted: no sections and no segments");
	parse_build_id(e);
	load_symtab(e, SHT_SYMTAB, &e->symtab);
	load_symtab(e, SHT_DYNSYM, &e->dynsym);
	ret = parse_versions(e, err);
	if (ret)
		return ret;
	detect_pie(e);
	return 0;
}

int tt_elf_open_mem(const void *buf, size_t len, struct tt_elf **out, struct tt_error *err)
{
	struct tt_elf *e;
	int ret;

	if (!buf || !len)
		return tt_error_set(err, ENOEXEC, "not an ELF file (empty)");
	e = calloc(1, sizeof(*e));
	if (!e)
		return tt_error_set(err, ENOMEM, "out of memory");
	e->data = buf;
	e->size = len;
	ret = parse(e, err);
	if (ret) {
		tt_elf_close(e);
		return ret;
	}
	*out = e;
	return 0;
}

int tt_elf_open_fd(int fd, const char *display_path, struct tt_elf **out, struct tt_error *err)
{
	struct stat st;
	void *map;
	int ret;

	(void)display_path;
	if (fstat(fd, &st))
		return tt_error_set(err, errno, "stat: %s", strerror(errno));
	if (!S_ISREG(st.st_mode))
		return tt_error_set(err, EINVAL, "not a regular file");
	if (st.st_size == 0)
		return tt_error_set(err, ENOEXEC, "not an ELF file (empty)");
	if ((uint64_t)st.st_size > SIZE_MAX)
		return tt_error_set(err, EFBIG, "file too large");
	map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return tt_error_set(err, errno, "mmap: %s", strerror(errno));
	ret = tt_elf_open_mem(map, st.st_size, out, err);
	if (ret) {
		munmap(map, st.st_size);
		return ret;
	}
	(*out)->mapped = true;
	(*out)->dev = st.st_dev;
	(*out)->ino = st.st_ino;
	return 0;
}

int tt_elf_open(const char *path, struct tt_elf **out, struct tt_error *err)
{
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return tt_error_set(err, errno, "%s", strerror(errno));
	ret = tt_elf_open_fd(fd, path, out, err);
	close(fd);
	return ret;
}

void tt_elf_close(struct tt_elf *e)
{
	if (!e)
		return;
	if (e->mapped)
		munmap((void *)e->data, e->size);
	free(e->secs);
	free(e->phdrs);
	free(e->vernames);
	free(e);
}

enum tt_arch tt_elf_arch(const struct tt_elf *e)
{
	switch (e->eh.e_machine) {
	case EM_X86_64: return TT_ARCH_X86_64;
	case EM_AARCH64: return TT_ARCH_ARM64;
	default: return TT_ARCH_UNKNOWN;
	}
}

bool tt_elf_is_pie(const struct tt_elf *e)
{
	return e->pie;
}

bool tt_elf_is_shared_object(const struct tt_elf *e)
{
	return e->eh.e_type == ET_DYN;
}

const char *tt_elf_build_id(const struct tt_elf *e)
{
	return e->build_id;
}

const uint8_t *tt_elf_data(const struct tt_elf *e, size_t *size)
{
	if (size)
		*size = e->size;
	return e->data;
}

uint64_t tt_elf_dev(const struct tt_elf *e)
{
	return e->dev;
}

uint64_t tt_elf_ino(const struct tt_elf *e)
{
	return e->ino;
}

static void fill_section(const struct elf_sec *s, struct tt_elf_section *out)
{
	out->name = s->name;
	out->type = s->sh.sh_type;
	out->flags = s->sh.sh_flags;
	out->addr = s->sh.sh_addr;
	out->offset = s->sh.sh_offset;
	out->size = s->data ? s->sh.sh_size : 0;
	out->data = s->data;
}

int tt_elf_section(const struct tt_elf *e, const char *name, struct tt_elf_section *out)
{
	for (size_t i = 0; i < e->nsecs; i++) {
		if (!strcmp(e->secs[i].name, name)) {
			fill_section(&e->secs[i], out);
			return 0;
		}
	}
	return -ENOENT;
}

int tt_elf_section_at(const struct tt_elf *e, size_t index, struct tt_elf_section *out)
{
	if (index >= e->nsecs)
		return -ENOENT;
	fill_section(&e->secs[index], out);
	return 0;
}

int tt_elf_segment_at(const struct tt_elf *e, size_t index, struct tt_elf_segment *out)
{
	const Elf64_Phdr *p;

	if (index >= e->nphdrs)
		return -ENOENT;
	p = &e->phdrs[index];
	out->type = p->p_type;
	out->flags = p->p_flags;
	out->vaddr = p->p_vaddr;
	out->memsz = p->p_memsz;
	out->filesz = p->p_filesz;
	out->align = p->p_align;
	/* parse_segments checked the file range of PT_LOAD only. */
	out->data = p->p_type == PT_LOAD && p->p_filesz ? e->data + p->p_offset : NULL;
	return 0;
}

int tt_elf_vaddr_to_offset(const struct tt_elf *e, uint64_t vaddr, uint64_t *offset)
{
	for (size_t i = 0; i < e->nphdrs; i++) {
		const Elf64_Phdr *p = &e->phdrs[i];

		if (p->p_type != PT_LOAD || vaddr < p->p_vaddr || vaddr - p->p_vaddr >= p->p_filesz)
			continue;
		*offset = p->p_offset + (vaddr - p->p_vaddr);
		return 0;
	}
	return -ENOENT;
}

const uint8_t *tt_elf_ptr_vaddr(const struct tt_elf *e, uint64_t vaddr, size_t len)
{
	for (size_t i = 0; i < e->nphdrs; i++) {
		const Elf64_Phdr *p = &e->phdrs[i];

		if (p->p_type != PT_LOAD || vaddr < p->p_vaddr ||
		    !in_bounds(vaddr - p->p_vaddr, len, p->p_filesz))
			continue;
		return e->data + p->p_offset + (vaddr - p->p_vaddr);
	}
	return NULL;
}

int tt_elf_read_vaddr(const struct tt_elf *e, uint64_t vaddr, void *buf, size_t len)
{
	const uint8_t *p = tt_elf_ptr_vaddr(e, vaddr, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

/* Decode symbol i of a table; false when unnamed or malformed. */
static bool get_symbol(const struct tt_elf *e, const struct elf_symtab *st, size_t i,
		       enum tt_elf_symtab table, struct tt_elf_symbol *out)
{
	Elf64_Sym s;
	const char *name;

	memcpy(&s, st->syms + i * sizeof(s), sizeof(s));
	name = str_at(st->strtab, st->strsz, s.st_name);
	if (!name || !*name)
		return false;
	out->name = name;
	out->version = NULL;
	out->value = s.st_value;
	out->size = s.st_size;
	out->type = ELF64_ST_TYPE(s.st_info);
	out->bind = ELF64_ST_BIND(s.st_info);
	out->shndx = s.st_shndx;
	out->table = table;
	if (st->versym) {
		Elf64_Half v;

		memcpy(&v, st->versym + i * sizeof(v), sizeof(v));
		if ((v & 0x7fff) > 1 && (v & 0x7fff) < e->nvernames)
			out->version = e->vernames[v & 0x7fff];
		/* Hidden (non-default, "@") versions lose against "@@". */
		if (v & 0x8000)
			out->bind |= 0x80;
	}
	return true;
}

static int walk(const struct tt_elf *e, const struct elf_symtab *st, enum tt_elf_symtab table,
		int (*fn)(const struct tt_elf_symbol *sym, void *ctx), void *ctx)
{
	struct tt_elf_symbol sym;

	for (size_t i = 1; i < st->n; i++) {
		int ret;

		if (!get_symbol(e, st, i, table, &sym))
			continue;
		sym.bind &= 0x7f;
		ret = fn(&sym, ctx);
		if (ret)
			return ret;
	}
	return 0;
}

int tt_elf_foreach_symbol(const struct tt_elf *e, unsigned tables,
			  int (*fn)(const struct tt_elf_symbol *sym, void *ctx), void *ctx)
{
	int ret = 0;

	if (tables & TT_ELF_SYMTAB)
		ret = walk(e, &e->symtab, TT_ELF_SYMTAB, fn, ctx);
	if (!ret && (tables & TT_ELF_DYNSYM))
		ret = walk(e, &e->dynsym, TT_ELF_DYNSYM, fn, ctx);
	return ret;
}

/* Lower is better: default-versioned, then .symtab, then defined. */
static int sym_rank(const struct tt_elf_symbol *s)
{
	int r = 0;

	if (s->bind & 0x80)
		r += 4;
	if (s->table != TT_ELF_SYMTAB)
		r += 2;
	if (s->shndx == SHN_UNDEF)
		r += 8;
	return r;
}

int tt_elf_find_symbol(const struct tt_elf *e, const char *name, unsigned tables,
		       struct tt_elf_symbol *out)
{
	static const struct {
		unsigned flag;
		enum tt_elf_symtab table;
	} order[] = { { TT_ELF_SYMTAB, TT_ELF_SYMTAB }, { TT_ELF_DYNSYM, TT_ELF_DYNSYM } };
	struct tt_elf_symbol sym;
	int best = -1;

	for (size_t t = 0; t < 2; t++) {
		const struct elf_symtab *st = order[t].table == TT_ELF_SYMTAB ? &e->symtab : &e->dynsym;

		if (!(tables & order[t].flag))
			continue;
		for (size_t i = 1; i < st->n; i++) {
			int rank;

			if (!get_symbol(e, st, i, order[t].table, &sym) || strcmp(sym.name, name))
				continue;
			rank = sym_rank(&sym);
			if (best < 0 || rank < best) {
				best = rank;
				*out = sym;
				out->bind &= 0x7f;
			}
		}
	}
	return best < 0 ? -ENOENT : 0;
}

bool tt_elf_has_symtab(const struct tt_elf *e)
{
	return e->symtab.n > 1;
}
