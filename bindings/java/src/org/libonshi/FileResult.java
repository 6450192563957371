// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.Pointer;

/**
 * A result file read from res/ by {@link Context#waitFile}: its name, request id, message type
 * and bytes (a ZIP result: the XML inside). Freed once by close() (try-with-resources) or else
 * by the Cleaner; a closed result throws IllegalStateException instead of reading freed memory.
 */
public final class FileResult extends Handle {
    FileResult(Pointer p) {
        super(p, Onshi.LIB::onshi_file_result_free);
    }

    /** The file name, without folder ("OQSsiquc01res_&lt;id&gt;.xml"). */
    public String name() {
        return Onshi.LIB.onshi_file_result_name(ptr());
    }

    /** The request id this result answers ("" for a face result). */
    public String requestId() {
        return Onshi.LIB.onshi_file_result_id(ptr());
    }

    /** The message type of the result file (a constant of {@link MessageType}). */
    public int type() {
        return Onshi.LIB.onshi_file_result_type(ptr());
    }

    /** A copy of the bytes. */
    public byte[] data() {
        Pointer h = ptr();
        long n = Onshi.LIB.onshi_file_result_len(h).longValue();
        Pointer p = Onshi.LIB.onshi_file_result_data(h);
        return p == null || n == 0 ? new byte[0] : p.getByteArray(0, (int) n);
    }

    /** The result decoded (the raw call does not check that it answers its request: compare
     *  the echoed search keys yourself). */
    public Message decode(Context ctx) throws OnshiException {
        return ctx.decode(data(), type());
    }
}
