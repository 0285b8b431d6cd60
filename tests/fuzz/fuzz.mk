# Fuzzing of the resolver's parsers (ELF, Go buildinfo, pclntab, DWARF
# layouts, Go type descriptors, disassembly), of the replay path (NDJSON
# reader, streams, HTTP/1.1, HTTP/2 + HPACK, writers) and of the TCP
# table parser with libFuzzer + ASan + UBSan, included by the Makefile.  The
# harnesses are built with clang from the sources directly (the libraries
# are gcc-built without sanitizers).
#
#   make fuzz-short   FUZZ_SHORT_SECONDS (20) per harness over the seed corpus
#                     (part of make test, about 140 s for all); fails on
#                     any crash, leak or sanitizer report
#   make fuzz         the long run (FUZZ_SECONDS per harness, default 300)
#
# Seed corpora are generated from the testdata binaries into
# $(BUILD)/fuzz/corpus (tests/fuzz/mkcorpus.sh); new inputs libFuzzer finds
# go to $(BUILD)/fuzz/work, crashes to $(BUILD)/fuzz/crash-*.  Nothing here is
# committed.

FUZZ_DIR      := $(BUILD)/fuzz
FUZZ_HARNESS  := elf sections native gotypes tcptab
FUZZ_BINS     := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_HARNESS))
FUZZ_CFLAGS   := -g -O1 -std=gnu11 -fno-omit-frame-pointer \
		 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		 $(shell pkg-config --cflags capstone 2>/dev/null)
