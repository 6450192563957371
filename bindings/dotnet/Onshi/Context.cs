// Context: options, callbacks, workflows. Card, certificates, batch, face folder.
// SPDX-License-Identifier: Apache-2.0
using System;
using System.Collections.Generic;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using System.Threading;
using System.Threading.Tasks;

namespace Onshi
{
    /// <summary>What the PIN callback is asked with; set ConfirmLastTry to allow the last try.</summary>
    public sealed class PinRequest
    {
        internal PinRequest(int tries, bool last) { TriesLeft = tries; IsLastTry = last; }
        /// <summary>Tries left before the PIN locks (-1 unknown).</summary>
        public int TriesLeft { get; private set; }
        /// <summary>This is the last try: it is made only when ConfirmLastTry is set.</summary>
        public bool IsLastTry { get; private set; }
        /// <summary>Set to true to confirm the last try.</summary>
        public bool ConfirmLastTry { get; set; }
    }

    /// <summary>One call of the audit callback.</summary>
    public sealed class AuditRecord
    {
        /// <summary>What was accessed.</summary>
        public AuditAction Action { get; internal set; }
        /// <summary>Before or after.</summary>
        public AuditPhase Phase { get; internal set; }
        /// <summary>The call's status (after).</summary>
        public int Outcome { get; internal set; }
        /// <summary>ONSHI_OPT_OPERATOR_ID.</summary>
        public string OperatorId { get; internal set; }
        /// <summary>A stable reference of the record.</summary>
        public string Patient { get; internal set; }
        /// <summary>What was asked.</summary>
        public string Detail { get; internal set; }
        /// <summary>Local time YYYYMMDDHHMMSS.</summary>
        public string Timestamp { get; internal set; }
    }

    /// <summary>One check of Context.Diagnose().</summary>
    public sealed class DiagItem
    {
        /// <summary>Which check.</summary>
        public DiagCheck Check { get; internal set; }
        /// <summary>Its outcome.</summary>
        public DiagOutcome Outcome { get; internal set; }
        /// <summary>The status behind a failure.</summary>
        public Status Status { get; internal set; }
        /// <summary>The message for staff in the context's language.</summary>
        public string Message { get; internal set; }
        /// <inheritdoc/>
        public override string ToString() { return Check + " " + Outcome + ": " + Message; }
    }

    /// <summary>One changed field between two results of a patient.</summary>
    public sealed class Change
    {
        /// <summary>The field.</summary>
        public Field Field { get; internal set; }
        /// <summary>Previous value ("" when absent).</summary>
        public string Old { get; internal set; }
        /// <summary>Current value ("" when absent).</summary>
        public string New { get; internal set; }
        /// <summary>The field's name for staff.</summary>
        public string FieldLabel { get; internal set; }
        /// <summary>Label of the previous value.</summary>
        public string OldLabel { get; internal set; }
        /// <summary>Label of the current value.</summary>
        public string NewLabel { get; internal set; }
    }

    /// <summary>
    /// An onshi_ctx: options, callbacks, last error. One thread at a time; Cancel() from any.
    /// Callbacks run on the thread that makes the call (with the *Async methods: a thread-pool
    /// thread). An exception thrown in a callback cancels the call and is re-thrown from it.
    /// Delegates are kept alive by the context while they are installed.
    /// </summary>
    public sealed partial class Context : IDisposable
    {
        internal readonly CtxHandle Handle;
        ExceptionDispatchInfo pending;
        readonly List<Delegate> alive = new List<Delegate>();

        /// <summary>A context with every option at its default.</summary>
        public Context()
        {
            OnshiException.Check(Native.onshi_ctx_new(out Handle));
        }

        /// <summary>Free the context (secrets it holds are wiped).</summary>
        public void Dispose()
        {
            Handle.Dispose();
            alive.Clear();
        }

        // ---- errors
        internal void Call(int rc, string pendingId = null)
        {
            if (pending != null)
            {
                var p = pending;
                pending = null;
                p.Throw();
            }
            if (rc >= 0) return;
            int fk; long fv;
            Native.onshi_ctx_last_error_foreign(out fk, out fv, Handle);
            string msg = Native.S(Native.onshi_ctx_last_error_message(Handle));
            if (rc == (int)Status.Pending && pendingId != null)
                throw new PendingException(rc, msg, Lang, fk, fv, pendingId);
            throw new OnshiException(rc, msg, Lang, fk, fv);
        }

        void Fail(Exception e)
        {
            if (pending == null) pending = ExceptionDispatchInfo.Capture(e);
            try { Native.onshi_ctx_set_error(Handle, (int)Status.Callback, Native.U8(e.GetType().Name + ": " + e.Message)); }
            catch (Exception) { }
        }

