#!/bin/sh
# IPv6 test of the HTTPS transport in a private network and mount namespace: /etc/hosts there
# maps onshi-v6.test to 127.0.0.1 (nobody listens) and ::1 (the server), so the client must try
# each address and succeed over IPv6. A name that does not resolve is tested there too (no
# DNS server is reachable from the namespace). Nothing outside the namespace is touched.
#   ipv6.sh RUNNER RESULTS TEST_BIN   (ONSHI_TEST_PKI, ONSHI_TEST_TLS_SERVER set)
set -u
run=$1; results=$2; bin=$3
if ! unshare -mn true 2>/dev/null; then
    echo "[  SKIPPED ] IPv6 test: cannot create a network namespace (needs root or user namespaces)"
    exit 0
fi
hosts=$ONSHI_TEST_PKI/hosts.v6
printf '127.0.0.1 onshi-v6.test\n::1 onshi-v6.test\n' > "$hosts"
exec unshare -mn sh -c '
    ip link set lo up && mount --bind "$1" /etc/hosts &&
    ONSHI_TEST_V6_HOST=onshi-v6.test sh "$2" cmocka "$3" "$4"' sh "$hosts" "$run" "$results" "$bin"
