import os
def cd(body):
    s=0; w=2
    for ch in reversed(body):
        p=int(ch)*w; s+=p//10+p%10; w=3-w
    return body+str((10-s%10)%10)
INS8=cd("0613001"); INS6=cd("13801"); INS_B=cd("3913115"); PUB=cd("1213001")
MIC="1311234569"
def xml(header, body, enc="UTF-8"):
    return f'<?xml version="1.0" encoding="{enc}" standalone="no"?>\n<XmlMsg>\n  <MessageHeader>\n{header}  </MessageHeader>\n  <MessageBody>\n{body}  </MessageBody>\n</XmlMsg>\n'
def el(name, v, ind=4): return " "*ind+f"<{name}>{v}</{name}>\n"
def block(name, inner, ind=4): return " "*ind+f"<{name}>\n"+inner+" "*ind+f"</{name}>\n"
def ind(s, n): return "".join(" "*n+l+"\n" for l in s.splitlines())
files={}
search=lambda i: (el("InsurerNumber","  "+INS6 if i%2 else INS8,6)+el("InsuredCardSymbol","１２－３４",6)+el("InsuredIdentificationNumber",str(560+i),6)
    +el("InsuredBranchNumber","01",6)+el("Birthdate","19800401",6)+el("LimitApplicationCertificateRelatedConsFlg","1",6))
hdr_req=el("QualificationConfirmationDate","20250115")+el("MedicalInstitutionCode",MIC)+el("ArbitraryFileIdentifier","20250115093000123-a1b2c3d4")
files["OQSsiquc01req_202501150001.xml"]=xml(hdr_req, block("QualificationConfirmSearchInfo",search(1)))
def person(i, name="見本　花子", kana="ﾐﾎﾝ ﾊﾅｺ", extra=""):
    p=(el("InsuredCardClassification","01",8)+el("InsurerNumber","  "+INS6,8)+el("InsuredCardSymbol","１２－３４",8)
      +el("InsuredIdentificationNumber",str(560+i),8)+el("InsuredBranchNumber","0%d"%(i%10),8)+el("PersonalFamilyClassification","2",8)
      +el("InsuredName","見本　太郎",8)+el("Name",name,8)+el("NameOfOther","見本　はなこ",8)+el("NameKana",kana,8)+el("NameOfOtherKana","ﾐﾎﾝ ﾊﾅｺ",8)
      +el("Sex1","2",8)+el("Sex2","2",8)+el("Birthdate","19800401",8)+el("Address","東京都千代田区千代田１－１",8)+el("PostNumber","100-0001",8)
      +el("QualificationDate","20200401",8)+el("InsuredCertificateIssuanceDate","20200401",8)+el("InsuredCardValidDate","20200401",8)
      +el("InsuredCardExpirationDate","20260331",8)+el("InsuredPartialContributionRatio","030",8)+el("PreschoolClassification","1",8)
      +el("InsurerName","見本区",8)
      +block("ElderlyRecipientCertificateInfo",el("ElderlyRecipientCertificateDate","20240801",10)+el("ElderlyRecipientValidStartDate","20240801",10)+el("ElderlyRecipientValidEndDate","20250731",10)+el("ElderlyRecipientContributionRatio","020",10),8)
      +el("LimitApplicationCertificateRelatedConsFlg","1",8)+el("LimitApplicationCertificateRelatedConsTime","20250115093004",8)
      +block("LimitApplicationCertificateRelatedInfo",el("LimitApplicationCertificateClassification","01",10)+el("LimitApplicationCertificateClassificationFlag","A03",10)
         +el("LimitApplicationCertificateDate","20240801",10)+el("LimitApplicationCertificateValidStartDate","20240801",10)+el("LimitApplicationCertificateValidEndDate","20250731",10)+el("LimitApplicationCertificateLongTermDate","20241101",10),8)
      +el("SpecificDiseasesCertificateRelatedConsFlg","1",8)+el("SpecificDiseasesCertificateRelatedConsTime","20250115093004",8)
      +block("SpecificDiseasesCertificateList",
          block("SpecificDiseasesCertificateInfo",el("SpecificDiseasesDiseaseCategory","1",12)+el("SpecificDiseasesCertificateDate","20230401",12)+el("SpecificDiseasesValidStartDate","20230401",12)+el("SpecificDiseasesValidEndDate","20260331",12)+el("SpecificDiseasesSelfPay","10000",12),10)
         +block("SpecificDiseasesCertificateInfo",el("SpecificDiseasesDiseaseCategory","2",12)+el("SpecificDiseasesCertificateDate","20230401",12)+el("SpecificDiseasesValidStartDate","20230401",12)+el("SpecificDiseasesSelfPay","10000",12),10),8)
      +el("SpecificHealthCheckupsInfoConsFlg","1",8)+el("SpecificHealthCheckupsInfoConsTime","20250115093004",8)+el("SpecificHealthCheckupsInfoAvailableTime","20250215093004",8)
      +el("PharmacistsInfoConsFlg","1",8)+el("PharmacistsInfoConsTime","20250115093004",8)+el("PharmacistsInfoAvailableTime","20250215093004",8)
      +el("DiagnosisInfoConsFlg","0",8)+el("OperationInfoConsFlg","2",8)+el("OperationInfoConsTime","20240115093004",8)+el("OperationInfoAvailableTime","20240215093004",8)
      +el("ReferenceNumber","24434",8)+el("PrescriptionIssueSelect","1",8)+extra)
    return block("ResultOfQualificationConfirmation",p,6)
