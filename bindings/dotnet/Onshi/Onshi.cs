// The .NET binding of libonshi: errors, library-wide calls, requests, messages and groups.
// SPDX-License-Identifier: Apache-2.0
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

namespace Onshi
{
    /// <summary>
    /// A libonshi error: the status (and its symbolic name), the library's message in the
    /// context's language, the status description in Japanese and English, and the foreign
    /// detail (e.g. PIN tries left). An exception thrown by a callback is not wrapped: it is
    /// re-thrown as it was from the call the callback cancelled.
    /// </summary>
    public class OnshiException : Exception
    {
        /// <summary>The ONSHI_E_* code.</summary>
        public Status Status { get; private set; }
        /// <summary>"ONSHI_E_NOMEM".</summary>
        public string Name { get; private set; }
        /// <summary>The message in Japanese: the library's full message when the context is Japanese, else the status description.</summary>
        public string MessageJa { get; private set; }
        /// <summary>The message in English: the library's full message when the context is English, else the status description.</summary>
        public string MessageEn { get; private set; }
        /// <summary>The status description in Japanese.</summary>
        public string LabelJa { get; private set; }
        /// <summary>The status description in English.</summary>
        public string LabelEn { get; private set; }
        /// <summary>Kind of the underlying library's code (ForeignKind).</summary>
        public ForeignKind ForeignKind { get; private set; }
        /// <summary>The underlying library's code.</summary>
        public long ForeignValue { get; private set; }

        internal OnshiException(int status, string message, string lang, int foreignKind, long foreignValue)
            : base(string.Format("{0} ({1}): {2}", Library.StatusName(status), status,
                                 message ?? Library.StatusLabel(status, lang)))
        {
            Status = (Status)status;
            Name = Library.StatusName(status);
            LabelJa = Library.StatusLabel(status, "ja");
            LabelEn = Library.StatusLabel(status, "en");
            string m = message ?? Library.StatusLabel(status, lang);
            MessageJa = lang == "ja" ? m : LabelJa;
            MessageEn = lang == "en" ? m : LabelEn;
            ForeignKind = (ForeignKind)foreignKind;
            ForeignValue = foreignValue;
        }

        internal static void Check(int rc)
        {
            if (rc < 0) throw new OnshiException(rc, null, "ja", 0, 0);
        }
    }

    /// <summary>ONSHI_E_PENDING: the request was sent and its result has not come; pick it
    /// up later with Context.ResultPickup(PendingId, ...). Never send it again.</summary>
    public class PendingException : OnshiException
    {
        /// <summary>The request id for Context.ResultPickup.</summary>
        public string PendingId { get; private set; }
        internal PendingException(int status, string message, string lang, int fk, long fv, string id)
            : base(status, message, lang, fk, fv) { PendingId = id; }
    }

    /// <summary>Library-wide calls: version, status tables, code tables, number checks.</summary>
    public static class Library
    {
        static readonly Dictionary<string, CtxHandle> labelCtx = new Dictionary<string, CtxHandle>();

        internal static CtxHandle LabelContext(string lang)
        {
            lock (labelCtx)
            {
                CtxHandle h;
                if (!labelCtx.TryGetValue(lang, out h))
                {
                    OnshiException.Check(Native.onshi_ctx_new(out h));
                    Native.onshi_ctx_set_str(h, (int)Option.Lang, Native.U8(lang));
                    labelCtx[lang] = h;
                }
                return h;
            }
        }

        /// <summary>The version of the loaded library ("1.0.0-rc1").</summary>
        public static string Version
        {
            get { int a, b, c; return Native.S(Native.onshi_version(out a, out b, out c)); }
        }

        /// <summary>The major version of the loaded library.</summary>
        public static int VersionMajor
        {
            get { int a, b, c; Native.onshi_version(out a, out b, out c); return a; }
        }

