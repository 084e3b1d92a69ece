"""The DNS of round 19 part m, on 127.0.0.1:53 inside the network namespace only: A 127.0.0.1
for the names of the zone below, NXDOMAIN for every other name (so `.invalid` and the made-up
unknown domains get a real "does not exist" answer and no query leaves the machine)."""

import socket

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

KNOWN = {
    "pf-tx.example.com", "ex-tx.example.com", "os-tx.example.com",
    "pf-rx.example.org", "ex-rx.example.org", "os-rx.example.org",
    "mx.pf-tx.example.com", "mx.ex-tx.example.com", "mx.os-tx.example.com",
    "mx.pf-rx.example.org", "mx.ex-rx.example.org", "mx.os-rx.example.org",
    "elsewhere.example.net", "localhost",
    "sm-tx.example.com", "mx.sm-tx.example.com",
}

sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sock.bind(("127.0.0.1", 53))
while True:
    data, addr = sock.recvfrom(4096)
    try:
        query = dns.message.from_wire(data)
    except Exception:
        continue
    q = query.question[0]
    name = q.name.to_text().rstrip(".").lower()
    response = dns.message.make_response(query)
    response.flags |= dns.flags.AA
    if name not in KNOWN:
        response.set_rcode(dns.rcode.NXDOMAIN)
    elif q.rdtype == dns.rdatatype.A:
        response.answer.append(dns.rrset.from_text(q.name, 300, "IN", "A", "127.0.0.1"))
    sock.sendto(response.to_wire(), addr)
