# tlstap build.  Everything generated goes under build/.
#
#   make            build build/tlstap (BPF objects, skeletons, CLI)
#   make deps       install build and test dependencies (Debian, root)
#   make test       deps + build + unit tests + end-to-end tests (root)
#   make demo       deps + build + trace a built-in demo
#   make bench      benchmarks (never part of the tests)
#   make fuzz       longer fuzzing run of the parsers

BUILD    ?= build
CC       ?= gcc
CLANG    ?= clang
BPFTOOL  ?= bpftool
ARCH     := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
VERSION  := $(shell git describe --always --dirty 2>/dev/null || echo unknown)

PKGS     := libbpf libelf capstone
CPPFLAGS := -Iinclude -iquote resolver -iquote src -I$(BUILD) -I$(BUILD)/skel -I/usr/include/libdwarf \
	    -DTLSTAP_VERSION='"$(VERSION)"' -D_GNU_SOURCE
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -Wno-missing-field-initializers \
	    $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -ldwarf -lz

RESOLVER_SRCS := $(wildcard resolver/*.c)
RESOLVER_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(RESOLVER_SRCS))
CLI_SRCS      := $(filter-out src/main.c,$(wildcard src/*.c))
CLI_OBJS      := $(patsubst %.c,$(BUILD)/obj/%.o,$(CLI_SRCS))
BPF_SRCS      := $(wildcard bpf/*.bpf.c)
BPF_OBJS      := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
SKELS         := $(patsubst bpf/%.bpf.c,$(BUILD)/skel/%.skel.h,$(BPF_SRCS))
HEADERS       := $(wildcard include/tlstap/*.h resolver/*.h src/*.h)

UNIT_SRCS     := $(wildcard tests/unit/test_*.c)
UNIT_BINS     := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
E2E_C_SRCS    := $(wildcard tests/e2e/test_*.c)
E2E_C_BINS    := $(patsubst tests/e2e/%.c,$(BUILD)/tests/e2e_%,$(E2E_C_SRCS))
TESTDATA_C    := $(wildcard testdata/c/*.c)
TESTDATA_CBIN := $(patsubst testdata/c/%.c,$(BUILD)/testdata/c/%,$(TESTDATA_C))

.SECONDARY:
.PHONY: all deps test unit e2e demo bench fuzz clean testdata format
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

$(BUILD)/skel/%.skel.h: $(BUILD)/bpf/%.bpf.o
	@mkdir -p $(@D)
	$(BPFTOOL) gen skeleton $< name $(subst -,_,$*)_bpf > $@.tmp
	@mv $@.tmp $@

# --- C --------------------------------------------------------------------

$(BUILD)/obj/%.o: %.c $(HEADERS)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

# The tracer embeds the BPF objects through their skeletons.
$(CLI_OBJS) $(BUILD)/obj/src/main.o: $(SKELS)

$(BUILD)/libtlstap.a: $(RESOLVER_OBJS) $(CLI_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/tlstap: $(BUILD)/obj/src/main.o $(BUILD)/libtlstap.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# --- testdata -------------------------------------------------------------

$(BUILD)/testdata/c/%: testdata/c/%.c
	@mkdir -p $(@D)
	$(CC) -O1 -g -Wall -Wextra -Werror -o $@ $< $(TESTDATA_LDLIBS_$*)

TESTDATA_LDLIBS_ssl_bench := -lssl -lcrypto -lpthread
TESTDATA_LDLIBS_gnutls_echo := -lgnutls

# Go programs for every toolchain, rules in testdata/go.mk.
-include testdata/go.mk
# Fuzz harnesses (fuzz-short runs in make test, fuzz is the long run).
-include tests/fuzz/fuzz.mk

testdata: $(TESTDATA_CBIN) $(GO_TESTDATA)

# --- tests ----------------------------------------------------------------

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libtlstap.a tests/unit/testutil.h
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -o $@ $< $(BUILD)/libtlstap.a \
		$(LDLIBS) -lcmocka

$(BUILD)/tests/e2e_%: tests/e2e/%.c $(BUILD)/libtlstap.a
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests/unit $(CFLAGS) -o $@ $< $(BUILD)/libtlstap.a \
		$(LDLIBS) -lcmocka

unit: $(UNIT_BINS) testdata
	@BUILD=$(BUILD) tests/run-unit.sh $(UNIT_BINS)

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

bench: deps
	@$(MAKE) --no-print-directory all testdata
	@BUILD=$(BUILD) bench/run.sh

format:
	clang-format -i $(wildcard include/tlstap/*.h resolver/*.[ch] src/*.[ch] bpf/*.[ch] tests/*/*.[ch])

clean:
	rm -rf $(BUILD)
