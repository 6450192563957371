# Windows: libonshi-<major>.dll for x86_64 and i686, cross-built with Debian's mingw-w64 and
# tested under Wine (docs/windows.md). Included by the Makefile.
#
#   make windows ARCH=x86_64|i686   dependencies (tools/win-deps.sh, cached outside the repo),
#                                   then the DLL, import library, .def, onshi.exe, the examples
#                                   and the test programs in build/win-ARCH/
#   make check-windows              both builds; x86_64 tests under wine64, i686 checked
#                                   statically (32-bit programs cannot run on this kernel)
#
# The sub-make runs with WIN=1 WIN_ARCH=... WIN_PREFIX=...: the Makefile's object rules are
# reused with the cross compiler and the flags below.
SPDX_WINDOWS_MK := Apache-2.0

ARCH ?= x86_64
WIN_ARCHS := x86_64 i686
WIN_DLL_NAME := libonshi-$(VERSION_MAJOR).dll


.PHONY: windows check-windows check-windows-run check-windows-if-toolchain win-all win-check-static win-check-run

ifeq ($(WIN),1)
WIN_LIBDIR := $(OUTLIB)
WIN_DLL    := $(WIN_LIBDIR)/$(WIN_DLL_NAME)
WIN_IMPLIB := $(WIN_LIBDIR)/libonshi.dll.a
WIN_DEF    := $(WIN_LIBDIR)/libonshi.def
WIN_STATIC := $(WIN_LIBDIR)/libonshi.a
WIN_RES    := $(B)/obj/onshi-rc.o

$(B)/onshi.rc: lib/onshi.rc.in Makefile
	@mkdir -p $(dir $@)
	sed -e 's/@MAJOR@/$(VERSION_MAJOR)/g' -e 's/@MINOR@/$(VERSION_MINOR)/g' \
	    -e 's/@PATCH@/$(VERSION_PATCH)/g' -e 's/@VERSION@/$(VERSION)/g' \
	    -e 's/@ARCH@/$(WIN_ARCH)/g' $< > $@
$(WIN_RES): $(B)/onshi.rc
	$(WINDRES) $< -O coff -o $@

# The DLL exports exactly what the header marks ONSHI_API (dllexport): the same onshi_* set
# as lib/onshi.map on Linux (test/scripts/check-win-exports.sh). cdecl (ONSHI_CALL): no
# decoration on x86_64; on i686 --kill-at keeps the names plain as well.
$(WIN_DLL): $(LIB_OBJ) $(WIN_RES)
	@mkdir -p $(dir $@)
	$(CC) -shared -o $@ $(LIB_OBJ) $(WIN_RES) -Wl,--out-implib,$(WIN_IMPLIB) \
	    -Wl,--output-def,$(WIN_DEF) -Wl,--no-undefined -Wl,--kill-at -Wl,--nxcompat \
	    -Wl,--dynamicbase -Wl,--exclude-libs,ALL $(APP_LDFLAGS) $(DEP_LIBS)
$(WIN_IMPLIB) $(WIN_DEF): $(WIN_DLL)


# onshi.exe: the CLI from the static archive, like on Linux.
WIN_TOOLS := onshi
$(B)/bin/onshi.exe: $(onshi_OBJ) $(WIN_STATIC)
	@mkdir -p $(dir $@)
	$(CC) -o $@ $(onshi_OBJ) $(WIN_STATIC) $(APP_LDFLAGS) $(DEP_LIBS)

# Examples against the DLL's import library, as a vendor links.
WIN_EXAMPLES := $(EXAMPLES:%=$(B)/examples/%.exe)
$(B)/examples/%.exe: examples/%.c $(WIN_DLL) include/onshi.h
	@mkdir -p $(dir $@)
	$(CC) -std=$(CSTD) $(WARN) -D__USE_MINGW_ANSI_STDIO=1 -Iinclude $(CFLAGS) -o $@ $< \
	    $(WIN_IMPLIB) -static