        /// <summary>"ONSHI_E_NOMEM", or null for an undefined code.</summary>
        public static string StatusName(int status) { return Native.S(Native.onshi_status_name(status)); }
        /// <summary>The description of a status in "ja" or "en".</summary>
        public static string StatusLabel(int status, string lang) { return Native.S(Native.onshi_status_label(LabelContext(lang), status)); }
        /// <summary>The layer band of a status.</summary>
        public static Band StatusBand(int status) { return (Band)Native.onshi_status_band(status); }
        /// <summary>The option id of a configuration name ("req_dir").</summary>
        public static Option OptionId(string name)
        {
            int rc = Native.onshi_option_id(Native.U8(name));
            OnshiException.Check(rc);
            return (Option)rc;
        }
        /// <summary>True for an option holding a secret (never readable, never logged).</summary>
        public static bool OptionIsSecret(Option option)
        {
            int rc = Native.onshi_option_is_secret((int)option);
            OnshiException.Check(rc);
            return rc == 1;
        }
        /// <summary>The configuration name of an option.</summary>
        public static string OptionName(Option option) { return Native.S(Native.onshi_option_name((int)option)); }
        /// <summary>The XML element name of a field.</summary>
        public static string FieldName(Field field) { return Native.S(Native.onshi_field_name((int)field)); }
        /// <summary>The OQSCD table number of a field (0: none).</summary>
        public static int FieldCodeTable(Field field) { return Native.onshi_field_code_table((int)field); }
        /// <summary>The label of a value of code table OQSCD&lt;table&gt; in "ja" or "en".</summary>
        public static string CodeLabel(int table, string value, string lang) { return Native.S(Native.onshi_code_label(LabelContext(lang), table, Native.U8(value))); }
        /// <summary>The file-name prefix of a message type ("OQSsiquc01req").</summary>
        public static string MessageTypePrefix(MessageType t) { return Native.S(Native.onshi_msgtype_prefix((int)t)); }
        /// <summary>The message type of a file name.</summary>
        public static MessageType MessageTypeFromFileName(string name)
        {
            int rc = Native.onshi_msgtype_from_filename(Native.U8(name));
            OnshiException.Check(rc);
            return (MessageType)rc;
        }
        /// <summary>The name of a message type in "ja" or "en".</summary>
        public static string MessageTypeLabel(MessageType t, string lang) { return Native.S(Native.onshi_msgtype_label(LabelContext(lang), (int)t)); }
        /// <summary>Throws unless the 保険者番号 is well-formed with a right check digit.</summary>
        public static void InsurerNumberCheck(string number) { OnshiException.Check(Native.onshi_insurer_number_check(Native.U8(number))); }
        /// <summary>Throws unless the 公費負担者番号 is valid.</summary>
        public static void PublicExpenseNumberCheck(string number) { OnshiException.Check(Native.onshi_public_expense_number_check(Native.U8(number))); }
        /// <summary>Throws unless the 医療機関コード is valid.</summary>
        public static void InstitutionCodeCheck(string code) { OnshiException.Check(Native.onshi_institution_code_check(Native.U8(code))); }

        /// <summary>Monthly co-payment ceiling (自己負担限度額) in yen, without a context.</summary>
        public static long LimitCeiling(string classCode, long totalCost, LimitScope scope = LimitScope.All,
                                        LimitFlags flags = 0, int serviceMonth = 0)
        {
            using (var r = LimitRequest(classCode, totalCost, scope, flags, serviceMonth))
            {
                long v;
                OnshiException.Check(Native.onshi_limit_ceiling(out v, CtxHandle.Null, r.Handle));
                return v;
            }
        }

        /// <summary>The window co-payment (the share stopped at the ceiling), without a context.</summary>
        public static long LimitCopay(string classCode, long totalCost, int ratioPercent,
                                      LimitScope scope = LimitScope.All, LimitFlags flags = 0, int serviceMonth = 0)
        {
            using (var r = LimitRequest(classCode, totalCost, scope, flags, serviceMonth))
            {
                r.Set(Param.RatioPercent, ratioPercent);
                long v;
                OnshiException.Check(Native.onshi_limit_copay(out v, CtxHandle.Null, r.Handle));
                return v;
            }
        }

