// The raw transport of include/onshi_transport.h: the file exchange (send, wait, state,
// consume), the pending-request listing and its resume, raw HTTPS. For vendors who write their
// own messages, and for a "what did we leave open?" screen after a crash.
// SPDX-License-Identifier: Apache-2.0
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;
using System.Text;

namespace Onshi
{
    /// <summary>A result file read from res/ by Context.WaitFile: its name, request id,
    /// message type and bytes (a ZIP result: the XML inside). Dispose frees it (once); a
    /// disposed result throws ObjectDisposedException instead of reading freed memory.</summary>
    public sealed class FileResult : IDisposable
    {
        internal readonly FileResultHandle Handle;
        internal FileResult(FileResultHandle h) { Handle = h; }
        /// <summary>The file name, without folder ("OQSsiquc01res_&lt;id&gt;.xml").</summary>
        public string Name { get { return Native.S(Native.onshi_file_result_name(Handle)); } }
        /// <summary>The request id this result answers ("" for a face result).</summary>
        public string RequestId { get { return Native.S(Native.onshi_file_result_id(Handle)); } }
        /// <summary>The message type of the result file.</summary>
        public MessageType Type { get { return (MessageType)Native.onshi_file_result_type(Handle); } }
        /// <summary>A copy of the bytes.</summary>
        public byte[] Data
        {
            get
            {
                IntPtr p = Native.onshi_file_result_data(Handle);
                long n = (long)Native.onshi_file_result_len(Handle).ToUInt64();
                var b = new byte[n];
                if (n > 0 && p != IntPtr.Zero) Marshal.Copy(p, b, 0, (int)n);
                return b;
            }
        }
        /// <summary>The result decoded (the raw call does not check that it answers its
        /// request: compare the echoed search keys yourself).</summary>
        public Message Decode(Context ctx) { return ctx.Decode(Data, Type); }
        /// <summary>Free the result.</summary>
        public void Dispose() { Handle.Dispose(); }
    }

    /// <summary>One request recorded by the file transport (Context.Pending, GetPending): a
    /// snapshot copied from the C object, which is freed at once.</summary>
    public sealed class Pending
    {
        readonly Context ctx;

        internal Pending(PendingHandle h, Context ctx)
        {
            this.ctx = ctx;
            using (h)
            {
                Id = Native.S(Native.onshi_pending_id(h));
                Type = (MessageType)Native.onshi_pending_type(h);
                State = (FileState)Native.onshi_pending_state(h);
                CreatedMs = Native.onshi_pending_created(h);
                Patient = Native.S(Native.onshi_pending_patient(h));
            }
        }

        /// <summary>The request id (16 digits).</summary>
        public string Id { get; private set; }
        /// <summary>The request's message type (give it to Resume / Context.ResultPickup).</summary>
        public MessageType Type { get; private set; }
        /// <summary>Its state.</summary>
        public FileState State { get; private set; }
        /// <summary>When it was recorded, Unix time in milliseconds.</summary>
        public long CreatedMs { get; private set; }
        /// <summary>When it was recorded.</summary>
        public DateTimeOffset Created { get { return DateTimeOffset.FromUnixTimeMilliseconds(CreatedMs); } }
        /// <summary>The patient key for staff, masked: insurer number, 記号 as '*', 番号 but
        /// its last two characters as '*', 枝番; never a birth date. Null when the request
        /// has none (a raw SendFile).</summary>
        public string Patient { get; private set; }
        /// <summary>Still open: recorded, published, taken or answered (not consumed or abandoned).</summary>
        public bool IsOpen
        {
            get
            {
                return State == FileState.Recorded || State == FileState.Published ||
                       State == FileState.Taken || State == FileState.Answered;
            }
        }
        /// <summary>Pick the result up (Context.ResultPickup(Id, Type)): nothing is sent again.</summary>
        public Message Resume(long timeoutMs = -1) { return ctx.ResultPickup(Id, Type, timeoutMs); }
        /// <inheritdoc/>
        public override string ToString() { return Id + " " + Type + " " + State + " " + Patient; }
    }

