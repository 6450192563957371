// The raw transport of include/onshi_transport.h through the .NET binding: the file exchange
// against onshi-sim's linkage mode (send, wait, states, consume), the pending-request listing
// after a "crash" and its resume, raw HTTPS against onshi-sim.
// SPDX-License-Identifier: Apache-2.0
using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.RegularExpressions;
using System.Threading;
using NUnit.Framework;
using Onshi;

namespace Onshi.Tests
{
    /// <summary>onshi-sim as the terminal's linkage app over DIR/req and DIR/res, started by the
    /// test that needs it and stopped by its PID.</summary>
    sealed class Linkage : IDisposable
    {
        Process proc;

        internal Linkage(string dir)
        {
            string pidfile = Path.Combine(dir, "linkage.pid");
            var si = new ProcessStartInfo(Env.Get("ONSHI_TEST_SIM"),
                "linkage --db \"" + Env.Get("ONSHI_TEST_SIM_DB") + "\" --dir \"" + dir +
                "\" --poll-ms 20 --pidfile \"" + pidfile + "\"") { UseShellExecute = false };
            proc = Process.Start(si);
            while (!File.Exists(pidfile)) // bounded by the process: it exits on error
            {
                if (proc.HasExited) Assert.Fail("onshi-sim linkage did not start");
                Thread.Sleep(20);
            }
        }

        public void Dispose()
        {
            if (proc == null) return;
            if (!proc.HasExited) proc.Kill();
            proc.WaitForExit();
            proc.Dispose();
            proc = null;
        }
    }

    [TestFixture]
    public class TransportTests
    {
        static int dirs;

        static string WorkDir(string name)
        {
            string d = Path.Combine(Env.Get("ONSHI_TEST_TMP"), name + "-" + Interlocked.Increment(ref dirs));
            Directory.CreateDirectory(Path.Combine(d, "req"));
            Directory.CreateDirectory(Path.Combine(d, "res"));
            return d;
        }

        static Context Files(string dir)
        {
            var ctx = new Context();
            ctx.Set(Option.Lang, "en")
               .Set(Option.Transport, (long)Transport.File)
               .Set(Option.ReqDir, Path.Combine(dir, "req"))
               .Set(Option.ResDir, Path.Combine(dir, "res"))
               .Set(Option.StateDb, Path.Combine(dir, "state.db"))
               .Set(Option.MedicalInstitutionCode, Env.Get("ONSHI_TEST_INSTITUTION"))
               .Set(Option.OperatorId, "dotnet-test")
               .Set(Option.PollIntervalMs, 20);
            return ctx;
        }

        /// <summary>A 資格確認 request written by hand, as a vendor with its own messages does.</summary>
        static byte[] QualificationRequest(string[] p, string afi)
        {
            string today = DateTime.UtcNow.AddHours(9).ToString("yyyyMMdd");
            return Encoding.UTF8.GetBytes(
                "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"no\"?>\n<XmlMsg><MessageHeader>" +
                "<QualificationConfirmationDate>" + today + "</QualificationConfirmationDate>" +
                "<MedicalInstitutionCode>" + Env.Get("ONSHI_TEST_INSTITUTION") + "</MedicalInstitutionCode>" +
                "<ArbitraryFileIdentifier>" + afi + "</ArbitraryFileIdentifier></MessageHeader><MessageBody>" +
                "<QualificationConfirmSearchInfo><InsurerNumber>" + p[1] + "</InsurerNumber>" +
                "<InsuredCardSymbol>" + p[2] + "</InsuredCardSymbol>" +
                "<InsuredIdentificationNumber>" + p[3] + "</InsuredIdentificationNumber>" +
                "<InsuredBranchNumber>" + p[4] + "</InsuredBranchNumber><Birthdate>" + p[5] + "</Birthdate>" +
                "<LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>" +
                "</QualificationConfirmSearchInfo></MessageBody></XmlMsg>\n");
        }

