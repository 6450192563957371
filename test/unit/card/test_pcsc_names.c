/* card: reader names that are not ASCII, through the PC/SC driver, against a fake WinSCard
 * defined in this program (the static link resolves the SCard* calls of libonshi.a to these).
 * On Windows the fake has only the wide ("W") functions with UTF-16 names, and its ANSI ("A")
 * functions fail the test when called: the library must list, match, wait on, connect to and
 * query a reader named in Japanese (and one outside the BMP) and give the names in UTF-8. On
 * Linux the same test runs against PCSC-Lite's char functions (UTF-8 as they are). A name
 * the system gives that is not UTF-16 is an error that says so (Windows).
 * Wine's own winscard.dll is stubs (no reader ever): this fake is what runs under Wine.
 * SPDX-License-Identifier: Apache-2.0
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "../../support/api.h"
#include "card/card.h"

#include <stdlib.h>
#include <string.h>
#include <winscard.h>

#ifdef _WIN32
#define FAKE_API WINAPI
#else
#define FAKE_API
#endif

/* ICカードリーダー 髙 00 00, and 𠮷 (U+20BB7, a surrogate pair in UTF-16) Reader 01 00. */
#define NAME0 "IC\xE3\x82\xAB\xE3\x83\xBC\xE3\x83\x89\xE3\x83\xAA\xE3\x83\xBC\xE3\x83\x80\xE3\x83\xBC \xE9\xAB\x99 00 00"
#define NAME1 "\xF0\xA0\xAE\xB7 Reader 01 00"

static struct {
    int present[2];
    int connected;   /* SCardConnect got exactly the second reader's name */
    int status_calls;
    int bad_name;    /* Windows: the list holds a lone surrogate */
    int contexts;
} F;

LONG FAKE_API SCardEstablishContext(DWORD scope, LPCVOID r1, LPCVOID r2, LPSCARDCONTEXT h)
{
    (void)scope;
    (void)r1;
    (void)r2;
    *h = 0x1234;
    F.contexts++;
    return SCARD_S_SUCCESS;
}

LONG FAKE_API SCardReleaseContext(SCARDCONTEXT h)
{
    (void)h;
    F.contexts--;
    return SCARD_S_SUCCESS;
}

LONG FAKE_API SCardDisconnect(SCARDHANDLE card, DWORD disp)
{
    (void)card;
    (void)disp;
    return SCARD_S_SUCCESS;
}

#ifdef _WIN32
typedef wchar_t ch;
#define CH_LEN wcslen
#define CH_CMP wcscmp
static const wchar_t *const names[2] = {
    L"IC\x30AB\x30FC\x30C9\x30EA\x30FC\x30C0\x30FC \x9AD9 00 00",
    L"\xD842\xDFB7 Reader 01 00",
};
static const wchar_t bad[] = L"\xD842 Reader 02 00"; /* a high surrogate alone */
#else
typedef char ch;
#define CH_LEN strlen
#define CH_CMP strcmp
static const char *const names[2] = {NAME0, NAME1};
#endif

static LONG list(ch *buf, DWORD *len)
{
    const ch *v[2] = {names[0], names[1]};
#ifdef _WIN32
    if (F.bad_name)
        v[1] = bad;
#endif
    DWORD need = 1;
    for (int i = 0; i < 2; i++)
        need += (DWORD)CH_LEN(v[i]) + 1;
    if (buf == NULL) {
        *len = need;
        return SCARD_S_SUCCESS;
    }
    if (*len < need)
        return SCARD_E_INSUFFICIENT_BUFFER;
    ch *p = buf;
    for (int i = 0; i < 2; i++) {
        memcpy(p, v[i], (CH_LEN(v[i]) + 1) * sizeof *p);
        p += CH_LEN(v[i]) + 1;
    }
    *p = 0;
    *len = need;
    return SCARD_S_SUCCESS;
}

