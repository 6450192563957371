// SafeHandles, the callbacks struct, delegates and UTF-8 marshalling of the P/Invoke layer.
// SPDX-License-Identifier: Apache-2.0
using System;
using System.Runtime.InteropServices;
using System.Text;

namespace Onshi
{
    internal static partial class Native
    {
        // The P/Invoke name. Windows loads libonshi-1.dll as is; Mono maps the name to
        // libonshi.so.1 / libonshi.1.dylib through Onshi.dll.config (dllmap); .NET Core 3.0+
        // through the resolver below. The installed library is found by the system's search;
        // a build in a source tree only when the caller points the search at it
        // (LD_LIBRARY_PATH, or ONSHI_LIBRARY on .NET Core 3.0+).
        internal const string LibName = "libonshi-1";

#if NETCOREAPP3_0_OR_GREATER
        static Native()
        {
            NativeLibrary.SetDllImportResolver(typeof(Native).Assembly, (name, asm, path) =>
            {
                if (name != LibName) return IntPtr.Zero;
                string env = Environment.GetEnvironmentVariable("ONSHI_LIBRARY");
                if (!string.IsNullOrEmpty(env)) return NativeLibrary.Load(env);
                if (RuntimeInformation.IsOSPlatform(OSPlatform.Windows))
                    return NativeLibrary.Load("libonshi-1.dll", asm, path);
                if (RuntimeInformation.IsOSPlatform(OSPlatform.OSX))
                    return NativeLibrary.Load("libonshi.1.dylib", asm, path);
                return NativeLibrary.Load("libonshi.so.1", asm, path);
            });
        }
#endif

        /// <summary>UTF-8, NUL-terminated; null stays null. A NUL inside is refused.</summary>
        internal static byte[] U8(string s)
        {
            if (s == null) return null;
            if (s.IndexOf('\0') >= 0) throw new ArgumentException("a string for libonshi cannot contain NUL");
            var n = Encoding.UTF8.GetByteCount(s);
            var b = new byte[n + 1];
            Encoding.UTF8.GetBytes(s, 0, s.Length, b, 0);
            return b;
        }

        /// <summary>A borrowed UTF-8 C string → string (null for NULL).</summary>
        internal static string S(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int n = 0;
            while (Marshal.ReadByte(p, n) != 0) n++;
            var b = new byte[n];
            Marshal.Copy(p, b, 0, n);
            return Encoding.UTF8.GetString(b);
        }

        internal static UIntPtr Z(long n) { return new UIntPtr((ulong)n); }
    }

    /// <summary>Base of the SafeHandle of every opaque type the caller owns.</summary>
    public abstract class OnshiHandle : SafeHandle
    {
        protected OnshiHandle() : base(IntPtr.Zero, true) { }
        protected OnshiHandle(IntPtr h, bool owns) : base(IntPtr.Zero, owns) { SetHandle(h); }
        /// <inheritdoc/>
        public override bool IsInvalid { get { return handle == IntPtr.Zero; } }
    }

