// struct onshi_callbacks, version 1.
// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;

@Structure.FieldOrder({"version", "log", "log_userdata", "card_transmit", "card_transmit_userdata",
        "card_reset", "card_reset_userdata", "card_event", "card_event_userdata", "pin", "pin_userdata",
        "cert_expiry", "cert_expiry_userdata", "progress", "progress_userdata", "consent",
        "consent_userdata", "audit", "audit_userdata", "identity", "identity_userdata"})
public class NativeCallbacks extends Structure {
    public int version = HeaderVersion.CALLBACKS_VERSION;
    public Callbacks.Log log;
    public Pointer log_userdata;
    public Callbacks.Transmit card_transmit;
    public Pointer card_transmit_userdata;
    public Callbacks.Reset card_reset;
    public Pointer card_reset_userdata;
    public Callbacks.CardEvent card_event;
    public Pointer card_event_userdata;
    public Callbacks.Pin pin;
    public Pointer pin_userdata;
    public Callbacks.CertExpiry cert_expiry;
    public Pointer cert_expiry_userdata;
    public Callbacks.Progress progress;
    public Pointer progress_userdata;
    public Callbacks.Consent consent;
    public Pointer consent_userdata;
    public Callbacks.Audit audit;
    public Pointer audit_userdata;
    public Callbacks.Identity identity;
    public Pointer identity_userdata;
}
