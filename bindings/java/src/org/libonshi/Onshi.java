// SPDX-License-Identifier: Apache-2.0
package org.libonshi;

import com.sun.jna.DefaultTypeMapper;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import com.sun.jna.ToNativeContext;
import com.sun.jna.ToNativeConverter;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.LongByReference;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;

/**
 * Library-wide calls of libonshi (version, status tables, code tables, number checks, limit
 * calculator) and the loading of the native library: the installed one first
 * (libonshi.so.1 / libonshi-1.dll / libonshi.1.dylib through the system's search); a build in a
 * source tree only when asked with ONSHI_LIBRARY=/path/to/libonshi.so.1 (or the system
 * property onshi.library).
 */
public final class Onshi {
    private Onshi() {}

    static final NativeLib LIB = load();

    private static NativeLib load() {
        String path = System.getProperty("onshi.library");
        if (path == null || path.isEmpty()) {
            path = System.getenv("ONSHI_LIBRARY");
        }
        if (path == null || path.isEmpty()) {
            int major = HeaderVersion.VERSION_MAJOR;
            path = Platform.isWindows() ? "libonshi-" + major
                    : Platform.isMac() ? "libonshi." + major + ".dylib" : "libonshi.so." + major;
        }
        Map<String, Object> opts = new HashMap<>();
        opts.put(Library.OPTION_STRING_ENCODING, "UTF-8");
        // A string crosses as NUL-terminated UTF-8: one with a NUL inside would be cut short
        // without a word, so it is refused (as in the .NET and Python bindings).
        DefaultTypeMapper mapper = new DefaultTypeMapper();
        mapper.addToNativeConverter(String.class, new ToNativeConverter() {
            @Override
            public Object toNative(Object value, ToNativeContext context) {
                if (value != null && ((String) value).indexOf('\0') >= 0) {
                    throw new IllegalArgumentException("a string for libonshi cannot contain NUL");
                }
                return value;
            }

            @Override
            public Class<?> nativeType() {
                return String.class;
            }
        });
        opts.put(Library.OPTION_TYPE_MAPPER, mapper);
        return Native.load(path, NativeLib.class, opts);
    }

    /** A borrowed UTF-8 C string, null for NULL. */
    static String str(Pointer p) {
        return p == null ? null : p.getString(0, "UTF-8");
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final Map<String, Pointer> LABEL_CTX = Collections.synchronizedMap(new HashMap<>());

    /** A context per language for labels asked without one (kept for the process). */
    static Pointer labelContext(String lang) {
        return LABEL_CTX.computeIfAbsent(lang, l -> {
            com.sun.jna.ptr.PointerByReference out = new com.sun.jna.ptr.PointerByReference();
            if (LIB.onshi_ctx_new(out) != 0) {
                throw new OutOfMemoryError("onshi_ctx_new");
            }
            LIB.onshi_ctx_set_str(out.getValue(), Option.LANG, l);
            return out.getValue();
        });
    }

    /** The version of the loaded library ("1.0.0-rc1"). */
    public static String version() {
        return LIB.onshi_version(null, null, null);
    }

    /** {major, minor, patch} of the loaded library. */
    public static int[] versionInfo() {
        IntByReference a = new IntByReference(), b = new IntByReference(), c = new IntByReference();
        LIB.onshi_version(a, b, c);
        return new int[] {a.getValue(), b.getValue(), c.getValue()};
    }

    /** "ONSHI_E_NOMEM", or null for an undefined code. */
    public static String statusName(int status) {
        return LIB.onshi_status_name(status);
    }

    /** The description of a status in "ja" or "en". */
    public static String statusLabel(int status, String lang) {
        return LIB.onshi_status_label(labelContext(lang), status);
    }

    /** The layer band of a status (a constant of {@link Band}). */
    public static int statusBand(int status) {
        return LIB.onshi_status_band(status);
    }

    /** The option id of a configuration name ("req_dir"). */
    public static int optionId(String name) throws OnshiException {
        int rc = LIB.onshi_option_id(name);
        OnshiException.check(rc);
        return rc;
    }

    /** True for an option holding a secret (never readable, never logged). */
    public static boolean optionIsSecret(int option) throws OnshiException {
        int rc = LIB.onshi_option_is_secret(option);
        OnshiException.check(rc);
        return rc == 1;
    }

    public static String optionName(int option) {
        return LIB.onshi_option_name(option);
    }

    public static String fieldName(int field) {
        return LIB.onshi_field_name(field);
    }

    public static int fieldCodeTable(int field) {
        return LIB.onshi_field_code_table(field);
    }

    public static String codeLabel(int table, String value, String lang) {
        return LIB.onshi_code_label(labelContext(lang), table, value);
    }

    public static String messageTypePrefix(int type) {
        return LIB.onshi_msgtype_prefix(type);
    }

    public static int messageTypeFromFileName(String name) throws OnshiException {
        int rc = LIB.onshi_msgtype_from_filename(name);
        OnshiException.check(rc);
        return rc;
    }

    public static String messageTypeLabel(int type, String lang) {
        return LIB.onshi_msgtype_label(labelContext(lang), type);
    }

    /** Throws unless the 保険者番号 is well-formed with a right check digit. */
    public static void insurerNumberCheck(String number) throws OnshiException {
        OnshiException.check(LIB.onshi_insurer_number_check(number));
    }

    public static void publicExpenseNumberCheck(String number) throws OnshiException {
        OnshiException.check(LIB.onshi_public_expense_number_check(number));
    }

    public static void institutionCodeCheck(String code) throws OnshiException {
        OnshiException.check(LIB.onshi_institution_code_check(code));
    }

    /** Monthly co-payment ceiling (自己負担限度額) in yen (serviceMonth 0: this month). */
    public static long limitCeiling(String classCode, long totalCost, int scope, int flags, int serviceMonth)
            throws OnshiException {
        try (Request r = limitRequest(classCode, totalCost, scope, flags, serviceMonth)) {
            LongByReference out = new LongByReference();
            OnshiException.check(LIB.onshi_limit_ceiling(out, null, r.ptr()));
            return out.getValue();
        }
    }

    /** The window co-payment: the share stopped at the ceiling. */
    public static long limitCopay(String classCode, long totalCost, int ratioPercent, int scope, int flags,
                                  int serviceMonth) throws OnshiException {
        try (Request r = limitRequest(classCode, totalCost, scope, flags, serviceMonth)) {
            r.set(Param.RATIO_PERCENT, ratioPercent);
            LongByReference out = new LongByReference();
            OnshiException.check(LIB.onshi_limit_copay(out, null, r.ptr()));
            return out.getValue();
        }
    }

    /** The yearly cap (August–July) of a 適用区分 in force for the service month. */
    public static long limitYearlyCap(String classCode, int scope, int flags, int serviceMonth) throws OnshiException {
        try (Request r = limitRequest(classCode, 0, scope, flags, serviceMonth)) {
            LongByReference out = new LongByReference();
            OnshiException.check(LIB.onshi_limit_yearly_cap(out, null, r.ptr()));
            return out.getValue();
        }
    }

    private static Request limitRequest(String classCode, long totalCost, int scope, int flags, int month)
            throws OnshiException {
        Request r = new Request(RequestKind.LIMIT);
        try {
            return r.set(Param.CLASS_CODE, classCode).set(Param.TOTAL_COST, totalCost).set(Param.SCOPE, scope)
                    .set(Param.FLAGS, flags).set(Param.SERVICE_MONTH, month);
        } catch (OnshiException e) {
            r.close();
            throw e;
        }
    }
}