    /// <summary>onshi_ctx</summary>
    public sealed class CtxHandle : OnshiHandle
    {
        internal static readonly CtxHandle Null = new CtxHandle(IntPtr.Zero, false);
        public CtxHandle() { }
        internal CtxHandle(IntPtr h, bool owns) : base(h, owns) { }
        protected override bool ReleaseHandle() { Native.onshi_ctx_free(handle); return true; }
    }
    /// <summary>onshi_msg</summary>
    public sealed class MsgHandle : OnshiHandle
    {
        public MsgHandle() { }
        internal MsgHandle(IntPtr h, bool owns) : base(h, owns) { }
        protected override bool ReleaseHandle() { Native.onshi_msg_free(handle); return true; }
    }
    /// <summary>onshi_buf</summary>
    public sealed class BufHandle : OnshiHandle
    {
        public BufHandle() { }
        protected override bool ReleaseHandle() { Native.onshi_buf_free(handle); return true; }
        internal byte[] Bytes()
        {
            IntPtr p = Native.onshi_buf_data(this);
            long n = (long)Native.onshi_buf_len(this).ToUInt64();
            var b = new byte[n];
            if (n > 0 && p != IntPtr.Zero) Marshal.Copy(p, b, 0, (int)n);
            return b;
        }
    }
    /// <summary>onshi_card</summary>
    public sealed class CardHandle : OnshiHandle
    {
        public CardHandle() { }
        protected override bool ReleaseHandle() { Native.onshi_card_free(handle); return true; }
    }
    /// <summary>onshi_cert</summary>
    public sealed class CertHandle : OnshiHandle
    {
        public CertHandle() { }
        internal CertHandle(IntPtr h, bool owns) : base(h, owns) { }
        protected override bool ReleaseHandle() { Native.onshi_cert_free(handle); return true; }
    }
    /// <summary>onshi_request</summary>
    public sealed class RequestHandle : OnshiHandle
    {
        public RequestHandle() { }
        protected override bool ReleaseHandle() { Native.onshi_request_free(handle); return true; }
    }
    /// <summary>onshi_batch</summary>
    public sealed class BatchHandle : OnshiHandle
    {
        public BatchHandle() { }
        protected override bool ReleaseHandle() { Native.onshi_batch_free(handle); return true; }
    }
    /// <summary>onshi_bulk_reader</summary>
    public sealed class BulkReaderHandle : OnshiHandle
    {
        public BulkReaderHandle() { }
        protected override bool ReleaseHandle() { Native.onshi_bulk_reader_free(handle); return true; }
    }
    /// <summary>onshi_diag_report</summary>
    public sealed class DiagReportHandle : OnshiHandle
    {
        public DiagReportHandle() { }
        protected override bool ReleaseHandle() { Native.onshi_diag_report_free(handle); return true; }
    }
    /// <summary>onshi_face_watch</summary>
    public sealed class FaceWatchHandle : OnshiHandle
    {
        public FaceWatchHandle() { }
        protected override bool ReleaseHandle() { Native.onshi_face_watch_free(handle); return true; }
    }
    /// <summary>onshi_changes</summary>
    public sealed class ChangesHandle : OnshiHandle
    {
        public ChangesHandle() { }
        protected override bool ReleaseHandle() { Native.onshi_changes_free(handle); return true; }
    }

    /// <summary>onshi_pending (onshi_transport.h)</summary>
    public sealed class PendingHandle : OnshiHandle
    {
        public PendingHandle() { }
        protected override bool ReleaseHandle() { Native.onshi_pending_free(handle); return true; }
    }
    /// <summary>onshi_file_result (onshi_transport.h)</summary>
    public sealed class FileResultHandle : OnshiHandle
    {
        public FileResultHandle() { }
        protected override bool ReleaseHandle() { Native.onshi_file_result_free(handle); return true; }
    }

    // Callback types of include/onshi.h (userdata first, cdecl).
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate void LogCb(IntPtr ud, int level, IntPtr component, IntPtr message);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int TransmitCb(IntPtr ud, IntPtr cmd, UIntPtr cmdLen, IntPtr resp, UIntPtr cap, IntPtr respLen);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int ResetCb(IntPtr ud);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int CardEventCb(IntPtr ud, int ev, IntPtr reader);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int PinCb(IntPtr ud, int tries, int isLast, IntPtr pinBuf, UIntPtr size, IntPtr confirmLast);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int CertExpiryCb(IntPtr ud, int days, IntPtr subject);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int ProgressCb(IntPtr ud, int stage, long done, long total);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int ConsentCb(IntPtr ud, int offered, IntPtr granted);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int AuditCb(IntPtr ud, int action, int phase, int outcome, IntPtr op, IntPtr patient, IntPtr detail, IntPtr ts);
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int IdentityCb(IntPtr ud, int method, IntPtr cert, IntPtr verified);
    /// <summary>onshi_face_watch_cb</summary>
    [UnmanagedFunctionPointer(CallingConvention.Cdecl)]
    internal delegate int FaceWatchCallback(IntPtr ud, int status, IntPtr msg, IntPtr filename);

    /// <summary>struct onshi_callbacks, version 1 (function pointers kept alive by Context).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct NativeCallbacks
    {
        internal int version;
        internal IntPtr log, log_userdata;
        internal IntPtr card_transmit, card_transmit_userdata;
        internal IntPtr card_reset, card_reset_userdata;
        internal IntPtr card_event, card_event_userdata;
        internal IntPtr pin, pin_userdata;
        internal IntPtr cert_expiry, cert_expiry_userdata;
        internal IntPtr progress, progress_userdata;
        internal IntPtr consent, consent_userdata;
        internal IntPtr audit, audit_userdata;
        internal IntPtr identity, identity_userdata;
    }
}
