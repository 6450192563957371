/*
 * card/ — the PC/SC calls that carry reader names, with the names in UTF-8 on every platform.
 * The only place that knows how the system spells them: PCSC-Lite's char functions take UTF-8
 * as they are; on Windows the wide WinSCard functions (SCardListReadersW, SCardConnectW,
 * SCardGetStatusChangeW, SCardStatusW) are called and the names converted UTF-16 ⇄ UTF-8 by
 * the OS layer (onshi__os_utf16/onshi__os_utf8), so a reader whose name is not ASCII works
 * whatever the ANSI code page (the "A" functions would give CP932 bytes on a Japanese
 * Windows, or '?' for what the code page lacks). The other SCard* calls carry no name: the
 * driver (drv_pcsc.c) calls them directly, the same on both.
 * SPDX-License-Identifier: Apache-2.0
 */
#ifndef ONSHI_CARD_PCSC_SYS_H
#define ONSHI_CARD_PCSC_SYS_H

#include <stddef.h>
#include <winscard.h>

/* Returned instead of an SCARD code when a reader name does not convert (not UTF-16 from the
 * system, not UTF-8 from us). Not a PC/SC code: those are 0x8010xxxx. */
#define ONSHI__SCARD_BAD_NAME ((LONG)0x7F10BAD0)

/* A reader's state for onshi__scard_status_change: SCARD_READERSTATE's fields we use. */
typedef struct onshi__scard_state {
    const char *reader; /* UTF-8 */
    DWORD current;      /* dwCurrentState */
    DWORD event;        /* dwEventState (set by the call) */
} onshi__scard_state;

/* The reader names as a malloc'ed UTF-8 multi-string (each NUL-terminated, then one more
 * NUL) in *names; asks again when a reader appears between the two calls. SCARD_S_SUCCESS or
 * the failing code (SCARD_E_NO_MEMORY, ONSHI__SCARD_BAD_NAME, ...). */
LONG onshi__scard_list(SCARDCONTEXT hctx, char **names);
/* SCardConnect to the reader named in UTF-8. */
LONG onshi__scard_connect(SCARDCONTEXT hctx, const char *reader, DWORD share, DWORD protos,
                          SCARDHANDLE *card, DWORD *proto);
/* SCardGetStatusChange over n readers named in UTF-8. */
LONG onshi__scard_status_change(SCARDCONTEXT hctx, DWORD timeout, onshi__scard_state *rs,
                                size_t n);
/* SCardStatus without the reader name and ATR: the state and protocol only. */
LONG onshi__scard_status(SCARDHANDLE card, DWORD *state, DWORD *proto);

#endif
