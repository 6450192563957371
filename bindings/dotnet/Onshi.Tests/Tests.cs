// NUnit tests of the .NET binding: without a server, and against onshi-sim (HTTPS) with the
// in-process virtual card (bindings/with-sim.sh sets the environment; a missing variable is a
// failure, never a skip). SPDX-License-Identifier: Apache-2.0
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using NUnit.Framework;
using Onshi;

namespace Onshi.Tests
{
    static class Env
    {
        internal static string Get(string name)
        {
            string v = Environment.GetEnvironmentVariable(name);
            if (string.IsNullOrEmpty(v))
                Assert.Fail(name + " is not set: run the tests through `make dotnet-binding-test` (bindings/with-sim.sh)");
            return v;
        }

        internal static string Root
        {
            get { return Get("ONSHI_SOURCE_ROOT"); }
        }

        internal static List<string[]> Persons()
        {
            return File.ReadAllLines(Get("ONSHI_TEST_PERSONS")).Where(l => l.Length > 0)
                .Select(l => l.Split(',')).ToList();
        }

        internal static Context Https()
        {
            var ctx = new Context();
            ctx.Set(Option.Lang, "en")
               .Set(Option.Transport, (long)Transport.Https)
               .Set(Option.ServerUrl, Get("ONSHI_TEST_URL"))
               .Set(Option.TlsCaFile, Get("ONSHI_TEST_CA"))
               .Set(Option.TlsClientCert, Get("ONSHI_TEST_CLIENT_CERT"))
               .Set(Option.TlsClientKey, Get("ONSHI_TEST_CLIENT_KEY"))
               .Set(Option.MedicalInstitutionCode, Get("ONSHI_TEST_INSTITUTION"))
               .Set(Option.OperatorId, "dotnet-test")
               .Set(Option.StateDb, Path.Combine(Get("ONSHI_TEST_TMP"), "cs-state.db"))
               .Set(Option.BatchPollBaseMs, 100);
            return ctx;
        }

        internal static Request Verify(string[] p)
        {
            return new Request(RequestKind.InsuranceCardVerify).Set(Param.InsurerNumber, p[1])
                .Set(Param.Symbol, p[2]).Set(Param.Number, p[3]).Set(Param.Branch, p[4])
                .Set(Param.Birthdate, p[5]);
        }
    }

