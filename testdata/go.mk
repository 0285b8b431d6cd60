# Go testdata, included by the Makefile: every program of testdata/go/ built
# by every Go toolchain we have, in every variant the resolver must handle,
# plus the oracles the unit tests compare the resolver with.
#
#   build/testdata/go/VER/PROG-VARIANT          the binary
#   build/testdata/go/VER/PROG-VARIANT.nm       go tool nm -size -sort address
#   build/testdata/go/VER/PROG-VARIANT.objdump  go tool objdump of (*Conn).Read|Write|Close
#   build/testdata/go/VER/PROG-VARIANT.tlsg     go tool objdump of runtime.mcall (amd64):
#                                               how the runtime stores g in TLS
#   build/testdata/go/VER/layoutoracle.txt      field offsets found by reflect
#   build/testdata/go/manifest.txt              one line per binary
#
# A stripped binary's .nm/.objdump come from its unstripped twin (same
# flags but -s -w, same text).  Every build is a separate target, so -jN
# builds in parallel; the Go build cache (build/gocache) makes rebuilds and
# further variants cheap.  Nothing is cached outside build/.
#
#   make go-testdata   the Go part of `make testdata`
#   make layouts       regenerate resolver/golayout_table_data.c from DWARF

GO_VERSIONS ?= 1.19 1.21 1.22 1.23 1.24 1.26 1.27
GO_VARIANTS := default stripped pie cgo arm64
# Programs built in every variant, and in the default variant only.
GO_PROGS_ALL := tlsclient tlsserver
GO_PROGS_DEFAULT := layoutoracle tlsbench connreuse
# Programs built in the cgo variant only (they call C).
GO_PROGS_CGO := cgossl
# Toolchains that are not Debian packages of this release but extracted from
# later suites into build/ (scripts/go-extract.sh: trixie, sid).
GO_EXTRACTED := 1.24 1.26 1.27

GO_TD := $(BUILD)/testdata/go
GO_ABS_BUILD := $(abspath $(BUILD))
# go_srcs PROG: what a program's binaries depend on.
go_srcs = testdata/go/go.mod $(wildcard testdata/go/$1/*.go testdata/go/$1/*.s testdata/go/internal/*/*.go)

# go_root/go_tool VERSION: the toolchain of that version.
go_root = $(if $(filter $1,$(GO_EXTRACTED)),$(BUILD)/toolchains/go$1/usr/lib/go-$1,/usr/lib/go-$1)
go_tool = $(abspath $(call go_root,$1))/bin/go
# What the binaries depend on: the go binary, or the extraction stamp.
go_dep = $(if $(filter $1,$(GO_EXTRACTED)),$(BUILD)/toolchains/go$1/.stamp,$(call go_tool,$1))

# A hermetic environment: no user go env file, no telemetry or caches in
# $HOME, no toolchain switching, no network (stdlib only).
go_env = env GOROOT=$(abspath $(call go_root,$1)) GOENV=off GOTOOLCHAIN=local \
	GOCACHE=$(GO_ABS_BUILD)/gocache GOPATH=$(GO_ABS_BUILD)/gopath \
	GOMODCACHE=$(GO_ABS_BUILD)/gopath/pkg/mod XDG_CONFIG_HOME=$(GO_ABS_BUILD)/goconfig \
	GO111MODULE=on GOPROXY=off GOFLAGS=-buildvcs=false GOOS=linux GOAMD64=v1

GO_VENV_default  := CGO_ENABLED=0 GOARCH=amd64
GO_VENV_stripped := CGO_ENABLED=0 GOARCH=amd64
GO_VENV_pie      := CGO_ENABLED=0 GOARCH=amd64
GO_VENV_cgo      := CGO_ENABLED=1 GOARCH=amd64
GO_VENV_arm64    := CGO_ENABLED=0 GOARCH=arm64
GO_VFLAGS_stripped := -ldflags='-s -w'
GO_VFLAGS_pie      := -buildmode=pie
GO_VARCH_arm64 := arm64
# The twin whose symbols describe a variant's binary.
go_twin = $(if $(filter stripped,$1),default,$1)

GO_OBJDUMP_RE := 'crypto/tls\.\(\*Conn\)\.(Read|Write|Close)$$'
GO_TLSG_RE := '^runtime\.mcall$$'

GO_TESTDATA :=
GO_MANIFEST_ENTRIES :=

# go_bin_rules VERSION PROG VARIANT
define go_bin_rules
$(GO_TD)/$1/$2-$3: $(call go_srcs,$2) $(call go_dep,$1)
	@mkdir -p $$(@D)
	@echo "  GO      $$@"
	@cd testdata/go && $(call go_env,$1) $(GO_VENV_$3) $(call go_tool,$1) build \
		$(GO_VFLAGS_$3) -o $$(abspath $$@).tmp ./$2
	@mv $$@.tmp $$@

$(GO_TD)/$1/$2-$3.nm: $(GO_TD)/$1/$2-$(call go_twin,$3)
	@$(call go_env,$1) $(call go_tool,$1) tool nm -size -sort address $$< >$$@.tmp
	@mv $$@.tmp $$@

$(GO_TD)/$1/$2-$3.objdump: $(GO_TD)/$1/$2-$(call go_twin,$3)
	@$(call go_env,$1) $(call go_tool,$1) tool objdump -s $$(GO_OBJDUMP_RE) $$< >$$@.tmp
	@mv $$@.tmp $$@

