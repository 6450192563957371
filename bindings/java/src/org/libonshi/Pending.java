// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.Pointer;
import java.time.Instant;

/**
 * One request recorded by the file transport ({@link Context#pending}, {@link
 * Context#getPending}): a snapshot copied from the C object, which is freed at once.
 */
public final class Pending {
    private final Context ctx;
    private final String id, patient;
    private final int type, state;
    private final long createdMs;

    Pending(Pointer h, Context ctx) {
        this.ctx = ctx;
        try {
            id = Onshi.LIB.onshi_pending_id(h);
            type = Onshi.LIB.onshi_pending_type(h);
            state = Onshi.LIB.onshi_pending_state(h);
            createdMs = Onshi.LIB.onshi_pending_created(h);
            patient = Onshi.LIB.onshi_pending_patient(h);
        } finally {
            Onshi.LIB.onshi_pending_free(h);
        }
    }

    /** The request id (16 digits). */
    public String id() {
        return id;
    }

    /** The request's message type (a constant of {@link MessageType}; give it to {@link
     *  #resume} / {@link Context#resultPickup}). */
    public int type() {
        return type;
    }

    /** Its state, a constant of {@link FileState}. */
    public int state() {
        return state;
    }

    /** When it was recorded, Unix time in milliseconds. */
    public long createdMs() {
        return createdMs;
    }

    /** When it was recorded. */
    public Instant created() {
        return Instant.ofEpochMilli(createdMs);
    }

    /** The patient key for staff, masked: insurer number, 記号 as '*', 番号 but its last two
     *  characters as '*', 枝番; never a birth date. Null when the request has none (a raw
     *  {@link Context#sendFile}). */
    public String patient() {
        return patient;
    }

    /** Still open: recorded, published, taken or answered (not consumed or abandoned). */
    public boolean isOpen() {
        return state == FileState.RECORDED || state == FileState.PUBLISHED || state == FileState.TAKEN
                || state == FileState.ANSWERED;
    }

    /** Pick the result up ({@link Context#resultPickup}(id, type)): nothing is sent again. */
    public Message resume(long timeoutMs) throws OnshiException {
        return ctx.resultPickup(id, type, timeoutMs);
    }

    @Override
    public String toString() {
        return id + " " + type + " " + state + " " + patient;
    }
}
