# Renames of the 1.0 ABI that need no other change (CHANGELOG.md lists every change; calls
# whose arguments changed - requests, callbacks, labels - must be edited by hand).
#   sed -i -f tools/migrate-1.0.sed your/*.c
s/\bonshi_card_close\b/onshi_card_free/g
s/\bonshi_verify_insurance_card\b/onshi_insurance_card_verify/g
s/\bonshi_verify_by_card\b/onshi_mynumber_card_verify/g
s/\bonshi_check_insurer_number\b/onshi_insurer_number_check/g
s/\bonshi_check_public_expense_number\b/onshi_public_expense_number_check/g
s/\bonshi_check_institution_code\b/onshi_institution_code_check/g
s/\bonshi_diagnose\b/onshi_transport_diagnose/g
s/\bonshi_wipe\b/onshi_mem_wipe/g
s/\bonshi_face_result_next\b/onshi_face_watch_next/g
s/\bonshi_face_result_run\b/onshi_face_watch_run/g
s/\bonshi_face_result_cb\b/onshi_face_watch_cb/g
