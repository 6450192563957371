/*
 * The search keys a result echoes, taken from a request and from its result in the same
 * normalised form, so the service layer can tell whether a result answers its request
 * ("never the wrong patient"). Where each message carries them (oqs-interface.md §4-5):
 *  - header ArbitraryFileIdentifier: set by the institution, echoed in every result header
 *    [C+: HG comment, EMR matches results by it, MR];
 *  - QualificationConfirmSearchInfo (single and bulk inquiry; echoed in the result body,
 *    §5.1 "echo of the request", §8 example B): InsurerNumber, InsuredCardSymbol,
 *    InsuredIdentificationNumber, InsuredBranchNumber, Birthdate;
 *  - ReferenceNumberRegistrationInfo (照会番号 registration, echoed by the result, MR parser):
 *    ReferenceNumber, InsurerNumber, InsuredCardSymbol, InsuredIdentificationNumber,
 *    InsuredBranchNumber;
 *  - drug / checkup requests: the header's InsurerNumber, InsuranceCardSymbol,
 *    InsuredPersonIdentificationNumber, BranchNumber (§5.7);
 *  - ReceptionNumber (bulk download request body; echoed in the 02res header, §4).
 * The persons of a qualification result are found by the birth date searched for, so their
 * Birthdate must equal it (validity 5, several persons: twins share it).
 * SPDX-License-Identifier: Apache-2.0
 */
#include "codec.h"

#include <stdlib.h>
#include <string.h>

/* Normalised for comparison: full-width ASCII (U+FF01..U+FF5E) as ASCII, ASCII and ideographic
 * spaces dropped, letters upper-case; `strip_zeros` also drops leading zeros (insurer numbers
 * are padded with spaces or zeros, branch numbers written "1" or "01"). */
static char *norm(const char *v, int strip_zeros)
{
    if (v == NULL)
        return NULL;
    size_t n = strlen(v);
    char *o = malloc(n + 1);
    if (o == NULL)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        const unsigned char *p = (const unsigned char *)v + i;
        if (p[0] == ' ' || p[0] == '\t') {
            i++;
            continue;
        }
        if (p[0] == 0xE3 && i + 2 < n && p[1] == 0x80 && p[2] == 0x80) { /* U+3000 */
            i += 3;
            continue;
        }
        if (p[0] == 0xEF && i + 2 < n && (p[1] == 0xBC || p[1] == 0xBD) && p[2] >= 0x80 &&
            p[2] <= 0xBF) {
            unsigned cp = ((unsigned)(p[0] & 0x0F) << 12) | ((unsigned)(p[1] & 0x3F) << 6) |
                          (p[2] & 0x3F);
            if (cp >= 0xFF01 && cp <= 0xFF5E) {
                char c = (char)(cp - 0xFF01 + 0x21);
                o[k++] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
                i += 3;
                continue;
            }
        }
        o[k++] = (p[0] >= 'a' && p[0] <= 'z') ? (char)(p[0] - 32) : (char)p[0];
        i++;
    }
    o[k] = '\0';
    if (strip_zeros) {
        size_t z = 0;
        while (o[z] == '0' && o[z + 1] != '\0')
            z++;
        memmove(o, o + z, k - z + 1);
    }
    if (o[0] == '\0') {
        free(o);
        return NULL; /* empty: absent */
    }
    return o;
}

static int put(onshi__match_keys *k, int slot, const onshi_group *g, int field, int zeros)
{
    const char *v = NULL;
    if (k->v[slot] != NULL || g == NULL || onshi_group_get_str(&v, g, field) != ONSHI_OK ||
        v == NULL)
        return ONSHI_OK;
    if ((k->v[slot] = norm(v, zeros)) == NULL && *v != '\0') {
        /* norm returns NULL for blank values too; only allocation failure is an error */
        for (const char *q = v; *q; q++)
            if (*q != ' ')
                return ONSHI_E_NOMEM;
    }
    return ONSHI_OK;
}

void onshi__match_keys_clear(onshi__match_keys *k)
{
    for (int i = 0; i < ONSHI__MK_COUNT; i++) {
        if (k->v[i] != NULL) {
            onshi_mem_wipe(k->v[i], strlen(k->v[i]));
            free(k->v[i]);
        }
    }
    memset(k, 0, sizeof *k);
}