        /// <summary>The yearly cap (August–July) of a 適用区分 in force for the service month.</summary>
        public static long LimitYearlyCap(string classCode, LimitScope scope = LimitScope.All,
                                          LimitFlags flags = 0, int serviceMonth = 0)
        {
            using (var r = LimitRequest(classCode, 0, scope, flags, serviceMonth))
            {
                long v;
                OnshiException.Check(Native.onshi_limit_yearly_cap(out v, CtxHandle.Null, r.Handle));
                return v;
            }
        }

        static Request LimitRequest(string classCode, long totalCost, LimitScope scope, LimitFlags flags, int month)
        {
            return new Request(RequestKind.Limit).Set(Param.ClassCode, classCode).Set(Param.TotalCost, totalCost)
                .Set(Param.Scope, (long)scope).Set(Param.Flags, (long)flags).Set(Param.ServiceMonth, month);
        }
    }

    /// <summary>The inputs of one workflow call: a kind and parameters set by typed setters.</summary>
    public sealed class Request : IDisposable
    {
        internal readonly RequestHandle Handle;

        /// <summary>An empty request of a kind.</summary>
        public Request(RequestKind kind)
        {
            OnshiException.Check(Native.onshi_request_new(out Handle, (int)kind));
        }

        /// <summary>Set a string parameter (null unsets it).</summary>
        public Request Set(Param param, string value)
        {
            Check(Native.onshi_request_set_str(Handle, (int)param, Native.U8(value)), param);
            return this;
        }

        /// <summary>Set an integer parameter.</summary>
        public Request Set(Param param, long value)
        {
            Check(Native.onshi_request_set_int(Handle, (int)param, value), param);
            return this;
        }

        static void Check(int rc, Param p)
        {
            if (rc < 0)
                throw new OnshiException(rc, Native.S(Native.onshi_request_param_name((int)p)) + ": " +
                                         Library.StatusLabel(rc, "en"), "en", 0, 0);
        }

        /// <summary>The kind.</summary>
        public RequestKind Kind { get { return (RequestKind)Native.onshi_request_kind(Handle); } }

        /// <summary>Free the request (its strings are wiped).</summary>
        public void Dispose() { Handle.Dispose(); }
    }

    /// <summary>A decoded or built message: type, header group, body group.</summary>
    public sealed class Message : IDisposable
    {
        internal readonly MsgHandle Handle;

        internal Message(MsgHandle h) { Handle = h; }

        /// <summary>The request id of a workflow result (file transport), else "".</summary>
        public string RequestId { get; internal set; }

        /// <summary>An empty message to build.</summary>
        public static Message New(MessageType type)
        {
            MsgHandle h;
            OnshiException.Check(Native.onshi_msg_new(out h, (int)type));
            return new Message(h);
        }

        internal bool IsClosed { get { return Handle.IsClosed || Handle.IsInvalid; } }

        /// <summary>ONSHI_MSG_*.</summary>
        public MessageType Type { get { return (MessageType)Native.onshi_msg_type(Handle); } }
        /// <summary>MessageHeader.</summary>
        public Group Header { get { return new Group(Native.onshi_msg_header(Handle), this); } }
        /// <summary>MessageBody.</summary>
        public Group Body { get { return new Group(Native.onshi_msg_body(Handle), this); } }
        /// <summary>The persons (ResultOfQualificationConfirmation) of the body.</summary>
        public IList<Group> Persons() { return Body.Children(GroupKind.Result); }

        /// <summary>Validate and write as XML in the context's request encoding.</summary>
        public byte[] Encode(Context ctx)
        {
            BufHandle b;
            ctx.Call(Native.onshi_msg_encode(out b, ctx.Handle, Handle));
            using (b) return b.Bytes();
        }

        /// <summary>Validate as Encode would, without writing.</summary>
        public void Validate(Context ctx) { ctx.Call(Native.onshi_msg_validate(ctx.Handle, Handle)); }

        /// <summary>The message as JSON (XML element names as keys).</summary>
        public string ToJson(Context ctx)
        {
            BufHandle b;
            ctx.Call(Native.onshi_msg_to_json(out b, ctx.Handle, Handle));
            using (b) return System.Text.Encoding.UTF8.GetString(b.Bytes());
        }

