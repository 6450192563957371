// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import com.sun.jna.ptr.PointerByReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A borrowed view of a group inside a message (or batch, or bulk unit). It keeps its owner
 * reachable and throws IllegalStateException once the owner was closed.
 */
public final class Group {
    private final Pointer p;
    private final Handle owner;
    private final int gen; // the owner's generation it belongs to; -1: valid while the owner lives

    Group(Pointer p, Handle owner) {
        this(p, owner, -1);
    }

    Group(Pointer p, Handle owner, int gen) {
        this.p = p;
        this.owner = owner;
        this.gen = gen;
    }

    /** The owner stays reachable until the native call that used the pointer returned. */
    private <T> T k(T value) {
        java.lang.ref.Reference.reachabilityFence(owner);
        return value;
    }

    Pointer ptr() {
        if (p == null || owner.isClosed()) {
            throw new IllegalStateException("the message this group belongs to is closed");
        }
        // A batch entry's group lasts until another entry is read, a bulk unit until the next
        // unit (onshi_batch_unit, onshi_bulk_reader_next): refused, not a dangling read.
        if (gen >= 0 && owner.generation() != gen) {
            throw new IllegalStateException(
                    "this group was replaced: another batch entry or bulk unit was read since; read it again");
        }
        return p;
    }

    /** A constant of {@link GroupKind}. */
    public int kind() {
        return k(Onshi.LIB.onshi_group_kind(ptr()));
    }

    public int count(int kind) {
        return k(Onshi.LIB.onshi_group_count(ptr(), kind).intValue());
    }

    public Group child(int kind, int i) throws OnshiException {
        PointerByReference out = new PointerByReference();
        OnshiException.check(Onshi.LIB.onshi_group_at(out, ptr(), kind, new SizeT(i)));
        return k(new Group(out.getValue(), owner, gen));
    }

    public List<Group> children(int kind) throws OnshiException {
        List<Group> l = new ArrayList<>();
        int n = count(kind);
        for (int i = 0; i < n; i++) {
            l.add(child(kind, i));
        }
        return l;
    }

    /** A field (a constant of {@link Field}) as a string, or null when absent. */
    public String get(int field) throws OnshiException {
        PointerByReference out = new PointerByReference();
        int rc = Onshi.LIB.onshi_group_get_str(out, ptr(), field);
        if (rc == Status.NOT_FOUND) {
            return null;
        }
        OnshiException.check(rc);
        return k(Onshi.str(out.getValue()));
    }

    /** Every occurrence of a field that repeats (e.g. several ReferenceNumber). */
    public List<String> getAll(int field) throws OnshiException {
        List<String> l = new ArrayList<>();
        long n = Onshi.LIB.onshi_group_count_str(ptr(), field).longValue();
        for (long i = 0; i < n; i++) {
            PointerByReference out = new PointerByReference();
            OnshiException.check(Onshi.LIB.onshi_group_get_str_at(out, ptr(), field, new SizeT(i)));
            l.add(Onshi.str(out.getValue()));
        }
        return k(l);
    }

    /** A numeric field, or null when absent. */
    public Long getInt(int field) throws OnshiException {
        LongByReference out = new LongByReference();
        int rc = Onshi.LIB.onshi_group_get_int(out, ptr(), field);
        if (rc == Status.NOT_FOUND) {
            return null;
        }
        OnshiException.check(rc);
        return k(out.getValue());
    }

    /** The label of a code field's value in the context's language (ctx null: Japanese). */
    public String label(int field, Context ctx) throws OnshiException {
        PointerByReference out = new PointerByReference();
        int rc = Onshi.LIB.onshi_group_get_label(out, ctx == null ? null : ctx.ptr(), ptr(), field);
        if (rc == Status.NOT_FOUND) {
            return null;
        }
        OnshiException.check(rc);
        return k(Onshi.str(out.getValue()));
    }

    /** Set (or with null remove) a field. */
    public Group set(int field, String value) throws OnshiException {
        OnshiException.check(Onshi.LIB.onshi_group_set_str(ptr(), field, value));
        return k(this);
    }

    public Group add(int kind) throws OnshiException {
        PointerByReference out = new PointerByReference();
        OnshiException.check(Onshi.LIB.onshi_group_add(out, ptr(), kind));
        return k(new Group(out.getValue(), owner, gen));
    }

    public String toJson(Context ctx) throws OnshiException {
        PointerByReference out = new PointerByReference();
        ctx.call(Onshi.LIB.onshi_group_to_json(out, ctx.ptr(), ptr()));
        return k(new String(Message.take(out), StandardCharsets.UTF_8));
    }
}
