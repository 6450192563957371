# libonshi — GNU make build (no autotools). README.md lists the targets.
# SPDX-License-Identifier: Apache-2.0
#
# Layout of what is built:
#   lib/libonshi.so.X.Y.Z (+ .so.1, .so links) and lib/libonshi.a   default build
#   build/default/...   objects, tools (bin/), tests       build/asan/...  SANITIZE=1 twin
# Folders plug in through an optional module.mk (src/*/, tools/*/, test/*/, test/unit/*/,
# bench/, examples/) that appends to the variables documented in docs/build.md.

VERSION_MAJOR := 1
VERSION_MINOR := 0
VERSION_PATCH := 0
VERSION       := $(VERSION_MAJOR).$(VERSION_MINOR).$(VERSION_PATCH)

# GNU installation directories; DESTDIR is prepended at install time only.
PREFIX       ?= /usr/local
EXEC_PREFIX  ?= $(PREFIX)
BINDIR       ?= $(EXEC_PREFIX)/bin
LIBDIR       ?= $(EXEC_PREFIX)/lib
INCLUDEDIR   ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
DESTDIR      ?=
INSTALL      ?= install

CC       ?= cc
CXX      ?= c++
CFLAGS   ?= -O2 -g
SANITIZE ?= 0

FUZZ ?= 0
TSAN ?= 0
ifeq ($(FUZZ),1)
  # libFuzzer build (clang): coverage-instrumented library and targets (test/fuzz/module.mk)
  B      := build/fuzz
  OUTLIB := build/fuzz/lib
  SAN    := -fsanitize=address,undefined,fuzzer-no-link -fno-omit-frame-pointer
else ifeq ($(TSAN),1)
  # ThreadSanitizer build of what the thread test needs (test/threads/module.mk)
  B      := build/tsan
  OUTLIB := build/tsan/lib
  SAN    := -fsanitize=thread -fno-omit-frame-pointer
else ifeq ($(SANITIZE),1)
  B      := build/asan
  OUTLIB := build/asan/lib
  SAN    := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
else
  B      := build/default
  OUTLIB := lib
  SAN    :=
endif

# Foreign libraries. mbedTLS and http-parser have no .pc file on Debian.
PC_PKGS   := libxml-2.0 libpcsclite sqlite3 libcjson libzip
PC_CFLAGS := $(shell pkg-config --cflags $(PC_PKGS) 2>/dev/null)
PC_LIBS   := $(shell pkg-config --libs $(PC_PKGS) 2>/dev/null)
# LDLIBS: more libraries after these (the compatibility job's static libxml2 needs -lm).
DEP_LIBS  := $(PC_LIBS) -lhttp_parser -lmbedtls -lmbedx509 -lmbedcrypto -lpthread $(LDLIBS)

# Warnings are always on; -Werror only when asked (WERROR=1: CI and developers), never forced
# on a user's build, where a newer compiler or library may add a warning we have not seen.
WERROR    ?= 0
WARN      := -Wall -Wextra $(if $(filter 1,$(FUZZ)),,$(if $(filter 1,$(WERROR)),-Werror))
# The C standard of src/, tools and tests (the compatibility job also builds with c2x).
CSTD      ?= c11
BASE_CFLAGS := -std=$(CSTD) $(WARN) -fvisibility=hidden -fPIC -Iinclude -Isrc \
               -D_DEFAULT_SOURCE $(PC_CFLAGS) $(SAN)
LIB_CFLAGS  := $(BASE_CFLAGS) -DONSHI_BUILDING $(CFLAGS) $(CPPFLAGS)
# Tests (and onshi-sim, onshi-vcard, onshi-docgen) see internal headers too (they link the
# static archive).
APP_CFLAGS  := $(BASE_CFLAGS) $(CFLAGS) $(CPPFLAGS)
# The CLI, the demo and the benchmarks are built like a vendor's program: include/ only, no
# -Isrc; `make public-api-test` checks that their objects use no internal symbol either.
PUBLIC_APP_CFLAGS := -std=$(CSTD) $(WARN) -fPIC -Iinclude -D_DEFAULT_SOURCE $(PC_CFLAGS) $(SAN) \
                     $(CFLAGS) $(CPPFLAGS)
