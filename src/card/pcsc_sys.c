/*
 * card/ — reader names in UTF-8 over PC/SC: PCSC-Lite's char functions, WinSCard's wide
 * functions (pcsc_sys.h; docs/architecture.md, docs/windows.md).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "card/pcsc_sys.h"

#include "core/os.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
typedef wchar_t sys_char;
typedef SCARD_READERSTATEW sys_state;
#define SYS_LIST SCardListReadersW
#define SYS_CONNECT SCardConnectW
#define SYS_STATUS_CHANGE SCardGetStatusChangeW
#define SYS_STATUS SCardStatusW

static LONG conv_fail(void)
{
    return errno == ENOMEM ? (LONG)SCARD_E_NO_MEMORY : ONSHI__SCARD_BAD_NAME;
}

/* The system's form of a UTF-8 name (malloc'ed), NULL with errno. */
static sys_char *to_sys(const char *name)
{
    return onshi__os_utf16(name, strlen(name), NULL);
}

/* A multi-string of len units from the system → UTF-8 multi-string (malloc'ed). */
static char *from_sys_multi(const sys_char *m, size_t len)
{
    return onshi__os_utf8(m, len, NULL);
}

static void free_sys(sys_char *s)
{
    free(s);
}
#else
typedef char sys_char;
typedef SCARD_READERSTATE sys_state;
#define SYS_LIST SCardListReaders
#define SYS_CONNECT SCardConnect
#define SYS_STATUS_CHANGE SCardGetStatusChange
#define SYS_STATUS SCardStatus

static LONG conv_fail(void)
{
    return (LONG)SCARD_E_NO_MEMORY;
}

/* PCSC-Lite's names are UTF-8 already: no copies. */
static sys_char *to_sys(const char *name)
{
    return (sys_char *)name;
}

static char *from_sys_multi(const sys_char *m, size_t len)
{
    char *s = malloc(len + 1);
    if (s == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    memcpy(s, m, len);
    s[len] = '\0';
    return s;
}

static void free_sys(sys_char *s)
{
    (void)s;
}
#endif

LONG onshi__scard_list(SCARDCONTEXT hctx, char **names)
{
    *names = NULL;
    for (int attempt = 0; attempt < 3; attempt++) {
        DWORD len = 0;
        LONG rv = SYS_LIST(hctx, NULL, NULL, &len);
        if (rv != SCARD_S_SUCCESS)
            return rv;
        sys_char *buf = calloc((size_t)len + 2, sizeof *buf);
        if (buf == NULL)
            return (LONG)SCARD_E_NO_MEMORY;
        rv = SYS_LIST(hctx, NULL, buf, &len);
        if (rv == (LONG)SCARD_E_INSUFFICIENT_BUFFER) { /* a reader appeared in between */
            free(buf);
            continue;
        }
        if (rv != SCARD_S_SUCCESS) {
            free(buf);
            return rv;
        }
        /* len counts the final NUL(s); the two extra zero units end the list in any case. */
        size_t n = 0;
        while (n < len && !(buf[n] == 0 && (n == 0 || buf[n - 1] == 0)))
            n++;
        *names = from_sys_multi(buf, n + 1);
        free(buf);
        return *names != NULL ? (LONG)SCARD_S_SUCCESS : conv_fail();
    }
    return (LONG)SCARD_E_INSUFFICIENT_BUFFER;
}

LONG onshi__scard_connect(SCARDCONTEXT hctx, const char *reader, DWORD share, DWORD protos,
                          SCARDHANDLE *card, DWORD *proto)
{
    sys_char *r = to_sys(reader);
    if (r == NULL)
        return conv_fail();
    LONG rv = SYS_CONNECT(hctx, r, share, protos, card, proto);
    free_sys(r);
    return rv;
}

LONG onshi__scard_status_change(SCARDCONTEXT hctx, DWORD timeout, onshi__scard_state *rs,
                                size_t n)
{
    sys_state *ss = calloc(n ? n : 1, sizeof *ss);
    if (ss == NULL)
        return (LONG)SCARD_E_NO_MEMORY;
    LONG rv = SCARD_S_SUCCESS;
    size_t made = 0;
    for (; made < n; made++) {
        if ((ss[made].szReader = to_sys(rs[made].reader)) == NULL) {
            rv = conv_fail();
            break;
        }
        ss[made].dwCurrentState = rs[made].current;
    }
    if (rv == SCARD_S_SUCCESS) {
        rv = SYS_STATUS_CHANGE(hctx, timeout, ss, (DWORD)n);
        for (size_t i = 0; i < n; i++)
            rs[i].event = ss[i].dwEventState;
    }
    for (size_t i = 0; i < made; i++)
        free_sys((sys_char *)ss[i].szReader);
    free(ss);
    return rv;
}

LONG onshi__scard_status(SCARDHANDLE card, DWORD *state, DWORD *proto)
{
    DWORD namelen = 0, atrlen = 0;
    return SYS_STATUS(card, NULL, &namelen, state, proto, NULL, &atrlen);
}
