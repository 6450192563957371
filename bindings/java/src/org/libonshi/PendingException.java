// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

/** ONSHI_E_PENDING: the request was sent and its result has not come; pick it up later with
 *  {@link Context#resultPickup}. Never send it again. */
public class PendingException extends OnshiException {
    private static final long serialVersionUID = 1L;
    private final String pendingId;

    PendingException(int status, String message, String lang, int fk, long fv, String pendingId) {
        super(status, message, lang, fk, fv);
        this.pendingId = pendingId;
    }

    public String getPendingId() {
        return pendingId;
    }
}
