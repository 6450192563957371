/*
 * verify_card: the window workflow with a My Number Card over HTTPS (direct mode).
 * Wait for the card, PIN (asked first, with the last-try question; or a face-recognition
 * verdict / staff's visual check), the patient's consent, the signed card authentication,
 * the qualification result.
 * SPDX-License-Identifier: CC0-1.0
 *
 *   verify_card --url https://HOST:PORT --ca CA.crt --cert CLIENT.crt --key CLIENT.key
 *               --institution 1311234569 [--reader NAME] [--face | --visual]
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

/* A line from stdin; with echo off for the PIN where the platform allows it. */
static void read_line(char *buf, size_t size, int secret)
{
#ifndef _WIN32
    struct termios old, quiet;
    int restore = secret && isatty(0) && tcgetattr(0, &old) == 0;
    if (restore) {
        quiet = old;
        quiet.c_lflag &= (tcflag_t)~ECHO;
        tcsetattr(0, TCSAFLUSH, &quiet);
    }
#else
    (void)secret;
#endif
    if (fgets(buf, (int)size, stdin) == NULL)
        buf[0] = '\0';
    buf[strcspn(buf, "\r\n")] = '\0';
#ifndef _WIN32
    if (restore) {
        tcsetattr(0, TCSAFLUSH, &old);
        putchar('\n');
    }
#endif
}

/* PIN: the SDK shows the tries left and asks once; it never retries on its own. */
static int ONSHI_CALL ask_pin(void *userdata, int tries_left, int is_last_try, char *pin_buf,
                              size_t pin_buf_size, int *confirm_last)
{
    char answer[8];
    (void)userdata;
    if (is_last_try) {
        printf("残り1回です。続けますか / Last PIN try: continue? [y/N] ");
        fflush(stdout);
        read_line(answer, sizeof answer, 0);
        if (answer[0] != 'y' && answer[0] != 'Y')
            return 0; /* not confirmed: ONSHI_E_JPKI_PIN_LAST_TRY, nothing is tried */
        *confirm_last = 1;
    }
    printf("暗証番号（4桁） / PIN (4 digits, %d tries left): ", tries_left);
    fflush(stdout);
    read_line(pin_buf, pin_buf_size, 1);
    return 0;
}

/* Consent: one question per item; the patient may refuse each. */
static int ONSHI_CALL ask_consent(void *userdata, int offered, int *granted)
{
    static const struct {
        int bit;
        const char *text;
    } items[] = {{ONSHI_CONSENT_LIMIT, "限度額情報の提供 / limit-amount information"},
                 {ONSHI_CONSENT_CHECKUP, "特定健診等情報 / health checkups"},
                 {ONSHI_CONSENT_DRUG, "薬剤情報 / drug information"},
                 {ONSHI_CONSENT_DIAGNOSIS, "診療情報 / diagnoses"},
                 {ONSHI_CONSENT_SURGERY, "手術情報 / surgeries"}};
    size_t i;
    char answer[8];
    (void)userdata;
    *granted = 0;
    for (i = 0; i < sizeof items / sizeof items[0]; i++) {
        if (!(offered & items[i].bit))
            continue;
        printf("同意しますか / Consent to %s? [y/N] ", items[i].text);
        fflush(stdout);
        read_line(answer, sizeof answer, 0);
        if (answer[0] == 'y' || answer[0] == 'Y')
            *granted |= items[i].bit;
    }
    return 0;
}

/* Face / visual: here the staff answer; a product asks its face-recognition device. */
static int ONSHI_CALL confirm_identity(void *userdata, int method, const onshi_cert *cert,
                                       int *verified)
{
    char answer[8];
    (void)userdata;
    (void)cert;
    printf("%s [y/N] ", method == ONSHI_IDV_FACE ? "顔認証で本人確認できましたか / Face matched?"
                                                 : "目視で本人確認しましたか / Visually checked?");
    fflush(stdout);
    read_line(answer, sizeof answer, 0);
    *verified = answer[0] == 'y' || answer[0] == 'Y';
    return 0;
}

static int ONSHI_CALL on_progress(void *userdata, int stage, int64_t done, int64_t total)
{
    static const char *const names[] = {"", "waiting for the card", "reading the certificate",
                                        "identity", "consent", "signing", "sending", "waiting",
                                        "", "", "", "done"};
    (void)userdata;
    (void)done;
    (void)total;
    if (stage > 0 && stage < (int)(sizeof names / sizeof names[0]) && names[stage][0])
        printf("  ... %s\n", names[stage]);
    return 0;
}

