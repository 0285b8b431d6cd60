# tlstap build.  Everything generated goes under build/.
#
#   make            build build/tlstap (BPF objects, skeletons, CLI)
#   make deps       install build and test dependencies (Debian, root)
#   make test       deps + build + unit tests + short fuzzing + end-to-end tests (root)
#   make demo       deps + build + trace a built-in demo
#   make bench      benchmarks (never part of the tests)
#   make fuzz       longer fuzzing run of the parsers
#   make install    install into $(DESTDIR)$(PREFIX) (default /usr/local);
#                   make uninstall removes exactly what it installed
#   make deb        the Debian package, in build/deb

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
# The Debian package's build gives VERSION (its tree has no .git).
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

PKGS     := libelf capstone libnghttp2
# llhttp is built from Debian's node-llhttp sources where they are installed.
LLHTTP_DIR ?= /usr/share/llhttp
LLHTTP_INC ?= /usr/share/include/llhttp
# Every header under include/ is public: BPF, the resolver and the tracer
# share it.  The resolver's private headers are visible to resolver/ (and its
# white-box tests and fuzz harnesses) only; src/ includes its own headers by
# folder ("trace/proc.h").
# CPPFLAGS and LDFLAGS from the environment are kept (the Debian package's
# hardening flags).
CPPFLAGS += -Iinclude -I$(BUILD) -I/usr/include/libdwarf \
	    -DTLSTAP_VERSION='"$(VERSION)"' -D_GNU_SOURCE
RESOLVER_CPPFLAGS := -iquote resolver
APP_CPPFLAGS      := -iquote src -I$(BUILD)/skel -I$(LLHTTP_INC)
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
	    $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# libbpf (>= 1.3, bookworm-backports) is linked statically: the tool runs
# where only Debian 12's libbpf 1.1 is installed.
LIBBPF_A := $(shell pkg-config --variable=libdir libbpf 2>/dev/null)/libbpf.a
LDLIBS   := $(LIBBPF_A) $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldwarf -lz -lm

