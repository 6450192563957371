#!/usr/bin/env python3
# Writes test/data/registry.sql, the committed seed registry of onshi-sim: fictional persons,
# one or more per scenario. Run from the repository root: python3 tools/onshi-sim/seed/make-seed.py
# Every insurer and public-expense number gets a valid check digit (domain-rules.md).
# SPDX-License-Identifier: Apache-2.0
import sys

def cd(body):
    s = 0
    w = 2
    for ch in reversed(body):
        p = int(ch) * w
        s += p // 10 + p % 10
        w = 3 - w
    return body + str((10 - s % 10) % 10)

assert cd("0113001") == "01130012" and cd("3913115") == "39131156" and cd("13101") == "131011"

PREFS = {"13": ("東京都", "100"), "27": ("大阪府", "530"), "01": ("北海道", "060"),
         "40": ("福岡県", "810"), "23": ("愛知県", "460"), "47": ("沖縄県", "900")}
CITY = {"13": "千代田区見本町", "27": "大阪市北区試験町", "01": "札幌市中央区模擬町",
        "40": "福岡市博多区仮町", "23": "名古屋市中区例町", "47": "那覇市検証町"}

persons = []
diseases = []
tickets = []
consents = []
refnums = []
drugs = []
checkups = []

seq = [0]
def person(scenario, kind="kyokai", pref="13", family=1, sex=1, birth="19800401",
           name="見本　太郎", kana="ﾐﾎﾝ ﾀﾛｳ", **kw):
    seq[0] += 1
    pid = "P%03d" % seq[0]
    n = seq[0]
    ins_name = {"kyokai": "全国健康保険協会" + PREFS[pref][0] + "支部", "kumiai": "見本商事健康保険組合",
                "kyosai": "見本共済組合", "kokuho": "見本市国民健康保険",
                "koki": PREFS[pref][0] + "後期高齢者医療広域連合", "welfare": ""}[kind]
    if kind == "kyokai":
        ins = cd("01" + pref + "%03d" % (10 + n % 50))
    elif kind == "kumiai":
        ins = cd("06" + pref + "%03d" % (100 + n))
    elif kind == "kyosai":
        ins = cd("31" + pref + "%03d" % (200 + n))
    elif kind == "kokuho":
        ins = cd(pref + "%03d" % (n % 900 + 10))
    elif kind == "koki":
        ins = cd("39" + pref + "%03d" % (n % 900 + 10))
    else:
        ins = ""
    p = dict(id=pid, scenario=scenario, card_class="01", insurer=ins,
             symbol="" if kind in ("koki", "welfare") else "%d-%02d" % (100 + n, n % 7),
             number="%07d" % (1000 + n * 37), branch="" if kind in ("koki", "welfare") else
             ("01" if family == 1 else "%02d" % (1 + n % 4)),
             family=family, insured_name="", name=name, name_other="", name_kana=kana, sex=sex,
             birth=birth, address=PREFS[pref][0] + CITY[pref] + "%d丁目%d番" % (n % 9 + 1, n % 20 + 1),
             post="%s-%04d" % (PREFS[pref][1], n * 7 % 10000), pref=pref,
             qual_date="20200401", disqual_date="", reason_loss="", issue_date="20200401",
             card_valid="20200401", card_exp="", ratio="", preschool="", insurer_name=ins_name,
             successor="", eld_date="", eld_start="", eld_end="", eld_ratio="", lim_class="",
             lim_flag="", lim_date="", lim_start="", lim_end="", lim_long="", pub_number="",
             beneficiary="", welfare_office="", card_serial="5E%06X" % n, card_revoked=0)
    if family == 2:
        p["insured_name"] = "見本　一郎"
    p.update(kw)
    persons.append(p)
    return p

def consent(p, kind, flag="1", t="20260101090000", avail="20991231235959"):
    consents.append((p["id"], kind, flag, t, avail))

# 社保 本人 / 家族
a = person("社保 本人 (協会けんぽ), 照会番号, 全同意", name="見本　太郎", kana="ﾐﾎﾝ ﾀﾛｳ")
refnums.append((a["id"], "1311234569", "24434"))
for k in ("drug", "checkup", "diagnosis", "operation"):
    consent(a, k)