PUBLIC_APP_DIRS   := tools/onshi tools/demo bench
APP_LDFLAGS := $(SAN) $(LDFLAGS)

SONAME   := libonshi.so.$(VERSION_MAJOR)
SHLIB    := $(OUTLIB)/libonshi.so.$(VERSION)
STATICLIB := $(OUTLIB)/libonshi.a

LIB_SRC  := $(sort $(wildcard src/*/*.c))
LIB_OBJ  := $(LIB_SRC:%.c=$(B)/obj/%.o)

# ---- variables module.mk files append to -------------------------------------------------
TESTSUPPORT_SRC := $(wildcard test/support/*.c)
UNIT_TESTS      :=            # extra unit-test binaries (the test/unit/*/test_*.c are automatic)
TOOLS           := $(notdir $(patsubst %/,%,$(dir $(wildcard tools/*/main.c))))
CHECK_TARGETS   :=            # run by `make check` after the unit tests (default build)
SAN_CHECK_TARGETS :=          # also run by the SANITIZE=1 pass of `make check`
BENCH_TARGETS   :=            # run by `make bench`
EXAMPLES        := $(basename $(notdir $(wildcard examples/*.c)))
INSTALL_TOOLS   :=            # tools installed into BINDIR by `make install`
CLEAN_EXTRA     :=

-include $(wildcard src/*/module.mk tools/*/module.mk test/*/module.mk test/unit/*/module.mk \
                    bindings/*/module.mk bench/module.mk examples/module.mk)

.PHONY: all lib tools examples check check-default check-sanitize deps install uninstall unit-build \
        clean abi-check abi-baseline docs bench unit header-test exports-test install-test \
        status-table-test docs-test demo check-compat compat-build
.DEFAULT_GOAL := all
# Keep intermediate objects (tests are built from them through pattern rules).
.SECONDARY:

all: lib tools

lib: $(SHLIB) $(OUTLIB)/$(SONAME) $(OUTLIB)/libonshi.so $(STATICLIB)

$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(LIB_CFLAGS) -MMD -MP -c $< -o $@

$(SHLIB): $(LIB_OBJ) lib/onshi.map
	@mkdir -p $(dir $@)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/onshi.map -Wl,--no-undefined -Wl,--as-needed \
	    -o $@ $(LIB_OBJ) $(APP_LDFLAGS) $(DEP_LIBS)

$(OUTLIB)/$(SONAME): $(SHLIB)
	ln -sf $(notdir $(SHLIB)) $@

$(OUTLIB)/libonshi.so: $(OUTLIB)/$(SONAME)
	ln -sf $(SONAME) $@

$(STATICLIB): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(LIB_OBJ)

# ---- objects of programs (tools, tests, examples, benches) --------------------------------
$(B)/app/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(APP_CFLAGS) -MMD -MP -c $< -o $@

$(foreach d,$(PUBLIC_APP_DIRS),$(eval $(B)/app/$(d)/%.o: APP_CFLAGS := $(PUBLIC_APP_CFLAGS)))
PUBLIC_APP_OBJ := $(patsubst %.c,$(B)/app/%.o,$(foreach d,$(PUBLIC_APP_DIRS),\
                    $(wildcard $(d)/*.c $(d)/*/*.c)))

# The programs built on the public API reference no internal (onshi__) symbol.
CHECK_TARGETS += public-api-test
.PHONY: public-api-test
public-api-test: $(PUBLIC_APP_OBJ)
	@$(RUN) script $(RESULTS) "CLI, demo and benchmarks use the public API only" \
	    sh test/scripts/check-public-api.sh $(PUBLIC_APP_OBJ)

TESTSUPPORT_OBJ := $(TESTSUPPORT_SRC:%.c=$(B)/app/%.o)
TESTSUPPORT_LIB := $(B)/libtestsupport.a
$(TESTSUPPORT_LIB): $(TESTSUPPORT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	ar rcs $@ $(TESTSUPPORT_OBJ) $(if $(TESTSUPPORT_OBJ),,)

# Tools: tools/NAME/*.c (with main.c) → $(B)/bin/NAME, linked with the static library so
# they may use internal layer APIs. NAME_EXTRA_OBJ / NAME_LIBS may come from module.mk.
define tool_rule
$(1)_OBJ := $$(patsubst %.c,$(B)/app/%.o,$$(wildcard tools/$(1)/*.c)) $$($(1)_EXTRA_OBJ)
$(B)/bin/$(1): $$($(1)_OBJ) $(STATICLIB)
	@mkdir -p $$(dir $$@)
	$(CC) -o $$@ $$($(1)_OBJ) $(STATICLIB) $$($(1)_LIBS) $(APP_LDFLAGS) $(DEP_LIBS)
endef
$(foreach t,$(TOOLS),$(eval $(call tool_rule,$(t))))
tools: $(TOOLS:%=$(B)/bin/%)

# Unit tests: test/unit/LAYER/test_*.c, each its own cmocka program.
UNIT_SRC   := $(sort $(wildcard test/unit/*/test_*.c))
UNIT_BINS  := $(UNIT_SRC:%.c=$(B)/%) $(UNIT_TESTS)
$(B)/test/unit/%: $(B)/app/test/unit/%.o $(STATICLIB) $(TESTSUPPORT_LIB)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(TESTSUPPORT_LIB) $(STATICLIB) $(APP_LDFLAGS) $(DEP_LIBS) -lcmocka

# Examples (CC0): each examples/NAME.c against the shared library, as a vendor would link.
EXAMPLE_BINS := $(EXAMPLES:%=$(B)/examples/%)
# (the libonshi.so link too: without it -lonshi would pick the static archive under make -j2)
$(B)/examples/%: examples/%.c $(SHLIB) $(OUTLIB)/libonshi.so include/onshi.h include/onshi_transport.h
	@mkdir -p $(dir $@)
	$(CC) -std=$(CSTD) $(WARN) -Iinclude $(SAN) $(CFLAGS) -o $@ $< -L$(OUTLIB) -lonshi \
	    -Wl,-rpath,$(abspath $(OUTLIB)) $(APP_LDFLAGS)
examples: $(EXAMPLE_BINS)

# ---- deps: install missing Debian packages (idempotent; quiet when all are present) -------
deps:
	@sh tools/deps.sh

# ---- check ---------------------------------------------------------------------------------
RESULTS := build/results.txt
RUN     := sh test/run.sh

# `make check` = deps, then the default build with every test, then the unit tests, fuzz
# corpora and SAN_CHECK_TARGETS again under ASan+UBSan; it ends with one summary line.
# The sub-makes re-read pkg-config after deps may have installed packages.
# `make check SANITIZE=1` runs only the sanitizer pass (what is meaningful under ASan).
check: deps
	@mkdir -p build && rm -f $(RESULTS)
ifneq ($(SANITIZE),1)
	@$(MAKE) --no-print-directory check-default
endif
	@$(MAKE) --no-print-directory SANITIZE=1 check-sanitize
	@$(RUN) summary $(RESULTS)

check-default: all examples unit header-test exports-test status-table-test docs-test \
               abi-check install-test $(CHECK_TARGETS)

check-sanitize: all unit $(SAN_CHECK_TARGETS)

# Build every unit-test program without running it.
unit-build: $(UNIT_BINS)

unit: $(UNIT_BINS)
	@$(RUN) cmocka $(RESULTS) $(UNIT_BINS)

header-test: include/onshi.h include/onshi_transport.h
	@mkdir -p $(B)/header
	@$(RUN) script $(RESULTS) "header as C89 -pedantic" \
	    $(CC) -std=c89 -pedantic -Wall -Wextra -Werror -Iinclude -c test/header/c89.c \
	    -o $(B)/header/c89.o
	@$(RUN) script $(RESULTS) "header as C++" \
	    $(CXX) -std=c++11 -pedantic -Wall -Wextra -Werror -Iinclude -c test/header/cxx.cc \
	    -o $(B)/header/cxx.o

exports-test: $(SHLIB)
	@$(RUN) script $(RESULTS) "exports only onshi_*" sh test/scripts/check-exports.sh $(SHLIB)

status-table-test:
	@$(RUN) script $(RESULTS) "status codes: header = table" \
	    sh test/scripts/check-status-table.sh include/onshi.h src/core/status.def

install-test: lib
	@$(RUN) script $(RESULTS) "install + pkg-config" \
	    sh test/scripts/check-install.sh "$(MAKE)" "$(CC)"

# ---- compatibility job (docs/build.md): mbedTLS 3.6 LTS + the newest libxml2 ----------------
# tools/compat-deps.sh builds both from Debian's newer source packages into a cache outside
# the repository (reused); then libonshi is built against them in build/compat and its unit,
# HTTPS and codec end-to-end tests run there; then a clang build and a -std=c2x build (of the
# library, tools and tests) against the same libraries. .ci/run runs it after `make check`.
COMPAT_TESTS := unit https-integration https-batch-integration cli-codec-test e2e-verify-cli \
                e2e-verify-sim sim-test-https compat-versions
COMPAT_RESULTS := build/compat/results.txt
check-compat: deps
	@mkdir -p build/compat && rm -f $(COMPAT_RESULTS)
	@sh tools/compat-deps.sh >build/compat/deps.env
	@. ./build/compat/deps.env && \
	 set -- B=build/compat/gcc OUTLIB=build/compat/gcc/lib RESULTS=$(COMPAT_RESULTS) \
	     CPPFLAGS="-I$$MBEDTLS_PREFIX/include $(CPPFLAGS)" \
	     LDFLAGS="-L$$MBEDTLS_PREFIX/lib $(LDFLAGS)" LDLIBS="-lm $(LDLIBS)" \
	     COMPAT_MBEDTLS="$$MBEDTLS_PREFIX" COMPAT_LIBXML2="$$LIBXML2_PREFIX" && \
	 export PKG_CONFIG_PATH="$$LIBXML2_PREFIX/lib/pkgconfig" && \
	 $(MAKE) --no-print-directory "$$@" all examples $(COMPAT_TESTS) && \
	 $(MAKE) --no-print-directory "$$@" CC=clang CXX=clang++ B=build/compat/clang \
	     OUTLIB=build/compat/clang/lib compat-build && \
	 $(MAKE) --no-print-directory "$$@" CSTD=c2x B=build/compat/c2x OUTLIB=build/compat/c2x/lib \
	     compat-build
	@$(RUN) summary $(COMPAT_RESULTS)

# One more compiler or standard: library, tools, examples and every test program build
# warning-free (-Werror with WERROR=1), and the unit tests pass.
compat-build: all examples unit-build
	@$(RUN) script $(RESULTS) "compat: $(notdir $(CC)) -std=$(CSTD) builds (library, tools, tests)" true
	@$(RUN) cmocka $(RESULTS) $(UNIT_BINS)

# The compat build really uses the libraries it was pointed at (not the system's).
compat-versions: $(B)/bin/compat-versions
	@$(RUN) script $(RESULTS) "compat: built and running against $(notdir $(COMPAT_MBEDTLS)), $(notdir $(COMPAT_LIBXML2))" \
	    sh -c 'out=$$($(B)/bin/compat-versions) && echo "$$out" && \
	           echo "$$out" | grep -qx "mbedtls $(subst mbedtls-,,$(notdir $(COMPAT_MBEDTLS))) $(subst mbedtls-,,$(notdir $(COMPAT_MBEDTLS)))" && \
	           echo "$$out" | grep -q "^libxml2 $(subst libxml2-,,$(notdir $(COMPAT_LIBXML2))) "'
$(B)/bin/compat-versions: $(B)/app/test/compat/versions.o
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(APP_LDFLAGS) $(DEP_LIBS)

# ---- ABI (libabigail) ---------------------------------------------------------------------
ABI_BASELINE := lib/onshi.abi
abi-check: $(SHLIB)
	@$(RUN) script $(RESULTS) "ABI matches lib/onshi.abi" \
	    sh test/scripts/check-abi.sh $(SHLIB) $(ABI_BASELINE) $(B)/onshi.abi

# A deliberate ABI change: regenerate the baseline, commit it with a CHANGELOG "ABI:" line.
abi-baseline: $(SHLIB)
	abidw --headers-dir include --drop-private-types --no-corpus-path --no-comp-dir-path --out-file $(ABI_BASELINE) $(SHLIB)
	@echo "wrote $(ABI_BASELINE); add an 'ABI:' line to CHANGELOG.md"

# ---- generated docs -------------------------------------------------------------------------
DOCGEN := $(B)/bin/onshi-docgen
docs: $(DOCGEN)
	$(DOCGEN) options > docs/options.md
	$(DOCGEN) status > docs/status-codes.md

docs-test: $(DOCGEN)
	@$(RUN) script $(RESULTS) "docs/options.md and docs/status-codes.md up to date" \
	    sh test/scripts/check-docs.sh $(DOCGEN)

# ---- benchmarks (not tests: they print ratios against a peer measured in the same run) ----
bench: all $(BENCH_TARGETS)

# ---- install / uninstall --------------------------------------------------------------------
install: lib
	$(INSTALL) -d $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(PKGCONFIGDIR)
	$(INSTALL) -m 644 include/onshi.h $(DESTDIR)$(INCLUDEDIR)/onshi.h
	$(INSTALL) -m 644 include/onshi_transport.h $(DESTDIR)$(INCLUDEDIR)/onshi_transport.h
	$(INSTALL) -m 755 $(SHLIB) $(DESTDIR)$(LIBDIR)/libonshi.so.$(VERSION)
	ln -sf libonshi.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libonshi.so
	$(INSTALL) -m 644 $(STATICLIB) $(DESTDIR)$(LIBDIR)/libonshi.a
	sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@LIBDIR@|$(LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|g' -e 's|@VERSION@|$(VERSION)|g' \
	    lib/onshi.pc.in > $(DESTDIR)$(PKGCONFIGDIR)/onshi.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/onshi.pc
	@for t in $(INSTALL_TOOLS); do \
	    $(INSTALL) -d $(DESTDIR)$(BINDIR) && $(INSTALL) -m 755 $(B)/bin/$$t $(DESTDIR)$(BINDIR)/$$t; \
	done

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/onshi.h $(DESTDIR)$(INCLUDEDIR)/onshi_transport.h $(DESTDIR)$(LIBDIR)/libonshi.so.$(VERSION) \
	      $(DESTDIR)$(LIBDIR)/$(SONAME) $(DESTDIR)$(LIBDIR)/libonshi.so \
	      $(DESTDIR)$(LIBDIR)/libonshi.a $(DESTDIR)$(PKGCONFIGDIR)/onshi.pc \
	      $(INSTALL_TOOLS:%=$(DESTDIR)$(BINDIR)/%)

clean:
	rm -rf build lib/libonshi.so* lib/libonshi.a $(CLEAN_EXTRA)

-include $(shell find $(B) -name '*.d' 2>/dev/null)