int main(int argc, char **argv)
{
    const char *url = NULL, *ca = NULL, *cert = NULL, *key = NULL, *inst = NULL, *reader = NULL;
    int method = ONSHI_IDV_PIN, i, rc;
    onshi_ctx *ctx = NULL;
    onshi_msg *result = NULL;
    for (i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(argv[i], "--face") == 0)
            method = ONSHI_IDV_FACE;
        else if (strcmp(argv[i], "--visual") == 0)
            method = ONSHI_IDV_VISUAL;
        else if (v && strcmp(argv[i], "--url") == 0)
            url = argv[++i];
        else if (v && strcmp(argv[i], "--ca") == 0)
            ca = argv[++i];
        else if (v && strcmp(argv[i], "--cert") == 0)
            cert = argv[++i];
        else if (v && strcmp(argv[i], "--key") == 0)
            key = argv[++i];
        else if (v && strcmp(argv[i], "--institution") == 0)
            inst = argv[++i];
        else if (v && strcmp(argv[i], "--reader") == 0)
            reader = argv[++i];
        else {
            fprintf(stderr, "usage: verify_card --url URL --ca CA --cert CRT --key KEY "
                            "--institution CODE [--reader NAME] [--face|--visual]\n");
            return 2;
        }
    }
    if (!url || !ca || !cert || !key || !inst) {
        fprintf(stderr, "verify_card: --url, --ca, --cert, --key and --institution are needed\n");
        return 2;
    }
    if (onshi_ctx_new(&ctx) != ONSHI_OK)
        return 1;
    /* Direct mode: the SDK talks HTTPS itself; the server and its host name are always
     * verified against the CA. */
    onshi_ctx_set_int(ctx, ONSHI_OPT_TRANSPORT, ONSHI_TRANSPORT_HTTPS);
    onshi_ctx_set_str(ctx, ONSHI_OPT_SERVER_URL, url);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CA_FILE, ca);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_CERT, cert);
    onshi_ctx_set_str(ctx, ONSHI_OPT_TLS_CLIENT_KEY, key);
    onshi_ctx_set_str(ctx, ONSHI_OPT_MEDICAL_INSTITUTION_CODE, inst);
    if (reader)
        onshi_ctx_set_str(ctx, ONSHI_OPT_CARD_READER, reader);
    onshi_callbacks cbs = ONSHI_CALLBACKS_INIT;
    cbs.pin = ask_pin;               /* ONSHI_IDV_PIN: the card's 4-digit PIN */
    cbs.consent = ask_consent;       /* the consent items at the window */
    cbs.progress = on_progress;
    cbs.identity = confirm_identity; /* ONSHI_IDV_FACE / ONSHI_IDV_VISUAL */
    onshi_ctx_set_callbacks(ctx, &cbs);

    printf("カードを置いてください / Place the My Number Card on the reader\n");
    {
        onshi_request *req = NULL;
        rc = onshi_request_new(&req, ONSHI_REQ_MYNUMBER_CARD_VERIFY);
        if (rc == ONSHI_OK) {
            onshi_request_set_int(req, ONSHI_P_IDV_METHOD, method);
            onshi_request_set_int(req, ONSHI_P_CONSENT_OFFERED, ONSHI_CONSENT_LIMIT |
                                                               ONSHI_CONSENT_CHECKUP |
                                                               ONSHI_CONSENT_DRUG);
            rc = onshi_mynumber_card_verify(&result, ctx, req);
            onshi_request_free(req);
        }
    }
    if (rc != ONSHI_OK) {
        /* The message is for people (Japanese by default, ONSHI_OPT_LANG "en" for English);
         * the status tells the program what happened (locked PIN, card removed, CA008, ...). */
        fprintf(stderr, "%s: %s\n", onshi_status_name(rc), onshi_ctx_last_error_message(ctx));
        onshi_ctx_free(ctx);
        return 1;
    }
    {
        onshi_group *body = onshi_msg_body(result), *person = NULL;
        const char *validity = NULL, *name = NULL, *insurer = NULL, *ratio = NULL;
        onshi_group_get_label(&validity, ctx, body, ONSHI_F_QUALIFICATION_VALIDITY);
        printf("資格 / qualification: %s\n", validity ? validity : "?");
        if (onshi_group_at(&person, body, ONSHI_G_RESULT, 0) == ONSHI_OK) {
            onshi_group_get_str(&name, person, ONSHI_F_NAME);
            onshi_group_get_str(&insurer, person, ONSHI_F_INSURER_NUMBER);
            onshi_group_get_str(&ratio, person, ONSHI_F_INSURED_PARTIAL_CONTRIB_RATIO);
            printf("氏名 / name: %s\n保険者番号 / insurer: %s\n負担割合 / ratio: %s\n",
                   name ? name : "-", insurer ? insurer : "-", ratio ? ratio : "-");
        }
    }
    onshi_msg_free(result);
    onshi_ctx_free(ctx);
    return 0;
}
