# Compiler and flags of the Windows cross build (WIN=1; mk/windows.mk has the targets).
# Included by the Makefile right after its own flags, so that the rules defined from them
# (the public-API programs' flags) see these.
WIN_HOST = $(WIN_ARCH)-w64-mingw32
ifeq ($(WIN),1)
CC      := $(WIN_HOST)-gcc-posix
WINDRES := $(WIN_HOST)-windres
OBJDUMP := $(WIN_HOST)-objdump
AR      := $(WIN_HOST)-ar
# -D__USE_MINGW_ANSI_STDIO: C99 printf (%zu, %lld) whatever the C runtime; _WIN32_WINNT:
# Windows 7 and later (GetSystemTimePreciseAsFileTime is 8: Wine has it, see docs).
# The static dependencies are named so their headers do not ask for DLL imports.
WIN_DEFS := -D__USE_MINGW_ANSI_STDIO=1 -D_WIN32_WINNT=0x0602 -DLIBXML_STATIC -DCJSON_HIDE_SYMBOLS
BASE_CFLAGS := -std=$(CSTD) $(WARN) -Iinclude -Isrc $(WIN_DEFS) -I$(WIN_PREFIX)/include \
               -I$(WIN_PREFIX)/include/libxml2
LIB_CFLAGS  := $(BASE_CFLAGS) -DONSHI_BUILDING $(CFLAGS) $(CPPFLAGS)
# Tools and tests link the static archive: the header's declarations without dllimport.
APP_CFLAGS  := $(BASE_CFLAGS) -DONSHI_STATIC $(CFLAGS) $(CPPFLAGS)
# The CLI like a vendor's program: include/ only.
PUBLIC_APP_CFLAGS := -std=$(CSTD) $(WARN) -Iinclude $(WIN_DEFS) -DONSHI_STATIC $(CFLAGS) \
                     $(CPPFLAGS)
# Everything static except the system's DLLs: libgcc and winpthreads included, so nothing but
# Windows itself has to be installed next to the DLL.
APP_LDFLAGS := -static $(LDFLAGS)
DEP_LIBS := -L$(WIN_PREFIX)/lib -lxml2 -lzip -lz -lsqlite3 -lcjson -lhttp_parser -lmbedtls \
            -lmbedx509 -lmbedcrypto -lwinscard -lws2_32 -lbcrypt -ladvapi32 -lpthread $(LDLIBS)

endif