        /// <summary>The bytes of a PDF result or an error file's text, or null.</summary>
        public byte[] Attachment(out string fileName)
        {
            IntPtr data, name;
            UIntPtr n;
            fileName = null;
            int rc = Native.onshi_msg_attachment(out data, out n, out name, Handle);
            if (rc == (int)Status.NotFound) return null;
            OnshiException.Check(rc);
            fileName = Native.S(name);
            var b = new byte[(int)n.ToUInt64()];
            if (b.Length > 0) Marshal.Copy(data, b, 0, b.Length);
            return b;
        }

        /// <summary>Warnings found while decoding.</summary>
        public IList<DecodeWarning> Warnings
        {
            get
            {
                var list = new List<DecodeWarning>();
                long n = (long)Native.onshi_msg_warning_count(Handle).ToUInt64();
                for (long i = 0; i < n; i++)
                {
                    int k; IntPtr p, t;
                    if (Native.onshi_msg_warning_at(out k, out p, out t, Handle, Native.Z(i)) == 0)
                        list.Add(new DecodeWarning((WarningKind)k, Native.S(p), Native.S(t)));
                }
                return list;
            }
        }

        /// <summary>Free the message; its groups become unusable.</summary>
        public void Dispose() { Handle.Dispose(); }
    }

    /// <summary>A warning found while decoding (never fatal).</summary>
    public sealed class DecodeWarning
    {
        internal DecodeWarning(WarningKind k, string p, string t) { Kind = k; Path = p; Text = t; }
        /// <summary>What kind.</summary>
        public WarningKind Kind { get; private set; }
        /// <summary>Element path.</summary>
        public string Path { get; private set; }
        /// <summary>Description (English).</summary>
        public string Text { get; private set; }
    }

    /// <summary>
    /// A borrowed view of a group inside a message (or batch, or bulk unit). It keeps its owner
    /// alive and throws ObjectDisposedException once the owner was disposed.
    /// </summary>
    public sealed class Group
    {
        readonly IntPtr p;
        readonly object owner;
        readonly int gen; // the owner's generation it belongs to; -1: valid while the owner lives

        internal Group(IntPtr p, object owner, int gen = -1) { this.p = p; this.owner = owner; this.gen = gen; }

        // The owner stays reachable until the native call that uses the pointer returned.
        T K<T>(T value) { GC.KeepAlive(owner); return value; }

        internal IntPtr Ptr
        {
            get
            {
                var m = owner as Message;
                var d = owner as IOwner;
                if (p == IntPtr.Zero || (m != null && m.IsClosed) || (d != null && d.IsClosed))
                    throw new ObjectDisposedException("Group", "the message this group belongs to was disposed");
                // A batch entry's group lasts until another entry is read, a bulk unit until the
                // next unit (onshi_batch_unit, onshi_bulk_reader_next): refused, not a dangling read.
                if (gen >= 0 && d != null && d.Generation != gen)
                    throw new InvalidOperationException("this group was replaced: another batch entry or bulk unit was read since; read it again");
                GC.KeepAlive(owner);
                return p;
            }
        }

        /// <summary>ONSHI_G_*.</summary>
        public GroupKind Kind { get { return K((GroupKind)Native.onshi_group_kind(Ptr)); } }
        /// <summary>Number of child groups of a kind.</summary>
        public int Count(GroupKind kind) { return K((int)Native.onshi_group_count(Ptr, (int)kind).ToUInt64()); }

        /// <summary>The i-th child group of a kind.</summary>
        public Group Child(GroupKind kind, int i = 0)
        {
            IntPtr g;
            OnshiException.Check(Native.onshi_group_at(out g, Ptr, (int)kind, Native.Z(i)));
            return K(new Group(g, owner, gen));
        }

        /// <summary>Every child group of a kind.</summary>
        public IList<Group> Children(GroupKind kind)
        {
            var l = new List<Group>();
            int n = Count(kind);
            for (int i = 0; i < n; i++) l.Add(Child(kind, i));
            return l;
        }

