// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** Watcher of the face-reader folder ({@link Context#watchFaceFolder}). */
public final class FaceWatch extends Handle {
    private final Context ctx;

    FaceWatch(Pointer p, Context ctx) {
        super(p, Onshi.LIB::onshi_face_watch_free);
        this.ctx = ctx;
    }

    /** The next result not delivered before, or null when none came in time. */
    public Message next(long timeoutMs) throws OnshiException {
        PointerByReference out = new PointerByReference();
        int rc = Onshi.LIB.onshi_face_watch_next(out, ptr(), timeoutMs);
        if (rc == Status.TIMEOUT) {
            return null;
        }
        ctx.call(rc);
        return new Message(out.getValue(), true);
    }

    /** Handler of {@link #run}: false stops. The message (null on a decode error) is borrowed
     *  for the call. */
    public interface Handler {
        boolean onResult(int status, Message message, String fileName);
    }

    /** Deliver results as they arrive for timeoutMs (negative: until cancelled). */
    public void run(Handler handler, long timeoutMs) throws OnshiException {
        boolean[] stopped = {false};
        Callbacks.FaceWatch cb = (ud, status, msg, name) -> {
            try {
                Message view = msg == null ? null : new Message(msg, false);
                try {
                    if (handler.onResult(status, view, Onshi.str(name))) {
                        return 0;
                    }
                    stopped[0] = true;
                    return 1;
                } finally {
                    if (view != null) {
                        view.close();
                    }
                }
            } catch (RuntimeException | Error e) {
                ctx.fail(e);
                return 1;
            }
        };
        try {
            ctx.call(Onshi.LIB.onshi_face_watch_run(ptr(), cb, null, timeoutMs));
        } catch (OnshiException e) {
            if (!(stopped[0] && e.getStatus() == Status.CANCELLED)) {
                throw e;
            }
        } finally {
            java.lang.ref.Reference.reachabilityFence(cb);
        }
    }
}