person("社保 家族 (協会けんぽ, 配偶者)", family=2, sex=2, birth="19820715", name="見本　花子", kana="ﾐﾎﾝ ﾊﾅｺ")
person("社保 家族 (未就学児)", family=2, sex=1, birth="20220510", name="見本　小太郎", kana="ﾐﾎﾝ ｺﾀﾛｳ", preschool="1")
person("社保 本人 (健保組合)", kind="kumiai", pref="27", birth="19750202", name="試験　一郎", kana="ｼｹﾝ ｲﾁﾛｳ")
person("社保 家族 (健保組合)", kind="kumiai", pref="27", family=2, sex=2, birth="20050909", name="試験　さくら", kana="ｼｹﾝ ｻｸﾗ")
person("社保 本人 (共済)", kind="kyosai", pref="23", birth="19681111", name="例題　次郎", kana="ﾚｲﾀﾞｲ ｼﾞﾛｳ")
# 国保 (6-digit insurer numbers)
for i, (nm, kn, pr, sx, b) in enumerate([("国保　一美", "ｺｸﾎ ｶｽﾞﾐ", "13", 2, "19900303"),
                                          ("国保　健二", "ｺｸﾎ ｹﾝｼﾞ", "27", 1, "19851224"),
                                          ("国保　三郎", "ｺｸﾎ ｻﾌﾞﾛｳ", "01", 1, "19600606"),
                                          ("国保　四季", "ｺｸﾎ ｼｷ", "40", 2, "20100101")]):
    person("国保 (6桁保険者番号)", kind="kokuho", pref=pr, sex=sx, birth=b, name=nm, kana=kn,
           family=1 if i < 3 else 2)
# 後期高齢者 1/2/3割
for r, nm, kn, b in (("010", "長寿　一子", "ﾁｮｳｼﾞｭ ｲﾁｺ", "19400101"),
                     ("020", "長寿　二郎", "ﾁｮｳｼﾞｭ ｼﾞﾛｳ", "19420202"),
                     ("030", "長寿　三太", "ﾁｮｳｼﾞｭ ｻﾝﾀ", "19450303")):
    person("後期高齢者 %s割" % r[1], kind="koki", birth=b, name=nm, kana=kn, ratio=r,
           sex=2 if r == "010" else 1)
# 70-74 with 高齢受給者
for r, b in (("020", "19540505"), ("030", "19530808")):
    person("70-74歳 高齢受給者 %s割" % r[1], kind="kokuho" if r == "020" else "kyokai", birth=b,
           name="高齢　受給" + ("二" if r == "020" else "三"), kana="ｺｳﾚｲ ｼﾞｭｷｭｳ",
           eld_date="20240801", eld_start="20240801", eld_end="20260731", eld_ratio=r)
# 限度額 区分 A01-A06 (under 70), B01-B10 (70 and over)
for i, f in enumerate(["A01", "A02", "A03", "A04", "A05", "A06"]):
    p = person("限度額適用 %s" % f, kind="kyokai" if i % 2 == 0 else "kokuho", birth="1975%02d10" % (i + 1),
               name="限度　%s" % "アイウエオカ"[i], kana="ｹﾞﾝﾄﾞ %s" % "ｱｲｳｴｵｶ"[i],
               lim_class="02" if f in ("A05", "A06") else "01", lim_flag=f, lim_date="20240801",
               lim_start="20240801", lim_end="20260731", lim_long="20250101" if f == "A05" else "")
    consent(p, "limit")
for i, f in enumerate(["B01", "B02", "B03", "B04", "B05", "B06", "B07", "B08", "B09", "B10"]):
    koki = i >= 3
    p = person("限度額適用 %s" % f, kind="koki" if koki else "kokuho",
               birth=("1940%02d15" if koki else "1953%02d15") % (i + 1),
               name="限度　高%s" % "甲乙丙丁戊己庚辛壬癸"[i], kana="ｹﾞﾝﾄﾞ ｺｳ%d" % i, sex=1 + i % 2,
               ratio="" if not koki else ("030" if f in ("B01", "B02", "B03") else
                                          ("020" if f == "B09" else "010")),
               eld_date="" if koki else "20240801", eld_start="" if koki else "20240801",
               eld_end="" if koki else "20260731", eld_ratio="" if koki else "030",
               lim_class="02" if f in ("B05", "B06", "B07", "B08") else "01", lim_flag=f,
               lim_date="20240801", lim_start="20240801", lim_end="20260731")
    consent(p, "limit")
# 特定疾病
for c in ("1", "2", "3"):
    p = person("特定疾病 区分%s" % c, kind="kyokai", birth="19700%s01" % c,
               name="疾病　第%s" % "一二三"[int(c) - 1], kana="ｼｯﾍﾟｲ ﾀﾞｲ%s" % c)
    diseases.append((p["id"], c, "20230401", "20230401", "20270331", "10000" if c == "1" else "0"))
    consent(p, "disease")
