"""Python binding of libonshi (ctypes over the C ABI of include/onshi.h).

    import onshi
    with onshi.Context(lang="en", transport=onshi.Transport.HTTPS, server_url=url, ...) as ctx:
        with onshi.Request(onshi.RequestKind.INSURANCE_CARD_VERIFY, insurer_number="06139990",
                           number="1234", branch="01", birthdate="19800401") as req:
            with ctx.insurance_card_verify(req) as result:
                person = result.body.child(onshi.GroupKind.RESULT, 0)
                print(person.get(onshi.Field.NAME))

Constants (Status, Option, Field, GroupKind, MessageType, RequestKind, Param, ...) are
generated from the header by tools/gen-bindings.py. Errors raise OnshiError (status, name,
message in the context's language, Japanese and English labels, foreign detail). An exception
raised in a callback cancels the running call and is raised again from it. Objects own their C
handle and free it on close() / `with` / garbage collection; borrowed views (groups) keep
their owner alive and refuse use after it was closed.
SPDX-License-Identifier: Apache-2.0
"""
import ctypes
import datetime

from . import _constants as C
from ._constants import *  # noqa: F401,F403  (the generated enums and constants)
from ._native import (AUDIT_CB, CALLBACK_FIELDS, CALLBACKS_VERSION, CARD_EVENT_CB,
                      CERT_EXPIRY_CB, CONSENT_CB, FACE_WATCH_CB, IDENTITY_CB, LOG_CB, PIN_CB,
                      PROGRESS_CB, RESET_CB, TRANSMIT_CB, Callbacks, lib, text, utf8)

c_int, c_int64, c_size_t, c_void_p, c_char_p = (ctypes.c_int, ctypes.c_int64, ctypes.c_size_t,
                                                 ctypes.c_void_p, ctypes.c_char_p)
byref = ctypes.byref

__all__ = ["OnshiError", "PendingError", "Context", "Request", "Message", "Group", "BulkReader",
           "Card", "Cert", "Batch", "FaceWatch", "DiagItem", "Change", "AuditRecord",
           "Pending", "FileResult",
           "version", "version_info", "status_name", "status_label", "status_band",
           "option_id", "option_name", "option_type", "field_name", "field_code_table",
           "code_label", "msgtype_prefix", "msgtype_from_filename", "msgtype_label",
           "insurer_number_check", "public_expense_number_check", "institution_code_check",
           "limit_ceiling", "limit_copay", "limit_yearly_cap", "option_is_secret",
           "request_param_name", "load"] + \
    [n for n in dir(C) if not n.startswith("_") and n not in ("enum",)]


def load():
    """Load libonshi now (it is loaded on first use anyway)."""
    return lib()


# ---- version, statuses, tables ---------------------------------------------------------------

def version():
    """The version string of the loaded library ("1.0.0-rc1")."""
    return text(lib().onshi_version(None, None, None))


def version_info():
    a, b, c = c_int(), c_int(), c_int()
    lib().onshi_version(byref(a), byref(b), byref(c))
    return (a.value, b.value, c.value)


_lang_ctx = {}


def _label_ctx(lang):
    """A context per language, for labels asked without one (kept for the process)."""
    h = _lang_ctx.get(lang)
    if h is None:
        h = c_void_p()
        if lib().onshi_ctx_new(byref(h)) != 0:
            raise MemoryError("onshi_ctx_new")
        lib().onshi_ctx_set_str(h, C.OPT_LANG, lang.encode())
        _lang_ctx[lang] = h
    return h


def status_name(status):
    """The symbolic name ("ONSHI_E_NOMEM"), or None for an undefined code."""
    return text(lib().onshi_status_name(int(status)))


def status_label(status, lang="ja"):
    """The short description of a status in Japanese ("ja") or English ("en")."""
    return text(lib().onshi_status_label(_label_ctx(lang), int(status)))


def status_band(status):
    return lib().onshi_status_band(int(status))


def option_id(name):
    rc = lib().onshi_option_id(utf8(name))
    if rc < 0:
        raise OnshiError(rc, "unknown option %r / オプション %r はありません" % (name, name))
    return Option(rc) if rc in Option._value2member_map_ else rc


def option_name(option):
    return text(lib().onshi_option_name(int(option)))


def option_type(option):
    return lib().onshi_option_type(int(option))


def option_is_secret(option):
    """True for an option holding a secret (never readable, never logged, never on argv)."""
    return _check(None, lib().onshi_option_is_secret(int(option))) == 1


def field_name(field):
    return text(lib().onshi_field_name(int(field)))


def field_code_table(field):
    return lib().onshi_field_code_table(int(field))


def code_label(table, value, lang="ja"):
    return text(lib().onshi_code_label(_label_ctx(lang), int(table), utf8(value)))


def msgtype_prefix(msgtype):
    return text(lib().onshi_msgtype_prefix(int(msgtype)))


def msgtype_from_filename(filename):
    return _check(None, lib().onshi_msgtype_from_filename(utf8(filename)))


def msgtype_label(msgtype, lang="ja"):
    return text(lib().onshi_msgtype_label(_label_ctx(lang), int(msgtype)))


def request_param_name(param):
    return text(lib().onshi_request_param_name(int(param)))


def insurer_number_check(number):
    """Raise OnshiError (FIELD_FORMAT / CHECK_DIGIT) unless the 保険者番号 is valid."""
    _check(None, lib().onshi_insurer_number_check(utf8(number)))


def public_expense_number_check(number):
    _check(None, lib().onshi_public_expense_number_check(utf8(number)))


def institution_code_check(code):
    _check(None, lib().onshi_institution_code_check(utf8(code)))


# ---- errors ----------------------------------------------------------------------------------

class OnshiError(Exception):
    """A libonshi error.

    status   the ONSHI_E_* code (a Status member when known); name its symbolic name
    message  the library's message in the context's language (what failed and where)
    label_ja, label_en   the status's description in Japanese and English
    message_ja, message_en  the message in that language: the full message for the context's
             language, the status description for the other one
    foreign  (ForeignKind, value) of the underlying library, e.g. PIN tries left
    """

    def __init__(self, status, message, foreign=(0, 0), lang="ja"):
        self.status = Status(status) if status in Status._value2member_map_ else status
        self.name = status_name(status)
        self.message = message or status_label(status, lang)
        self.label_ja = status_label(status, "ja")
        self.label_en = status_label(status, "en")
        self.lang = lang
        self.message_ja = self.message if lang == "ja" else self.label_ja
        self.message_en = self.message if lang == "en" else self.label_en
        self.foreign = foreign
        super().__init__("%s (%d): %s" % (self.name, status, self.message))

    @property
    def code(self):
        return int(self.status)