        [Test]
        public void FileSendWaitAndConsume()
        {
            var p = Env.Persons()[1];
            string dir = WorkDir("cs-file");
            using (var ctx = Files(dir))
            using (new Linkage(dir))
            {
                string id = ctx.SendFile(MessageType.QualReq, QualificationRequest(p, "CS-RAW-1"));
                StringAssert.IsMatch(@"^\d{16}$", id);
                CollectionAssert.Contains(new[] { FileState.Published, FileState.Taken, FileState.Answered }, ctx.GetFileState(id));
                byte[] data;
                FileResult r;
                using (r = ctx.WaitFile(id, 30000))
                {
                    Assert.AreEqual(id, r.RequestId);
                    Assert.AreEqual("OQSsiquc01res_" + id + ".xml", r.Name);
                    Assert.AreEqual(MessageType.QualRes, r.Type);
                    data = r.Data;
                    using (var m = r.Decode(ctx))
                    {
                        Assert.AreEqual("CS-RAW-1", m.Header.Get(Field.ArbitraryFileIdentifier));
                        Assert.AreEqual(p[3], m.Persons()[0].Get(Field.InsuredIdNumber));
                        Assert.AreEqual(p[5], m.Persons()[0].Get(Field.Birthdate));
                    }
                }
                Assert.Throws<ObjectDisposedException>(() => { var unused = r.Data; });
                Assert.AreEqual(FileState.Answered, ctx.GetFileState(id));
                CollectionAssert.Contains(ctx.PendingFileIds(), id);
                using (var again = ctx.WaitFile(id, 0)) CollectionAssert.AreEqual(data, again.Data);
                var raw = ctx.GetPending(id);
                Assert.AreEqual(id, raw.Id);
                Assert.AreEqual(MessageType.QualReq, raw.Type);
                Assert.AreEqual(FileState.Answered, raw.State);
                Assert.IsNull(raw.Patient); // the raw send records no patient key
                ctx.ConsumeFile(id);
                Assert.AreEqual(FileState.Consumed, ctx.GetFileState(id));
                CollectionAssert.DoesNotContain(ctx.PendingFileIds(), id);
                Assert.IsEmpty(Directory.GetFiles(Path.Combine(dir, "res"), "*" + id + "*"));
                var e = Assert.Throws<OnshiException>(() => ctx.WaitFile(id, 0));
                Assert.AreEqual(Status.State, e.Status);
                ctx.ConsumeFile(id); // consuming twice is fine
                e = Assert.Throws<OnshiException>(() => ctx.GetFileState("2099010100000001"));
                Assert.AreEqual(Status.NotFound, e.Status);
            }
        }

        [Test]
        public void FileWaitWithoutAResultIsPendingWithTheId()
        {
            var p = Env.Persons()[2];
            string dir = WorkDir("cs-wait");
            using (var ctx = Files(dir)) // no linkage app: nothing answers
            {
                string id = ctx.SendFile(MessageType.QualReq, QualificationRequest(p, "CS-WAIT"));
                Assert.AreEqual(FileState.Published, ctx.GetFileState(id));
                Assert.IsTrue(File.Exists(Path.Combine(dir, "req", "OQSsiquc01req_" + id + ".xml")));
                var e = Assert.Throws<PendingException>(() => ctx.WaitFile(id, 0));
                Assert.AreEqual(id, e.PendingId);
                Assert.AreEqual("ONSHI_E_PENDING", e.Name);
                var u = Assert.Throws<OnshiException>(() => ctx.SendFile((MessageType)9999, new byte[] { 60 }));
                Assert.AreEqual(Status.UnknownMessage, u.Status);
                // a string with a NUL inside is refused, not cut short at the NUL
                Assert.Throws<ArgumentException>(() => ctx.GetFileState(id + "\0x"));
            }
        }