hdr_res=lambda rc="2",seg="1",extra="": (el("ProcessExecutionTime","20250115093004")+el("QualificationConfirmationDate","20250115")+el("MedicalInstitutionCode",MIC)
    +el("ArbitraryFileIdentifier","20250115093000123-a1b2c3d4")+el("ReferenceClassification",rc)+el("SegmentOfResult",seg)+extra+el("CharacterCodeIdentifier","0"))
files["OQSsiquc01res_202501150001.xml"]=xml(hdr_res(), block("QualificationConfirmSearchInfo",search(1))+el("ProcessingResultStatus","1")+el("QualificationValidity","5")
    +block("ResultList", person(1)+person(2,"髙﨑　①子","ﾀｶｻｷ ﾏﾙｺ")+person(3,"德川　〓子","ﾄｸｶﾞﾜ ﾏﾙｺ")))
welfare=(el("InsuredCardClassification","A1",8)+el("PublicExpenseNumber",PUB,8)+el("BeneficiaryNumber","1234567",8)+el("Name","扶助　一郎",8)+el("NameKana","ﾌｼﾞｮ ｲﾁﾛｳ",8)
    +el("Sex1","1",8)+el("Birthdate","19550101",8)+el("WelfareOfficeName","見本福祉事務所",8)
    +block("PublicExpenseResultList", block("MedicalTicketInfo", el("TicketType","01",12)+el("MedicalTicketValidDate","20250101",12)+el("MedicalTicketExpirationDate","20250131",12)
      +el("IssueNumber","0001",12)+el("MedicalTreatmentMonth","202501",12)+el("DesignatedMedicalInstitutionCode",MIC,12)+el("DesignatedMedicalInstitutionFlag","0",12)
      +el("DesignatedMedicalInstitutionName","見本医院",12)+el("PrescriptionIssuerMedicalInstitutionCode",MIC,12)+el("PrescriptionIssuerMedicalInstitutionName","見本医院",12)
      +el("InjuryName1","感冒",12)+el("InjuryName2","腰痛症",12)+el("InjuryName3","",12)+el("MedicalTreatmentType","02",12)+el("SelfPayAmount","0",12)
      +el("DistrictContactName","見本地区担当",12)+el("HandlingContactName","見本取扱担当",12)+el("SingleOrCombinedUse","01",12)+el("StatusOfSocialInsurance","02",12)
      +el("ConsistencyFlag","1",12)+el("StatusOfInfecton","02",12)+el("StatusOfElderlyMedicalCare","02",12)+el("StatusOfPrefecturalExpenses","02",12)
      +el("Remarks1","備考１",12)+el("Remarks2","",12)+el("Remarks3","",12),10),8))