        /// <summary>The status of the last failed call.</summary>
        public Status LastError { get { return (Status)Native.onshi_ctx_last_error(Handle); } }
        /// <summary>Its message in the context's language.</summary>
        public string LastErrorMessage { get { return Native.S(Native.onshi_ctx_last_error_message(Handle)); } }
        /// <summary>Stop the running (or next) call: it throws OnshiException(Cancelled). Any thread.</summary>
        public void Cancel() { if (!Handle.IsClosed) Native.onshi_ctx_cancel(Handle); }

        // ---- options
        /// <summary>Set a string option (null restores the default).</summary>
        public Context Set(Option option, string value) { Call(Native.onshi_ctx_set_str(Handle, (int)option, Native.U8(value))); return this; }
        /// <summary>Set an integer option.</summary>
        public Context Set(Option option, long value) { Call(Native.onshi_ctx_set_int(Handle, (int)option, value)); return this; }
        /// <summary>Set a byte-string option (null restores the default).</summary>
        public Context Set(Option option, byte[] value)
        {
            Call(Native.onshi_ctx_set_bytes(Handle, (int)option, value, Native.Z(value == null ? 0 : value.Length)));
            return this;
        }
        /// <summary>Set an option by its configuration name ("req_dir").</summary>
        public Context Set(string name, object value)
        {
            Option o = Library.OptionId(name);
            if (value == null) return Set(o, (string)null);
            if (value is string && Native.onshi_option_type((int)o) == (int)OptionType.Int)
                return SetText(name, (string)value); /* "transport", "https" */
            if (value is string) return Set(o, (string)value);
            if (value is byte[]) return Set(o, (byte[])value);
            return Set(o, Convert.ToInt64(value));
        }
        /// <summary>Set an option from its name and text exactly as onshi.conf, the ONSHI_*
        /// variables and `onshi --set` take it (the library's one parser): a number or, for
        /// enumerated options, a name ("transport", "https"); hex for byte options; an empty
        /// text restores the default. For settings screens.</summary>
        public Context SetText(string name, string text)
        {
            Call(Native.onshi_ctx_set_option(Handle, Native.U8(name), Native.U8(text)));
            return this;
        }
        /// <summary>Read a string option (null when unset).</summary>
        public string GetString(Option option)
        {
            IntPtr s;
            Call(Native.onshi_ctx_get_str(out s, Handle, (int)option));
            return Native.S(s);
        }
        /// <summary>Read an integer option.</summary>
        public long GetInt(Option option)
        {
            long v;
            Call(Native.onshi_ctx_get_int(out v, Handle, (int)option));
            return v;
        }
        /// <summary>The message language ("ja" or "en").</summary>
        public string Lang
        {
            get
            {
                IntPtr s;
                if (!Handle.IsClosed && Native.onshi_ctx_get_str(out s, Handle, (int)Option.Lang) == 0 && s != IntPtr.Zero)
                    return Native.S(s);
                return "ja";
            }
            set { Set(Option.Lang, value); }
        }
        /// <summary>Load onshi.conf (null: none) and the ONSHI_* environment variables.</summary>
        public Context LoadConfig(string path) { Call(Native.onshi_ctx_load_config(Handle, Native.U8(path))); return this; }

        // ---- callbacks
        Func<PinRequest, string> onPin;
        Func<Consent, Consent> onConsent;
        Func<IdentityMethod, Certificate, bool> onIdentity;
        Func<Stage, long, long, bool> onProgress;
        Func<AuditRecord, bool> onAudit;
        Action<LogLevel, string, string> onLog;
        Func<CardEvent, string, bool> onCardEvent;
        Action<int, string> onCertExpiry;
        Func<byte[], byte[]> cardTransmit;
        Action cardReset;

        /// <summary>The PIN for the card (returns the 4 digits; null cancels). Set
        /// PinRequest.ConfirmLastTry to allow the last try.</summary>
        public Func<PinRequest, string> OnPin { get { return onPin; } set { onPin = value; Install(); } }
        /// <summary>The consent items the patient accepted out of those offered.</summary>
        public Func<Consent, Consent> OnConsent { get { return onConsent; } set { onConsent = value; Install(); } }
        /// <summary>Face / visual identity verdict: true only when positively identified.</summary>
        public Func<IdentityMethod, Certificate, bool> OnIdentity { get { return onIdentity; } set { onIdentity = value; Install(); } }
        /// <summary>Progress (stage, done, total); false cancels.</summary>
        public Func<Stage, long, long, bool> OnProgress { get { return onProgress; } set { onProgress = value; Install(); } }
        /// <summary>Audit record; false at AuditPhase.Before refuses the access.</summary>
        public Func<AuditRecord, bool> OnAudit { get { return onAudit; } set { onAudit = value; Install(); } }
        /// <summary>Log lines (level, component, message).</summary>
        public Action<LogLevel, string, string> OnLog { get { return onLog; } set { onLog = value; Install(); } }
        /// <summary>Card inserted / removed while waiting; false cancels.</summary>
        public Func<CardEvent, string, bool> OnCardEvent { get { return onCardEvent; } set { onCardEvent = value; Install(); } }
        /// <summary>The client certificate expires in fewer days than configured.</summary>
        public Action<int, string> OnCertExpiry { get { return onCertExpiry; } set { onCertExpiry = value; Install(); } }
        /// <summary>Vendor card driver (CardDriver.Callback): one APDU in, its answer out.</summary>
        public Func<byte[], byte[]> CardTransmit { get { return cardTransmit; } set { cardTransmit = value; Install(); } }
        /// <summary>Vendor card driver: reset the card.</summary>
        public Action CardReset { get { return cardReset; } set { cardReset = value; Install(); } }