# 医療扶助 with 医療券
for i, (tt, mt) in enumerate((("01", "02"), ("01", "01"), ("02", "04"))):
    p = person("医療扶助 医療券%s" % ("(調剤券)" if tt == "02" else ""), kind="welfare",
               pref="13" if i < 2 else "27", birth="19650%d20" % (i + 3), card_class="A1",
               name="扶助　%s" % "一二三"[i], kana="ﾌｼﾞｮ %s" % "ｲﾁ ﾆ ｻﾝ".split()[i], symbol="",
               number="", branch="", pub_number=cd("12" + ("13" if i < 2 else "27") + "%03d" % (30 + i)),
               beneficiary="%07d" % (2000 + i * 11), welfare_office="見本市福祉事務所")
    tickets.append((p["id"], tt, "20260101", "20261231", "%010d" % (99000 + i), "202601",
                    "1311234569", "0", "見本クリニック", "高血圧症", mt, "0", "01", "02"))
# lost qualification (validity 2) and new after change (validity 3)
person("資格喪失 (後継なし, 有効性2)", kind="kyokai", birth="19881010", name="喪失　五郎", kana="ｿｳｼﾂ ｺﾞﾛｳ",
       disqual_date="20250331", reason_loss="99")
old = person("資格喪失 → 新資格あり (旧, 有効性3)", kind="kumiai", birth="19920202", name="転職　六美",
             kana="ﾃﾝｼｮｸ ﾑﾂﾐ", sex=2, disqual_date="20250630", reason_loss="03")
new = person("新資格 (転職後, 有効)", kind="kyokai", pref="13", birth="19920202", name="転職　六美",
             kana="ﾃﾝｼｮｸ ﾑﾂﾐ", sex=2, qual_date="20250701", card_valid="20250701", issue_date="20250701")
old["successor"] = new["id"]
person("資格喪失 (死亡)", kind="kokuho", birth="19300303", name="故人　七郎", kana="ｺｼﾞﾝ ｼﾁﾛｳ",
       disqual_date="20250115", reason_loss="01")
# several matches (validity 5): same card, same birth date, different branch (twins)
t1 = person("複数該当 (双子 1, 枝番なしで照会 → 有効性5)", family=2, birth="20150707", name="双子　一",
            kana="ﾌﾀｺﾞ ﾊｼﾞﾒ", branch="02")
t2 = person("複数該当 (双子 2)", family=2, birth="20150707", name="双子　二葉", kana="ﾌﾀｺﾞ ﾌﾀﾊﾞ", sex=2,
            branch="03", insurer=t1["insurer"], symbol=t1["symbol"], number=t1["number"])
# names with CP932-only and non-JIS characters
person("CP932専用文字 髙", birth="19770707", name="髙橋　一郎", kana="ﾀｶﾊｼ ｲﾁﾛｳ")
person("CP932専用文字 﨑", kind="kokuho", birth="19780808", name="山﨑　花", kana="ﾔﾏｻｷ ﾊﾅ", sex=2)
person("CP932専用文字 ① (住所)", birth="19790909", name="番号　丸子", kana="ﾊﾞﾝｺﾞｳ ﾏﾙｺ", sex=2,
       address="東京都千代田区見本町①番地")
person("JIS外文字 𠮷 (●で返る)", birth="19811111", name="𠮷田　太郎", kana="ﾖｼﾀﾞ ﾀﾛｳ")
person("JIS外文字 𩸽 (●で返る)", kind="kokuho", pref="01", birth="19821212", name="𩸽野　二郎", kana="ﾎｯｹﾉ ｼﾞﾛｳ")
person("第3水準漢字 德 (CP932外, ●で返る)", birth="19830101", name="德川　三郎", kana="ﾄｸｶﾞﾜ ｻﾌﾞﾛｳ")
person("通称名あり", birth="19840202", name="本名　四子", name_other="通称　四子", kana="ﾎﾝﾐｮｳ ﾖﾂｺ", sex=2)
# consents with expiry
p = person("同意 期限切れ (薬剤・健診)", birth="19700315", name="同意　切子", kana="ﾄﾞｳｲ ｷﾘｺ", sex=2)
consent(p, "drug", "2", "20240101090000", "20240131235959")
consent(p, "checkup", "2", "20240101090000", "20240131235959")
p = person("同意 薬剤のみ", birth="19710416", name="同意　薬男", kana="ﾄﾞｳｲ ｸｽｵ")
consent(p, "drug")
consent(p, "checkup", "0", "", "")
p = person("同意 健診のみ", kind="kokuho", birth="19720517", name="同意　健子", kana="ﾄﾞｳｲ ｹﾝｺ", sex=2)
consent(p, "checkup")
p = person("同意なし", birth="19730618", name="同意　無", kana="ﾄﾞｳｲ ﾅｼ")
# 照会番号 at several institutions
for i in range(3):
    p = person("照会番号登録済 %d" % (i + 1), kind="kyokai" if i else "kokuho", pref="27",
               birth="1986%02d%02d" % (i + 1, i + 5), name="照会　%s" % "甲乙丙"[i], kana="ｼｮｳｶｲ %d" % i)
    refnums.append((p["id"], "1311234569", "PT%05d" % (100 + i)))
    refnums.append((p["id"], "2711234563", "K-%04d" % (7 + i)))