files["OQSsiquc01res_face_1311234569abcdefghij0123456789_20250115093004.xml"]=xml(hdr_res("1").replace("20250115093000123-a1b2c3d4","ArnHCeDfNjMCFzg="),
    el("PrescriptionIssueSelect","2")+el("ProcessingResultStatus","1")+el("QualificationValidity","1")+block("ResultList", block("ResultOfQualificationConfirmation",welfare,6)))
files["OQSsiquc01res_202501150009.xml"]=xml(hdr_res("2","9",el("ErrorCode","EQS0001")+el("ErrorMessage","資格確認に失敗しました。")), "")
files["OQSsiquc01res_202501150010.xml"]=xml(hdr_res(), block("QualificationConfirmSearchInfo",search(1))+el("ProcessingResultStatus","2")+el("ProcessingResultCode","EQS1234")+el("ProcessingResultMessage","該当する資格がありません。")+el("QualificationValidity","4"))
reg=lambda i: block("ReferenceNumberRegistrationInfo", el("ReferenceNumber",str(24430+i),6)+el("InsurerNumber",INS_B if i%2 else "  "+INS6,6)+el("InsuredCardSymbol","記号１",6)+el("InsuredIdentificationNumber",str(12340+i),6)+el("InsuredBranchNumber","00",6))
hdr_up=el("MedicalInstitutionCode",MIC)+el("ArbitraryFileIdentifier","BULK-20250115-0002")
files["OQSsiimm01req_202501150002.xml"]=xml(hdr_up, reg(1))
files["OQSsiimm01res_202501150002.xml"]=xml(el("ProcessExecutionTime","20250115093004")+el("MedicalInstitutionCode",MIC)+el("ArbitraryFileIdentifier","BULK-20250115-0002")+el("SegmentOfResult","1")+el("CharacterCodeIdentifier","0"),
    el("ProcessingResultStatus","1")+el("ReferenceNumber","24431"))
up_res=xml(el("ProcessExecutionTime","20250115093004")+el("MedicalInstitutionCode",MIC)+el("ArbitraryFileIdentifier","BULK-20250115-0002")+el("SegmentOfResult","1")+el("CharacterCodeIdentifier","0"),
    el("ReceptionNumber","R0000000001")+el("ReceptionDateTime","20250115093004"))
down_req=xml(el("MedicalInstitutionCode",MIC), el("ReceptionNumber","R0000000001"))
def down_res(units, seg="1"):
    return xml(el("ProcessExecutionTime","20250115100000")+el("MedicalInstitutionCode",MIC)+el("ArbitraryFileIdentifier","BULK-20250115-0002")+el("ReceptionNumber","R0000000001")
        +el("SegmentOfResult",seg)+el("NumberOfProcessingResult",str(len(units)))+el("NumberOfNormalProcessing",str(len(units)-1 if units else 0))+el("NumberOfError","1" if units else "0")+el("CharacterCodeIdentifier","0"),
        "".join(units))
