# Shared helpers of the onshi-sim integration tests (POSIX sh). Sourced; $SIM is the binary.
set -eu
fail() { echo "FAIL: $*" >&2; exit 1; }
# wait_for PATH [tries]: until PATH exists (guard only; no time is asserted).
wait_for() {
    n=${2:-300}
    while [ ! -e "$1" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
    [ -e "$1" ] || fail "timed out waiting for $1"
}
# wait_gone PATH
wait_gone() {
    n=${2:-300}
    while [ -e "$1" ] && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
    [ ! -e "$1" ] || fail "timed out waiting for $1 to go"
}
has() { grep -q -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "$1 lacks $2"; }; }
hasnt() { ! grep -q -- "$2" "$1" || { echo "--- $1:" >&2; cat "$1" >&2; fail "$1 has $2"; }; }
# put DIR NAME CONTENT-FILE: publish a request atomically, as MR's client does.
put() { cp "$3" "$1/req/.$2.tmp" && mv "$1/req/.$2.tmp" "$1/req/$2"; }
stop_pid() {
    if [ -f "$1" ]; then
        p=$(cat "$1")
        kill "$p" 2>/dev/null || true
        n=100
        while kill -0 "$p" 2>/dev/null && [ "$n" -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
        kill -9 "$p" 2>/dev/null || true
        rm -f "$1"
    fi
}
# The QualificationConfirmationDate of the hand-written requests: a fixed Japan date. The
# simulator answers as of the request's date, so the answers do not change with the day (or the
# machine's zone) the tests run in, and no test computes "today" itself.
QDATE=20261202
# qreq FILE INSURER SYMBOL NUMBER BRANCH BIRTH [AFI] [ENCODING]: single-inquiry request
qreq() {
    enc=${8:-UTF-8}
    cat >"$1" <<XML
<?xml version="1.0" encoding="$enc" standalone="no"?>
<XmlMsg>
  <MessageHeader>
    <QualificationConfirmationDate>$QDATE</QualificationConfirmationDate>
    <MedicalInstitutionCode>1311234569</MedicalInstitutionCode>
    <ArbitraryFileIdentifier>${7:-T}</ArbitraryFileIdentifier>
  </MessageHeader>
  <MessageBody>
    <QualificationConfirmSearchInfo>
      <InsurerNumber>$2</InsurerNumber>
      <InsuredCardSymbol>$3</InsuredCardSymbol>
      <InsuredIdentificationNumber>$4</InsuredIdentificationNumber>
      <InsuredBranchNumber>$5</InsuredBranchNumber>
      <Birthdate>$6</Birthdate>
      <LimitApplicationCertificateRelatedConsFlg>1</LimitApplicationCertificateRelatedConsFlg>
    </QualificationConfirmSearchInfo>
  </MessageBody>
</XmlMsg>
XML
}
# person ID COLUMN: a value from the registry
person() { sqlite3 "$DB" "SELECT $2 FROM persons WHERE id='$1'"; }
# qreq_for FILE ID [AFI]: the inquiry for a registry person
qreq_for() {
    qreq "$1" "$(person "$2" "substr('        '||insurer, -8, 8)")" "$(person "$2" symbol)" \
        "$(person "$2" number)" "$(person "$2" branch)" "$(person "$2" birth)" "${3:-T}"
}
# sanitizer_clean LOG: the stopped program reported no ASan/UBSan/LeakSanitizer finding
sanitizer_clean() {
    ! grep -q 'AddressSanitizer\|LeakSanitizer\|runtime error:' "$1" || { cat "$1" >&2; fail "sanitizer report in $1"; }
}
