// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** A streaming reader of a bulk result: call next() until it returns null (each unit is valid
 *  until the next call). */
public final class BulkReader extends Handle {
    private final Context ctx;
    @SuppressWarnings("unused")
    private final Memory mem; // bytes of a reader over memory: they must outlive it

    BulkReader(Pointer p, Context ctx, Memory mem) {
        super(p, Onshi.LIB::onshi_bulk_reader_free);
        this.ctx = ctx;
        this.mem = mem;
    }

    public Group header() {
        return new Group(Onshi.LIB.onshi_bulk_reader_header(ptr()), this);
    }

    public Group body() {
        return new Group(Onshi.LIB.onshi_bulk_reader_body(ptr()), this);
    }

    private int unitGen;

    @Override
    int generation() {
        return unitGen;
    }

    /** The next BulkConfirmUnit, or null at the end (the previous unit is gone). */
    public Group next() throws OnshiException {
        PointerByReference out = new PointerByReference();
        unitGen++;
        ctx.call(Onshi.LIB.onshi_bulk_reader_next(out, ptr()));
        return out.getValue() == null ? null : new Group(out.getValue(), this, unitGen);
    }
}