unit_ok=lambda i: block("BulkConfirmUnit", ind(block("QualificationConfirmSearchInfo",search(i)),2)+el("ProcessingResultStatus","1",6)+el("QualificationValidity","1",6)+person(i)+el("ReferenceNumber","2443%d"%i,6))
unit_err=block("BulkConfirmUnit", ind(block("QualificationConfirmSearchInfo",search(9)),2)+el("ProcessingResultStatus","2",6)+el("ProcessingResultCode","EQS1234",6)+el("ProcessingResultMessage","該当する資格がありません。",6)+el("QualificationValidity","4",6))
unit_tic=block("BulkConfirmUnit", el("ProcessingResultStatus","1",6)+el("QualificationValidity","6",6)+block("ResultOfQualificationConfirmation",ind(welfare,-0),6))
for pre,body in [("OQSmuquc", "".join(block("QualificationConfirmSearchInfo",search(i)) for i in range(1,4))),
                 ("OQSmuimm", reg(1)+reg(2)+reg(3)),
                 ("OQSmutic", block("QualificationConfirmSearchInfo", el("MedicalTreatmentMonth","202501",6))),
                 ("OQSmuhvq", block("QualificationConfirmSearchInfo", el("ConsentDateFrom","20250101",6)+el("ConsentDateTo","20250115",6)+el("MedicalTreatmentFlag","2",6))),
                 ("OQSmuonq", block("QualificationConfirmSearchInfo", el("ExaminationDateFrom","20250101",6)+el("ExaminationDateTo","20250115",6)+el("MedicalTreatmentFlag","3",6)))]:
    h = hdr_req if pre=="OQSmuquc" else hdr_up
    files[pre+"01req_202501150002.xml"]=xml(h, body)
    files[pre+"01res_202501150002.xml"]=up_res
    files[pre+"02req_202501150003.xml"]=down_req
    if pre=="OQSmuimm":
        u=[block("BulkConfirmUnit", ind(reg(i),2)+el("ProcessingResultStatus","1",6)) for i in (1,2)]+[block("BulkConfirmUnit", ind(reg(3),2)+el("ProcessingResultStatus","2",6)+el("ProcessingResultCode","EQS2001",6)+el("ProcessingResultMessage","登録できませんでした。",6))]
    elif pre=="OQSmutic":
        u=[unit_tic, unit_err]
    else:
        u=[unit_ok(1),unit_ok(2),unit_err]
    files[pre+"02res_202501150003.xml"]=down_res(u)
files["OQSmuquc02res_202501150004.xml"]=down_res([], "2")
info_hdr=(el("MedicalInstitutionCode",MIC)+el("InsurerNumber",INS8)+el("InsuranceCardSymbol","１２－３４")+el("InsuredPersonIdentificationNumber","561")+el("BranchNumber","01")+el("ArbitraryFileIdentifier","YZK-20250115-0001"))
files["YZKsiquc01req_202501150005.xml"]=xml(info_hdr, el("StartDate","202410")+el("EndDate","202501")+el("FileCategory","2")+el("PrDiInfClassification","1")+el("MedicalTreatmentFlag","1"))
files["TKKsiquc01req_202501150006.xml"]=xml(info_hdr.replace("YZK","TKK"), el("FileCategory","2")+el("PrDiInfClassification","1")+el("MedicalTreatmentFlag","1"))
drug=lambda p,n,d: (block(n, el({"MeTr":"DiOrg","Cz":"CzDiOrg","Sh":"ShPrOrg"}[p],"1",6)+el({"MeTr":"MeTrDiHCd","Cz":"CzMeTrDiHCd","Sh":"ShMeTrDiHCd"}[p],MIC,6)
    +el({"MeTr":"MeTrDiHNm","Cz":"CzMeTrDiHNm","Sh":"ShMeTrDiHNm"}[p],"見本医院",6)+el({"MeTr":"MeTrMonth","Cz":"CzDiMonth","Sh":"ShPrMonth"}[p],"202412",6)
    +d, 4))
dd=lambda date,pre,drugs: block(pre+"DateInfs", block(pre+"DateInf", el(date,"20241210",10)+block({"Di":"DrugInfs","CzDi":"CzDrugInfs","ShPr":"ShDrugInfs"}[pre], drugs,10),8),6)
dr=lambda p: block(p+"DrugInf", el(p+"DrugC","620000001",14)+el(p+"DrugN","見本錠５ｍｇ",14)+el(p+"Qua1","1",14)+el(p+"Unit","錠",14)+el(p+"UsageN","１日１回朝食後",14)+el(p+"Times","14",14),12)
files["YZKsiquc01res_202501150005.xml"]=xml(el("MedicalInstitutionCode",MIC)+el("ArbitraryFileIdentifier","YZK-20250115-0001")+el("ResultCode","1")
      +block("QuaInf", el("Name","見本　花子",6)+el("KanaName","ﾐﾎﾝ ﾊﾅｺ",6)+el("Birth","19800401",6)+el("AdmGendCode","2",6)),
    drug("MeTr","MeTrMonthInf", dd("DiDate","Di",dr("")))
    +block("CzDiInf", ind(drug("Cz","CzDiMonthInf", dd("CzDiDate","CzDi",dr("Cz"))),2))
    +block("ShPrInf", ind(drug("Sh","ShPrMonthInf", dd("ShPrDate","ShPr",dr("Sh"))),2)))