        /// <summary>A field as a string, or null when absent.</summary>
        public string Get(Field field)
        {
            IntPtr s;
            int rc = Native.onshi_group_get_str(out s, Ptr, (int)field);
            if (rc == (int)Status.NotFound) return null;
            OnshiException.Check(rc);
            return K(Native.S(s));
        }

        /// <summary>Every occurrence of a field that repeats (e.g. several ReferenceNumber).</summary>
        public IList<string> GetAll(Field field)
        {
            var l = new List<string>();
            long n = (long)Native.onshi_group_count_str(Ptr, (int)field).ToUInt64();
            for (long i = 0; i < n; i++)
            {
                IntPtr s;
                OnshiException.Check(Native.onshi_group_get_str_at(out s, Ptr, (int)field, Native.Z(i)));
                l.Add(Native.S(s));
            }
            return K(l);
        }

        /// <summary>A numeric field, or null when absent.</summary>
        public long? GetInt(Field field)
        {
            long v;
            int rc = Native.onshi_group_get_int(out v, Ptr, (int)field);
            if (rc == (int)Status.NotFound) return null;
            OnshiException.Check(rc);
            return K(v);
        }

        /// <summary>The label of a code field's value in the context's language (null ctx: Japanese).</summary>
        public string Label(Field field, Context ctx = null)
        {
            IntPtr s;
            int rc = Native.onshi_group_get_label(out s, ctx == null ? CtxHandle.Null : ctx.Handle, Ptr, (int)field);
            if (rc == (int)Status.NotFound) return null;
            OnshiException.Check(rc);
            return K(Native.S(s));
        }

        /// <summary>Set (or with null remove) a field.</summary>
        public Group Set(Field field, string value)
        {
            OnshiException.Check(Native.onshi_group_set_str(Ptr, (int)field, Native.U8(value)));
            return K(this);
        }

        /// <summary>Append a child group of a kind.</summary>
        public Group Add(GroupKind kind)
        {
            IntPtr g;
            OnshiException.Check(Native.onshi_group_add(out g, Ptr, (int)kind));
            return K(new Group(g, owner, gen));
        }

        /// <summary>The group as a JSON object.</summary>
        public string ToJson(Context ctx)
        {
            BufHandle b;
            ctx.Call(Native.onshi_group_to_json(out b, ctx.Handle, Ptr));
            using (b) return K(System.Text.Encoding.UTF8.GetString(b.Bytes()));
        }
    }

    internal interface IOwner
    {
        bool IsClosed { get; }
        /// <summary>Changes when the groups handed out with a generation become invalid.</summary>
        int Generation { get; }
    }

    /// <summary>A streaming reader of a bulk result: enumerate it for its units (each valid
    /// until the next one).</summary>
    public sealed class BulkReader : IDisposable, IEnumerable<Group>, IOwner
    {
        internal readonly BulkReaderHandle Handle;
        readonly Context ctx;
        IntPtr mem; // the bytes of a reader over memory (they must outlive it)

        internal BulkReader(BulkReaderHandle h, Context ctx, IntPtr mem)
        {
            Handle = h; this.ctx = ctx; this.mem = mem;
        }

        int unitGen;
        bool IOwner.IsClosed { get { return Handle.IsClosed; } }
        int IOwner.Generation { get { return unitGen; } }
        /// <summary>MessageHeader.</summary>
        public Group Header { get { return new Group(Native.onshi_bulk_reader_header(Handle), this); } }
        /// <summary>MessageBody without its units (complete after the last unit).</summary>
        public Group Body { get { return new Group(Native.onshi_bulk_reader_body(Handle), this); } }

        /// <inheritdoc/>
        public IEnumerator<Group> GetEnumerator()
        {
            while (true)
            {
                IntPtr g;
                unitGen++; // the previous unit is gone
                ctx.Call(Native.onshi_bulk_reader_next(out g, Handle));
                if (g == IntPtr.Zero) yield break;
                yield return new Group(g, this, unitGen);
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() { return GetEnumerator(); }

        /// <summary>Close the reader.</summary>
        public void Dispose()
        {
            Handle.Dispose();
            if (mem != IntPtr.Zero) { Marshal.FreeHGlobal(mem); mem = IntPtr.Zero; }
        }
    }
}
