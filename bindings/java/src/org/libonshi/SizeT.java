// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.IntegerType;
import com.sun.jna.Native;

/** C size_t. */
public final class SizeT extends IntegerType {
    private static final long serialVersionUID = 1L;

    public SizeT() {
        this(0);
    }

    public SizeT(long value) {
        super(Native.SIZE_T_SIZE, value, true);
    }

    /** A size_t the library writes. */
    public static final class ByReference extends com.sun.jna.ptr.ByReference {
        public ByReference() {
            super(Native.SIZE_T_SIZE);
            getPointer().setLong(0, 0);
        }

        public long getValue() {
            return Native.SIZE_T_SIZE == 8 ? getPointer().getLong(0) : getPointer().getInt(0) & 0xffffffffL;
        }
    }
}
