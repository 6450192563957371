/*
 * The JPKI card profiles: every AID, FID, PIN limit and signature parameter of a card
 * generation, in one table. Today's My Number Card (and the Android smartphone, whose JPKI AP
 * has the same layout) is the only row. The next-generation card (planned 2026: ECDSA P-384 /
 * SHA-384, regrouped APs) gets its own row once its AIDs and commands are published; nothing
 * about it is invented here.
 * Sources: OpenSC src/libopensc/jpki.h, card-jpki.c, pkcs15-jpki.c; jpki/myna src/jpki.rs;
 * soltia48/myna-card src/ap/jpki.rs (see docs/card.md).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "jpki/jpki.h"

static const onshi__jpki_profile profiles[] = {
    {
        .name = "JPKI (My Number Card, RSA-2048)",
        .aid = {0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01},
        .aid_len = 10,
        .ef = {
            [ONSHI__EF_TOKEN] = 0x0006,
            [ONSHI__EF_AUTH_CERT] = 0x000A,
            [ONSHI__EF_AUTH_CA] = 0x000B,
            [ONSHI__EF_AUTH_KEY] = 0x0017,
            [ONSHI__EF_AUTH_PIN] = 0x0018,
        },
        .label_len = 32, /* CK_TOKEN_INFO.label: 32 bytes, space padded */
        /* The label is read only when the certificate cannot be read without the PIN
         * (session.c). JPKIAPICCTOKEN2: My Number Card; JPKIAPGPSETOKEN: Android smartphone,
         * whose auth certificate is readable only after the PIN, same files and signature
         * otherwise [jpki/myna src/cli.rs run_jpki_cert, src/jpki.rs
         * test_read_auth_cert_gpse_token]. JPKIAPIOSTOKEN (iPhone) is recognised and refused
         * with its own message until its behaviour is sourced. The old 住基カード token
         * (JPKIAPICCTOKEN) is gone: no certificate of it is valid any more. */
        .labels = {"JPKIAPICCTOKEN2", "JPKIAPGPSETOKEN", NULL},
        .label_kinds = {ONSHI__KIND_CARD, ONSHI__KIND_ANDROID},
        .pin_max_tries = 3,
        .pin_min_len = 4,
        .pin_max_len = 4,
        .pin_digits_only = true,
        .verify_p2 = 0x80,
        .sign_cla = 0x80,
        .sign_ins = 0x2A,
        .sign_p1 = 0x00,
        .sign_p2 = 0x80,
        .sign_mech = ONSHI__MECH_RSA_PKCS1_DIGESTINFO,
        .sign_hash = ONSHI_HASH_SHA256,
        .policy_arc = "1.2.392.200149.8.5.1.", /* J-LIS JPKI certificate policies */
    },
};

size_t onshi__jpki_profile_count(void)
{
    return sizeof profiles / sizeof profiles[0];
}

const onshi__jpki_profile *onshi__jpki_profile_at(size_t i)
{
    return i < onshi__jpki_profile_count() ? &profiles[i] : NULL;
}