int onshi__msg_match_keys(const onshi_msg *msg, onshi__match_keys *k)
{
    memset(k, 0, sizeof *k);
    onshi_msg *m = (onshi_msg *)msg; /* the accessors take non-const messages */
    onshi_group *h = onshi_msg_header(m), *b = onshi_msg_body(m), *g = NULL;
    int r = put(k, ONSHI__MK_AFI, h, ONSHI_F_ARBITRARY_FILE_IDENTIFIER, 0);
    /* Reception number: body of a download request, header (or body) of its result. */
    if (r == ONSHI_OK)
        r = put(k, ONSHI__MK_RECEPTION, b, ONSHI_F_RECEPTION_NUMBER, 0);
    if (r == ONSHI_OK)
        r = put(k, ONSHI__MK_RECEPTION, h, ONSHI_F_HDR_RECEPTION_NUMBER, 0);
    /* A single inquiry and its echo (a bulk upload has many: only its header is compared). */
    if (r == ONSHI_OK && onshi_group_count(b, ONSHI_G_SEARCH) == 1 &&
        onshi_group_at(&g, b, ONSHI_G_SEARCH, 0) == ONSHI_OK) {
        r = put(k, ONSHI__MK_INSURER, g, ONSHI_F_SEARCH_INSURER_NUMBER, 1);
        if (r == ONSHI_OK)
            r = put(k, ONSHI__MK_SYMBOL, g, ONSHI_F_SEARCH_INSURED_CARD_SYMBOL, 0);
        if (r == ONSHI_OK)
            r = put(k, ONSHI__MK_NUMBER, g, ONSHI_F_SEARCH_INSURED_ID_NUMBER, 0);
        if (r == ONSHI_OK)
            r = put(k, ONSHI__MK_BRANCH, g, ONSHI_F_SEARCH_INSURED_BRANCH_NUMBER, 1);
        if (r == ONSHI_OK)
            r = put(k, ONSHI__MK_BIRTH, g, ONSHI_F_SEARCH_BIRTHDATE, 0);
    }
    if (r == ONSHI_OK && onshi_group_count(b, ONSHI_G_REFNUM) == 1 &&
        onshi_group_at(&g, b, ONSHI_G_REFNUM, 0) == ONSHI_OK) {
        r = put(k, ONSHI__MK_REFNUM, g, ONSHI_F_REG_REFERENCE_NUMBER, 0);
        if (r == ONSHI_OK)
            r = put(k, ONSHI__MK_INSURER, g, ONSHI_F_REG_INSURER_NUMBER, 1);
        if (r == ONSHI_OK)
            r = put(k, ONSHI__MK_SYMBOL, g, ONSHI_F_REG_INSURED_CARD_SYMBOL, 0);
        if (r == ONSHI_OK)
            r = put(k, ONSHI__MK_NUMBER, g, ONSHI_F_REG_INSURED_ID_NUMBER, 0);
        if (r == ONSHI_OK)
            r = put(k, ONSHI__MK_BRANCH, g, ONSHI_F_REG_INSURED_BRANCH_NUMBER, 1);
    }
    /* Drug / checkup requests name the person in the header. */
    if (r == ONSHI_OK)
        r = put(k, ONSHI__MK_INSURER, h, ONSHI_F_HDR_INSURER_NUMBER, 1);
    if (r == ONSHI_OK)
        r = put(k, ONSHI__MK_SYMBOL, h, ONSHI_F_HDR_INSURANCE_CARD_SYMBOL, 0);
    if (r == ONSHI_OK)
        r = put(k, ONSHI__MK_NUMBER, h, ONSHI_F_HDR_INSURED_PERSON_ID_NUMBER, 0);
    if (r == ONSHI_OK)
        r = put(k, ONSHI__MK_BRANCH, h, ONSHI_F_HDR_BRANCH_NUMBER, 1);
    /* The persons of a qualification result: their birth date. Different dates among them
     * cannot all answer one search: kept as a value no request has. */
    size_t np = onshi_group_count(b, ONSHI_G_RESULT);
    for (size_t i = 0; r == ONSHI_OK && i < np; i++) {
        const char *v = NULL;
        if (onshi_group_at(&g, b, ONSHI_G_RESULT, i) != ONSHI_OK ||
            onshi_group_get_str(&v, g, ONSHI_F_BIRTHDATE) != ONSHI_OK || v == NULL)
            continue;
        char *d = norm(v, 0);
        if (d == NULL)
            continue;
        if (k->v[ONSHI__MK_PERSON_BIRTH] == NULL) {
            k->v[ONSHI__MK_PERSON_BIRTH] = d;
        } else {
            if (strcmp(k->v[ONSHI__MK_PERSON_BIRTH], d) != 0) {
                free(k->v[ONSHI__MK_PERSON_BIRTH]);
                k->v[ONSHI__MK_PERSON_BIRTH] = strdup("*");
                if (k->v[ONSHI__MK_PERSON_BIRTH] == NULL)
                    r = ONSHI_E_NOMEM;
            }
            free(d);
        }
    }
    if (r != ONSHI_OK)
        onshi__match_keys_clear(k);
    return r;
}

const char *onshi__match_key_name(int slot)
{
    static const char *const n[ONSHI__MK_COUNT] = {
        [ONSHI__MK_AFI] = "ArbitraryFileIdentifier",
        [ONSHI__MK_INSURER] = "InsurerNumber",
        [ONSHI__MK_SYMBOL] = "InsuredCardSymbol",
        [ONSHI__MK_NUMBER] = "InsuredIdentificationNumber",
        [ONSHI__MK_BRANCH] = "InsuredBranchNumber",
        [ONSHI__MK_BIRTH] = "Birthdate",
        [ONSHI__MK_PERSON_BIRTH] = "ResultOfQualificationConfirmation/Birthdate",
        [ONSHI__MK_RECEPTION] = "ReceptionNumber",
        [ONSHI__MK_REFNUM] = "ReferenceNumber",
    };
    return slot >= 0 && slot < ONSHI__MK_COUNT ? n[slot] : "?";
}