FUZZ_LDLIBS   := $(shell pkg-config --libs libelf capstone 2>/dev/null) -ldwarf -lz
FUZZ_SRCS      = $(wildcard resolver/*.c)
FUZZ_SHORT_SECONDS ?= 20
FUZZ_SECONDS  ?= 300
# Largest input: the biggest seed is a ~6 MB Go binary.
FUZZ_MAXLEN_elf      := 8000000
FUZZ_MAXLEN_sections := 2000000
# Debian's libcrypto is ~4.5 MB.
FUZZ_MAXLEN_native   := 6000000
# A module's type links and types: ~1.5 MB for the testdata programs.
FUZZ_MAXLEN_gotypes  := 4000000
# A busy host's TCP table is megabytes; the parser's work is per line.
FUZZ_MAXLEN_tcptab   := 65536
# doctor's parser and what it needs, not the resolver.
FUZZ_SRCS_tcptab     := src/trace/tcptab.c src/trace/index.c resolver/error.c

$(FUZZ_DIR)/fuzz_tcptab: tests/fuzz/fuzz_tcptab.c $(FUZZ_SRCS_tcptab) $(HEADERS)
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) -iquote src $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS_tcptab)

$(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_SRCS) $(HEADERS)
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) $(RESOLVER_CPPFLAGS) $(FUZZ_CFLAGS) -o $@ $< $(FUZZ_SRCS) $(FUZZ_LDLIBS)

# Seeds of fuzz_gotypes are cut from the testdata by the resolver itself.
MKSEED_GOTYPES := $(FUZZ_DIR)/mkseed_gotypes

$(MKSEED_GOTYPES): tests/fuzz/mkseed_gotypes.c tests/fuzz/gotypes_input.h $(RESOLVER_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(RESOLVER_CPPFLAGS) $(CFLAGS) -o $@ $< $(RESOLVER_LIB) $(LDLIBS)

$(FUZZ_DIR)/corpus/.stamp: tests/fuzz/mkcorpus.sh $(GO_TESTDATA) $(MKSEED_GOTYPES)
	@MKSEED_GOTYPES=$(MKSEED_GOTYPES) tests/fuzz/mkcorpus.sh $(FUZZ_DIR)/corpus $(BUILD)/testdata
	@touch $@

# fuzz_run HARNESS SECONDS: one libFuzzer run; a crash fails make.
define fuzz_run
	@mkdir -p $(FUZZ_DIR)/work/$1
	@echo "  FUZZ    $1 ($2 s)"
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 \
		$(FUZZ_DIR)/fuzz_$1 -max_total_time=$2 -max_len=$(FUZZ_MAXLEN_$1) -timeout=30 \
		-rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/crash-$1- \
		$(FUZZ_DIR)/work/$1 $(FUZZ_DIR)/corpus/$1 2>$(FUZZ_DIR)/$1.log || \
		{ tail -n 60 $(FUZZ_DIR)/$1.log; echo "fuzz: $1 failed, see $(FUZZ_DIR)/$1.log"; exit 1; }
	@grep -E '^stat::(number_of_executed_units|peak_rss_mb)' $(FUZZ_DIR)/$1.log | tr '\n' ' '; echo
endef

# The replay path: built from the tool's sources (and llhttp's) with clang.
FUZZ_APP_HARNESS := replay http
FUZZ_APP_BINS := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_APP_HARNESS))
FUZZ_APP_SRCS  = src/trace/ndjson.c src/trace/names.c src/trace/listen.c src/trace/tcptab.c \
		 src/trace/index.c src/stream/stream.c \
		 $(wildcard src/proto/*.c) $(wildcard src/out/*.c) src/cli/pipeline.c \
		 resolver/error.c $(wildcard $(LLHTTP_DIR)/*.c)
FUZZ_MAXLEN_replay := 200000
FUZZ_MAXLEN_http   := 100000

$(FUZZ_DIR)/fuzz_replay $(FUZZ_DIR)/fuzz_http: $(FUZZ_DIR)/fuzz_%: tests/fuzz/fuzz_%.c \
		$(FUZZ_APP_SRCS) $(HEADERS)
	@mkdir -p $(@D)
	$(CLANG) $(CPPFLAGS) -iquote src -I$(LLHTTP_INC) $(FUZZ_CFLAGS) -o $@ $< \
		$(FUZZ_APP_SRCS) -lnghttp2 -lm

$(FUZZ_DIR)/corpus/.stamp-app: $(FUZZ_DIR)/corpus/.stamp tests/fuzz/mkhttpseeds.py $(wildcard tests/data/*.ndjson)
	@mkdir -p $(FUZZ_DIR)/corpus/replay
	@cp tests/data/*.ndjson $(FUZZ_DIR)/corpus/replay/
	@python3 tests/fuzz/mkhttpseeds.py $(FUZZ_DIR)/corpus/http tests/data/*.ndjson
	@touch $@

.PHONY: fuzz-short fuzz fuzz-build
fuzz-build: $(FUZZ_BINS) $(FUZZ_APP_BINS)

fuzz-short: $(FUZZ_BINS) $(FUZZ_APP_BINS) $(FUZZ_DIR)/corpus/.stamp $(FUZZ_DIR)/corpus/.stamp-app
	$(call fuzz_run,elf,$(FUZZ_SHORT_SECONDS))
	$(call fuzz_run,sections,$(FUZZ_SHORT_SECONDS))
	$(call fuzz_run,native,$(FUZZ_SHORT_SECONDS))
	$(call fuzz_run,gotypes,$(FUZZ_SHORT_SECONDS))
	$(call fuzz_run,replay,$(FUZZ_SHORT_SECONDS))
	$(call fuzz_run,http,$(FUZZ_SHORT_SECONDS))
	$(call fuzz_run,tcptab,$(FUZZ_SHORT_SECONDS))

fuzz: $(FUZZ_BINS) $(FUZZ_APP_BINS) $(FUZZ_DIR)/corpus/.stamp $(FUZZ_DIR)/corpus/.stamp-app
	$(call fuzz_run,elf,$(FUZZ_SECONDS))
	$(call fuzz_run,sections,$(FUZZ_SECONDS))
	$(call fuzz_run,native,$(FUZZ_SECONDS))
	$(call fuzz_run,gotypes,$(FUZZ_SECONDS))
	$(call fuzz_run,replay,$(FUZZ_SECONDS))
	$(call fuzz_run,http,$(FUZZ_SECONDS))
	$(call fuzz_run,tcptab,$(FUZZ_SECONDS))
