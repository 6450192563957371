// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;

/** An X.509 certificate (the card's auth certificate, its CA, any DER certificate). */
public final class Certificate extends Handle {
    Certificate(Pointer p, boolean owned) {
        super(p, owned ? Onshi.LIB::onshi_cert_free : null);
    }

    public String serialHex() {
        return Onshi.LIB.onshi_cert_serial_hex(ptr());
    }

    public String issuer() {
        return Onshi.LIB.onshi_cert_issuer(ptr());
    }

    public String subject() {
        return Onshi.LIB.onshi_cert_subject(ptr());
    }

    public String notBefore() {
        return Onshi.LIB.onshi_cert_not_before(ptr());
    }

    public String notAfter() {
        return Onshi.LIB.onshi_cert_not_after(ptr());
    }

    public int keyType() {
        return Onshi.LIB.onshi_cert_key_type(ptr());
    }

    public int keyBits() {
        return Onshi.LIB.onshi_cert_key_bits(ptr());
    }

    public long daysLeft() throws OnshiException {
        LongByReference out = new LongByReference();
        OnshiException.check(Onshi.LIB.onshi_cert_days_left(out, ptr()));
        return out.getValue();
    }

    public byte[] der() throws OnshiException {
        PointerByReference out = new PointerByReference();
        OnshiException.check(Onshi.LIB.onshi_cert_der(out, ptr()));
        return Message.take(out);
    }

    /** Verify against the JPKI CAs of Option.JPKI_CA_FILES. */
    public void verify(Context ctx) throws OnshiException {
        ctx.call(Onshi.LIB.onshi_cert_verify(ctx.ptr(), ptr()));
    }
}