# Test programs see a few POSIX calls mapped onto the OS layer (test/support/win_posix.h).
# cmocka.h declares its printer with the C runtime's format (no %zu on i686): -Wno-format.
$(B)/app/test/%.o $(B)/app/tools/onshi-pki/%.o: APP_CFLAGS += -include test/support/win_posix.h \
    -Itest/support/win -Wno-format
# The fake JPKI server of the card-authentication test is POSIX sockets and threads: not part
# of the Windows test support.
WIN_TESTSUPPORT_OBJ := $(filter-out %/fake_jpki.o,$(TESTSUPPORT_OBJ))
$(B)/libtestsupport-win.a: $(WIN_TESTSUPPORT_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $(WIN_TESTSUPPORT_OBJ)

# Unit tests that build for Windows. The others need POSIX test scaffolding (fork and wait,
# FIFOs, symbolic links, signals, resource limits, glibc's iconv as the reference): they run
# on Linux only; docs/windows.md lists them and what covers their subject on Windows.
WIN_UNIT_EXCLUDE ?= transport/test_file transport/test_filestore core/test_store \
    core/test_random codec/test_hostile codec/test_codec codec/test_wipe \
    service/test_batch service/test_batch_cli service/test_cardauth pki/test_pki \
    card/test_pcsc card/test_pcsc_driver vcard/test_vcard cli/test_cli_line
WIN_UNIT_SRC  := $(filter-out $(WIN_UNIT_EXCLUDE:%=test/unit/%.c),$(UNIT_SRC))
WIN_UNIT_BINS := $(WIN_UNIT_SRC:%.c=$(B)/%.exe)
$(B)/test/unit/%.exe: $(B)/app/test/unit/%.o $(WIN_STATIC) $(B)/libtestsupport-win.a
	@mkdir -p $(dir $@)
	$(CC) -o $@ $< $(B)/libtestsupport-win.a $(WIN_STATIC) $(APP_LDFLAGS) \
	    -L$(WIN_PREFIX)/lib -lcmocka-static $(DEP_LIBS)

win-all: $(WIN_DLL) $(WIN_STATIC) $(B)/bin/onshi.exe $(WIN_EXAMPLES) $(WIN_UNIT_BINS)

# ---- checks of one architecture (run by check-windows) ---------------------------------------
WIN_PE_FORMAT := $(if $(filter i686,$(WIN_ARCH)),pei-i386,pei-x86-64)
WIN_LINUX_SO  ?= lib/libonshi.so.$(VERSION)
win-check-static: win-all
	@$(RUN) script $(RESULTS) "windows $(WIN_ARCH): DLL exports = Linux onshi_* set" \
	    sh test/scripts/check-win-exports.sh $(OBJDUMP) $(WIN_DLL) $(WIN_LINUX_SO)
	@$(RUN) script $(RESULTS) "windows $(WIN_ARCH): $(WIN_PE_FORMAT), system DLLs only, version resource" \
	    sh test/scripts/check-win-pe.sh $(OBJDUMP) $(WIN_PE_FORMAT) $(WIN_DLL_NAME) $(WIN_DLL) \
	    $(B)/bin/onshi.exe $(WIN_EXAMPLES) $(WIN_UNIT_BINS)

# x64 only: the unit tests and the end-to-end test under wine64 (own prefix in build/).
# Drive N: of the prefix is a folder of build/ that Wine reports as a network drive
# (DRIVE_REMOTE; the drive type is read when the wineserver starts): test_os checks there that
# the folder watch falls back to nameless change notifications on a network path.
WINE64      ?= /usr/lib/wine/wine64
WIN_WINEPREFIX := $(abspath build/wine)
WIN_NETDIR  := $(abspath build/wine-net)
win-check-run: win-all
	@mkdir -p $(WIN_WINEPREFIX)
	@WINEPREFIX=$(WIN_WINEPREFIX) WINEDEBUG=-all $(WINE64) wineboot -i >/dev/null 2>&1 || true
	@rm -rf $(WIN_NETDIR) && mkdir -p $(WIN_NETDIR) && \
	    ln -sfn $(WIN_NETDIR) $(WIN_WINEPREFIX)/dosdevices/n:
	@WINEPREFIX=$(WIN_WINEPREFIX) WINEDEBUG=-all $(WINE64) reg add 'HKLM\Software\Wine\Drives' \
	    /v n: /d network /f >/dev/null 2>&1 || true
	@WINEPREFIX=$(WIN_WINEPREFIX) $(dir $(WINE64))wineserver -k 2>/dev/null || true
	@WINEPREFIX=$(WIN_WINEPREFIX) WINEDEBUG=-all ONSHI_TEST_WRAP=$(WINE64) ONSHI_TEST_NET_DRIVE=N: \
	    $(RUN) cmocka $(RESULTS) $(WIN_UNIT_BINS)
	@$(RUN) script $(RESULTS) "windows x64 under Wine: files (Japanese folder, pending, half-written) and HTTPS against onshi-sim" \
	    bash test/windows/e2e-sim.sh build/default/bin/onshi-sim $(B) $(WIN_WINEPREFIX)
	@WINEPREFIX=$(WIN_WINEPREFIX) $(dir $(WINE64))wineserver -k 2>/dev/null || true
endif

# ---- entry points (host make) ----------------------------------------------------------------
# Is the cross toolchain there? (`make check` runs check-windows only then; .ci/run installs it.)
WIN_TOOLCHAIN := $(shell command -v x86_64-w64-mingw32-gcc-posix >/dev/null 2>&1 && \
                   command -v i686-w64-mingw32-gcc-posix >/dev/null 2>&1 && \
                   test -x /usr/lib/wine/wine64 && echo yes)
WIN_RESULTS := build/windows/results.txt

# Both architectures built; x64 run under Wine; x86 checked statically (32-bit programs cannot
# run on a kernel without IA32 emulation). RESULTS may name the caller's results file.
check-windows-run: $(SHLIB) build/default/bin/onshi-sim
	@for a in $(WIN_ARCHS); do $(MAKE) --no-print-directory windows ARCH=$$a || exit 1; done
	@. ./build/win-i686/deps.env && $(MAKE) --no-print-directory WIN=1 WIN_ARCH=i686 \
	    WIN_PREFIX="$$WIN_PREFIX" WIN_LINUX_SO=$(SHLIB) RESULTS=$(abspath $(RESULTS)) win-check-static
	@. ./build/win-x86_64/deps.env && $(MAKE) --no-print-directory WIN=1 WIN_ARCH=x86_64 \
	    WIN_PREFIX="$$WIN_PREFIX" WIN_LINUX_SO=$(SHLIB) RESULTS=$(abspath $(RESULTS)) \
	    win-check-static win-check-run

check-windows-if-toolchain:
ifeq ($(WIN_TOOLCHAIN),yes)
	@$(MAKE) --no-print-directory check-windows-run
else
	@echo "check-windows skipped: no mingw-w64 cross compiler or wine64 (make deps installs them)"
endif

check-windows: deps
	@mkdir -p build/windows && rm -f $(WIN_RESULTS)
	@$(MAKE) --no-print-directory check-windows-run RESULTS=$(WIN_RESULTS)
	@$(RUN) summary $(WIN_RESULTS)

windows:
	@case "$(ARCH)" in x86_64|i686) ;; *) echo "ARCH=$(ARCH): x86_64 or i686" >&2; exit 2 ;; esac
	@mkdir -p build/win-$(ARCH)
	@sh tools/win-deps.sh $(ARCH) > build/win-$(ARCH)/deps.env
	@. ./build/win-$(ARCH)/deps.env && $(MAKE) --no-print-directory WIN=1 WIN_ARCH=$(ARCH) \
	    WIN_PREFIX="$$WIN_PREFIX" win-all