item=lambda c,n,v,u: block("HealthCheckupResultAndQuestionInfo", el("ItemCode",c,10)+el("ItemName",n,10)+el("DataType","PQ",10)+el("DataValue",v,10)+el("Unit",u,10)+el("Oid","1.2.392.200119.6.1005",10),8)
files["TKKsiquc01res_202501150006.xml"]=xml(el("MedicalInstitutionCode",MIC)+el("ArbitraryFileIdentifier","TKK-20250115-0001")+el("ResultCode","1")
      +block("QualificationsInfo", el("Name","見本　花子",6)+el("KanasName","ﾐﾎﾝ ﾊﾅｺ",6)+el("Birthday","19800401",6)+el("AdministrativeGenderCode","2",6)),
    block("SpecificHealthCheckupInfo", el("EffectiveTime","20240601",6)+block("HealthCheckupResultAndQuestionInfos", item("9N001000000000001","身長","160.0","cm")+item("9N006000000000001","体重","55.0","kg"),6)))
# 2026-12 (issue 11): forms that public production tools read or write
# the body-level month of libonshi 0.1 (still read; written inside QualificationConfirmSearchInfo)
files["OQSmutic01req_202501150012.xml"]=xml(hdr_up, el("MedicalTreatmentMonth","202501"))
# drug information with the 診療情報 block of a date (OQSDrug2 reads DiDateInf/MeTrInfs/MeTrInf)
care=lambda n,c,cl,q,t,u: block("MeTrInf", el("SinInfN",n,14)+el("SinInfCd",c,14)+el("MeTrIdCl",cl,14)+el("Qua1",q,14)+el("Times",t,14)+el("Unit",u,14),12)
files["YZKsiquc01res_202501150013.xml"]=xml(el("MedicalInstitutionCode",MIC)+el("ArbitraryFileIdentifier","YZK-20250115-0013")+el("ResultCode","1")
      +block("QuaInf", el("Name","見本　花子",6)+el("KanaName","ﾐﾎﾝ ﾊﾅｺ",6)+el("Birth","19800401",6)+el("AdmGendCode","2",6)),
    drug("MeTr","MeTrMonthInf", block("DiDateInfs", block("DiDateInf", el("DiDate","20241210",10)+block("DrugInfs", dr(""),10)
      +block("MeTrInfs", care("再診料","112007410","1","1","1","回")+care("処方箋料","120002910","1","1","1","回"),10),8),6)))
# the consent items added in 2025 (names as the ORCA API documents them)
cons2025="".join(el(e+"ConsFlg",f,8)+el(e+"ConsTime","20250115093004",8)+el(e+"AvailableTime","20250215093004",8)
    for e,f in (("DiagnosisName","1"),("InfectiousInfo","1"),("AllergyInfo","1"),("ContraindicationInfo","1"),("TestInfo","0"),("PrescriptionInfo","1")))
files["OQSsiquc01res_202501150014.xml"]=xml(hdr_res(), block("QualificationConfirmSearchInfo",search(1))+el("ProcessingResultStatus","1")+el("QualificationValidity","1")
    +block("ResultList", person(1).replace(el("ReferenceNumber","24434",8), cons2025+el("ReferenceNumber","24434",8))))
# several ReferenceNumber in one BulkConfirmUnit (OQSDrug2 reads them all)
files["OQSmuquc02res_202501150015.xml"]=down_res([unit_ok(1)+"", unit_ok(2).replace(el("ReferenceNumber","24432",6), el("ReferenceNumber","24432",6)+el("ReferenceNumber","24435",6)), unit_err])
for k,v in files.items():
    open(k,"w",encoding="utf-8").write(v)
open("OQSsiquc01req_202501150011.err","w",encoding="utf-8").write("E001 XMLの形式に誤りがあります。\n")
open("YZKsiquc01res_202501150007.pdf","wb").write(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
print(len(files), INS8, INS6, INS_B, PUB)