static DWORD state_of(const ch *name)
{
    for (int i = 0; i < 2; i++)
        if (CH_CMP(name, names[i]) == 0)
            return F.present[i] ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY;
    return SCARD_STATE_UNKNOWN;
}

static LONG connect_to(const ch *reader, LPSCARDHANDLE card, LPDWORD proto)
{
    if (CH_CMP(reader, names[1]) != 0)
        return SCARD_E_UNKNOWN_READER;
    F.connected++;
    *card = 0x5678;
    *proto = SCARD_PROTOCOL_T1;
    return SCARD_S_SUCCESS;
}

static LONG status(LPDWORD namelen, LPDWORD state, LPDWORD proto, LPDWORD atrlen)
{
    F.status_calls++;
    if (namelen)
        *namelen = 0;
    if (atrlen)
        *atrlen = 0;
    *state = SCARD_SPECIFIC;
    *proto = SCARD_PROTOCOL_T1;
    return SCARD_S_SUCCESS;
}

#ifdef _WIN32
LONG WINAPI SCardListReadersW(SCARDCONTEXT h, LPCWSTR groups, LPWSTR buf, LPDWORD len)
{
    (void)h;
    (void)groups;
    return list(buf, len);
}

LONG WINAPI SCardGetStatusChangeW(SCARDCONTEXT h, DWORD timeout, LPSCARD_READERSTATEW rs,
                                  DWORD n)
{
    (void)h;
    (void)timeout;
    for (DWORD i = 0; i < n; i++)
        rs[i].dwEventState = state_of(rs[i].szReader);
    return SCARD_S_SUCCESS;
}

LONG WINAPI SCardConnectW(SCARDCONTEXT h, LPCWSTR reader, DWORD share, DWORD protos,
                          LPSCARDHANDLE card, LPDWORD proto)
{
    (void)h;
    (void)share;
    (void)protos;
    return connect_to(reader, card, proto);
}

LONG WINAPI SCardStatusW(SCARDHANDLE card, LPWSTR name, LPDWORD namelen, LPDWORD state,
                         LPDWORD proto, LPBYTE atr, LPDWORD atrlen)
{
    (void)card;
    (void)name;
    (void)atr;
    return status(namelen, state, proto, atrlen);
}

/* The ANSI forms would hand the names over in the ANSI code page: never used. */
LONG WINAPI SCardListReadersA(SCARDCONTEXT h, LPCSTR groups, LPSTR buf, LPDWORD len)
{
    (void)h, (void)groups, (void)buf, (void)len;
    fail_msg("SCardListReadersA called");
    return SCARD_F_INTERNAL_ERROR;
}

LONG WINAPI SCardGetStatusChangeA(SCARDCONTEXT h, DWORD timeout, LPSCARD_READERSTATEA rs,
                                  DWORD n)
{
    (void)h, (void)timeout, (void)rs, (void)n;
    fail_msg("SCardGetStatusChangeA called");
    return SCARD_F_INTERNAL_ERROR;
}

LONG WINAPI SCardConnectA(SCARDCONTEXT h, LPCSTR reader, DWORD share, DWORD protos,
                          LPSCARDHANDLE card, LPDWORD proto)
{
    (void)h, (void)reader, (void)share, (void)protos, (void)card, (void)proto;
    fail_msg("SCardConnectA called");
    return SCARD_F_INTERNAL_ERROR;
}

LONG WINAPI SCardStatusA(SCARDHANDLE card, LPSTR name, LPDWORD namelen, LPDWORD state,
                         LPDWORD proto, LPBYTE atr, LPDWORD atrlen)
{
    (void)card, (void)name, (void)namelen, (void)state, (void)proto, (void)atr, (void)atrlen;
    fail_msg("SCardStatusA called");
    return SCARD_F_INTERNAL_ERROR;
}
#else
LONG SCardListReaders(SCARDCONTEXT h, LPCSTR groups, LPSTR buf, LPDWORD len)
{
    (void)h;
    (void)groups;
    return list(buf, len);
}