    /// <summary>The virtual My Number Card in-process, driven through the binding's own
    /// CardTransmit / CardReset callbacks.</summary>
    sealed class TestCard : IDisposable
    {
        const string Lib = "libonshi-testcard.so";
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        static extern int testcard_new(out IntPtr card, string cert, string key, string ca, string pin, int tries);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        static extern void testcard_free(IntPtr card);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        static extern int testcard_transmit(IntPtr card, byte[] cmd, UIntPtr len, byte[] resp, UIntPtr cap, out UIntPtr rlen);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        static extern int testcard_reset(IntPtr card);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        static extern long testcard_signs(IntPtr card);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)]
        static extern int testcard_tries_left(IntPtr card);

        IntPtr h;

        internal TestCard()
        {
            Assert.AreEqual(0, testcard_new(out h, Env.Get("ONSHI_TEST_CARD_CERT"), Env.Get("ONSHI_TEST_CARD_KEY"),
                                            Env.Get("ONSHI_TEST_JPKI_CA"), "1234", 3));
        }

        internal byte[] Transmit(byte[] apdu)
        {
            var resp = new byte[4096];
            UIntPtr n;
            Assert.AreEqual(0, testcard_transmit(h, apdu, new UIntPtr((uint)apdu.Length), resp, new UIntPtr(4096u), out n));
            return resp.Take((int)n.ToUInt32()).ToArray();
        }

        internal long Signs { get { return testcard_signs(h); } }
        internal int TriesLeft { get { return testcard_tries_left(h); } }

        internal Context Plug(Context ctx)
        {
            ctx.Set(Option.CardDriver, (long)CardDriver.Callback)
               .Set(Option.JpkiCaFiles, Env.Get("ONSHI_TEST_JPKI_CA"))
               .Set(Option.CardWaitTimeoutMs, 0);
            ctx.CardTransmit = Transmit;
            ctx.CardReset = () => testcard_reset(h);
            ctx.OnConsent = offered => offered & (Consent.Drug | Consent.Checkup);
            return ctx;
        }

        public void Dispose()
        {
            if (h != IntPtr.Zero) testcard_free(h);
            h = IntPtr.Zero;
        }
    }

    [TestFixture]
    public class CoreTests
    {
        [Test]
        public void EveryHeaderConstantIsInTheBinding()
        {
            var header = new Dictionary<string, long>();
            var re = new Regex(@"^#define\s+(ONSHI_[A-Z0-9_]+)\s+\(?(-?\s*(?:0x[0-9a-fA-F]+|\d+))\)?\s*(?:/\*.*)?$", RegexOptions.Multiline);
            foreach (var h in new[] { "onshi.h", "onshi_transport.h" })
            {
                string path = Path.Combine(Path.Combine(Env.Root, "include"), h);
                if (!File.Exists(path)) continue;
                foreach (Match m in re.Matches(File.ReadAllText(path).Replace("\r", "")))
                {
                    string v = m.Groups[2].Value.Replace(" ", "");
                    header[m.Groups[1].Value] = v.Contains("0x") ? Convert.ToInt64(v, 16) : long.Parse(v);
                }
            }
            Assert.Greater(header.Count, 300);
            var missing = header.Keys.Where(k => !Constants.CNames.ContainsKey(k)).ToList();
            Assert.IsEmpty(missing, "run tools/gen-bindings.py: " + string.Join(", ", missing));
            foreach (var kv in header) Assert.AreEqual(kv.Value, Constants.CNames[kv.Key], kv.Key);
        }

        [Test]
        public void EveryDeclaredFunctionIsExportedByTheLibrary()
        {
            var native = typeof(Context).Assembly.GetType("Onshi.Native", true);
            var methods = native.GetMethods(System.Reflection.BindingFlags.Static | System.Reflection.BindingFlags.NonPublic)
                                .Where(m => m.Name.StartsWith("onshi_")).ToList();
            Assert.Greater(methods.Count, 140);
            foreach (var m in methods) Marshal.Prelink(m); // throws EntryPointNotFoundException
        }

        [Test]
        public void VersionAndNameResolution()
        {
            StringAssert.StartsWith(HeaderVersion.VersionMajor + ".", Library.Version);
            Assert.AreEqual(HeaderVersion.VersionMajor, Library.VersionMajor);
            // the dllmap next to the assembly names the SONAME of this major
            string config = File.ReadAllText(typeof(Context).Assembly.Location + ".config");
            StringAssert.Contains("target=\"libonshi.so." + HeaderVersion.VersionMajor + "\"", config);
        }

        [Test]
        public void StatusesInBothLanguages()
        {
            Assert.AreEqual("ONSHI_E_NOMEM", Library.StatusName((int)Status.Nomem));
            Assert.AreEqual("out of memory", Library.StatusLabel(-3, "en"));
            Assert.AreEqual("メモリが不足しています", Library.StatusLabel(-3, "ja"));
            Assert.AreEqual(Band.Jpki, Library.StatusBand((int)Status.JpkiPinLocked));
        }

        [Test]
        public void ErrorMappingCarriesNameAndBothLanguages()
        {
            using (var ctx = new Context())
            {
                ctx.Lang = "en";
                var e = Assert.Throws<OnshiException>(() => ctx.Set("log_redact", 7));
                Assert.AreEqual(Status.OptionRange, e.Status);
                Assert.AreEqual("ONSHI_E_OPTION_RANGE", e.Name);
                StringAssert.Contains("log_redact", e.MessageEn);
                Assert.AreEqual("オプションの値が範囲外です", e.MessageJa);
                e = Assert.Throws<OnshiException>(() => ctx.GetString(Option.TlsPkcs12Password));
                Assert.AreEqual(Status.OptionType, e.Status);
            }
            using (var ctx = new Context())
            {
                var e = Assert.Throws<OnshiException>(() => ctx.Set(Option.Lang, "fr"));
                StringAssert.StartsWith("オプションの値が範囲外です", e.MessageJa);
                Assert.AreEqual("option value out of range", e.MessageEn);
            }
            using (var ctx = new Context())
            {
                // text as onshi.conf and `onshi --set` take it: the library's one parser
                ctx.Set("transport", "https").SetText("result_timeout_ms", "1500");
                Assert.AreEqual((long)Transport.Https, ctx.GetInt(Option.Transport));
                Assert.AreEqual(1500L, ctx.GetInt(Option.ResultTimeoutMs));
                ctx.Lang = "en";
                var e = Assert.Throws<OnshiException>(() => ctx.Set("transport", "htps"));
                Assert.AreEqual(Status.Config, e.Status);
                StringAssert.Contains("file|https", e.MessageEn);
            }
            var c = Assert.Throws<OnshiException>(() => Library.InsurerNumberCheck("01130112"));
            Assert.AreEqual(Status.CheckDigit, c.Status);
            Library.InsurerNumberCheck("01130111");
        }

        [Test]
        public void DecodeEverySampleMessage()
        {
            var files = Directory.GetFiles(Path.Combine(Env.Root, "test/data/codec"), "*.xml");
            Assert.Greater(files.Length, 20);
            var seen = new HashSet<MessageType>();
            using (var ctx = new Context())
                foreach (var f in files)
                    using (var m = ctx.DecodeFile(f))
                    {
                        Assert.AreEqual(Library.MessageTypeFromFileName(Path.GetFileName(f)), m.Type, f);
                        seen.Add(m.Type);
                        Assert.AreEqual(GroupKind.Header, m.Header.Kind);
                        StringAssert.StartsWith("{", m.ToJson(ctx));
                    }
            Assert.IsTrue(seen.Contains(MessageType.QualRes) && seen.Contains(MessageType.FaceRes));
        }

        [Test]
        public void GroupModelAndEncodeRoundTrip()
        {
            using (var ctx = new Context())
            {
                ctx.Set(Option.RequestEncoding, (long)RequestEncoding.Utf8);
                Group kept;
                using (var res = ctx.DecodeFile(Path.Combine(Env.Root, "test/data/codec/OQSsiquc01res_202501150001.xml")))
                {
                    var p = res.Persons();
                    Assert.IsNotNull(p[0].Get(Field.Name));
                    CollectionAssert.AreEqual(new[] { p[0].Get(Field.Name) }, p[0].GetAll(Field.Name));
                    string label;
                    StringAssert.IsMatch("^[123]$", ctx.PersonSex(p[0], out label));
                    Assert.IsEmpty(ctx.PersonCompare(p[0], p[0]));
                    kept = p[0];
                }
                Assert.Throws<ObjectDisposedException>(() => kept.Get(Field.Name));
                using (var req = Message.New(MessageType.QualReq))
                {
                    req.Header.Set(Field.QualificationConfirmationDate, "20260401")
                              .Set(Field.MedicalInstitutionCode, "1311234569")
                              .Set(Field.ArbitraryFileIdentifier, "cs-roundtrip-1");
                    var s = req.Body.Add(GroupKind.Search);
                    s.Set(Field.SearchInsurerNumber, "01130112").Set(Field.SearchInsuredCardSymbol, "101-01")
                     .Set(Field.SearchInsuredIdNumber, "0001037").Set(Field.SearchInsuredBranchNumber, "01")
                     .Set(Field.SearchBirthdate, "19800401").Set(Field.SearchLimitConsFlg, "0");
                    Assert.AreEqual(Status.CheckDigit, Assert.Throws<OnshiException>(() => req.Encode(ctx)).Status);
                    s.Set(Field.SearchInsurerNumber, "01130111");
                    byte[] xml = req.Encode(ctx);
                    StringAssert.Contains("<InsurerNumber>01130111</InsurerNumber>", System.Text.Encoding.UTF8.GetString(xml));
                    using (var back = ctx.Decode(xml))
                    using (var again = ctx.FromJson(MessageType.QualReq, back.ToJson(ctx)))
                        CollectionAssert.AreEqual(xml, again.Encode(ctx));
                }
            }
        }

        [Test]
        public void BulkReaderStreamsUnits()
        {
            using (var ctx = new Context())
            {
                byte[] data = File.ReadAllBytes(Path.Combine(Env.Root, "test/data/codec/OQSmuquc02res_202501150003.xml"));
                using (var r = ctx.OpenBulkReader(data, MessageType.BulkQualDownRes))
                {
                    var groups = r.ToList();
                    Assert.Greater(groups.Count, 1);
                    // every unit but the last was replaced by the next: refused, not a dangling read
                    Assert.Throws<InvalidOperationException>(() => groups[0].Get(Field.UnitProcessingResultStatus));
                }
                using (var r = ctx.OpenBulkReader(data, MessageType.BulkQualDownRes))
                {
                    var units = r.Select(u => u.Get(Field.UnitProcessingResultStatus)).ToList();
                    Assert.IsNotEmpty(units);
                    Assert.IsTrue(units.All(u => u != null));
                }
            }
        }

        [Test]
        public void LimitCalculator()
        {
            Assert.AreEqual(87430, Library.LimitCeiling("A03", 1000000, serviceMonth: 202607));
            Assert.AreEqual(18000, Library.LimitCeiling("B04", 300000, LimitScope.Outpatient, serviceMonth: 202607));
            Assert.AreEqual(30000, Library.LimitCopay("A03", 100000, 30, serviceMonth: 202607));
            Assert.AreEqual(144000, Library.LimitYearlyCap("B04", LimitScope.Outpatient, serviceMonth: 202607));
            Assert.AreEqual(Status.NotFound, Assert.Throws<OnshiException>(() => Library.LimitYearlyCap("A03", serviceMonth: 202607)).Status);
            // the August 2026 revision; B09 (後期高齢者 一般Ⅱ) unconfirmed: -510 unless provisional
            Assert.AreEqual(92940, Library.LimitCeiling("A03", 1000000, serviceMonth: 202611));
            Assert.AreEqual(-510, (int)Assert.Throws<OnshiException>(
                () => Library.LimitCeiling("B09", 300000, LimitScope.Outpatient, serviceMonth: 202611)).Status);
            Assert.AreEqual(22000, Library.LimitCeiling("B09", 300000, LimitScope.Outpatient,
                                                        LimitFlags.Provisional, 202611));
            Assert.IsTrue(Library.OptionIsSecret(Option.TlsPkcs12Password));
            Assert.IsFalse(Library.OptionIsSecret(Option.ReqDir));
            using (var ctx = new Context())
            using (var r = new Request(RequestKind.Limit).Set(Param.ClassCode, "Z99").Set(Param.TotalCost, 1))
            {
                ctx.Lang = "en";
                StringAssert.Contains("Z99", Assert.Throws<OnshiException>(() => ctx.LimitCeiling(r)).Message);
            }
            Assert.AreEqual(Status.FieldId, Assert.Throws<OnshiException>(
                () => new Request(RequestKind.Limit).Set(Param.InsurerNumber, "06139990")).Status);
        }

        [Test]
        public void FaceWatchDeliversEachResultOnce()
        {
            string dir = Path.Combine(Env.Get("ONSHI_TEST_TMP"), "cs-face");
            Directory.CreateDirectory(dir);
            string src = Directory.GetFiles(Path.Combine(Env.Root, "test/data/codec"), "OQSsiquc01res_face_*.xml")[0];
            File.Copy(src, Path.Combine(dir, Path.GetFileName(src)), true);
            using (var ctx = new Context())
            {
                ctx.Set(Option.FaceDir, dir).Set(Option.StateDb, Path.Combine(dir, "..", "cs-face.db"));
                using (var w = ctx.WatchFaceFolder(FaceWatchFlags.DeliverExisting))
                {
                    var got = w.Pending().ToList();
                    Assert.AreEqual(1, got.Count);
                    Assert.AreEqual(MessageType.FaceRes, got[0].Type);
                    Assert.IsNull(w.Next(0));
                }
            }
        }

        [Test]
        public void CancelFromAnotherThreadStopsAWait()
        {
            string dir = Path.Combine(Env.Get("ONSHI_TEST_TMP"), "cs-face-cancel");
            Directory.CreateDirectory(dir);
            using (var ctx = new Context())
            {
                ctx.Set(Option.FaceDir, dir).Set(Option.StateDb, dir + ".db");
                using (var w = ctx.WatchFaceFolder())
                {
                    var wait = System.Threading.Tasks.Task.Factory.StartNew(() => w.Next(-1));
                    System.Threading.Thread.Sleep(200);
                    ctx.Cancel();
                    var e = Assert.Throws<AggregateException>(() => wait.Wait());
                    Assert.AreEqual(Status.Cancelled, ((OnshiException)e.InnerException).Status);
                }
            }
        }

        [Test]
        public void DiagnoseNamesTheMissingFolder()
        {
            using (var ctx = new Context())
            {
                ctx.Set(Option.Lang, "en").Set(Option.Transport, (long)Transport.File)
                   .Set(Option.ReqDir, "/nonexistent/req").Set(Option.ResDir, "/nonexistent/res");
                var items = ctx.Diagnose();
                Assert.AreEqual(DiagCheck.Folders, items[0].Check);
                Assert.AreEqual(DiagOutcome.Fail, items[0].Outcome);
                StringAssert.Contains("nonexistent", items[0].Message);
            }
        }

        static long RssKib()
        {
            string[] f = File.ReadAllText("/proc/self/statm").Split(' ');
            return long.Parse(f[1]) * 4;
        }

        [Test]
        public void NoLeakUnder10000Calls()
        {
            byte[] data = File.ReadAllBytes(Path.Combine(Env.Root, "test/data/codec/OQSsiquc01res_202501150001.xml"));
            Action once = () =>
            {
                using (var ctx = new Context())
                {
                    ctx.Lang = "en";
                    using (var m = ctx.Decode(data)) Assert.IsNotNull(m.Persons()[0].Get(Field.Name));
                    try { ctx.Set("log_redact", 7); } catch (OnshiException) { }
                }
                Library.LimitCeiling("A03", 1000000, serviceMonth: 202607);
            };
            for (int i = 0; i < 1000; i++) once();
            GC.Collect(); GC.WaitForPendingFinalizers();
            long before = RssKib();
            for (int i = 0; i < 10000; i++) once();
            GC.Collect(); GC.WaitForPendingFinalizers();
            long after = RssKib();
            Console.WriteLine("RSS dotnet: {0} KiB before, {1} KiB after 10000 calls (+{2} KiB)", before, after, after - before);
            Assert.Less(after - before, 8192);
        }
    }

    [TestFixture]
    public class WorkflowTests
    {
        [Test]
        public void InsuranceCardVerification()
        {
            var p = Env.Persons()[0];
            var stages = new List<Stage>();
            using (var ctx = Env.Https())
            using (var req = Env.Verify(p).Set(Param.LimitConsent, 1))
            {
                ctx.OnProgress = (s, d, t) => { stages.Add(s); return true; };
                using (var res = ctx.InsuranceCardVerify(req))
                {
                    Assert.AreEqual(MessageType.QualRes, res.Type);
                    string label;
                    Assert.AreEqual(1, ctx.ResultValidity(res, out label));
                    Assert.AreEqual("valid", label);
                    var person = res.Persons()[0];
                    Assert.AreEqual(p[1], person.Get(Field.InsurerNumber));
                    Assert.AreEqual(p[5], person.Get(Field.Birthdate));
                }
            }
            CollectionAssert.Contains(stages, Stage.Send);
            Assert.AreEqual(Stage.Done, stages.Last());
        }

        [Test]
        public void AsyncVerificationAndCheckDigit()
        {
            var p = Env.Persons()[0];
            using (var ctx = Env.Https())
            {
                using (var req = Env.Verify(p))
                using (var res = ctx.InsuranceCardVerifyAsync(req).Result)
                    Assert.AreEqual(p[1], res.Persons()[0].Get(Field.InsurerNumber));
                p[1] = "01130112";
                using (var req = Env.Verify(p))
                {
                    var e = Assert.Throws<OnshiException>(() => ctx.InsuranceCardVerify(req));
                    Assert.AreEqual(Status.CheckDigit, e.Status);
                    Assert.AreEqual("ONSHI_E_CHECK_DIGIT", e.Name);
                    StringAssert.Contains("insurer", e.MessageEn.ToLowerInvariant());
                }
            }
        }

        [Test]
        public void MyNumberCardWithPinCallback()
        {
            var pins = new List<PinRequest>();
            var audits = new List<AuditRecord>();
            using (var card = new TestCard())
            using (var ctx = card.Plug(Env.Https()))
            {
                ctx.OnPin = r => { pins.Add(r); return "1234"; };
                ctx.OnAudit = a => { audits.Add(a); return true; };
                using (var req = new Request(RequestKind.MynumberCardVerify).Set(Param.IdvMethod, (long)IdentityMethod.Pin)
                                   .Set(Param.ConsentOffered, (long)(Consent.Drug | Consent.Checkup)))
                using (var res = ctx.MyNumberCardVerify(req))
                {
                    Assert.AreEqual(MessageType.CardauthRes, res.Type);
                    var person = res.Persons()[0];
                    Assert.IsNotNull(person.Get(Field.Name));
                    Assert.IsTrue(ctx.HasConsent(person, Consent.Drug));
                    using (var info = new Request(RequestKind.Info).Set(Param.InfoKind, (long)InfoKind.Drug)
                                         .Set(Param.FileCategory, (long)FileCategory.Xml))
                    using (var drug = ctx.InfoRequest(person, info))
                        Assert.AreEqual(MessageType.DrugRes, drug.Type);
                }
                Assert.AreEqual(1, pins.Count);
                Assert.AreEqual(3, pins[0].TriesLeft);
                Assert.AreEqual(1, card.Signs);
                CollectionAssert.AreEqual(new[] { AuditPhase.Before, AuditPhase.After },
                    audits.Where(a => a.Action == AuditAction.Qualification).Select(a => a.Phase).ToArray());
            }
        }

        class PinPadGone : Exception { public PinPadGone() : base("the PIN pad is gone") { } }

        [Test]
        public void ACallbackThatThrowsCancelsAndIsRethrown()
        {
            using (var card = new TestCard())
            using (var ctx = card.Plug(Env.Https()))
            using (var req = new Request(RequestKind.MynumberCardVerify).Set(Param.IdvMethod, (long)IdentityMethod.Pin))
            {
                ctx.OnPin = r => { throw new PinPadGone(); };
                var e = Assert.Throws<PinPadGone>(() => ctx.MyNumberCardVerify(req));
                StringAssert.Contains("PIN pad", e.Message);
                Assert.AreEqual(0, card.Signs);
                Assert.AreEqual(3, card.TriesLeft);
                ctx.OnPin = r => "1234"; // the context stays usable
                using (var res = ctx.MyNumberCardVerify(req)) Assert.IsNotEmpty(res.Persons());
                Assert.AreEqual(1, card.Signs);
            }
        }

        [Test]
        public void CardSessionReadsAndSigns()
        {
            using (var card = new TestCard())
            using (var ctx = card.Plug(Env.Https()))
            {
                ctx.OnPin = r => "1234";
                using (var c = ctx.OpenCard())
                {
                    Assert.AreEqual("", c.TokenLabel); // a My Number Card (not a phone): no label read
                    using (var cert = c.ReadAuthCertificate())
                    {
                        Assert.AreEqual(2048, cert.KeyBits);
                        Assert.Greater(cert.DaysLeft, 0);
                        cert.Verify(ctx);
                    }
                    Assert.AreEqual(3, c.PinTriesLeft());
                    Assert.AreEqual(256, c.Sign(Enumerable.Range(0, 32).Select(i => (byte)i).ToArray()).Length);
                }
                Assert.AreEqual(1, card.Signs);
            }
        }

        [Test]
        public void WrongPinMapsToItsStatusWithTriesLeft()
        {
            using (var card = new TestCard())
            using (var ctx = card.Plug(Env.Https()))
            using (var req = new Request(RequestKind.MynumberCardVerify).Set(Param.IdvMethod, (long)IdentityMethod.Pin))
            {
                ctx.OnPin = r => "9999";
                var e = Assert.Throws<OnshiException>(() => ctx.MyNumberCardVerify(req));
                Assert.AreEqual(Status.JpkiPinWrong, e.Status);
                Assert.AreEqual(ForeignKind.Tries, e.ForeignKind);
                Assert.AreEqual(2, e.ForeignValue);
            }
        }

        [Test]
        public void BatchWithProgressAndResume()
        {
            var persons = Env.Persons();
            var progress = new List<Tuple<Stage, long, long>>();
            using (var ctx = Env.Https())
            {
                ctx.OnProgress = (s, d, t) => { progress.Add(Tuple.Create(s, d, t)); return true; };
                string id;
                using (var b = ctx.NewBatch(BatchKind.Qualification))
                {
                    foreach (var p in persons.Take(5))
                        using (var e = new Request(RequestKind.BatchEntry).Set(Param.PatientId, p[0])
                                           .Set(Param.InsurerNumber, p[1]).Set(Param.Symbol, p[2])
                                           .Set(Param.Number, p[3]).Set(Param.Branch, p[4]).Set(Param.Birthdate, p[5]))
                            b.Add(e);
                    b.Save();
                    id = b.Id;
                }
                CollectionAssert.Contains(ctx.UnfinishedBatches(), id);
                using (var b = ctx.OpenBatch(id))
                {
                    b.RunAsync().Wait();
                    Assert.AreEqual(BatchPhase.Done, b.Phase);
                    Assert.AreEqual(5, b.Count);
                    Assert.AreEqual(persons[0][0], b.PatientId(0));
                    Assert.AreEqual(BatchOutcome.Valid, b.Outcome(0));
                    Assert.AreEqual(persons[0][1], b.Persons(0)[0].Get(Field.InsurerNumber));
                    var p0 = b.Persons(0)[0];
                    Assert.IsNotNull(b.Unit(1));
                    // entry 0's groups end when entry 1 is read (onshi_batch_unit)
                    Assert.Throws<InvalidOperationException>(() => p0.Get(Field.InsurerNumber));
                }
                CollectionAssert.DoesNotContain(ctx.UnfinishedBatches(), id);
            }
            var stages = progress.Select(t => t.Item1).ToList();
            CollectionAssert.Contains(stages, Stage.BatchUpload);
            CollectionAssert.Contains(progress, Tuple.Create(Stage.BatchResults, 5L, 5L));
            Assert.AreEqual(Stage.Done, stages.Last());
        }

        [Test]
        public void RefnumRegistrationAndDisasterSearchAudited()
        {
            var p = Env.Persons()[1];
            var audits = new List<AuditRecord>();
            using (var ctx = Env.Https())
            {
                using (var r = new Request(RequestKind.RefnumRegister).Set(Param.ReferenceNumber, "CS-0001")
                                  .Set(Param.InsurerNumber, p[1]).Set(Param.Symbol, p[2]).Set(Param.Number, p[3]).Set(Param.Branch, p[4]))
                using (var res = ctx.RefnumRegister(r))
                    Assert.AreEqual(MessageType.RefnumRes, res.Type);
                using (var r = Env.Verify(p))
                using (var res = ctx.InsuranceCardVerify(r))
                    Assert.AreEqual("CS-0001", res.Persons()[0].Get(Field.ReferenceNumber));
                ctx.OnAudit = a => { audits.Add(a); return true; };
                using (var r = new Request(RequestKind.DisasterSearch).Set(Param.NameKana, "ﾃｽﾄ ﾀﾛｳ")
                                  .Set(Param.Birthdate, p[5]).Set(Param.InfoKind, (long)DisasterKind.Drug)
                                  .Set(Param.FileCategory, (long)FileCategory.Xml))
                {
                    try { ctx.DisasterSearch(r).Dispose(); }
                    catch (OnshiException e)
                    {
                        Assert.IsTrue(e.Status == Status.InfoNotAvailable || e.Status == Status.SystemError, e.Message);
                    }
                }
            }
            Assert.AreEqual(2, audits.Count(a => a.Action == AuditAction.DisasterSearch));
            Assert.AreEqual("dotnet-test", audits[0].OperatorId);
        }

        [Test]
        public void DiagnoseHttps()
        {
            using (var ctx = Env.Https())
            {
                var items = ctx.Diagnose();
                Assert.IsNotEmpty(items);
                foreach (var i in items) Assert.AreNotEqual(DiagOutcome.Fail, i.Outcome, i.ToString());
            }
        }
    }
}
