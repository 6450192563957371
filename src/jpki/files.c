/*
 * Reading a certificate file with the fewest READ BINARY commands: the first asks for 256
 * bytes (Le 00), which holds the DER header, so the size is known after one command; the
 * rest follows in 256-byte chunks (short APDUs only: no source uses extended READ BINARY on
 * JPKI). An 803-byte certificate takes 4 commands.
 * SPDX-License-Identifier: Apache-2.0
 */
#include "jpki/jpki.h"

#include <string.h>

#define INS_READ_BINARY 0xB0
#define MAX_OFFSET 0x7FFF /* P1 b8 = 0: 15-bit offset */

/* Total size of the DER object at p (n bytes so far): >0 size, 0 need more bytes, <0 bad. */
static long der_total(const uint8_t *p, size_t n)
{
    if (n < 2)
        return 0;
    if (p[0] != 0x30)
        return -1;
    if (p[1] < 0x80)
        return 2 + (long)p[1];
    size_t k = p[1] & 0x7F;
    if (k == 0 || k > 3)
        return -1; /* indefinite length, or larger than any EF */
    if (n < 2 + k)
        return 0;
    long len = 0;
    for (size_t i = 0; i < k; i++)
        len = (len << 8) | p[2 + i];
    return 2 + (long)k + len;
}

int onshi__jpki_read_der(onshi__jpki_chan *ch, onshi_buf *out)
{
    uint8_t resp[ONSHI__RESP_MAX];
    long total = 0;
    size_t want = 256;
    bool le_fixed = false;
    for (;;) {
        if (out->len > MAX_OFFSET)
            return onshi__err(ch->ctx, ONSHI_E_JPKI_BAD_RESPONSE,
                              "certificate larger than the 15-bit READ BINARY offset");
        onshi__apdu a = {0x00, INS_READ_BINARY, (uint8_t)(out->len >> 8), (uint8_t)out->len,
                         NULL, 0, want, false};
        onshi__rapdu r;
        int rc = onshi__jpki_send(ch, &a, resp, &r);
        if (rc != ONSHI_OK)
            return rc;
        if ((r.sw >> 8) == 0x6C && !le_fixed && r.len == 0) {
            /* "wrong Le, exactly SW2 bytes available": ask again, once, for that many */
            want = (r.sw & 0xFF) ? (r.sw & 0xFF) : 256;
            le_fixed = true;
            continue;
        }
        le_fixed = false;
        bool eof = r.sw == 0x6282; /* end of file before Le bytes */
        if (r.sw == 0x6B00 || (eof && r.len == 0))
            return onshi__err_foreign(ch->ctx, ONSHI_E_JPKI_BAD_RESPONSE, ONSHI_FOREIGN_SW,
                                      r.sw, "file ends at byte %zu, before the %ld bytes its "
                                      "DER header announces", out->len, total);
        if (r.sw != 0x9000 && !eof)
            return onshi__jpki_sw_err(ch->ctx, r.sw, "READ BINARY");
        if (r.len == 0 || r.len > want)
            return onshi__err(ch->ctx, ONSHI_E_JPKI_BAD_RESPONSE,
                              "READ BINARY at offset %zu returned %zu bytes for Le %zu",
                              out->len, r.len, want);
        rc = onshi__buf_append(out, r.data, r.len);
        if (rc != ONSHI_OK)
            return onshi__err(ch->ctx, rc, "certificate buffer");
        if (total == 0) {
            total = der_total(out->data, out->len);
            if (total < 0)
                return onshi__err(ch->ctx, ONSHI_E_JPKI_CERT_PARSE,
                                  "the file does not start with a DER SEQUENCE (%02X %02X)",
                                  out->data[0], out->len > 1 ? out->data[1] : 0);
            if (total > MAX_OFFSET + 256)
                return onshi__err(ch->ctx, ONSHI_E_JPKI_BAD_RESPONSE,
                                  "DER header announces %ld bytes", total);
        }
        if (total > 0 && out->len >= (size_t)total) {
            out->len = (size_t)total; /* the EF may be padded past the certificate */
            return ONSHI_OK;
        }
        if (eof)
            return onshi__err_foreign(ch->ctx, ONSHI_E_JPKI_BAD_RESPONSE, ONSHI_FOREIGN_SW,
                                      r.sw, "file ends at byte %zu of %ld", out->len, total);
        size_t left = total > 0 ? (size_t)total - out->len : 256;
        want = left < 256 ? left : 256;
    }
}