        IntPtr Fn(Delegate d, List<Delegate> keep)
        {
            keep.Add(d);
            return Marshal.GetFunctionPointerForDelegate(d);
        }

        void Install()
        {
            var keep = new List<Delegate>();
            var cbs = new NativeCallbacks { version = HeaderVersion.CallbacksVersion };
            if (onLog != null)
                cbs.log = Fn(new LogCb((ud, level, comp, msg) =>
                {
                    try { onLog((LogLevel)level, Native.S(comp), Native.S(msg)); }
                    catch (Exception) { } // a log line cannot stop anything
                }), keep);
            if (cardTransmit != null)
                cbs.card_transmit = Fn(new TransmitCb((ud, cmd, len, resp, cap, rlen) =>
                {
                    try
                    {
                        var c = new byte[(int)len.ToUInt64()];
                        Marshal.Copy(cmd, c, 0, c.Length);
                        var r = cardTransmit(c);
                        if (r == null || r.Length < 2 || (ulong)r.Length > cap.ToUInt64())
                            throw new InvalidOperationException("CardTransmit: answer of " + (r == null ? 0 : r.Length) + " bytes");
                        Marshal.Copy(r, 0, resp, r.Length);
                        Marshal.WriteIntPtr(rlen, new IntPtr(r.Length));
                        return 0;
                    }
                    catch (OnshiException e) when ((int)e.Status <= -100 && (int)e.Status >= -199) { return (int)e.Status; }
                    catch (Exception e) { Fail(e); return (int)Status.CardDriver; }
                }), keep);
            if (cardReset != null)
                cbs.card_reset = Fn(new ResetCb(ud =>
                {
                    try { cardReset(); return 0; }
                    catch (Exception e) { Fail(e); return (int)Status.CardDriver; }
                }), keep);
            if (onCardEvent != null)
                cbs.card_event = Fn(new CardEventCb((ud, ev, reader) =>
                {
                    try { return onCardEvent((CardEvent)ev, Native.S(reader)) ? 0 : 1; }
                    catch (Exception e) { Fail(e); return 1; }
                }), keep);
            if (onPin != null)
                cbs.pin = Fn(new PinCb((ud, tries, last, buf, size, confirm) =>
                {
                    try
                    {
                        var req = new PinRequest(tries, last != 0);
                        string pin = onPin(req);
                        if (pin == null) return 1;
                        byte[] b = Native.U8(pin);
                        try
                        {
                            if ((ulong)b.Length > size.ToUInt64()) throw new ArgumentException("PIN too long");
                            Marshal.Copy(b, 0, buf, b.Length);
                        }
                        finally { Array.Clear(b, 0, b.Length); }
                        Marshal.WriteInt32(confirm, req.ConfirmLastTry ? 1 : 0);
                        return 0;
                    }
                    catch (Exception e) { Fail(e); return 1; }
                }), keep);
            if (onCertExpiry != null)
                cbs.cert_expiry = Fn(new CertExpiryCb((ud, days, subject) =>
                {
                    try { onCertExpiry(days, Native.S(subject)); } catch (Exception) { }
                    return 0;
                }), keep);
            if (onProgress != null)
                cbs.progress = Fn(new ProgressCb((ud, stage, done, total) =>
                {
                    try { return onProgress((Stage)stage, done, total) ? 0 : 1; }
                    catch (Exception e) { Fail(e); return 1; }
                }), keep);
            if (onConsent != null)
                cbs.consent = Fn(new ConsentCb((ud, offered, granted) =>
                {
                    try
                    {
                        Marshal.WriteInt32(granted, (int)onConsent((Consent)offered) & offered);
                        return 0;
                    }
                    catch (Exception e) { Fail(e); return 1; }
                }), keep);
            if (onAudit != null)
                cbs.audit = Fn(new AuditCb((ud, action, phase, outcome, op, patient, detail, ts) =>
                {
                    try
                    {
                        return onAudit(new AuditRecord
                        {
                            Action = (AuditAction)action, Phase = (AuditPhase)phase, Outcome = outcome,
                            OperatorId = Native.S(op), Patient = Native.S(patient),
                            Detail = Native.S(detail), Timestamp = Native.S(ts)
                        }) ? 0 : 1;
                    }
                    catch (Exception e) { Fail(e); return 1; }
                }), keep);
            if (onIdentity != null)
                cbs.identity = Fn(new IdentityCb((ud, method, cert, verified) =>
                {
                    try
                    {
                        using (var c = new Certificate(new CertHandle(cert, false)))
                            Marshal.WriteInt32(verified, onIdentity((IdentityMethod)method, c) ? 1 : 0);
                        return 0;
                    }
                    catch (Exception e) { Fail(e); return 1; }
                }), keep);
            Call(Native.onshi_ctx_set_callbacks(Handle, ref cbs));
            // the delegates of the installed set stay alive as long as it is installed
            alive.Clear();
            alive.AddRange(keep);
        }

