#!/bin/sh
# Run a binding README's reception-desk example as written, inside bindings/with-sim.sh: the
# example reads its settings the way a product does (onshi_ctx_load_config: ONSHI_* variables)
# and verifies the first seed person by the numbers of the insurance card.
#   run-example.sh COMMAND [ARG...]      (the patient's numbers are appended)
# SPDX-License-Identifier: Apache-2.0
set -u
export ONSHI_TRANSPORT=https ONSHI_SERVER_URL="$ONSHI_TEST_URL" ONSHI_TLS_CA_FILE="$ONSHI_TEST_CA" \
    ONSHI_TLS_CLIENT_CERT="$ONSHI_TEST_CLIENT_CERT" ONSHI_TLS_CLIENT_KEY="$ONSHI_TEST_CLIENT_KEY" \
    ONSHI_MEDICAL_INSTITUTION_CODE="$ONSHI_TEST_INSTITUTION" \
    ONSHI_STATE_DB="$ONSHI_TEST_TMP/example-state.db" ONSHI_LANG=en
IFS=, read -r id insurer symbol number branch birth <"$ONSHI_TEST_PERSONS"
out=$("$@" "$insurer" "$symbol" "$number" "$branch" "$birth" 2>&1)
rc=$?
echo "$out"
[ $rc -eq 0 ] || { echo "run-example: exit $rc"; exit 1; }
echo "$out" | grep -q "valid" || { echo "run-example: no validity in the output"; exit 1; }
