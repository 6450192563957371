// The C callback types of include/onshi.h (userdata first, cdecl) as JNA callbacks.
// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.Callback;
import com.sun.jna.Pointer;

final class Callbacks {
    private Callbacks() {}

    interface Log extends Callback {
        void invoke(Pointer ud, int level, Pointer component, Pointer message);
    }

    interface Transmit extends Callback {
        int invoke(Pointer ud, Pointer cmd, SizeT len, Pointer resp, SizeT cap, Pointer respLen);
    }

    interface Reset extends Callback {
        int invoke(Pointer ud);
    }

    interface CardEvent extends Callback {
        int invoke(Pointer ud, int event, Pointer reader);
    }

    interface Pin extends Callback {
        int invoke(Pointer ud, int tries, int isLast, Pointer pinBuf, SizeT size, Pointer confirmLast);
    }

    interface CertExpiry extends Callback {
        int invoke(Pointer ud, int days, Pointer subject);
    }

    interface Progress extends Callback {
        int invoke(Pointer ud, int stage, long done, long total);
    }

    interface Consent extends Callback {
        int invoke(Pointer ud, int offered, Pointer granted);
    }

    interface Audit extends Callback {
        int invoke(Pointer ud, int action, int phase, int outcome, Pointer operatorId, Pointer patient,
                   Pointer detail, Pointer timestamp);
    }

    interface Identity extends Callback {
        int invoke(Pointer ud, int method, Pointer cert, Pointer verified);
    }

    interface FaceWatch extends Callback {
        int invoke(Pointer ud, int status, Pointer msg, Pointer filename);
    }
}