        // ---- codec
        /// <summary>Decode an XML message (type 0: from the content).</summary>
        public Message Decode(byte[] data, MessageType type = 0)
        {
            MsgHandle m;
            Call(Native.onshi_msg_decode(out m, Handle, (int)type, data, Native.Z(data.Length)));
            return new Message(m);
        }
        /// <summary>Decode a file (the type from its name or content).</summary>
        public Message DecodeFile(string path)
        {
            MsgHandle m;
            Call(Native.onshi_msg_decode_file(out m, Handle, Native.U8(path)));
            return new Message(m);
        }
        /// <summary>Build a message from JSON in the form ToJson writes.</summary>
        public Message FromJson(MessageType type, string json)
        {
            MsgHandle m;
            byte[] b = Native.U8(json);
            Call(Native.onshi_msg_from_json(out m, Handle, (int)type, b, Native.Z(b.Length - 1)));
            return new Message(m);
        }
        /// <summary>A streaming reader over a bulk result file.</summary>
        public BulkReader OpenBulkReader(string path, MessageType type = 0)
        {
            BulkReaderHandle r;
            Call(Native.onshi_bulk_reader_open(out r, Handle, Native.U8(path), (int)type));
            return new BulkReader(r, this, IntPtr.Zero);
        }
        /// <summary>A streaming reader over a bulk result in memory (copied).</summary>
        public BulkReader OpenBulkReader(byte[] data, MessageType type = 0)
        {
            IntPtr mem = Marshal.AllocHGlobal(Math.Max(1, data.Length));
            Marshal.Copy(data, 0, mem, data.Length);
            BulkReaderHandle r;
            try { Call(Native.onshi_bulk_reader_open_mem(out r, Handle, mem, Native.Z(data.Length), (int)type)); }
            catch { Marshal.FreeHGlobal(mem); throw; }
            return new BulkReader(r, this, mem);
        }
        /// <summary>Parse a DER certificate.</summary>
        public Certificate CertificateFromDer(byte[] der)
        {
            CertHandle c;
            Call(Native.onshi_cert_from_der(out c, Handle, der, Native.Z(der.Length)));
            return new Certificate(c);
        }

        // ---- card
        /// <summary>The readers of the selected driver.</summary>
        public IList<string> CardReaders()
        {
            BufHandle b; UIntPtr n;
            Call(Native.onshi_card_readers(out b, out n, Handle));
            using (b)
            {
                var list = new List<string>();
                foreach (var s in System.Text.Encoding.UTF8.GetString(b.Bytes()).Split('\0'))
                    if (s.Length > 0) list.Add(s);
                return list;
            }
        }
        /// <summary>Wait for a card event (timeout negative: the configured one).</summary>
        public CardEvent CardWait(CardEvent want, int timeoutMs = -1)
        {
            int ev;
            Call(Native.onshi_card_wait(out ev, Handle, (int)want, timeoutMs));
            return (CardEvent)ev;
        }
        /// <summary>Open a session with the My Number Card in the reader.</summary>
        public Card OpenCard()
        {
            CardHandle c;
            Call(Native.onshi_card_open(out c, Handle));
            return new Card(c, this);
        }
        /// <summary>Days until the configured client certificate expires.</summary>
        public int ClientCertDaysLeft()
        {
            int d;
            Call(Native.onshi_client_cert_days_left(out d, Handle));
            return d;
        }

        // ---- workflows
        delegate int PendingCall(out MsgHandle m, byte[] id, UIntPtr size);

        Message WithPendingId(PendingCall f)
        {
            var id = new byte[Sizes.FileIdSize];
            MsgHandle m;
            int rc = f(out m, id, Native.Z(id.Length));
            string pid = System.Text.Encoding.ASCII.GetString(id).TrimEnd('\0');
            Call(rc, pid);
            return new Message(m) { RequestId = pid };
        }