LONG SCardGetStatusChange(SCARDCONTEXT h, DWORD timeout, SCARD_READERSTATE *rs, DWORD n)
{
    (void)h;
    (void)timeout;
    for (DWORD i = 0; i < n; i++)
        rs[i].dwEventState = state_of(rs[i].szReader);
    return SCARD_S_SUCCESS;
}

LONG SCardConnect(SCARDCONTEXT h, LPCSTR reader, DWORD share, DWORD protos, LPSCARDHANDLE card,
                  LPDWORD proto)
{
    (void)h;
    (void)share;
    (void)protos;
    return connect_to(reader, card, proto);
}

LONG SCardStatus(SCARDHANDLE card, LPSTR name, LPDWORD namelen, LPDWORD state, LPDWORD proto,
                 LPBYTE atr, LPDWORD atrlen)
{
    (void)card;
    (void)name;
    (void)atr;
    return status(namelen, state, proto, atrlen);
}
#endif

static int setup(void **state)
{
    memset(&F, 0, sizeof F);
    onshi_ctx *ctx;
    assert_int_equal(onshi_ctx_new(&ctx), ONSHI_OK);
    onshi_ctx_set_str(ctx, ONSHI_OPT_LANG, "en");
    onshi_ctx_set_int(ctx, ONSHI_OPT_CARD_WAIT_TIMEOUT_MS, 0);
    *state = ctx;
    return 0;
}

static int teardown(void **state)
{
    onshi_ctx_free(*state);
    assert_int_equal(F.contexts, 0); /* every PC/SC context released */
    return 0;
}

/* Listed in UTF-8; chosen by a UTF-8 prefix; waited on, connected to (the system gets the
 * exact name back) and queried; a reader without card named in the message in UTF-8. */
static void test_names_utf8(void **state)
{
    onshi_ctx *ctx = *state;
    onshi_buf *list_out;
    size_t n;
    assert_int_equal(onshi_card_readers(&list_out, &n, ctx), ONSHI_OK);
    assert_int_equal(n, 2);
    const char *p = (const char *)onshi_buf_data(list_out);
    assert_string_equal(p, NAME0);
    assert_string_equal(p + strlen(p) + 1, NAME1);
    assert_int_equal(onshi_buf_len(list_out), strlen(NAME0) + strlen(NAME1) + 3);
    onshi_buf_free(list_out);

    F.present[1] = 1;
    onshi_ctx_set_str(ctx, ONSHI_OPT_CARD_READER, "\xF0\xA0\xAE\xB7 Reader");
    onshi__reader *r = NULL;
    assert_int_equal(onshi__reader_open(&r, ctx), ONSHI_OK);
    assert_string_equal(r->name, NAME1);
    assert_int_equal(F.connected, 1);
    assert_int_equal(onshi__reader_check(r), ONSHI_OK);
    assert_int_equal(F.status_calls, 1);
    onshi__reader_close(r, false);

    onshi_ctx_set_str(ctx, ONSHI_OPT_CARD_READER, NAME0);
    assert_int_equal(onshi__reader_open(&r, ctx), ONSHI_E_CARD_NO_CARD);
    assert_null(r);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), NAME0));
}

#ifdef _WIN32
/* A reader name from the system that is not UTF-16 (a lone surrogate) is not passed on
 * garbled: the listing fails and says why. */
static void test_bad_name(void **state)
{
    onshi_ctx *ctx = *state;
    F.bad_name = 1;
    onshi_buf *list_out = NULL;
    size_t n = 0;
    assert_int_equal(onshi_card_readers(&list_out, &n, ctx), ONSHI_E_CARD_PCSC);
    assert_null(list_out);
    assert_non_null(strstr(onshi_ctx_last_error_message(ctx), "not valid Unicode"));
}
#endif

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_names_utf8, setup, teardown),
#ifdef _WIN32
        cmocka_unit_test_setup_teardown(test_bad_name, setup, teardown),
#endif
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
