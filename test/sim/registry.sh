#!/bin/sh
# The seed registry: size, scenario coverage, and a valid check digit on every insurer and
# public-expense number (checked here with an independent awk implementation).
SIM=$1
. "$(dirname "$0")/lib.sh"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
DB=$T/reg.db
"$SIM" init-db "$DB" --persons 1000 >/dev/null
n=$(sqlite3 "$DB" "SELECT count(*) FROM persons WHERE scenario<>'synthetic'")
[ "$n" -ge 50 ] || fail "only $n seed persons"
[ "$(sqlite3 "$DB" "SELECT count(*) FROM persons WHERE scenario='synthetic'")" = 1000 ] || fail "generator"
bad=$(sqlite3 "$DB" "SELECT insurer FROM persons WHERE insurer<>'' UNION ALL
                     SELECT pub_number FROM persons WHERE pub_number<>''" | awk '
    { n = length($0); if (n != 6 && n != 8) { print "length " $0; next }
      s = 0; w = 2
      for (i = n - 1; i >= 1; i--) { p = substr($0, i, 1) * w; s += int(p / 10) + p % 10; w = 3 - w }
      if ((10 - s % 10) % 10 != substr($0, n, 1)) print $0 }')
[ -z "$bad" ] || fail "check digits wrong: $bad"
# Every 限度額 区分 A01–A06, B01–B10, validity scenarios, 医療扶助, consents, histories
for f in A01 A02 A03 A04 A05 A06 B01 B02 B03 B04 B05 B06 B07 B08 B09 B10; do
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM persons WHERE lim_flag='$f'")" -ge 1 ] || fail "no $f"
done
for r in 010 020 030; do
    [ "$(sqlite3 "$DB" "SELECT count(*) FROM persons WHERE ratio='$r' AND scenario<>'synthetic'")" -ge 1 ] || fail "no ratio $r"
done
q() { [ "$(sqlite3 "$DB" "$1")" -ge "${2:-1}" ] || fail "registry lacks: $1"; }
q "SELECT count(*) FROM persons WHERE length(insurer)=6 AND scenario<>'synthetic'"
q "SELECT count(*) FROM persons WHERE eld_ratio<>''" 2
q "SELECT count(*) FROM persons WHERE card_class='A1' AND pub_number LIKE '12%'" 2
q "SELECT count(*) FROM tickets"
q "SELECT count(*) FROM diseases" 3
q "SELECT count(*) FROM persons WHERE successor<>''"
q "SELECT count(*) FROM persons WHERE disqual_date<>'' AND successor=''"
q "SELECT count(*) FROM (SELECT insurer,number,birth FROM persons GROUP BY 1,2,3 HAVING count(*)>1)"
q "SELECT count(*) FROM persons WHERE name LIKE '%髙%' OR name LIKE '%﨑%' OR address LIKE '%①%'" 3
q "SELECT count(*) FROM persons WHERE name LIKE '%𠮷%'"
q "SELECT count(*) FROM refnums" 3
q "SELECT count(*) FROM consents WHERE available_time<'2025'"
q "SELECT count(*) FROM drugs"
q "SELECT count(*) FROM checkups"
q "SELECT count(*) FROM persons WHERE family=2 AND scenario<>'synthetic'" 3
echo "registry ok: $n seed persons"
