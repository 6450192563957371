// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.Pointer;
import java.lang.ref.Cleaner;

/** An owned C object: freed once, by close() (try-with-resources) or else by the Cleaner. */
abstract class Handle implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private static final class Free implements Runnable {
        private Pointer p;
        private final java.util.function.Consumer<Pointer> free;

        Free(Pointer p, java.util.function.Consumer<Pointer> free) {
            this.p = p;
            this.free = free;
        }

        @Override
        public synchronized void run() {
            Pointer q = p;
            p = null;
            if (q != null && free != null) {
                free.accept(q);
            }
        }
    }

    private final Free state;
    private final Cleaner.Cleanable cleanable;

    Handle(Pointer p, java.util.function.Consumer<Pointer> free) {
        state = new Free(p, free);
        cleanable = CLEANER.register(this, state);
    }

    final Pointer ptr() {
        synchronized (state) {
            if (state.p == null) {
                throw new IllegalStateException(getClass().getSimpleName() + " is closed");
            }
            return state.p;
        }
    }

    /** Changes when the groups handed out with a generation become invalid (a batch entry's
     *  groups when another entry is read, a bulk unit at the next one). */
    int generation() {
        return 0;
    }

    final boolean isClosed() {
        synchronized (state) {
            return state.p == null;
        }
    }

    @Override
    public void close() {
        cleanable.clean();
    }
}
