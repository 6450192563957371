"""onshi-sim under hostile clients (issue 12): idle raw TCP and slowloris TLS connections do
not starve others; a huge Content-Length or chunk size gets 413 at once; a header block that
never ends gets 408. Usage: hostile.py PORT PKI_DIR REQUEST_FILE. Exit 0 when all hold."""
import socket, ssl, sys, time

port, pki, reqfile = int(sys.argv[1]), sys.argv[2], sys.argv[3]
body = open(reqfile, 'rb').read()


def tls():
    c = ssl.create_default_context(cafile=pki + '/tls-ca.crt')
    c.check_hostname = False
    c.load_cert_chain(pki + '/client-1311234569.crt', pki + '/client-1311234569.key')
    s = socket.create_connection(('127.0.0.1', port), timeout=120)
    return c.wrap_socket(s)


def answer(s):
    """Status code of the answer on s (reads the status line only)."""
    data = b''
    while b'\r\n' not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    line = data.split(b'\r\n', 1)[0].split()
    return int(line[1]) if len(line) > 1 else 0


def post(extra_headers=b'', payload=body):
    s = tls()
    s.sendall(b'POST /oqs/v1/OQSsiquc01req HTTP/1.1\r\nHost: x\r\nContent-Type: application/xml\r\n'
              + extra_headers + b'\r\n' + payload)
    st = answer(s)
    s.close()
    return st


def fail(msg):
    print('FAIL: ' + msg)
    sys.exit(1)


# 1. eight raw TCP connections that never speak TLS, four TLS connections dribbling a header
#    (one byte, then silence): a normal request is still answered (a pool of 4 starved before).
held = [socket.create_connection(('127.0.0.1', port)) for _ in range(8)]
slow = []
for _ in range(4):
    s = tls()
    s.sendall(b'P')
    slow.append(s)
st = post(b'Content-Length: %d\r\n' % len(body))
if st != 200:
    fail('request beside idle/slow connections answered %d' % st)

# 2. a 10 GB Content-Length: 413 at once, without the body
st = post(b'Content-Length: 10737418240\r\n', b'<XmlMsg>')
if st != 413:
    fail('10 GB Content-Length answered %d' % st)

# 3. a chunk declared ffffffff bytes long: 413 at once
st = post(b'Transfer-Encoding: chunked\r\n', b'ffffffff\r\n<XmlMsg>')
if st != 413:
    fail('chunk of 0xffffffff answered %d' % st)

# 4. a 512 MiB body announced: 413 (the cap is SIM_MAX_REQUEST, 256 MiB: 100,000
#    reservations), the connection closed after
s = tls()
s.sendall(b'POST /oqs/v1/OQSsiquc01req HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n' % (512 << 20))
st = answer(s)
s.close()
if st != 413:
    fail('512 MiB body answered %d' % st)

# 5. the slowloris connections get 408 (header deadline), not an endless wait
for s in slow:
    st = answer(s)
    if st != 408:
        fail('header that never ends answered %d' % st)
    s.close()

# 6. the raw TCP connections are dropped by the handshake deadline (EOF, no hang)
for s in held:
    s.settimeout(120)
    if s.recv(1) != b'':
        fail('raw TCP connection got bytes')
    s.close()
print('ok')
