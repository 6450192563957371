// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.ptr.PointerByReference;

/** The inputs of one workflow call: a {@link RequestKind} and {@link Param} values. */
public final class Request extends Handle {
    private static com.sun.jna.Pointer make(int kind) throws OnshiException {
        PointerByReference out = new PointerByReference();
        OnshiException.check(Onshi.LIB.onshi_request_new(out, kind));
        return out.getValue();
    }

    /** An empty request of a kind (a constant of {@link RequestKind}). */
    public Request(int kind) throws OnshiException {
        super(make(kind), Onshi.LIB::onshi_request_free);
    }

    private Request check(int rc, int param) throws OnshiException {
        if (rc < 0) {
            throw new OnshiException(rc, Onshi.LIB.onshi_request_param_name(param) + ": "
                    + Onshi.statusLabel(rc, "en"), "en", 0, 0);
        }
        return this;
    }

    /** Set a string parameter (null unsets it). */
    public Request set(int param, String value) throws OnshiException {
        return check(Onshi.LIB.onshi_request_set_str(ptr(), param, value), param);
    }

    /** Set an integer parameter. */
    public Request set(int param, long value) throws OnshiException {
        return check(Onshi.LIB.onshi_request_set_int(ptr(), param, value), param);
    }

    public int kind() {
        return Onshi.LIB.onshi_request_kind(ptr());
    }
}