        [Test]
        public void PendingListingAfterACrashAndResume()
        {
            var p = Env.Persons()[0];
            string dir = WorkDir("cs-pending");
            long t0 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            string id;
            // the "crashed" session: the verification went out, its result never came
            using (var ctx = Files(dir).Set(Option.ResultTimeoutMs, 0))
            using (var req = Env.Verify(p))
            {
                var e = Assert.Throws<PendingException>(() => ctx.InsuranceCardVerify(req));
                id = e.PendingId;
            }
            long t1 = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            StringAssert.IsMatch(@"^\d{16}$", id);
            // the restarted program: what did we leave open?
            Context ctx2;
            Pending item;
            using (ctx2 = Files(dir))
            {
                var listing = ctx2.Pending().ToList();
                Assert.AreEqual(1, listing.Count);
                item = listing[0];
                Assert.AreEqual(id, item.Id);
                Assert.AreEqual(MessageType.QualReq, item.Type);
                Assert.AreEqual(FileState.Published, item.State);
                Assert.IsTrue(item.IsOpen);
                Assert.That(item.CreatedMs, Is.InRange(t0, t1));
                Assert.AreEqual(item.CreatedMs, item.Created.ToUnixTimeMilliseconds());
                StringAssert.IsMatch("^" + Regex.Escape(p[1]) + @" \*+ \*+" + Regex.Escape(p[3].Substring(p[3].Length - 2)) +
                                     " " + Regex.Escape(p[4]) + "$", item.Patient);
                StringAssert.DoesNotContain(p[5], item.Patient);
                StringAssert.DoesNotContain(p[3], item.Patient);
                var got = ctx2.GetPending(id);
                Assert.AreEqual(item.ToString(), got.ToString());
                using (new Linkage(dir))
                using (var m = item.Resume(30000)) // picked up: nothing is sent again
                {
                    Assert.AreEqual(MessageType.QualRes, m.Type);
                    Assert.AreEqual(p[3], m.Persons()[0].Get(Field.InsuredIdNumber));
                }
                Assert.IsEmpty(ctx2.Pending().ToList());
                var done = ctx2.Pending(all: true).Where(x => x.Id == id).ToList();
                Assert.AreEqual(1, done.Count);
                Assert.AreEqual(FileState.Consumed, done[0].State);
                Assert.IsFalse(done[0].IsOpen);
                Assert.AreEqual(FileState.Consumed, ctx2.GetFileState(id));
                var bad = Assert.Throws<OnshiException>(() => ctx2.GetPending("1"));
                Assert.AreEqual(Status.InvalidArg, bad.Status);
            }
            Assert.Throws<ObjectDisposedException>(() => ctx2.Pending().ToList()); // closed context
            Assert.Throws<ObjectDisposedException>(() => item.Resume(0));
        }

        [Test]
        public void HttpsExchangeRaw()
        {
            var p = Env.Persons()[3];
            using (var ctx = Env.Https())
            {
                byte[] body = QualificationRequest(p, "CS-HTTPS");
                using (var m = ctx.Decode(ctx.HttpsExchange(MessageType.QualReq, body, "cs-raw-" + Process.GetCurrentProcess().Id)))
                {
                    Assert.AreEqual(MessageType.QualRes, m.Type);
                    Assert.AreEqual("CS-HTTPS", m.Header.Get(Field.ArbitraryFileIdentifier));
                    Assert.AreEqual(p[3], m.Persons()[0].Get(Field.InsuredIdNumber));
                }
                ctx.CloseHttps();
                ctx.CloseHttps(); // harmless when none is open
                ctx.SetHttpsPath(MessageType.QualReq, "/no/such/path");
                var e = Assert.Throws<OnshiException>(() => ctx.HttpsExchange(MessageType.QualReq, body));
                Assert.AreEqual(Status.HttpStatus, e.Status);
                Assert.AreEqual(ForeignKind.Http, e.ForeignKind);
                Assert.AreEqual(404, e.ForeignValue);
                ctx.SetHttpsPath(MessageType.QualReq, null);
                using (var m = ctx.Decode(ctx.HttpsExchange(MessageType.QualReq, body)))
                    Assert.AreEqual(MessageType.QualRes, m.Type);
                e = Assert.Throws<OnshiException>(() => ctx.SetHttpsPath(MessageType.QualReq, "no-slash"));
                Assert.AreEqual(Status.InvalidArg, e.Status);
            }
        }

        static long RssKib()
        {
            string[] f = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(f[1]) * 4;
        }

        [Test]
        public void NoLeakInThePendingCalls()
        {
            string dir = WorkDir("cs-leak");
            using (var ctx = Files(dir))
            {
                string id = ctx.SendFile(MessageType.QualReq, QualificationRequest(Env.Persons()[4], "CS-LEAK"));
                Action once = () =>
                {
                    Assert.AreEqual(FileState.Published, ctx.GetPending(id).State);
                    Assert.AreEqual(id, ctx.Pending(true).Single().Id);
                    Assert.AreEqual(FileState.Published, ctx.GetFileState(id));
                };
                for (int i = 0; i < 1000; i++) once();
                GC.Collect(); GC.WaitForPendingFinalizers();
                long before = RssKib();
                for (int i = 0; i < 10000; i++) once();
                GC.Collect(); GC.WaitForPendingFinalizers();
                long after = RssKib();
                Console.WriteLine("RSS dotnet pending: {0} KiB before, {1} KiB after 10000 calls (+{2} KiB)", before, after, after - before);
                Assert.Less(after - before, 8192);
            }
        }
    }
}
