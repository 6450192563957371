#!/bin/sh
# Test PKI of the HTTPS transport tests and benchmark, generated at test time (no private
# key is ever committed). One script, so it can later be swapped for tools/onshi-pki.
#   make-pki.sh DIR
# Writes into DIR:
#   ca.pem               CA the client trusts (tls_ca_file) and that signs client certs
#   other-ca.pem         an unrelated CA (its server cert must be refused: unknown CA)
#   server.pem/.key      server cert for localhost, onshi-v6.test (IPv6 test) and the
#                        addresses 127.0.0.1 and ::1 (iPAddress SANs)
#   server-ipother.pem   same key, for localhost and the address 127.0.0.2 only
#   server-expired.pem   same key, expired in 2021
#   server-wronghost.pem same key, only for wrong.example
#   server-otherca.pem/.key  server cert issued by other-ca
#   server.pin           hex SHA-256 of the server's SubjectPublicKeyInfo
#   client.pem/.key      client cert (RSA 2048), client-expired.pem, client-soon.pem (10 days)
#   client.p12           OpenSSL 3 default PKCS#12 (PBES2 AES-256-CBC, PBKDF2-SHA256, MAC SHA-256)
#   client-legacy.p12    pbeWithSHAAnd3-KeyTripleDES-CBC for key and certificate, MAC SHA-1
#   client-expired.p12   PKCS#12 of the expired client certificate
#   client-otherca.p12   PKCS#12 of a valid client certificate issued by other-ca
#   Passwords of the .p12 files: "test-pass" (written to p12.pass)
set -eu
d=$1
mkdir -p "$d"
cd "$d"
rm -rf db && mkdir -p db/new && : > db/index.txt && echo 1000 > db/serial
cat > ca.cnf <<CNF
[ca]
default_ca = tca
[tca]
dir = db
database = \$dir/index.txt
new_certs_dir = \$dir/new
serial = \$dir/serial
default_md = sha256
policy = pol
unique_subject = no
email_in_dn = no
[pol]
commonName = supplied
organizationName = optional
[req]
distinguished_name = dn
prompt = no
[dn]
CN = unused
[v3ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[srv]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, DNS:onshi-v6.test, IP:127.0.0.1, IP:::1
[ipother]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost, IP:127.0.0.2
[wrong]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong.example
[cli]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = clientAuth
CNF
q() { "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; "$@"; exit 1; }; }
ec() { q openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"; }

mkca() { # name CN
    ec "$1.key"
    q openssl req -new -x509 -config ca.cnf -key "$1.key" -subj "/O=libonshi test/CN=$2" \
        -days 3650 -extensions v3ca -out "$1.pem"
}
sign() { # ca csr out ext start end
    q openssl ca -batch -config ca.cnf -cert "$1.pem" -keyfile "$1.key" -in "$2" -out "$3" \
        -extensions "$4" -startdate "$5" -enddate "$6" -notext
}
mkca ca "libonshi test CA"
mkca other-ca "unrelated CA"

ec server.key
q openssl req -new -config ca.cnf -key server.key -subj "/O=libonshi test/CN=localhost" -out server.csr
now=$(date -u +%Y%m%d%H%M%SZ)
past=$(date -u -d '-1 day' +%Y%m%d%H%M%SZ)
future=$(date -u -d '+5 years' +%Y%m%d%H%M%SZ)
soon=$(date -u -d '+10 days' +%Y%m%d%H%M%SZ)
sign ca server.csr server.pem srv "$past" "$future"
sign ca server.csr server-expired.pem srv 20200101000000Z 20210101000000Z
sign ca server.csr server-wronghost.pem wrong "$past" "$future"
sign ca server.csr server-ipother.pem ipother "$past" "$future"
ec server-otherca.key
q openssl req -new -config ca.cnf -key server-otherca.key -subj "/CN=localhost" -out so.csr
sign other-ca so.csr server-otherca.pem srv "$past" "$future"
openssl pkey -in server.key -pubout -outform DER 2>/dev/null | sha256sum | cut -d' ' -f1 > server.pin

q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out client.key
q openssl req -new -config ca.cnf -key client.key -subj "/O=libonshi test/CN=1311234567 test clinic" -out client.csr
sign ca client.csr client.pem cli "$past" "$future"
sign ca client.csr client-expired.pem cli 20200101000000Z 20210101000000Z
sign ca client.csr client-soon.pem cli "$past" "$soon"
echo test-pass > p12.pass
q openssl pkcs12 -export -in client.pem -inkey client.key -certfile ca.pem -name client \
    -passout pass:test-pass -out client.p12
q openssl pkcs12 -export -in client.pem -inkey client.key -name client \
    -certpbe PBE-SHA1-3DES -keypbe PBE-SHA1-3DES -macalg sha1 \
    -passout pass:test-pass -out client-legacy.p12
q openssl pkcs12 -export -in client-expired.pem -inkey client.key -name client \
    -passout pass:test-pass -out client-expired.p12
q openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out client-otherca.key
q openssl req -new -config ca.cnf -key client-otherca.key -subj "/CN=stranger clinic" -out co.csr
sign other-ca co.csr client-otherca.pem cli "$past" "$future"
q openssl pkcs12 -export -in client-otherca.pem -inkey client-otherca.key -name client \
    -passout pass:test-pass -out client-otherca.p12
rm -f ./*.csr
: "$now"
echo "PKI ready in $d"
