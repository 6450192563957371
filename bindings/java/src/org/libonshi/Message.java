// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** A decoded or built message: type, header group, body group. */
public final class Message extends Handle {
    private String requestId = "";

    Message(Pointer p, boolean owned) {
        super(p, owned ? Onshi.LIB::onshi_msg_free : null);
    }

    /** An empty message to build (a constant of {@link MessageType}). */
    public static Message create(int type) throws OnshiException {
        PointerByReference out = new PointerByReference();
        OnshiException.check(Onshi.LIB.onshi_msg_new(out, type));
        return new Message(out.getValue(), true);
    }

    /** The request id of a workflow result (file transport), else "". */
    public String requestId() {
        return requestId;
    }

    Message withRequestId(String id) {
        requestId = id;
        return this;
    }

    /** A constant of {@link MessageType}. */
    public int type() {
        return Onshi.LIB.onshi_msg_type(ptr());
    }

    public Group header() {
        return new Group(Onshi.LIB.onshi_msg_header(ptr()), this);
    }

    public Group body() {
        return new Group(Onshi.LIB.onshi_msg_body(ptr()), this);
    }

    /** The persons (ResultOfQualificationConfirmation) of the body. */
    public List<Group> persons() throws OnshiException {
        return body().children(GroupKind.RESULT);
    }

    static byte[] take(PointerByReference buf) {
        Pointer b = buf.getValue();
        try {
            long n = Onshi.LIB.onshi_buf_len(b).longValue();
            Pointer d = Onshi.LIB.onshi_buf_data(b);
            return n == 0 || d == null ? new byte[0] : d.getByteArray(0, (int) n);
        } finally {
            Onshi.LIB.onshi_buf_free(b);
        }
    }

    /** Validate and write as XML in the context's request encoding. */
    public byte[] encode(Context ctx) throws OnshiException {
        PointerByReference out = new PointerByReference();
        ctx.call(Onshi.LIB.onshi_msg_encode(out, ctx.ptr(), ptr()));
        return take(out);
    }

    public void validate(Context ctx) throws OnshiException {
        ctx.call(Onshi.LIB.onshi_msg_validate(ctx.ptr(), ptr()));
    }

    public String toJson(Context ctx) throws OnshiException {
        PointerByReference out = new PointerByReference();
        ctx.call(Onshi.LIB.onshi_msg_to_json(out, ctx.ptr(), ptr()));
        return new String(take(out), StandardCharsets.UTF_8);
    }

    /** The bytes of a PDF result or an error file's text, or null. */
    public byte[] attachment() throws OnshiException {
        PointerByReference data = new PointerByReference(), name = new PointerByReference();
        SizeT.ByReference n = new SizeT.ByReference();
        int rc = Onshi.LIB.onshi_msg_attachment(data, n, name, ptr());
        if (rc == Status.NOT_FOUND) {
            return null;
        }
        OnshiException.check(rc);
        return data.getValue() == null ? new byte[0] : data.getValue().getByteArray(0, (int) n.getValue());
    }

    /** Warnings found while decoding: {kind, path, text}. */
    public List<String[]> warnings() {
        List<String[]> out = new ArrayList<>();
        long n = Onshi.LIB.onshi_msg_warning_count(ptr()).longValue();
        for (long i = 0; i < n; i++) {
            IntByReference k = new IntByReference();
            PointerByReference p = new PointerByReference(), t = new PointerByReference();
            if (Onshi.LIB.onshi_msg_warning_at(k, p, t, ptr(), new SizeT(i)) == 0) {
                out.add(new String[] {Integer.toString(k.getValue()), Onshi.str(p.getValue()), Onshi.str(t.getValue())});
            }
        }
        return out;
    }
}