class PendingError(OnshiError):
    """ONSHI_E_PENDING: the request was sent, its result has not come; pick it up later with
    Context.result_pickup(pending_id, request type). Never send it again."""

    def __init__(self, status, message, foreign, lang, pending_id):
        super().__init__(status, message, foreign, lang)
        self.pending_id = pending_id


def _check(ctx, rc, pending_id=None):
    """rc >= 0 is returned; a negative status raises (a callback's exception first)."""
    if ctx is not None and ctx._pending:
        exc, ctx._pending = ctx._pending, None
        raise exc
    if rc >= 0:
        return rc
    if ctx is None or not ctx._h:
        raise OnshiError(rc, status_label(rc, "ja"), lang="ja")
    L = lib()
    kind, value = c_int(0), c_int64(0)
    L.onshi_ctx_last_error_foreign(byref(kind), byref(value), ctx._h)
    msg = text(L.onshi_ctx_last_error_message(ctx._h))
    lang = ctx.lang
    foreign = (ForeignKind(kind.value) if kind.value in ForeignKind._value2member_map_
               else kind.value, value.value)
    if rc == C.E_PENDING and pending_id is not None:
        raise PendingError(rc, msg, foreign, lang, pending_id)
    raise OnshiError(rc, msg, foreign, lang)


# ---- handles ---------------------------------------------------------------------------------

