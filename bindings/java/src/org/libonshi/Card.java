// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/** A session with the My Number Card in the reader ({@link Context#openCard}). */
public final class Card extends Handle {
    private final Context ctx;

    Card(Pointer p, Context ctx) {
        super(p, Onshi.LIB::onshi_card_free);
        this.ctx = ctx;
    }

    public String readerName() {
        return Onshi.LIB.onshi_card_reader_name(ptr());
    }

    public String tokenLabel() {
        return Onshi.LIB.onshi_card_token_label(ptr());
    }

    public Certificate readAuthCertificate() throws OnshiException {
        PointerByReference out = new PointerByReference();
        ctx.call(Onshi.LIB.onshi_card_read_auth_cert(out, ptr()));
        return new Certificate(out.getValue(), true);
    }

    public Certificate readCaCertificate() throws OnshiException {
        PointerByReference out = new PointerByReference();
        ctx.call(Onshi.LIB.onshi_card_read_ca_cert(out, ptr()));
        return new Certificate(out.getValue(), true);
    }

    public int pinTriesLeft() throws OnshiException {
        IntByReference out = new IntByReference();
        ctx.call(Onshi.LIB.onshi_card_pin_tries_left(out, ptr()));
        return out.getValue();
    }

    /** Sign a hash after the PIN ({@link Context#onPin}). */
    public byte[] sign(byte[] hash, int hashAlg) throws OnshiException {
        PointerByReference out = new PointerByReference();
        ctx.call(Onshi.LIB.onshi_card_sign(out, ptr(), hashAlg, hash, new SizeT(hash.length)));
        return Message.take(out);
    }
}