    public sealed partial class Context
    {
        static string Ascii(byte[] b)
        {
            int n = Array.IndexOf(b, (byte)0);
            return Encoding.ASCII.GetString(b, 0, n < 0 ? b.Length : n);
        }

        /// <summary>Publish one request file in req/ (a request message type, the file's
        /// bytes as given); returns its 16-digit request id. Never joins an open request.
        /// Keep the id: WaitFile picks the result up, even after a restart.</summary>
        public string SendFile(MessageType type, byte[] body)
        {
            if (body == null) throw new ArgumentNullException("body");
            var id = new byte[Sizes.FileIdSize];
            Call(Native.onshi_file_send(id, Native.Z(id.Length), Handle, (int)type, body, Native.Z(body.Length)));
            return Ascii(id);
        }

        /// <summary>The result of a request sent earlier (by this or a previous process);
        /// timeoutMs negative: Option.ResultTimeoutMs, 0: look once. No result yet throws
        /// PendingException (PendingId = id: call again later, never send again). The result
        /// stays in res/ until ConsumeFile.</summary>
        public FileResult WaitFile(string id, long timeoutMs = -1)
        {
            FileResultHandle r;
            Call(Native.onshi_file_wait(out r, Handle, Native.U8(id), timeoutMs), id);
            return new FileResult(r);
        }

        /// <summary>The caller has the result of id: its files leave res/ (deleted, or moved to
        /// Option.ArchiveDir) and the request is Consumed.</summary>
        public void ConsumeFile(string id) { Call(Native.onshi_file_consume(Handle, Native.U8(id))); }

        /// <summary>The state of a request (NotFound for an unknown id).</summary>
        public FileState GetFileState(string id)
        {
            int st;
            Call(Native.onshi_file_state(out st, Handle, Native.U8(id)));
            return (FileState)st;
        }

        /// <summary>Ids of the requests not yet consumed, in id order.</summary>
        public IList<string> PendingFileIds()
        {
            var ids = new List<string>();
            string after = null;
            while (true)
            {
                var buf = new byte[Sizes.FileIdSize];
                int rc = Native.onshi_file_pending_next(buf, Native.Z(buf.Length), Handle, Native.U8(after));
                if (rc == (int)Status.NotFound) return ids;
                Call(rc);
                after = Ascii(buf);
                ids.Add(after);
            }
        }

        /// <summary>The requests the file transport left open (all: the finished ones still
        /// kept too), in id order, read lazily as the sequence is enumerated; starting an
        /// enumeration recovers what stopped processes left (docs/file-transport.md).</summary>
        public IEnumerable<Pending> Pending(bool all = false)
        {
            string after = null;
            while (true)
            {
                PendingHandle h;
                int rc = Native.onshi_pending_next(out h, Handle, Native.U8(after), all ? (int)PendingFlags.All : 0);
                if (rc == (int)Status.NotFound) { h.Dispose(); yield break; }
                if (rc < 0) h.Dispose();
                Call(rc);
                var p = new Pending(h, this);
                after = p.Id;
                yield return p;
            }
        }

        /// <summary>One request by id, in any state.</summary>
        public Pending GetPending(string id)
        {
            PendingHandle h;
            Call(Native.onshi_pending_get(out h, Handle, Native.U8(id)));
            return new Pending(h, this);
        }

        /// <summary>POST one XmlMsg request body over HTTPS (the server always verified) and
        /// return the result body. Only a request with an idempotency key is retried; without
        /// one it is sent at most once.</summary>
        public byte[] HttpsExchange(MessageType type, byte[] body, string idempotencyKey = null)
        {
            if (body == null) throw new ArgumentNullException("body");
            BufHandle b;
            Call(Native.onshi_https_exchange(out b, Handle, (int)type, body, Native.Z(body.Length), Native.U8(idempotencyKey)));
            using (b) return b.Bytes();
        }

        /// <summary>The HTTP path of a message type ("/..."); null restores the default.</summary>
        public void SetHttpsPath(MessageType type, string path) { Call(Native.onshi_https_set_path(Handle, (int)type, Native.U8(path))); }

        /// <summary>Close the kept-alive HTTPS connection (harmless when none is open).</summary>
        public void CloseHttps() { Native.onshi_https_close(Handle); }
    }
}
