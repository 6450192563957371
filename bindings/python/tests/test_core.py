"""Tests of the Python binding against the built library (run by `make check`)."""
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))
import onshi  # noqa: E402


class CoreTest(unittest.TestCase):
    def test_version(self):
        # semantic versioning, with a pre-release part for release candidates ("1.0.0-rc1")
        self.assertRegex(onshi.version(), r"^\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$")
        self.assertTrue(onshi.version().startswith("1."))

    def test_status_tables_come_from_the_library(self):
        self.assertEqual(onshi.status_name(-3), "ONSHI_E_NOMEM")
        self.assertEqual(onshi.status_str(-3), "out of memory")
        self.assertEqual(onshi.status_str(-3, ja=True), "メモリが不足しています")
        self.assertEqual(onshi.status_band(-207), 3)  # jpki

    def test_options_by_name(self):
        with onshi.Context(lang="en", result_timeout_ms=5000) as ctx:
            self.assertEqual(ctx.get("lang"), "en")
            self.assertEqual(ctx.get("result_timeout_ms"), 5000)
            ctx.set("req_dir", "/tmp/req")
            self.assertEqual(ctx.get("req_dir"), "/tmp/req")
            ctx.set("req_dir", None)
            self.assertIsNone(ctx.get("req_dir"))

    def test_errors_carry_code_and_message(self):
        with onshi.Context(lang="en") as ctx:
            with self.assertRaises(onshi.OnshiError) as cm:
                ctx.set("log_redact", 7)
            self.assertEqual(cm.exception.name, "ONSHI_E_OPTION_RANGE")
            self.assertIn("log_redact", cm.exception.message)
            with self.assertRaises(onshi.OnshiError) as cm:
                ctx.set("no_such_option", 1)
            self.assertEqual(cm.exception.code, -4)
            with self.assertRaises(onshi.OnshiError) as cm:
                ctx.get("tls_pkcs12_password")  # secrets cannot be read back
            self.assertEqual(cm.exception.name, "ONSHI_E_OPTION_TYPE")

    def test_japanese_messages(self):
        with onshi.Context() as ctx:
            with self.assertRaises(onshi.OnshiError) as cm:
                ctx.set("lang", "fr")
            self.assertTrue(cm.exception.message.startswith("オプションの値が範囲外です"))

    def test_request_parameters_checked_by_kind(self):
        # a parameter the kind does not take is refused at once (ONSHI_E_FIELD_ID)
        with self.assertRaises(onshi.OnshiError) as e:
            onshi.Request(onshi.REQ_LIMIT).set(1, "06139990")  # ONSHI_P_INSURER_NUMBER
        self.assertEqual(e.exception.name, "ONSHI_E_FIELD_ID")
        with onshi.Request(onshi.REQ_LIMIT, class_code="A03", total_cost=1_000_000) as r:
            self.assertTrue(r.handle)

    def test_limit(self):
        self.assertEqual(onshi.limit_ceiling("A03", 1_000_000, service_month=202607), 87430)
        self.assertEqual(onshi.limit_ceiling("B04", 300000, onshi.SCOPE_OUTPATIENT,
                                             service_month=202607), 18000)
        self.assertEqual(onshi.limit_copay("A03", 100000, 30, service_month=202607), 30000)
        # the August 2026 revision is unconfirmed: an explicit status, or provisional on request
        with self.assertRaises(onshi.OnshiError) as cm:
            onshi.limit_ceiling("A03", 1_000_000, service_month=202611)
        self.assertEqual(cm.exception.code, -510)
        self.assertEqual(onshi.limit_ceiling("A03", 1_000_000, flags=onshi.F_PROVISIONAL,
                                             service_month=202611), 92940)
        with onshi.Context(lang="en") as ctx:
            with self.assertRaises(onshi.OnshiError) as cm:
                onshi.limit_ceiling("Z99", 1, ctx=ctx)
            self.assertIn("Z99", cm.exception.message)

    def test_contexts_in_threads(self):
        errors = []

        def work(i):
            try:
                with onshi.Context(lang="en") as ctx:
                    for _ in range(200):
                        try:
                            ctx.set("log_level", 1000 + i)
                        except onshi.OnshiError as e:
                            if str(1000 + i) not in e.message:
                                errors.append(e.message)
            except Exception as e:  # pragma: no cover
                errors.append(repr(e))

        threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])


if __name__ == "__main__":
    unittest.main()