RESOLVER_SRCS := $(wildcard resolver/*.c)
RESOLVER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(RESOLVER_SRCS))
RESOLVER_LIB  := $(BUILD)/libtlstap-resolve.a
APP_SRCS      := $(filter-out src/cli/main.c,$(wildcard src/*/*.c))
LLHTTP_OBJS   := $(patsubst $(LLHTTP_DIR)/%.c,$(BUILD)/obj/llhttp/%.o,$(wildcard $(LLHTTP_DIR)/*.c))
APP_OBJS      := $(patsubst %.c,$(BUILD)/obj/%.o,$(APP_SRCS)) $(LLHTTP_OBJS)
APP_LIB       := $(BUILD)/libtlstap.a
# The tracer's BPF objects, one per concern, are linked into one object with
# one skeleton (tlstap.skel.h): shared maps are defined once.  The selftest
# has its own.
TRACER_BPF    := common gotls nativetls membio sockets procwatch
TRACER_BPF_OBJS := $(patsubst %,$(BUILD)/bpf/%.bpf.o,$(TRACER_BPF))
SKELS         := $(BUILD)/skel/tlstap.skel.h $(BUILD)/skel/selftest.skel.h
PUBLIC_HEADERS   := $(wildcard include/tlstap/*.h)
RESOLVER_HEADERS := $(wildcard resolver/*.h)
APP_HEADERS      := $(wildcard src/*/*.h)
HEADERS          := $(PUBLIC_HEADERS) $(RESOLVER_HEADERS) $(APP_HEADERS)

UNIT_SRCS     := $(wildcard tests/unit/test_*.c)
UNIT_BINS     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
E2E_C_SRCS    := $(wildcard tests/e2e/test_*.c)
E2E_C_BINS    := $(patsubst tests/e2e/%.c,$(BUILD)/tests/e2e_%,$(E2E_C_SRCS))
BENCH_SRCS    := $(wildcard bench/*.c)
BENCH_BINS    := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))
TESTDATA_C    := $(wildcard testdata/c/*.c)
TESTDATA_CBIN := $(patsubst testdata/c/%.c,$(BUILD)/testdata/c/%,$(TESTDATA_C))

# A recipe that fails leaves no half-written target that a later run would
# take as up to date (bpftool writes its output before it fails).
.DELETE_ON_ERROR:
.SECONDARY:
.PHONY: all deps test unit unit-nogo e2e demo bench fuzz clean testdata format \
	man install uninstall deb FORCE
.DEFAULT_GOAL := all

all: $(BUILD)/tlstap

deps:
	@scripts/deps.sh

# --- BPF ------------------------------------------------------------------

$(BUILD)/vmlinux.h:
	@mkdir -p $(@D)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp
	@mv $@.tmp $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(BUILD)/vmlinux.h $(wildcard bpf/*.h) $(wildcard include/tlstap/*.h)
	@mkdir -p $(@D)
	$(CLANG) -g -O2 -Wall -Werror -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) \
		-Iinclude -Ibpf -I$(BUILD) -c $< -o $@

$(BUILD)/bpf/tlstap.o: $(TRACER_BPF_OBJS)
	$(BPFTOOL) gen object $@ $^

$(BUILD)/skel/tlstap.skel.h: $(BUILD)/bpf/tlstap.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name tlstap_bpf > $@.tmp
	@mv $@.tmp $@

$(BUILD)/skel/selftest.skel.h: $(BUILD)/bpf/selftest.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name selftest_bpf > $@.tmp
	@mv $@.tmp $@

# --- C --------------------------------------------------------------------

$(BUILD)/obj/resolver/%.o: resolver/%.c $(PUBLIC_HEADERS) $(RESOLVER_HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(RESOLVER_CPPFLAGS) $(CFLAGS) -c $< -o $@

# The tracer embeds the BPF objects through their skeletons.
$(BUILD)/obj/src/%.o: src/%.c $(PUBLIC_HEADERS) $(APP_HEADERS) $(SKELS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(APP_CPPFLAGS) $(CFLAGS) -c $< -o $@

# llhttp's generated C, as Debian ships it (not ours: its own warnings).
$(BUILD)/obj/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) -I$(LLHTTP_INC) -O2 -g -fPIC -w -c $< -o $@

# The analysis library on its own: no BPF, no root, no global state.
$(RESOLVER_LIB): $(RESOLVER_OBJS)
	@rm -f $@
	ar rcs $@ $^

# Everything of the tool but main(), for the tests that drive its parts.
$(APP_LIB): $(APP_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tlstap: $(BUILD)/obj/src/cli/main.o $(APP_LIB) $(RESOLVER_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# --- testdata -------------------------------------------------------------

$(BUILD)/testdata/c/%: testdata/c/%.c
	@mkdir -p $(@D)
	$(CC) -O1 -g -Wall -Wextra -Werror -o $@ $< $(TESTDATA_LDLIBS_$*)

TESTDATA_LDLIBS_ssl_bench := -lssl -lcrypto -lpthread
TESTDATA_LDLIBS_ssl_conns := -lssl -lcrypto -lpthread
TESTDATA_LDLIBS_sock_hammer := -lpthread

# Go programs for every toolchain, rules in testdata/go.mk.
-include testdata/go.mk
# Fuzz harnesses (fuzz-short runs in make test, fuzz is the long run).
-include tests/fuzz/fuzz.mk

testdata: $(TESTDATA_CBIN) $(GO_TESTDATA)

# --- tests ----------------------------------------------------------------

# Unit tests see every header: the resolver's are white-box tests.
TEST_CPPFLAGS := $(CPPFLAGS) $(RESOLVER_CPPFLAGS) $(APP_CPPFLAGS) -Itests/unit

$(BUILD)/tests/%: tests/unit/%.c $(APP_LIB) $(RESOLVER_LIB) tests/unit/testutil.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) $(CFLAGS) -o $@ $< $(APP_LIB) $(RESOLVER_LIB) \
		$(LDLIBS) -lcmocka

$(BUILD)/tests/e2e_%: tests/e2e/%.c $(APP_LIB) $(RESOLVER_LIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) $(CFLAGS) -o $@ $< $(APP_LIB) $(RESOLVER_LIB) \
		$(LDLIBS) -lcmocka

unit: $(UNIT_BINS) testdata
	@BUILD=$(BUILD) tests/run-unit.sh $(UNIT_BINS)

# The unit tests that read no Go testdata (which takes several Go toolchains):
# no root, no network, so the Debian package's build runs them.
UNIT_GO_TESTDATA := test_elf test_gofuncs test_golayout test_gotypes
UNIT_NOGO_BINS   := $(filter-out $(UNIT_GO_TESTDATA:%=$(BUILD)/tests/%),$(UNIT_BINS))

unit-nogo: $(UNIT_NOGO_BINS)
	@BUILD=$(BUILD) tests/run-unit.sh $(UNIT_NOGO_BINS)

e2e: $(BUILD)/tlstap $(E2E_C_BINS) testdata
	@BUILD=$(BUILD) tests/run-e2e.sh $(E2E_C_BINS)

NPROC := $(shell nproc 2>/dev/null || echo 2)

test: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory -j$(NPROC) testdata
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory fuzz-short
	@$(MAKE) --no-print-directory e2e

DEMO_GO ?= 1.22
demo: deps
	@$(MAKE) --no-print-directory all $(BUILD)/testdata/go/$(DEMO_GO)/tlsserver-default \
		$(BUILD)/testdata/go/$(DEMO_GO)/tlsclient-default
	@BUILD=$(BUILD) DEMO_GO_VERSION=$(DEMO_GO) scripts/demo.sh

# Benchmark helpers (bench/*.c), built against the tool's library.
$(BUILD)/bench/%: bench/%.c $(APP_LIB) $(RESOLVER_LIB)
	@mkdir -p $(@D)
	$(CC) $(TEST_CPPFLAGS) $(CFLAGS) -o $@ $< $(APP_LIB) $(RESOLVER_LIB) $(LDLIBS)

bench: deps
	@$(MAKE) --no-print-directory all testdata $(BENCH_BINS) $(GO_BENCH)
	@BUILD=$(BUILD) bench/run.sh

# --- install ----------------------------------------------------------------

PREFIX      ?= /usr/local
sbindir     ?= $(PREFIX)/sbin
mandir      ?= $(PREFIX)/share/man
docdir      ?= $(PREFIX)/share/doc/tlstap
bashcompdir ?= $(PREFIX)/share/bash-completion/completions

# One page per man/*.8.in: tlstap(8) and one per command.  Their synopsis and
# options come from the binary's --help when they are built (scripts/mkman.sh).
MAN_PAGES := $(sort $(patsubst man/%.8.in,%,$(wildcard man/*.8.in)))
DOCS      := docs/ndjson.md docs/resolve-json.md

# Every file make install puts, as MODE:SOURCE:DESTINATION: make uninstall
# removes exactly these.
INSTALL_FILES = 755:$(BUILD)/tlstap:$(sbindir)/tlstap \
	$(foreach p,$(MAN_PAGES),644:$(BUILD)/man/$(p).8:$(mandir)/man8/$(p).8) \
	644:completion/tlstap.bash:$(bashcompdir)/tlstap \
	$(foreach d,$(DOCS),644:$(d):$(docdir)/$(notdir $(d)))

# The pages name the docdir and each other: rebuilt when those change.
$(BUILD)/man/config: FORCE
	@mkdir -p $(@D)
	@echo '$(docdir) $(MAN_PAGES)' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv $@.tmp $@; fi

$(BUILD)/man/%.8: man/%.8.in $(BUILD)/tlstap scripts/mkman.sh $(BUILD)/man/config \
		include/tlstap/counters.h docs/ndjson.md
	scripts/mkman.sh $(BUILD)/tlstap $< '$(docdir)' $(MAN_PAGES) > $@.tmp
	@mv $@.tmp $@

man: $(MAN_PAGES:%=$(BUILD)/man/%.8)

install: $(BUILD)/tlstap man
	@set -e; for f in $(INSTALL_FILES); do \
		mode=$${f%%:*}; f=$${f#*:}; src=$${f%%:*}; dst='$(DESTDIR)'$${f#*:}; \
		echo "install $$src $$dst"; \
		install -d -m 755 "$${dst%/*}"; \
		install -m "$$mode" "$$src" "$$dst"; \
	done

uninstall:
	@for f in $(INSTALL_FILES); do \
		dst='$(DESTDIR)'$${f##*:}; echo "rm -f $$dst"; rm -f "$$dst"; \
	done
	@rmdir '$(DESTDIR)$(docdir)' 2>/dev/null || true

# The Debian package, built from a copy of the tree: build/deb/tlstap_*.deb.
deb:
	@BUILD=$(BUILD) scripts/deb.sh

format:
	clang-format -i $(wildcard include/tlstap/*.h resolver/*.[ch] src/*/*.[ch] bpf/*.[ch] tests/*/*.[ch])

clean:
	rm -rf $(BUILD)