class _Owned:
    """A C object owned by Python: freed once by close(), `with` or the garbage collector."""
    _free = None
    _gen = 0  # changes when the groups it handed out with a generation become invalid

    def __init__(self, handle):
        self._h = handle

    def close(self):
        h, self._h = self._h, None
        if h:
            getattr(lib(), self._free)(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def _live(self):
        if not self._h:
            raise ValueError("%s is closed" % type(self).__name__)
        return self._h

    @property
    def handle(self):
        return self._h


class Buf(_Owned):
    _free = "onshi_buf_free"

    def bytes(self):
        L, h = lib(), self._live()
        n = L.onshi_buf_len(h)
        p = L.onshi_buf_data(h)
        return ctypes.string_at(p, n) if p and n else b""


def _take_buf(h):
    with Buf(h) as b:
        return b.bytes()


# ---- context ---------------------------------------------------------------------------------

class AuditRecord:
    """One audit callback call."""
    __slots__ = ("action", "phase", "outcome", "operator_id", "patient", "detail", "timestamp")

    def __init__(self, *values):
        for k, v in zip(self.__slots__, values):
            setattr(self, k, v)

    def __repr__(self):
        return "AuditRecord(%s)" % ", ".join("%s=%r" % (k, getattr(self, k)) for k in self.__slots__)


class Context(_Owned):
    """An onshi_ctx: options, callbacks, errors. One thread at a time; cancel() from any.

    Options are set by Option id or configuration name: Context(lang="en", req_dir="/x").
    Callbacks are attributes (None: not installed); each runs on the calling thread:
      on_pin(tries_left, is_last_try) -> PIN str, or (PIN, confirm_last_try); None cancels
      on_consent(offered: Consent) -> granted Consent bits; None cancels
      on_identity(method: IdentityMethod, cert: Cert) -> True when identified
      on_progress(stage: Stage, done, total) -> False cancels
      on_audit(AuditRecord) -> False at AuditPhase.BEFORE refuses the access
      on_log(level, component, message); on_card_event(event, reader) -> False cancels
      on_cert_expiry(days_left, subject)
      card_transmit(apdu: bytes) -> response bytes; card_reset() (CardDriver.CALLBACK)
    """
    _free = "onshi_ctx_free"
    _CALLBACK_ATTRS = ("on_log", "card_transmit", "card_reset", "on_card_event", "on_pin",
                       "on_cert_expiry", "on_progress", "on_consent", "on_audit", "on_identity")

    def __init__(self, config=None, **options):
        h = c_void_p()
        object.__setattr__(self, "_pending", None)
        object.__setattr__(self, "_cbs", {})
        object.__setattr__(self, "_cb_refs", None)
        object.__setattr__(self, "_h", None)
        rc = lib().onshi_ctx_new(byref(h))
        if rc != 0:
            raise OnshiError(rc, status_label(rc))
        object.__setattr__(self, "_h", h)
        if config is not None:
            self.load_config(config)
        for name, value in options.items():
            self.set(name, value)

    def __setattr__(self, name, value):
        if name in self._CALLBACK_ATTRS:
            self._cbs[name] = value
            self._install()
            return
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        if name in Context._CALLBACK_ATTRS:
            return self.__dict__["_cbs"].get(name)
        raise AttributeError(name)

    def close(self):
        h = self._h
        object.__setattr__(self, "_h", None)
        if h:
            lib().onshi_ctx_free(h)
        object.__setattr__(self, "_cb_refs", None)

    # -- options
    def _opt(self, option):
        return option_id(option) if isinstance(option, str) else int(option)

    def set(self, option, value):
        """Set an option by id (Option.X) or configuration name; None restores the default."""
        L, oid, h = lib(), self._opt(option), self._live()
        kind = L.onshi_option_type(oid)
        if kind == C.OPTTYPE_INT and isinstance(value, str):
            return self.set_text(option_name(oid), value)  # "transport", "https"
        if kind == C.OPTTYPE_INT and value is not None:
            rc = L.onshi_ctx_set_int(h, oid, int(value))
        elif kind == C.OPTTYPE_BYTES:
            data = bytes(value or b"")
            rc = L.onshi_ctx_set_bytes(h, oid, data or None, len(data))
        elif kind == C.OPTTYPE_INT:
            rc = L.onshi_ctx_set_str(h, oid, None)
        else:
            rc = L.onshi_ctx_set_str(h, oid, utf8(value))
        _check(self, rc)
        return self

    def set_text(self, name, text):
        """Set an option from its name and text exactly as onshi.conf, the ONSHI_* variables and
        `onshi --set` take it (the library's one parser): a number or, for enumerated options, a
        name ("transport", "https"); hex for byte options; "" restores the default."""
        _check(self, lib().onshi_ctx_set_option(self._live(), utf8(name), utf8(text)))
        return self

    def get(self, option):
        L, oid, h = lib(), self._opt(option), self._live()
        if L.onshi_option_type(oid) == C.OPTTYPE_INT:
            out = c_int64()
            _check(self, L.onshi_ctx_get_int(byref(out), h, oid))
            return out.value
        out = c_char_p()
        _check(self, L.onshi_ctx_get_str(byref(out), h, oid))
        return text(out.value)

    @property
    def lang(self):
        out = c_char_p()
        if self._h and lib().onshi_ctx_get_str(byref(out), self._h, C.OPT_LANG) == 0 and out.value:
            return out.value.decode()
        return "ja"

    def load_config(self, path=None):
        """onshi.conf file (None: none) then ONSHI_<NAME> environment variables."""
        _check(self, lib().onshi_ctx_load_config(self._live(), utf8(path)))
        return self

    def cancel(self):
        """Stop the running (or next) call: it raises OnshiError(Status.CANCELLED). Any thread."""
        if self._h:
            lib().onshi_ctx_cancel(self._h)

    def clear_error(self):
        lib().onshi_ctx_clear_error(self._live())

    @property
    def last_error(self):
        return lib().onshi_ctx_last_error(self._live())

    @property
    def last_error_message(self):
        return text(lib().onshi_ctx_last_error_message(self._live()))

    # -- callbacks
    def _fail(self, exc):
        """A callback raised: keep the exception for the caller, cancel the C call."""
        if self._pending is None:
            object.__setattr__(self, "_pending", exc)
        try:
            lib().onshi_ctx_set_error(self._h, C.E_CALLBACK,
                                      utf8("%s: %s" % (type(exc).__name__, exc)))
        except Exception:
            pass

    def _wrap(self, name, fn):
        ctx = self

        def on_log(_, level, component, message):
            try:
                fn(level, text(component), text(message))
            except Exception:
                pass  # a log line cannot stop anything; never let it unwind through C

        def card_transmit(_, cmd, cmd_len, resp, resp_cap, resp_len):
            try:
                answer = bytes(fn(ctypes.string_at(cmd, cmd_len)))
                if len(answer) < 2 or len(answer) > resp_cap:
                    raise ValueError("card_transmit: answer of %d bytes (2..%d)"
                                     % (len(answer), resp_cap))
                ctypes.memmove(resp, answer, len(answer))
                resp_len[0] = len(answer)
                return 0
            except OnshiError as e:
                if -199 <= e.code <= -100:
                    return e.code
                ctx._fail(e)
                return C.E_CARD_DRIVER
            except BaseException as e:
                ctx._fail(e)
                return C.E_CARD_DRIVER

        def card_reset(_):
            try:
                fn()
                return 0
            except BaseException as e:
                ctx._fail(e)
                return C.E_CARD_DRIVER

        def on_card_event(_, event, reader):
            try:
                return 1 if fn(event, text(reader)) is False else 0
            except BaseException as e:
                ctx._fail(e)
                return 1

        def on_pin(_, tries_left, is_last, pin_buf, size, confirm_last):
            try:
                answer = fn(tries_left, bool(is_last))
                if answer is None:
                    return 1
                confirm = False
                if isinstance(answer, tuple):
                    answer, confirm = answer
                pin = bytearray(answer.encode("ascii") if isinstance(answer, str) else answer)
                try:
                    if len(pin) >= size:
                        raise ValueError("PIN longer than the library's buffer")
                    dst = ctypes.cast(pin_buf, ctypes.POINTER(ctypes.c_ubyte))
                    for i, b in enumerate(pin):  # no immutable copy of the PIN is made here
                        dst[i] = b
                    dst[len(pin)] = 0
                finally:
                    for i in range(len(pin)):
                        pin[i] = 0
                confirm_last[0] = 1 if confirm else 0
                return 0
            except BaseException as e:
                ctx._fail(e)
                return 1

        def on_cert_expiry(_, days, subject):
            try:
                fn(days, text(subject))
            except Exception:
                pass  # the warning never stops an exchange
            return 0

        def on_progress(_, stage, done, total):
            try:
                st = Stage(stage) if stage in Stage._value2member_map_ else stage
                return 1 if fn(st, done, total) is False else 0
            except BaseException as e:
                ctx._fail(e)
                return 1

        def on_consent(_, offered, granted):
            try:
                answer = fn(Consent(offered))
                if answer is None:
                    return 1
                granted[0] = int(answer) & offered
                return 0
            except BaseException as e:
                ctx._fail(e)
                return 1

        def on_audit(_, action, phase, outcome, operator_id, patient, detail, timestamp):
            try:
                rec = AuditRecord(AuditAction(action) if action in AuditAction._value2member_map_
                                  else action, AuditPhase(phase), outcome, text(operator_id),
                                  text(patient), text(detail), text(timestamp))
                return 1 if fn(rec) is False else 0
            except BaseException as e:
                ctx._fail(e)
                return 1

        def on_identity(_, method, cert, verified):
            try:
                view = Cert(cert, owned=False)
                try:
                    verified[0] = 1 if fn(IdentityMethod(method), view) is True else 0
                finally:
                    view._h = None
                return 0
            except BaseException as e:
                ctx._fail(e)
                return 1

        return {"on_log": (LOG_CB, on_log), "card_transmit": (TRANSMIT_CB, card_transmit),
                "card_reset": (RESET_CB, card_reset), "on_card_event": (CARD_EVENT_CB, on_card_event),
                "on_pin": (PIN_CB, on_pin), "on_cert_expiry": (CERT_EXPIRY_CB, on_cert_expiry),
                "on_progress": (PROGRESS_CB, on_progress), "on_consent": (CONSENT_CB, on_consent),
                "on_audit": (AUDIT_CB, on_audit), "on_identity": (IDENTITY_CB, on_identity)}[name]

    def _install(self):
        cbs = Callbacks()
        cbs.version = CALLBACKS_VERSION
        refs = []
        for (field, _), attr in zip(CALLBACK_FIELDS, self._CALLBACK_ATTRS):
            fn = self._cbs.get(attr)
            if fn is None:
                continue
            typ, tramp = self._wrap(attr, fn)
            cfn = typ(tramp)
            refs.append(cfn)
            setattr(cbs, field, cfn)
        _check(self, lib().onshi_ctx_set_callbacks(self._live(), byref(cbs)))
        # the C functions stay alive while installed (replaced only after the new set is in)
        object.__setattr__(self, "_cb_refs", refs)

    def _call(self, fn, *args, pending_id=None):
        object.__setattr__(self, "_pending", None)
        return _check(self, fn(*args), pending_id)

    # -- codec
    def decode(self, data, msgtype=0):
        """Decode an XML message from bytes (msgtype 0: from the content)."""
        out = c_void_p()
        data = bytes(data)
        self._call(lib().onshi_msg_decode, byref(out), self._live(), int(msgtype), data, len(data))
        return Message(out)

    def decode_file(self, path):
        out = c_void_p()
        self._call(lib().onshi_msg_decode_file, byref(out), self._live(), utf8(path))
        return Message(out)

    def from_json(self, msgtype, json_text):
        out = c_void_p()
        b = utf8(json_text)
        self._call(lib().onshi_msg_from_json, byref(out), self._live(), int(msgtype), b, len(b))
        return Message(out)

    def bulk_reader(self, path=None, data=None, msgtype=0):
        """A streaming reader of a bulk result file (or bytes): iterate it for its units."""
        out = c_void_p()
        if data is not None:
            data = bytes(data)
            self._call(lib().onshi_bulk_reader_open_mem, byref(out), self._live(), data,
                       len(data), int(msgtype))
        else:
            self._call(lib().onshi_bulk_reader_open, byref(out), self._live(), utf8(path),
                       int(msgtype))
        return BulkReader(out, self, data)

    def cert_from_der(self, der):
        out = c_void_p()
        der = bytes(der)
        self._call(lib().onshi_cert_from_der, byref(out), self._live(), der, len(der))
        return Cert(out)

    # -- card
    def card_readers(self):
        out, n = c_void_p(), c_size_t()
        self._call(lib().onshi_card_readers, byref(out), byref(n), self._live())
        raw = _take_buf(out)
        return [r.decode() for r in raw.split(b"\0") if r][: n.value]

    def card_wait(self, want=C.CARD_EVENT_INSERTED, timeout_ms=-1):
        ev = c_int()
        self._call(lib().onshi_card_wait, byref(ev), self._live(), int(want), int(timeout_ms))
        return CardEvent(ev.value)

    def card_open(self):
        out = c_void_p()
        self._call(lib().onshi_card_open, byref(out), self._live())
        return Card(out, self)

    def client_cert_days_left(self):
        out = c_int()
        self._call(lib().onshi_client_cert_days_left, byref(out), self._live())
        return out.value

    # -- workflows
    def _pending_call(self, fn, *args):
        out, pid = c_void_p(), ctypes.create_string_buffer(C.FILE_ID_SIZE)
        try:
            self._call(fn, byref(out), pid, C.FILE_ID_SIZE, self._live(), *args,
                       pending_id=None)
        except OnshiError as e:
            if e.code == C.E_PENDING:
                raise PendingError(e.code, e.message, e.foreign, e.lang, pid.value.decode()) from None
            raise
        m = Message(out)
        m.request_id = pid.value.decode()
        return m

    def insurance_card_verify(self, req):
        """資格確認 by the insurance card's numbers (a Request of INSURANCE_CARD_VERIFY)."""
        return self._pending_call(lib().onshi_insurance_card_verify, _req(req))

    def refnum_register(self, req):
        """Register a 照会番号 (a Request of REFNUM_REGISTER)."""
        return self._pending_call(lib().onshi_refnum_register, _req(req))

    def info_request(self, person, req):
        """薬剤情報 / 特定健診情報 of a person (an RESULT group) under consent (Request INFO)."""
        return self._pending_call(lib().onshi_info_request, person._live(), _req(req))

    def result_pickup(self, pending_id, req_type, timeout_ms=-1):
        out = c_void_p()
        self._call(lib().onshi_result_pickup, byref(out), self._live(), utf8(pending_id),
                   int(req_type), int(timeout_ms))
        return Message(out)

    def mynumber_card_verify(self, req):
        """Verification with the My Number Card in the reader (Request MYNUMBER_CARD_VERIFY)."""
        out = c_void_p()
        self._call(lib().onshi_mynumber_card_verify, byref(out), self._live(), _req(req))
        return Message(out)

    def disaster_search(self, req):
        out = c_void_p()
        self._call(lib().onshi_disaster_search, byref(out), self._live(), _req(req))
        return Message(out)

    def result_check(self, msg):
        self._call(lib().onshi_result_check, self._live(), msg._live())

    def result_validity(self, msg):
        """(QualificationValidity code, label in the context's language)."""
        v, label = c_int(), c_char_p()
        self._call(lib().onshi_result_validity, byref(v), byref(label), self._live(), msg._live())
        return v.value, text(label.value)

    def person_consent(self, person, item, now=None):
        """Raise NO_CONSENT / CONSENT_EXPIRED unless the person consented to `item` now."""
        self._call(lib().onshi_person_consent, self._live(), person._live(), int(item), utf8(now))

    def has_consent(self, person, item, now=None):
        try:
            self.person_consent(person, item, now)
            return True
        except OnshiError as e:
            if e.code in (C.E_NO_CONSENT, C.E_CONSENT_EXPIRED):
                return False
            raise

    def person_sex(self, person):
        code, label = c_char_p(), c_char_p()
        self._call(lib().onshi_person_sex, byref(code), byref(label), self._live(), person._live())
        return text(code.value), text(label.value)

    def person_compare(self, prev, cur):
        """The fields that changed between two results of one patient: [Change]."""
        out = c_void_p()
        self._call(lib().onshi_person_compare, byref(out), self._live(), prev._live(), cur._live())
        L = lib()
        try:
            changes = []
            for i in range(L.onshi_changes_count(out)):
                f, old, new = c_int(), c_char_p(), c_char_p()
                fl, ol, nl = c_char_p(), c_char_p(), c_char_p()
                L.onshi_changes_at(byref(f), byref(old), byref(new), out, i)
                L.onshi_changes_labels(byref(fl), byref(ol), byref(nl), out, i)
                changes.append(Change(_field(f.value), text(old.value), text(new.value),
                                      text(fl.value), text(ol.value), text(nl.value)))
            return changes
        finally:
            L.onshi_changes_free(out)

    def batch(self, kind):
        """A new batch (BatchKind)."""
        out = c_void_p()
        self._call(lib().onshi_batch_new, byref(out), self._live(), int(kind))
        return Batch(out, self)

    def batch_open(self, batch_id):
        out = c_void_p()
        self._call(lib().onshi_batch_open, byref(out), self._live(), utf8(batch_id))
        return Batch(out, self)

    def unfinished_batches(self):
        """Ids of the saved batches neither done nor failed (to resume after a restart)."""
        ids, after = [], None
        while True:
            buf = ctypes.create_string_buffer(C.BATCH_ID_SIZE)
            rc = lib().onshi_batch_next_unfinished(buf, C.BATCH_ID_SIZE, self._live(), utf8(after))
            if rc == C.E_NOT_FOUND:
                return ids
            _check(self, rc)
            after = buf.value.decode()
            ids.append(after)

    def limit_ceiling(self, req=None, **params):
        return _limit(lib().onshi_limit_ceiling, self, req, params)

    def limit_copay(self, req=None, **params):
        return _limit(lib().onshi_limit_copay, self, req, params)

    def limit_yearly_cap(self, req=None, **params):
        return _limit(lib().onshi_limit_yearly_cap, self, req, params)

    def diagnose(self):
        """What is wrong with the configured transport: [DiagItem] (never sends a request)."""
        out = c_void_p()
        self._call(lib().onshi_transport_diagnose, byref(out), self._live())
        L = lib()
        try:
            return [DiagItem(DiagCheck(L.onshi_diag_report_check(out, i)),
                             DiagOutcome(L.onshi_diag_report_outcome(out, i)),
                             L.onshi_diag_report_status(out, i),
                             text(L.onshi_diag_report_message(out, i)))
                    for i in range(L.onshi_diag_report_count(out))]
        finally:
            L.onshi_diag_report_free(out)

    def face_watch(self, flags=0):
        out = c_void_p()
        self._call(lib().onshi_face_watch_new, byref(out), self._live(), int(flags))
        return FaceWatch(out, self)

    # -- raw transport (include/onshi_transport.h): for vendors who write their own messages
    def file_send(self, msgtype, body):
        """Publish one request file in req/ (MessageType of a request, the file's bytes as
        given); returns its 16-digit request id. Never joins an open request: the caller
        decides. Keep the id: file_wait(id) picks the result up, even after a restart."""
        body = bytes(body)
        buf = ctypes.create_string_buffer(C.FILE_ID_SIZE)
        self._call(lib().onshi_file_send, buf, C.FILE_ID_SIZE, self._live(), int(msgtype), body,
                   len(body))
        return buf.value.decode("ascii")

    def file_wait(self, request_id, timeout_ms=-1):
        """The result of a request sent earlier (by this or a previous process) as a
        FileResult; timeout_ms negative: Option.RESULT_TIMEOUT_MS, 0: look once. No result yet
        raises PendingError (its pending_id is request_id: call again later, never send
        again). The bytes are not read: compare the echoed search keys yourself. The result
        stays in res/ until file_consume(request_id)."""
        out = c_void_p()
        self._call(lib().onshi_file_wait, byref(out), self._live(), utf8(request_id),
                   int(timeout_ms), pending_id=request_id)
        return FileResult(out)

    def file_consume(self, request_id):
        """Tell the library the result of request_id is taken care of: its files leave res/
        (deleted, or moved to Option.ARCHIVE_DIR) and the request is CONSUMED."""
        self._call(lib().onshi_file_consume, self._live(), utf8(request_id))

    def file_state(self, request_id):
        """The FileState of a request (raises NOT_FOUND for an unknown id)."""
        st = c_int()
        self._call(lib().onshi_file_state, byref(st), self._live(), utf8(request_id))
        return FileState(st.value) if st.value in FileState._value2member_map_ else st.value

    def file_pending_ids(self):
        """Ids of the requests not yet consumed, in id order (onshi_file_pending_next)."""
        ids, after = [], None
        while True:
            buf = ctypes.create_string_buffer(C.FILE_ID_SIZE)
            rc = lib().onshi_file_pending_next(buf, C.FILE_ID_SIZE, self._live(), utf8(after))
            if rc == C.E_NOT_FOUND:
                return ids
            _check(self, rc)
            after = buf.value.decode("ascii")
            ids.append(after)

    def pending(self, all=False):
        """Iterate the requests the file transport left open (all=True: the finished ones
        still kept too), in id order, as Pending snapshots; the first step recovers what
        stopped processes left (docs/file-transport.md, "Recovery after a crash")."""
        flags = C.PENDING_ALL if all else 0
        after = None
        while True:
            out = c_void_p()
            rc = lib().onshi_pending_next(byref(out), self._live(), utf8(after), flags)
            if rc == C.E_NOT_FOUND:
                return
            _check(self, rc)
            p = Pending._take(out, self)
            after = p.id
            yield p

    def pending_get(self, request_id):
        """One request by id, in any state, as a Pending snapshot."""
        out = c_void_p()
        self._call(lib().onshi_pending_get, byref(out), self._live(), utf8(request_id))
        return Pending._take(out, self)

    def https_exchange(self, msgtype, body, idempotency_key=None):
        """POST one XmlMsg request body over HTTPS (TLS always verified) and return the result
        body (bytes). Only a request with an idempotency key is retried; without one it is
        sent at most once."""
        body = bytes(body)
        out = c_void_p()
        self._call(lib().onshi_https_exchange, byref(out), self._live(), int(msgtype), body,
                   len(body), utf8(idempotency_key))
        return _take_buf(out)

    def https_set_path(self, msgtype, path):
        """The HTTP path of a message type ("/..."); None restores the default."""
        self._call(lib().onshi_https_set_path, self._live(), int(msgtype), utf8(path))

    def https_close(self):
        """Close the kept-alive connection (harmless when none is open)."""
        lib().onshi_https_close(self._live())


def _field(v):
    return Field(v) if v in Field._value2member_map_ else v


class Change:
    __slots__ = ("field", "old", "new", "field_label", "old_label", "new_label")

    def __init__(self, *values):
        for k, v in zip(self.__slots__, values):
            setattr(self, k, v)

    def __repr__(self):
        return "Change(%s: %r -> %r)" % (self.field_label, self.old, self.new)


class DiagItem:
    __slots__ = ("check", "outcome", "status", "message")

    def __init__(self, *values):
        for k, v in zip(self.__slots__, values):
            setattr(self, k, v)

    def __repr__(self):
        return "DiagItem(%s, %s, %r)" % (self.check.name, self.outcome.name, self.message)


# ---- requests --------------------------------------------------------------------------------

class Request(_Owned):
    """The inputs of a workflow call: a RequestKind and Param values set by typed setters.
    Request(RequestKind.LIMIT, class_code="A03", total_cost=1000000) sets by parameter name."""
    _free = "onshi_request_free"

    def __init__(self, kind, **params):
        h = c_void_p()
        rc = lib().onshi_request_new(byref(h), int(kind))
        if rc != 0:
            raise OnshiError(rc, "onshi_request_new(%d)" % int(kind))
        super().__init__(h)
        for name, value in params.items():
            self.set(Param[name.upper()], value)

    def set(self, param, value):
        """Set a parameter (str, int, or None to unset); returns self."""
        L, h = lib(), self._live()
        if isinstance(param, str):
            param = Param[param.upper()]
        if value is None or isinstance(value, str):
            rc = L.onshi_request_set_str(h, int(param), utf8(value))
        else:
            rc = L.onshi_request_set_int(h, int(param), int(value))
        if rc != 0:
            raise OnshiError(rc, "%s: %s / %s" % (request_param_name(param), status_label(rc, "ja"),
                                                  status_label(rc, "en")))
        return self

    @property
    def kind(self):
        return RequestKind(lib().onshi_request_kind(self._live()))


def _req(req):
    if not isinstance(req, Request):
        raise TypeError("a onshi.Request is needed")
    return req._live()


def _limit(fn, ctx, req, params):
    out = c_int64()
    h = ctx._live() if ctx is not None else None
    own = req is None
    if own:
        req = Request(C.REQ_LIMIT, **params)
    try:
        if ctx is not None:
            ctx._call(fn, byref(out), h, req._live())
        else:
            _check(None, fn(byref(out), None, req._live()))
    finally:
        if own:
            req.close()
    return out.value


def limit_ceiling(class_code, total_cost, scope=C.LIMIT_SCOPE_ALL, flags=0, service_month=0,
                  ctx=None):
    """Monthly co-payment ceiling (自己負担限度額) in yen (docs/limit-amount.md)."""
    return _limit(lib().onshi_limit_ceiling, ctx, None,
                  dict(class_code=class_code, total_cost=total_cost, scope=scope, flags=flags,
                       service_month=service_month))


def limit_copay(class_code, total_cost, ratio_percent, scope=C.LIMIT_SCOPE_ALL, flags=0,
                service_month=0, ctx=None):
    """The window co-payment: the patient's share stopped at the ceiling."""
    return _limit(lib().onshi_limit_copay, ctx, None,
                  dict(class_code=class_code, total_cost=total_cost, ratio_percent=ratio_percent,
                       scope=scope, flags=flags, service_month=service_month))


def limit_yearly_cap(class_code, scope=C.LIMIT_SCOPE_ALL, flags=0, service_month=0, ctx=None):
    """The yearly cap (August–July) of a 適用区分 in force for the service month."""
    return _limit(lib().onshi_limit_yearly_cap, ctx, None,
                  dict(class_code=class_code, scope=scope, flags=flags, service_month=service_month))


# ---- messages and groups ---------------------------------------------------------------------

class Message(_Owned):
    """An onshi_msg: type, header group, body group, warnings; encode / JSON."""
    _free = "onshi_msg_free"
    request_id = ""

    def __init__(self, handle, owned=True):
        super().__init__(handle)
        self._owned = owned

    def close(self):
        if self._owned:
            super().close()
        self._h = None

    @classmethod
    def new(cls, msgtype):
        out = c_void_p()
        _check(None, lib().onshi_msg_new(byref(out), int(msgtype)))
        return cls(out)

    @property
    def type(self):
        t = lib().onshi_msg_type(self._live())
        return MessageType(t) if t in MessageType._value2member_map_ else t

    @property
    def header(self):
        return Group(lib().onshi_msg_header(self._live()), self)

    @property
    def body(self):
        return Group(lib().onshi_msg_body(self._live()), self)

    def encode(self, ctx):
        out = c_void_p()
        ctx._call(lib().onshi_msg_encode, byref(out), ctx._live(), self._live())
        return _take_buf(out)

    def validate(self, ctx):
        ctx._call(lib().onshi_msg_validate, ctx._live(), self._live())

    def to_json(self, ctx):
        out = c_void_p()
        ctx._call(lib().onshi_msg_to_json, byref(out), ctx._live(), self._live())
        return _take_buf(out).decode("utf-8")

    def attachment(self):
        """(bytes, file name) of a PDF result or an error file's text, or None."""
        data, n, name = c_void_p(), c_size_t(), c_char_p()
        rc = lib().onshi_msg_attachment(byref(data), byref(n), byref(name), self._live())
        if rc == C.E_NOT_FOUND:
            return None
        _check(None, rc)
        return ctypes.string_at(data, n.value) if data.value else b"", text(name.value)

    @property
    def warnings(self):
        """[(WarningKind, element path, text)] found while decoding."""
        L, h = lib(), self._live()
        out = []
        for i in range(L.onshi_msg_warning_count(h)):
            k, p, t = c_int(), c_char_p(), c_char_p()
            if L.onshi_msg_warning_at(byref(k), byref(p), byref(t), h, i) == 0:
                out.append((WarningKind(k.value) if k.value in WarningKind._value2member_map_
                            else k.value, text(p.value), text(t.value)))
        return out

    def persons(self):
        """The ResultOfQualificationConfirmation groups of the body."""
        return self.body.children(C.G_RESULT)


class Group:
    """A borrowed view of a group inside a message (or a batch / bulk unit). It keeps its
    owner alive and raises once the owner was closed."""
    __slots__ = ("_p", "_owner", "_gen")

    def __init__(self, ptr, owner, gen=None):
        self._p = ptr.value if isinstance(ptr, c_void_p) else ptr
        self._owner = owner
        self._gen = gen  # the owner's generation it belongs to; None: valid while the owner lives

    def _live(self):
        if not self._p or not self._owner._h:
            raise ValueError("the message this group belongs to is closed")
        # A batch entry's group lasts until another entry is read, a bulk unit until the next
        # unit (onshi_batch_unit, onshi_bulk_reader_next): refused, not a dangling read.
        if self._gen is not None and self._gen != self._owner._gen:
            raise ValueError("this group was replaced: another batch entry or bulk unit was read "
                             "since; read it again")
        return self._p

    @property
    def kind(self):
        return GroupKind(lib().onshi_group_kind(self._live()))

    def count(self, kind):
        return lib().onshi_group_count(self._live(), int(kind))

    def child(self, kind, i=0):
        out = c_void_p()
        _check(None, lib().onshi_group_at(byref(out), self._live(), int(kind), int(i)))
        return Group(out, self._owner, self._gen)

    def children(self, kind):
        return [self.child(kind, i) for i in range(self.count(kind))]

    def get(self, field, default=None):
        """A field as str, or `default` when absent."""
        out = c_char_p()
        rc = lib().onshi_group_get_str(byref(out), self._live(), int(field))
        if rc == C.E_NOT_FOUND:
            return default
        _check(None, rc)
        return text(out.value)

    def get_all(self, field):
        """Every occurrence of a field that repeats (e.g. several ReferenceNumber)."""
        L, h = lib(), self._live()
        out = []
        for i in range(L.onshi_group_count_str(h, int(field))):
            v = c_char_p()
            _check(None, L.onshi_group_get_str_at(byref(v), h, int(field), i))
            out.append(text(v.value))
        return out

    def __getitem__(self, field):
        v = self.get(field)
        if v is None:
            raise KeyError(field_name(field) or field)
        return v

    def get_int(self, field, default=None):
        out = c_int64()
        rc = lib().onshi_group_get_int(byref(out), self._live(), int(field))
        if rc == C.E_NOT_FOUND:
            return default
        _check(None, rc)
        return out.value

    def label(self, field, ctx=None):
        """The label of a code field's value in the context's language (None: Japanese)."""
        out = c_char_p()
        h = ctx._live() if ctx is not None else None
        rc = lib().onshi_group_get_label(byref(out), h, self._live(), int(field))
        if rc == C.E_NOT_FOUND:
            return None
        _check(None, rc)
        return text(out.value)

    def set(self, field, value):
        _check(None, lib().onshi_group_set_str(self._live(), int(field), utf8(value)))
        return self

    def add(self, kind):
        out = c_void_p()
        _check(None, lib().onshi_group_add(byref(out), self._live(), int(kind)))
        return Group(out, self._owner, self._gen)

    def to_json(self, ctx):
        out = c_void_p()
        ctx._call(lib().onshi_group_to_json, byref(out), ctx._live(), self._live())
        return _take_buf(out).decode("utf-8")


class BulkReader(_Owned):
    """Streaming reader of a bulk result: `for unit in reader` (each unit valid until the
    next one)."""
    _free = "onshi_bulk_reader_free"

    def __init__(self, handle, ctx, data=None):
        super().__init__(handle)
        self._ctx, self._data = ctx, data  # bytes in memory must outlive the reader

    @property
    def header(self):
        return Group(lib().onshi_bulk_reader_header(self._live()), self)

    @property
    def body(self):
        return Group(lib().onshi_bulk_reader_body(self._live()), self)

    def __iter__(self):
        while True:
            out = c_void_p()
            self._gen += 1  # the previous unit is gone
            self._ctx._call(lib().onshi_bulk_reader_next, byref(out), self._live())
            if not out.value:
                return
            yield Group(out, self, self._gen)


# ---- card and certificates -------------------------------------------------------------------

class Cert(_Owned):
    """An X.509 certificate (the card's auth certificate, its CA, any DER certificate)."""
    _free = "onshi_cert_free"

    def __init__(self, handle, owned=True):
        super().__init__(handle)
        self._owned = owned

    def close(self):
        if self._owned:
            super().close()
        self._h = None

    def _s(self, fn):
        return text(getattr(lib(), fn)(self._live()))

    serial_hex = property(lambda self: self._s("onshi_cert_serial_hex"))
    issuer = property(lambda self: self._s("onshi_cert_issuer"))
    subject = property(lambda self: self._s("onshi_cert_subject"))
    not_before = property(lambda self: self._s("onshi_cert_not_before"))
    not_after = property(lambda self: self._s("onshi_cert_not_after"))
    not_after_epoch = property(lambda self: lib().onshi_cert_not_after_epoch(self._live()))
    key_type = property(lambda self: lib().onshi_cert_key_type(self._live()))
    key_bits = property(lambda self: lib().onshi_cert_key_bits(self._live()))

    @property
    def key_usage(self):
        return KeyUsage(_check(None, lib().onshi_cert_key_usage(self._live())))

    @property
    def days_left(self):
        out = c_int64()
        _check(None, lib().onshi_cert_days_left(byref(out), self._live()))
        return out.value

    @property
    def der(self):
        out = c_void_p()
        _check(None, lib().onshi_cert_der(byref(out), self._live()))
        return _take_buf(out)

    def verify(self, ctx):
        """Against the JPKI CAs of Option.JPKI_CA_FILES; raises on failure."""
        ctx._call(lib().onshi_cert_verify, ctx._live(), self._live())


class Card(_Owned):
    """A session with the My Number Card in the reader (Context.card_open)."""
    _free = "onshi_card_free"

    def __init__(self, handle, ctx):
        super().__init__(handle)
        self._ctx = ctx

    reader_name = property(lambda self: text(lib().onshi_card_reader_name(self._live())))
    token_label = property(lambda self: text(lib().onshi_card_token_label(self._live())))

    def read_auth_cert(self):
        out = c_void_p()
        self._ctx._call(lib().onshi_card_read_auth_cert, byref(out), self._live())
        return Cert(out)

    def read_ca_cert(self):
        out = c_void_p()
        self._ctx._call(lib().onshi_card_read_ca_cert, byref(out), self._live())
        return Cert(out)

    def pin_tries_left(self):
        out = c_int()
        self._ctx._call(lib().onshi_card_pin_tries_left, byref(out), self._live())
        return out.value

    def sign(self, digest, hash_alg=C.HASH_SHA256):
        """Sign a hash after the PIN (Context.on_pin); returns the signature."""
        out = c_void_p()
        digest = bytes(digest)
        self._ctx._call(lib().onshi_card_sign, byref(out), self._live(), int(hash_alg), digest,
                        len(digest))
        return _take_buf(out)


# ---- batch -----------------------------------------------------------------------------------

class Batch(_Owned):
    """A 一括照会 / 照会番号一括登録 / consent query batch (persisted; resumable by id)."""
    _free = "onshi_batch_free"

    def __init__(self, handle, ctx):
        super().__init__(handle)
        self._ctx = ctx

    def add(self, req=None, **params):
        """One patient (a Request of BATCH_ENTRY, or its parameters by name)."""
        own = req is None
        if own:
            req = Request(C.REQ_BATCH_ENTRY, **params)
        try:
            self._ctx._call(lib().onshi_batch_add, self._live(), req._live())
        finally:
            if own:
                req.close()
        return self

    def set_period(self, from_date, to_date, examination=False):
        self._ctx._call(lib().onshi_batch_set_period, self._live(), 1 if examination else 0,
                        utf8(from_date), utf8(to_date))

    def set_month(self, month):
        self._ctx._call(lib().onshi_batch_set_month, self._live(), utf8(month))

    def validate(self):
        bad = c_size_t()
        self._ctx._call(lib().onshi_batch_validate, byref(bad), self._live())

    def save(self):
        self._ctx._call(lib().onshi_batch_save, self._live())

    def run(self):
        """Run (or resume) until the results are stored; progress goes to on_progress."""
        self._ctx._call(lib().onshi_batch_run, self._live())

    id = property(lambda self: text(lib().onshi_batch_id(self._live())))
    kind = property(lambda self: BatchKind(lib().onshi_batch_kind(self._live())))
    phase = property(lambda self: BatchPhase(lib().onshi_batch_phase(self._live())))
    reception_number = property(lambda self: text(lib().onshi_batch_reception_number(self._live())))
    download_count = property(lambda self: lib().onshi_batch_download_count(self._live()))
    fail_message = property(lambda self: text(lib().onshi_batch_fail_message(self._live())))

    def __len__(self):
        return lib().onshi_batch_count(self._live())

    def patient_id(self, i):
        return text(lib().onshi_batch_patient_id(self._live(), i))

    def outcome(self, i):
        return BatchOutcome(_check(None, lib().onshi_batch_outcome(self._live(), i)))

    def outcome_label(self, outcome, lang="ja"):
        return text(lib().onshi_batch_outcome_label(_label_ctx(lang), int(outcome),
                                                    lib().onshi_batch_kind(self._live())))

    def result_code(self, i):
        return text(lib().onshi_batch_result_code(self._live(), i))

    def result_message(self, i):
        return text(lib().onshi_batch_result_message(self._live(), i))

    _entry = -1

    def _entry_gen(self, i):
        """Groups of one entry last until another entry is read (onshi_batch_unit)."""
        if i != self._entry:
            self._gen += 1
            self._entry = i
        return self._gen

    def unit(self, i):
        """The BulkConfirmUnit of entry i (valid until another entry is read)."""
        gen = self._entry_gen(i)
        out = c_void_p()
        self._ctx._call(lib().onshi_batch_unit, byref(out), self._live(), i)
        return Group(out, self, gen)

    def persons(self, i):
        """The persons of entry i's result (valid until another entry is read)."""
        L, h = lib(), self._live()
        gen = self._entry_gen(i)
        out = []
        for k in range(L.onshi_batch_person_count(h, i)):
            g = c_void_p()
            self._ctx._call(L.onshi_batch_person, byref(g), h, i, k)
            out.append(Group(g, self, gen))
        return out


# ---- raw transport: file results, pending requests ------------------------------------------

class FileResult(_Owned):
    """A result file read from res/ by Context.file_wait: its name, request id, MessageType
    and bytes (for a ZIP result: the XML inside). Freed once by close() / `with` / GC."""
    _free = "onshi_file_result_free"

    name = property(lambda self: text(lib().onshi_file_result_name(self._live())))
    request_id = property(lambda self: text(lib().onshi_file_result_id(self._live())))

    @property
    def type(self):
        t = lib().onshi_file_result_type(self._live())
        return MessageType(t) if t in MessageType._value2member_map_ else t

    @property
    def data(self):
        L, h = lib(), self._live()
        n = L.onshi_file_result_len(h)
        p = L.onshi_file_result_data(h)
        return ctypes.string_at(p, n) if p and n else b""

    def decode(self, ctx):
        """The result decoded as a Message (of this result's type)."""
        return ctx.decode(self.data, self.type)


class Pending:
    """One request recorded by the file transport (Context.pending, pending_get): a snapshot
    copied from the C object, which is freed at once.

    id       the request id; type: its MessageType (give it to resume / result_pickup)
    state    FileState; created_ms: when it was recorded (Unix ms); created: aware datetime
    patient  the patient key for staff, masked (insurer, 記号 as '*', 番号 but its last two
             characters as '*', 枝番), never a birth date; None when the request has none
    """
    __slots__ = ("id", "type", "state", "created_ms", "patient", "_ctx")

    @classmethod
    def _take(cls, h, ctx):
        L = lib()
        try:
            self = cls()
            self.id = text(L.onshi_pending_id(h))
            t, st = L.onshi_pending_type(h), L.onshi_pending_state(h)
            self.type = MessageType(t) if t in MessageType._value2member_map_ else t
            self.state = FileState(st) if st in FileState._value2member_map_ else st
            self.created_ms = L.onshi_pending_created(h)
            self.patient = text(L.onshi_pending_patient(h))
            self._ctx = ctx
            return self
        finally:
            L.onshi_pending_free(h)

    @property
    def created(self):
        return datetime.datetime.fromtimestamp(self.created_ms / 1000, datetime.timezone.utc)

    @property
    def is_open(self):
        return self.state in (FileState.RECORDED, FileState.PUBLISHED, FileState.TAKEN,
                              FileState.ANSWERED)

    def resume(self, timeout_ms=-1):
        """Pick the result up (Context.result_pickup(id, type)): nothing is sent again."""
        return self._ctx.result_pickup(self.id, self.type, timeout_ms)

    def __repr__(self):
        st = getattr(self.state, "name", self.state)
        return "Pending(%s, %s, %s, %r)" % (self.id, getattr(self.type, "name", self.type), st,
                                            self.patient)


# ---- face folder -----------------------------------------------------------------------------

class FaceWatch(_Owned):
    """Watcher of the face-reader folder: next(timeout) or iterate; run(callback)."""
    _free = "onshi_face_watch_free"

    def __init__(self, handle, ctx):
        super().__init__(handle)
        self._ctx = ctx

    def next(self, timeout_ms=0):
        """The next result not delivered before, or None when nothing came in time."""
        out = c_void_p()
        rc = lib().onshi_face_watch_next(byref(out), self._live(), int(timeout_ms))
        if rc == C.E_TIMEOUT:
            return None
        _check(self._ctx, rc)
        return Message(out)

    def __iter__(self):
        """The results there now (each delivered once)."""
        while True:
            m = self.next(0)
            if m is None:
                return
            yield m

    def run(self, callback, timeout_ms=-1):
        """callback(status, message or None, filename) for each result as it arrives, for
        timeout_ms (negative: until cancelled); returning False stops."""
        ctx = self._ctx

        def tramp(_, status, msg, filename):
            try:
                view = Message(msg, owned=False) if msg else None
                try:
                    return 1 if callback(status, view, text(filename)) is False else 0
                finally:
                    if view is not None:
                        view._h = None
            except BaseException as e:
                ctx._fail(e)
                return 1

        stopped = []

        def tramp2(u, status, msg, filename):
            r = tramp(u, status, msg, filename)
            if r and ctx._pending is None:
                stopped.append(True)
            return r

        cfn = FACE_WATCH_CB(tramp2)
        try:
            ctx._call(lib().onshi_face_watch_run, self._live(), cfn, None, int(timeout_ms))
        except OnshiError as e:
            if not (stopped and e.code == C.E_CANCELLED):
                raise
