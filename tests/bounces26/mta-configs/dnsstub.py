"""Round 26 (copied from round 25, names extended): the DNS stub on 127.0.0.1:53 inside the network namespace r26w (no dnspython
here, so the wire format is handled by hand). A 127.0.0.1 for the names in KNOWN, an empty
NOERROR answer for other types of those names, NXDOMAIN for every other name. No query leaves
the namespace."""
import socket
import struct

KNOWN = set(open("/opt/r26w/known.txt").read().split()) | {
    "pf-tx.example.com", "mx.pf-tx.example.com", "ex-tx.example.com", "mx.ex-tx.example.com",
    "ch-tx.example.com", "mx.ch-tx.example.com", "hr-tx.example.com", "mx.hr-tx.example.com",
    "mox-tx.example.com", "mx.mox-tx.example.com",
    "mox-rx.example.org", "mx.mox-rx.example.org", "ch-rx.example.org", "mx.ch-rx.example.org",
    "hr-rx.example.org", "mx.hr-rx.example.org", "qp-rx.example.org", "mx.qp-rx.example.org",
    "pf-rx.example.org", "mx.pf-rx.example.org", "localhost",
    "dm-tx.example.com", "_dmarc.dm-tx.example.com",
    "relay-mox.example.net", "relay-qp.example.net", "down.example.net", "mf-rx.example.org", "ps-rx.example.org", "relay-hr.example.net", "relay-ch.example.net", "disabled-rx.example.org",
}
# TXT records (added after the first batch, which ran with no TXT at all: SPF "none").
# The sending domains get an SPF record that passes 127.0.0.1; dm-tx.example.com one that fails
# it and a DMARC p=reject policy (for mox's and other receivers' DMARC checks).
TXT = {
    "pf-tx.example.com": "v=spf1 ip4:127.0.0.1 -all",
    "ex-tx.example.com": "v=spf1 ip4:127.0.0.1 -all",
    "ch-tx.example.com": "v=spf1 ip4:127.0.0.1 -all",
    "hr-tx.example.com": "v=spf1 ip4:127.0.0.1 -all",
    "mox-tx.example.com": "v=spf1 ip4:127.0.0.1 -all",
    "dm-tx.example.com": "v=spf1 ip4:192.0.2.1 -all",
    "_dmarc.dm-tx.example.com": "v=DMARC1; p=reject",
}

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 53))
while True:
    data, addr = sock.recvfrom(4096)
    try:
        qid, flags, qd = struct.unpack(">HHH", data[:6])
        pos, labels = 12, []
        while data[pos]:
            n = data[pos]
            labels.append(data[pos + 1:pos + 1 + n].decode("ascii", "replace"))
            pos += 1 + n
        qend = pos + 5
        qtype = struct.unpack(">H", data[pos + 1:pos + 3])[0]
        question = data[12:qend]
    except Exception:
        continue
    name = ".".join(labels).lower()
    if name.endswith(".bl.example.net") and qtype == 1:
        # a DNS block list zone (added for postscreen): every address is listed, 127.0.0.2
        answers = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + socket.inet_aton("127.0.0.2")
        sock.sendto(struct.pack(">HHHHHH", qid, 0x8400 | (flags & 0x0100), 1, 1, 0, 0) + question + answers, addr)
        continue
    rd = flags & 0x0100
    if name in set(open("/opt/r26w/servfail.txt").read().split()):
        # round 26: names listed here get SERVFAIL (a failing DNS server)
        sock.sendto(struct.pack(">HHHHHH", qid, 0x8000 | rd | 2, 1, 0, 0, 0) + question, addr)
        continue
    if name not in KNOWN and name not in set(open("/opt/r26w/known.txt").read().split()):
        hdr = struct.pack(">HHHHHH", qid, 0x8400 | rd | 3, 1, 0, 0, 0)
        sock.sendto(hdr + question, addr)
        continue
    answers = b""
    count = 0
    if qtype == 16 and name in TXT:
        t = TXT[name].encode()
        answers = b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 300, len(t) + 1) + bytes([len(t)]) + t
        count = 1
    if qtype == 1 and not name.startswith("_"):
        answers = b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 300, 4) + socket.inet_aton("127.0.0.1")
        count = 1
    hdr = struct.pack(">HHHHHH", qid, 0x8400 | rd, 1, count, 0, 0)
    sock.sendto(hdr + question + answers, addr)
