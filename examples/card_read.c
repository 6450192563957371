/*
 * card_read: read the user-authentication certificate of a My Number Card and, with --sign,
 * sign a 32-byte hash after the PIN. Shows the card calls of libonshi in the order a
 * reception program uses them. SPDX-License-Identifier: CC0-1.0
 *
 *   card_read [--ca FILE_OR_FOLDER] [--reader NAME] [--sign]
 *
 * The PIN is read from the terminal with echo off, never from argv or the environment.
 */
#define _POSIX_C_SOURCE 200809L
#include <onshi.h>

#include <stdio.h>
#include <string.h>
#ifndef _WIN32
#include <termios.h>
#include <unistd.h>
#endif

static int ONSHI_CALL on_event(void *userdata, int event, const char *reader)
{
    (void)userdata;
    printf("%s: %s\n", reader, event == ONSHI_CARD_EVENT_INSERTED ? "card placed" : "card removed");
    return 0;
}

/* The PIN callback: show the tries left, insist on a confirmation for the last one. */
static int ONSHI_CALL ask_pin(void *userdata, int tries_left, int is_last_try, char *pin_buf,
                              size_t pin_buf_size, int *confirm_last)
{
    char answer[8];
    (void)userdata;
    printf("暗証番号（4桁） / PIN (4 digits), tries left: %d\n", tries_left);
    if (is_last_try) {
        printf("残り1回です。間違えるとロックされます。続けますか / Last try: a wrong PIN locks "
               "the card. Continue? [y/N] ");
        fflush(stdout);
        if (fgets(answer, sizeof answer, stdin) == NULL || (answer[0] != 'y' && answer[0] != 'Y'))
            return 0; /* not confirmed: the SDK refuses with ONSHI_E_JPKI_PIN_LAST_TRY */
        *confirm_last = 1;
    }
    printf("PIN: ");
    fflush(stdout);
#ifndef _WIN32
    struct termios old, quiet;
    int tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
#endif
    char *got = fgets(pin_buf, (int)pin_buf_size, stdin);
#ifndef _WIN32
    if (tty)
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
#endif
    printf("\n");
    if (got == NULL)
        return 1; /* cancel */
    pin_buf[strcspn(pin_buf, "\r\n")] = '\0';
    return 0;
}

static int fail(onshi_ctx *ctx, const char *what, int rc)
{
    fprintf(stderr, "%s: %s (%s)\n", what, onshi_ctx_last_error_message(ctx),
            onshi_status_name(rc) ? onshi_status_name(rc) : "?");
    return 1;
}

int main(int argc, char **argv)
{
    onshi_ctx *ctx = NULL;
    onshi_card *card = NULL;
    onshi_cert *cert = NULL;
    onshi_buf *sig = NULL;
    int sign = 0, rc, tries = -1, status = 1;
    const char *ca = NULL, *reader = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--sign") == 0)
            sign = 1;
        else if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc)
            ca = argv[++i];
        else if (strcmp(argv[i], "--reader") == 0 && i + 1 < argc)
            reader = argv[++i];
    }
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 1;
    onshi_ctx_set_str(ctx, ONSHI_OPT_CARD_READER, reader);
    onshi_ctx_set_str(ctx, ONSHI_OPT_JPKI_CA_FILES, ca);
    onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
    cbs.card_event = on_event;
    cbs.card_event_userdata = NULL;
    cbs.pin = ask_pin;
    cbs.pin_userdata = NULL;
    onshi_ctx_set_callbacks(ctx, &cbs);

    printf("カードを置いてください / Place the card on the reader\n");
    if ((rc = onshi_card_open(&card, ctx)) != ONSHI_OK) {
        status = fail(ctx, "open", rc);
        goto out;
    }
    if ((rc = onshi_card_read_auth_cert(&cert, card)) != ONSHI_OK) {
        status = fail(ctx, "read certificate", rc);
        goto out;
    }
    int64_t days = 0;
    onshi_cert_days_left(&days, cert); /* 0 on its last day, negative once expired */
    printf("reader   %s (%s)\nserial   %s\nissuer   %s\nvalid    %s .. %s (%lld days left)\n",
           onshi_card_reader_name(card),
           *onshi_card_token_label(card) ? onshi_card_token_label(card) : "My Number Card",
           onshi_cert_serial_hex(cert), onshi_cert_issuer(cert), onshi_cert_not_before(cert),
           onshi_cert_not_after(cert), (long long)days);
    if (ca != NULL) {
        rc = onshi_cert_verify(ctx, cert);
        printf("chain    %s\n", rc == ONSHI_OK ? "ok" : onshi_ctx_last_error_message(ctx));
    }
    if ((rc = onshi_card_pin_tries_left(&tries, card)) != ONSHI_OK) {
        status = fail(ctx, "PIN status", rc);
        goto out;
    }
    printf("PIN tries left: %d\n", tries);
    if (sign) {
        unsigned char hash[32]; /* in real use: SHA-256 of the server's challenge */
        memset(hash, 0x5A, sizeof hash);
        if ((rc = onshi_card_sign(&sig, card, ONSHI_HASH_SHA256, hash, sizeof hash)) != ONSHI_OK) {
            status = fail(ctx, "sign", rc);
            goto out;
        }
        printf("signature: %zu bytes, verified with the certificate\n", onshi_buf_len(sig));
    }
    status = 0;
out:
    onshi_buf_free(sig);
    onshi_cert_free(cert);
    onshi_card_free(card);
    onshi_ctx_free(ctx);
    return status;
}