        static RequestHandle R(Request r)
        {
            if (r == null) throw new ArgumentNullException("request");
            return r.Handle;
        }

        /// <summary>資格確認 by the insurance card's numbers. Throws PendingException when the
        /// result has not come in time (file transport).</summary>
        public Message InsuranceCardVerify(Request request)
        {
            return WithPendingId((out MsgHandle m, byte[] id, UIntPtr n) =>
                Native.onshi_insurance_card_verify(out m, id, n, Handle, R(request)));
        }

        /// <summary>InsuranceCardVerify on a thread-pool thread (callbacks run there);
        /// cancelling the token cancels the call.</summary>
        public Task<Message> InsuranceCardVerifyAsync(Request request, CancellationToken token = default(CancellationToken))
        {
            return RunAsync(() => InsuranceCardVerify(request), token);
        }

        /// <summary>Register a 照会番号 for an insured person.</summary>
        public Message RefnumRegister(Request request)
        {
            return WithPendingId((out MsgHandle m, byte[] id, UIntPtr n) =>
                Native.onshi_refnum_register(out m, id, n, Handle, R(request)));
        }

        /// <summary>薬剤情報 / 特定健診情報 of a person under consent (refused locally without it).</summary>
        public Message InfoRequest(Group person, Request request)
        {
            return WithPendingId((out MsgHandle m, byte[] id, UIntPtr n) =>
                Native.onshi_info_request(out m, id, n, Handle, person.Ptr, R(request)));
        }

        /// <summary>Pick up the late result of a pending request (never sends anything).</summary>
        public Message ResultPickup(string pendingId, MessageType requestType, long timeoutMs = -1)
        {
            MsgHandle m;
            Call(Native.onshi_result_pickup(out m, Handle, Native.U8(pendingId), (int)requestType, timeoutMs));
            return new Message(m);
        }

        /// <summary>Verification with the My Number Card in the reader (direct mode).</summary>
        public Message MyNumberCardVerify(Request request)
        {
            MsgHandle m;
            Call(Native.onshi_mynumber_card_verify(out m, Handle, R(request)));
            return new Message(m);
        }

        /// <summary>MyNumberCardVerify on a thread-pool thread (callbacks run there).</summary>
        public Task<Message> MyNumberCardVerifyAsync(Request request, CancellationToken token = default(CancellationToken))
        {
            return RunAsync(() => MyNumberCardVerify(request), token);
        }

        /// <summary>Disaster-mode search (audited).</summary>
        public Message DisasterSearch(Request request)
        {
            MsgHandle m;
            Call(Native.onshi_disaster_search(out m, Handle, R(request)));
            return new Message(m);
        }