$(GO_TD)/$1/$2-$3.tlsg: $(GO_TD)/$1/$2-$(call go_twin,$3)
	@$(call go_env,$1) $(call go_tool,$1) tool objdump -s $$(GO_TLSG_RE) $$< >$$@.tmp
	@mv $$@.tmp $$@

GO_TESTDATA += $(GO_TD)/$1/$2-$3 $(GO_TD)/$1/$2-$3.nm $(GO_TD)/$1/$2-$3.objdump
GO_TESTDATA += $(if $(filter arm64,$3),,$(GO_TD)/$1/$2-$3.tlsg)
GO_MANIFEST_ENTRIES += $1:$2:$3:$(or $(GO_VARCH_$3),amd64)
endef

# go_version_rules VERSION
define go_version_rules
$(foreach p,$(GO_PROGS_ALL),$(foreach v,$(GO_VARIANTS),$(eval $(call go_bin_rules,$1,$p,$v))))
$(foreach p,$(GO_PROGS_DEFAULT),$(eval $(call go_bin_rules,$1,$p,default)))
$(foreach p,$(GO_PROGS_CGO),$(eval $(call go_bin_rules,$1,$p,cgo)))

$(GO_TD)/$1/layoutoracle.txt: $(GO_TD)/$1/layoutoracle-default
	@$$< >$$@.tmp
	@mv $$@.tmp $$@

$(GO_TD)/$1/goversion.txt: $(call go_dep,$1)
	@mkdir -p $$(@D)
	@$(call go_env,$1) $(call go_tool,$1) env GOVERSION >$$@.tmp
	@mv $$@.tmp $$@

GO_TESTDATA += $(GO_TD)/$1/layoutoracle.txt $(GO_TD)/$1/goversion.txt
endef

$(foreach v,$(GO_VERSIONS),$(eval $(call go_version_rules,$v)))

$(foreach v,$(GO_EXTRACTED),$(BUILD)/toolchains/go$v/.stamp): $(BUILD)/toolchains/go%/.stamp: scripts/go-extract.sh
	scripts/go-extract.sh $* $(BUILD)
	@touch $@

# "MINOR GOVERSION PROGRAM VARIANT GOARCH PATH", PATH relative to the manifest.
$(GO_TD)/manifest.txt: testdata/go.mk $(foreach v,$(GO_VERSIONS),$(GO_TD)/$v/goversion.txt)
	@mkdir -p $(@D)
	@{ echo "# minor goversion program variant goarch path"; \
	for e in $(GO_MANIFEST_ENTRIES); do \
		set -- $$(echo $$e | tr : ' '); \
		echo "$$1 $$(cat $(GO_TD)/$$1/goversion.txt) $$2 $$3 $$4 $$1/$$2-$$3"; \
	done; } >$@.tmp
	@mv $@.tmp $@

GO_TESTDATA += $(GO_TD)/manifest.txt

.PHONY: go-testdata layouts
go-testdata: $(GO_TESTDATA)

# --- the per-Go-version layout table ---------------------------------------

GEN_LAYOUT := $(BUILD)/tools/gen_layout_table
# Every amd64/arm64 binary with DWARF of a version must agree on its row.
GO_LAYOUT_INPUTS = $(foreach v,$(GO_VERSIONS),$(foreach p,$(GO_PROGS_ALL),\
	$(foreach x,default pie cgo arm64,$(GO_TD)/$v/$p-$x)))

$(GEN_LAYOUT): tests/tools/gen_layout_table.c $(RESOLVER_LIB)
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(RESOLVER_CPPFLAGS) $(CFLAGS) -o $@ $< $(RESOLVER_LIB) $(LDLIBS)

layouts: $(GEN_LAYOUT) $(GO_LAYOUT_INPUTS) $(foreach v,$(GO_VERSIONS),$(GO_TD)/$v/goversion.txt)
	@echo "  GEN     resolver/golayout_table_data.c"
	@$(GEN_LAYOUT) $(foreach v,$(GO_VERSIONS),$(foreach b,$(filter $(GO_TD)/$v/%,$(GO_LAYOUT_INPUTS)),\
		$$(cat $(GO_TD)/$v/goversion.txt)=$b)) >resolver/golayout_table_data.c.tmp
	@mv resolver/golayout_table_data.c.tmp resolver/golayout_table_data.c

# --- benchmark-only programs -------------------------------------------------
# Built by one toolchain in the default variant only, and not in the
# manifest: no test reads them (make bench builds them).

GO_BENCH_VERSION ?= 1.22
GO_BENCH_PROGS := bulkserver
GO_BENCH := $(foreach p,$(GO_BENCH_PROGS),$(GO_TD)/$(GO_BENCH_VERSION)/$p-default)

# go_bench_rules PROG
define go_bench_rules
$(GO_TD)/$(GO_BENCH_VERSION)/$1-default: $(call go_srcs,$1) $(call go_dep,$(GO_BENCH_VERSION))
	@mkdir -p $$(@D)
	@echo "  GO      $$@"
	@cd testdata/go && $(call go_env,$(GO_BENCH_VERSION)) $(GO_VENV_default) \
		$(call go_tool,$(GO_BENCH_VERSION)) build -o $$(abspath $$@).tmp ./$1
	@mv $$@.tmp $$@
endef

$(foreach p,$(GO_BENCH_PROGS),$(eval $(call go_bench_rules,$p)))

.PHONY: go-bench
go-bench: $(GO_BENCH)