# disaster-mode prefectures and revoked card
person("災害時 検索対象 (沖縄)", kind="kokuho", pref="47", birth="19600101", name="災害　沖子",
       kana="ｻｲｶﾞｲ ｵｷｺ", sex=2)
person("災害時 検索対象 (福岡)", kind="kyokai", pref="40", birth="19610202", name="災害　博多",
       kana="ｻｲｶﾞｲ ﾊｶﾀ")
person("カード失効 (証明書失効リスト)", birth="19870303", name="失効　札男", kana="ｼｯｺｳ ｻﾂｵ", card_revoked=1)
person("保険証 短期", kind="kokuho", birth="19890404", name="短期　証", kana="ﾀﾝｷ ｼｮｳ", card_class="03",
       card_exp="20261231")
person("退職者医療", kind="kokuho", birth="19590505", name="退職　医療", kana="ﾀｲｼｮｸ ｲﾘｮｳ", card_class="02")
person("特例退職", kind="kumiai", birth="19580606", name="特例　退", kana="ﾄｸﾚｲ ﾀｲ", card_class="06")
person("自衛官診療証", kind="kyosai", birth="19950707", name="自衛　官", kana="ｼﾞｴｲ ｶﾝ", card_class="07")
person("性別 未設定 (Sex 3)", birth="19960808", name="未設　定", kana="ﾐｾﾂ ﾃｲ", sex=3)

# drug histories and checkups for persons with consent
for p in persons:
    ks = {c[1] for c in consents if c[0] == p["id"]}
    if ks & {"drug"}:
        for m, code, nm, q, u, us, tm in (("202511", "620004494", "アムロジピン錠５ｍｇ", "1", "錠", "１日１回朝食後", "28"),
                                         ("202512", "620002023", "ロキソプロフェンＮａ錠６０ｍｇ", "3", "錠", "１日３回毎食後", "5"),
                                         ("202601", "620004494", "アムロジピン錠５ｍｇ", "1", "錠", "１日１回朝食後", "28")):
            drugs.append((p["id"], m, m + "15", "1", code, nm, q, u, us, tm, "見本薬局"))
    if ks & {"checkup"}:
        for date in ("20240610", "20250612"):
            for code, nm, dt, v, un in (("9N001000000000001", "身長", "PQ", "170.2", "cm"),
                                        ("9N006000000000001", "体重", "PQ", "65.4", "kg"),
                                        ("9A751000000000001", "収縮期血圧", "PQ", "128", "mmHg"),
                                        ("3D045000001906202", "HbA1c", "PQ", "5.6", "%")):
                checkups.append((p["id"], date, code, nm, dt, v, un))

def q(v):
    if isinstance(v, int):
        return str(v)
    return "'" + str(v).replace("'", "''") + "'"

cols = list(persons[0].keys())
out = sys.stdout
out.write("-- onshi-sim seed registry: fictional persons only (generated by\n"
          "-- tools/onshi-sim/seed/make-seed.py; edit the script, not this file).\n"
          "-- Insurer and public-expense numbers carry valid check digits.\nBEGIN;\n")
for p in persons:
    out.write("INSERT INTO persons(%s) VALUES(%s);\n" % (",".join(cols), ",".join(q(p[c]) for c in cols)))
for t, rows, names in (("diseases", diseases, "person_id,category,cert_date,start_date,end_date,selfpay"),
                       ("tickets", tickets, "person_id,ticket_type,valid_date,expiry_date,issue_number,month,inst_code,inst_flag,inst_name,injury1,treatment_type,selfpay,single_combined,social_ins"),
                       ("consents", consents, "person_id,kind,flag,cons_time,available_time"),
                       ("refnums", refnums, "person_id,institution,refnum"),
                       ("drugs", drugs, "person_id,month,di_date,source,drug_code,drug_name,qty,unit,usage,times,pharmacy"),
                       ("checkups", checkups, "person_id,eff_date,item_code,item_name,data_type,value,unit")):
    for r in rows:
        out.write("INSERT INTO %s(%s) VALUES(%s);\n" % (t, names, ",".join(q(v) for v in r)))
out.write("COMMIT;\n")
print("persons: %d" % len(persons), file=sys.stderr)