        internal Task<T> RunAsync<T>(Func<T> f, CancellationToken token)
        {
            return Task.Factory.StartNew(() =>
            {
                using (token.Register(Cancel)) return f();
            }, token, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        }

        /// <summary>Throws the system's status of a result (SYSTEM_ERROR ...).</summary>
        public void ResultCheck(Message result) { Call(Native.onshi_result_check(Handle, result.Handle)); }

        /// <summary>QualificationValidity (1 有効 ... 5 複数該当) and its label.</summary>
        public int ResultValidity(Message result, out string label)
        {
            int v; IntPtr l;
            Call(Native.onshi_result_validity(out v, out l, Handle, result.Handle));
            label = Native.S(l);
            return v;
        }

        /// <summary>Throws NoConsent / ConsentExpired unless the person consented to the item now.</summary>
        public void PersonConsent(Group person, Consent item, string now = null)
        {
            Call(Native.onshi_person_consent(Handle, person.Ptr, (int)item, Native.U8(now)));
        }

        /// <summary>Whether the person consented to the item now.</summary>
        public bool HasConsent(Group person, Consent item)
        {
            try { PersonConsent(person, item); return true; }
            catch (OnshiException e) when (e.Status == Status.NoConsent || e.Status == Status.ConsentExpired) { return false; }
        }

        /// <summary>The person's effective sex code ("1", "2", "3") and its label.</summary>
        public string PersonSex(Group person, out string label)
        {
            IntPtr c, l;
            Call(Native.onshi_person_sex(out c, out l, Handle, person.Ptr));
            label = Native.S(l);
            return Native.S(c);
        }

        /// <summary>What changed between two results of one patient.</summary>
        public IList<Change> PersonCompare(Group previous, Group current)
        {
            ChangesHandle ch;
            Call(Native.onshi_person_compare(out ch, Handle, previous.Ptr, current.Ptr));
            using (ch)
            {
                var list = new List<Change>();
                long n = (long)Native.onshi_changes_count(ch).ToUInt64();
                for (long i = 0; i < n; i++)
                {
                    int f; IntPtr o, nw, fl, ol, nl;
                    Native.onshi_changes_at(out f, out o, out nw, ch, Native.Z(i));
                    Native.onshi_changes_labels(out fl, out ol, out nl, ch, Native.Z(i));
                    list.Add(new Change
                    {
                        Field = (Field)f, Old = Native.S(o), New = Native.S(nw),
                        FieldLabel = Native.S(fl), OldLabel = Native.S(ol), NewLabel = Native.S(nl)
                    });
                }
                return list;
            }
        }

        /// <summary>A new batch.</summary>
        public Batch NewBatch(BatchKind kind)
        {
            BatchHandle b;
            Call(Native.onshi_batch_new(out b, Handle, (int)kind));
            return new Batch(b, this);
        }

        /// <summary>Reopen a saved batch by id.</summary>
        public Batch OpenBatch(string id)
        {
            BatchHandle b;
            Call(Native.onshi_batch_open(out b, Handle, Native.U8(id)));
            return new Batch(b, this);
        }

        /// <summary>Ids of the saved batches neither done nor failed.</summary>
        public IList<string> UnfinishedBatches()
        {
            var ids = new List<string>();
            string after = null;
            while (true)
            {
                var buf = new byte[Sizes.BatchIdSize];
                int rc = Native.onshi_batch_next_unfinished(buf, Native.Z(buf.Length), Handle, Native.U8(after));
                if (rc == (int)Status.NotFound) return ids;
                Call(rc);
                after = System.Text.Encoding.UTF8.GetString(buf).TrimEnd('\0');
                ids.Add(after);
            }
        }

        /// <summary>Monthly co-payment ceiling for a LIMIT request.</summary>
        public long LimitCeiling(Request request)
        {
            long v;
            Call(Native.onshi_limit_ceiling(out v, Handle, R(request)));
            return v;
        }

        /// <summary>The window co-payment for a LIMIT request.</summary>
        public long LimitCopay(Request request)
        {
            long v;
            Call(Native.onshi_limit_copay(out v, Handle, R(request)));
            return v;
        }

        /// <summary>The yearly cap of a LIMIT request's class for its service month.</summary>
        public long LimitYearlyCap(Request request)
        {
            long v;
            Call(Native.onshi_limit_yearly_cap(out v, Handle, R(request)));
            return v;
        }

        /// <summary>What is wrong with the configured transport (never sends a request).</summary>
        public IList<DiagItem> Diagnose()
        {
            DiagReportHandle r;
            Call(Native.onshi_transport_diagnose(out r, Handle));
            using (r)
            {
                var list = new List<DiagItem>();
                long n = (long)Native.onshi_diag_report_count(r).ToUInt64();
                for (long i = 0; i < n; i++)
                    list.Add(new DiagItem
                    {
                        Check = (DiagCheck)Native.onshi_diag_report_check(r, Native.Z(i)),
                        Outcome = (DiagOutcome)Native.onshi_diag_report_outcome(r, Native.Z(i)),
                        Status = (Status)Native.onshi_diag_report_status(r, Native.Z(i)),
                        Message = Native.S(Native.onshi_diag_report_message(r, Native.Z(i)))
                    });
                return list;
            }
        }

        /// <summary>Watch the face-reader folder.</summary>
        public FaceWatch WatchFaceFolder(FaceWatchFlags flags = 0)
        {
            FaceWatchHandle w;
            Call(Native.onshi_face_watch_new(out w, Handle, (int)flags));
            return new FaceWatch(w, this);
        }

        internal void ClearPending() { pending = null; }
        internal void FailFromCallback(Exception e) { Fail(e); }
        internal bool HasPending { get { return pending != null; } }
    }

    /// <summary>An X.509 certificate.</summary>
    public sealed class Certificate : IDisposable
    {
        internal readonly CertHandle Handle;
        internal Certificate(CertHandle h) { Handle = h; }
        /// <summary>Serial number (hex).</summary>
        public string SerialHex { get { return Native.S(Native.onshi_cert_serial_hex(Handle)); } }
        /// <summary>Issuer DN.</summary>
        public string Issuer { get { return Native.S(Native.onshi_cert_issuer(Handle)); } }
        /// <summary>Subject DN.</summary>
        public string Subject { get { return Native.S(Native.onshi_cert_subject(Handle)); } }
        /// <summary>Start of validity (UTC YYYYMMDDHHMMSS).</summary>
        public string NotBefore { get { return Native.S(Native.onshi_cert_not_before(Handle)); } }
        /// <summary>End of validity (UTC YYYYMMDDHHMMSS).</summary>
        public string NotAfter { get { return Native.S(Native.onshi_cert_not_after(Handle)); } }
        /// <summary>Key type.</summary>
        public KeyType KeyType { get { return (KeyType)Native.onshi_cert_key_type(Handle); } }
        /// <summary>Key size in bits.</summary>
        public int KeyBits { get { return Native.onshi_cert_key_bits(Handle); } }
        /// <summary>Days left (Japan time).</summary>
        public long DaysLeft { get { long d; OnshiException.Check(Native.onshi_cert_days_left(out d, Handle)); return d; } }
        /// <summary>The DER bytes.</summary>
        public byte[] Der { get { BufHandle b; OnshiException.Check(Native.onshi_cert_der(out b, Handle)); using (b) return b.Bytes(); } }
        /// <summary>Verify against the JPKI CAs of Option.JpkiCaFiles.</summary>
        public void Verify(Context ctx) { ctx.Call(Native.onshi_cert_verify(ctx.Handle, Handle)); }
        /// <summary>Free (a borrowed certificate is only detached).</summary>
        public void Dispose() { Handle.Dispose(); }
    }

