// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

/**
 * A libonshi error: the status and its symbolic name, the library's message in the context's
 * language, the status description in Japanese and English, the foreign detail (e.g. PIN tries
 * left). An unchecked exception thrown by a callback is not wrapped: it is thrown again, as it
 * was, from the call it cancelled.
 */
public class OnshiException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String name;
    private final String messageJa;
    private final String messageEn;
    private final String labelJa;
    private final String labelEn;
    private final int foreignKind;
    private final long foreignValue;

    OnshiException(int status, String message, String lang, int foreignKind, long foreignValue) {
        super(Onshi.statusName(status) + " (" + status + "): "
                + (message != null ? message : Onshi.statusLabel(status, lang)));
        this.status = status;
        this.name = Onshi.statusName(status);
        this.labelJa = Onshi.statusLabel(status, "ja");
        this.labelEn = Onshi.statusLabel(status, "en");
        String m = message != null ? message : Onshi.statusLabel(status, lang);
        this.messageJa = "ja".equals(lang) ? m : labelJa;
        this.messageEn = "en".equals(lang) ? m : labelEn;
        this.foreignKind = foreignKind;
        this.foreignValue = foreignValue;
    }

    static void check(int rc) throws OnshiException {
        if (rc < 0) {
            throw new OnshiException(rc, null, "ja", 0, 0);
        }
    }

    /** The ONSHI_E_* code (a constant of {@link Status}). */
    public int getStatus() {
        return status;
    }

    /** "ONSHI_E_NOMEM". */
    public String getName() {
        return name;
    }

    /** In Japanese: the library's full message when the context is Japanese, else the status description. */
    public String getMessageJa() {
        return messageJa;
    }

    /** In English: the library's full message when the context is English, else the status description. */
    public String getMessageEn() {
        return messageEn;
    }

    public String getLabelJa() {
        return labelJa;
    }

    public String getLabelEn() {
        return labelEn;
    }

    /** A constant of {@link ForeignKind}. */
    public int getForeignKind() {
        return foreignKind;
    }

    public long getForeignValue() {
        return foreignValue;
    }
}