    /// <summary>A session with the My Number Card in the reader.</summary>
    public sealed class Card : IDisposable
    {
        internal readonly CardHandle Handle;
        readonly Context ctx;
        internal Card(CardHandle h, Context ctx) { Handle = h; this.ctx = ctx; }
        /// <summary>The reader's name.</summary>
        public string ReaderName { get { return Native.S(Native.onshi_card_reader_name(Handle)); } }
        /// <summary>The JPKI token label.</summary>
        public string TokenLabel { get { return Native.S(Native.onshi_card_token_label(Handle)); } }
        /// <summary>The user-authentication certificate (no PIN needed).</summary>
        public Certificate ReadAuthCertificate() { CertHandle c; ctx.Call(Native.onshi_card_read_auth_cert(out c, Handle)); return new Certificate(c); }
        /// <summary>The CA certificate on the card.</summary>
        public Certificate ReadCaCertificate() { CertHandle c; ctx.Call(Native.onshi_card_read_ca_cert(out c, Handle)); return new Certificate(c); }
        /// <summary>PIN tries left (without spending one).</summary>
        public int PinTriesLeft() { int t; ctx.Call(Native.onshi_card_pin_tries_left(out t, Handle)); return t; }
        /// <summary>Sign a hash after the PIN (Context.OnPin).</summary>
        public byte[] Sign(byte[] hash, HashAlgorithm alg = HashAlgorithm.Sha256)
        {
            BufHandle b;
            ctx.Call(Native.onshi_card_sign(out b, Handle, (int)alg, hash, Native.Z(hash.Length)));
            using (b) return b.Bytes();
        }
        /// <summary>Close the session.</summary>
        public void Dispose() { Handle.Dispose(); }
    }

    /// <summary>A batch (一括照会, 照会番号一括登録, consent queries): persisted, resumable by id.</summary>
    public sealed class Batch : IDisposable, IOwner
    {
        internal readonly BatchHandle Handle;
        readonly Context ctx;
        internal Batch(BatchHandle h, Context ctx) { Handle = h; this.ctx = ctx; }
        bool IOwner.IsClosed { get { return Handle.IsClosed; } }
        // Groups of one entry last until another entry is read (onshi_batch_unit).
        int unitGen;
        long unitEntry = -1;
        int IOwner.Generation { get { return unitGen; } }
        int Entry(int i) { if (i != unitEntry) { unitGen++; unitEntry = i; } return unitGen; }

        /// <summary>Add one patient (a BatchEntry request).</summary>
        public Batch Add(Request entry) { ctx.Call(Native.onshi_batch_add(Handle, entry.Handle)); return this; }
        /// <summary>The period of a consent query batch.</summary>
        public void SetPeriod(string from, string to, bool examination = false) { ctx.Call(Native.onshi_batch_set_period(Handle, examination ? 1 : 0, Native.U8(from), Native.U8(to))); }
        /// <summary>The month of a 医療扶助 batch.</summary>
        public void SetMonth(string month) { ctx.Call(Native.onshi_batch_set_month(Handle, Native.U8(month))); }
        /// <summary>Check every entry locally.</summary>
        public void Validate() { UIntPtr bad; ctx.Call(Native.onshi_batch_validate(out bad, Handle)); }
        /// <summary>Validate and persist (from now on it has an Id).</summary>
        public void Save() { ctx.Call(Native.onshi_batch_save(Handle)); }
        /// <summary>Run or resume until the results are stored (progress to OnProgress).</summary>
        public void Run() { ctx.Call(Native.onshi_batch_run(Handle)); }
        /// <summary>Run on a thread-pool thread (callbacks run there).</summary>
        public Task RunAsync(CancellationToken token = default(CancellationToken)) { return ctx.RunAsync(() => { Run(); return true; }, token); }
        /// <summary>The batch id ("" before it was saved).</summary>
        public string Id { get { return Native.S(Native.onshi_batch_id(Handle)); } }
        /// <summary>Kind.</summary>
        public BatchKind Kind { get { return (BatchKind)Native.onshi_batch_kind(Handle); } }
        /// <summary>Phase.</summary>
        public BatchPhase Phase { get { return (BatchPhase)Native.onshi_batch_phase(Handle); } }
        /// <summary>The system's 受付番号.</summary>
        public string ReceptionNumber { get { return Native.S(Native.onshi_batch_reception_number(Handle)); } }
        /// <summary>Download requests sent so far.</summary>
        public long DownloadCount { get { return Native.onshi_batch_download_count(Handle); } }
        /// <summary>Why it failed (phase Failed).</summary>
        public string FailMessage { get { return Native.S(Native.onshi_batch_fail_message(Handle)); } }
        /// <summary>Number of entries.</summary>
        public int Count { get { return (int)Native.onshi_batch_count(Handle).ToUInt64(); } }
        /// <summary>The vendor's patient id of entry i.</summary>
        public string PatientId(int i) { return Native.S(Native.onshi_batch_patient_id(Handle, Native.Z(i))); }
        /// <summary>Outcome of entry i.</summary>
        public BatchOutcome Outcome(int i) { int o = Native.onshi_batch_outcome(Handle, Native.Z(i)); OnshiException.Check(o); return (BatchOutcome)o; }
        /// <summary>The label of an outcome in "ja" or "en".</summary>
        public string OutcomeLabel(BatchOutcome o, string lang) { return Native.S(Native.onshi_batch_outcome_label(Library.LabelContext(lang), (int)o, (int)Kind)); }
        /// <summary>The system's ProcessingResultCode of entry i.</summary>
        public string ResultCode(int i) { return Native.S(Native.onshi_batch_result_code(Handle, Native.Z(i))); }
        /// <summary>The system's ProcessingResultMessage of entry i.</summary>
        public string ResultMessage(int i) { return Native.S(Native.onshi_batch_result_message(Handle, Native.Z(i))); }
        /// <summary>The BulkConfirmUnit of entry i.</summary>
        /// Valid until another entry is read (then it throws InvalidOperationException).
        public Group Unit(int i) { int gen = Entry(i); IntPtr g; ctx.Call(Native.onshi_batch_unit(out g, Handle, Native.Z(i))); return new Group(g, this, gen); }
        /// <summary>The persons of entry i's result (valid until another entry is read).</summary>
        public IList<Group> Persons(int i)
        {
            var l = new List<Group>();
            int gen = Entry(i);
            long n = (long)Native.onshi_batch_person_count(Handle, Native.Z(i)).ToUInt64();
            for (long k = 0; k < n; k++)
            {
                IntPtr g;
                ctx.Call(Native.onshi_batch_person(out g, Handle, Native.Z(i), Native.Z(k)));
                l.Add(new Group(g, this, gen));
            }
            return l;
        }
        /// <summary>Free the batch (its persisted state stays).</summary>
        public void Dispose() { Handle.Dispose(); }
    }

    /// <summary>Watcher of the face-reader folder.</summary>
    public sealed class FaceWatch : IDisposable
    {
        internal readonly FaceWatchHandle Handle;
        readonly Context ctx;
        internal FaceWatch(FaceWatchHandle h, Context ctx) { Handle = h; this.ctx = ctx; }

        /// <summary>The next result not delivered before, or null when none came in time.</summary>
        public Message Next(long timeoutMs = 0)
        {
            MsgHandle m;
            int rc = Native.onshi_face_watch_next(out m, Handle, timeoutMs);
            if (rc == (int)Status.Timeout) { m.Dispose(); return null; }
            ctx.Call(rc);
            return new Message(m);
        }

        /// <summary>The results there now, each delivered once.</summary>
        public IEnumerable<Message> Pending()
        {
            Message m;
            while ((m = Next(0)) != null) yield return m;
        }

        /// <summary>Deliver results to handler(status, message or null, file name) as they
        /// arrive for timeoutMs (negative: until cancelled); false from the handler stops.</summary>
        public void Run(Func<Status, Message, string, bool> handler, long timeoutMs)
        {
            bool stopped = false;
            FaceWatchCallback cb = (ud, status, msg, name) =>
            {
                try
                {
                    using (var view = msg == IntPtr.Zero ? null : new Message(new MsgHandle(msg, false)))
                    {
                        if (handler((Status)status, view, Native.S(name))) return 0;
                        stopped = true;
                        return 1;
                    }
                }
                catch (Exception e) { ctx.FailFromCallback(e); return 1; }
            };
            try
            {
                ctx.Call(Native.onshi_face_watch_run(Handle, cb, IntPtr.Zero, timeoutMs));
            }
            catch (OnshiException e) when (stopped && e.Status == Status.Cancelled) { }
            GC.KeepAlive(cb);
        }

        /// <summary>Stop watching.</summary>
        public void Dispose() { Handle.Dispose(); }
    }
}
