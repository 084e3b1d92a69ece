"""The DNS of round 21 part m (round 20's stub, with a DNSBL entry and SPF records), on 127.0.0.1:53 inside the network namespace only: A 127.0.0.1
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
    "dma-tx.example.com", "nm-tx.example.com", "mx.dma-tx.example.com", "mx.nm-tx.example.com",
}
# The DNSBL zone dnsbl.example.net lists 127.0.0.1 (A 127.0.0.2, the usual "listed" answer; no
# TXT record, so the receiver's reply carries no list's own text).
LISTED = {"1.0.0.127.dnsbl.example.net"}
# The senders' domains publish an SPF policy that authorises no host, so an SPF check fails.
SPF = {"pf-tx.example.com", "ex-tx.example.com", "dma-tx.example.com", "nm-tx.example.com",
       "os-tx.example.com"}

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
    if name in LISTED:
        if q.rdtype == dns.rdatatype.A:
            response.answer.append(dns.rrset.from_text(q.name, 300, "IN", "A", "127.0.0.2"))
    elif name not in KNOWN:
        response.set_rcode(dns.rcode.NXDOMAIN)
    elif q.rdtype == dns.rdatatype.A:
        response.answer.append(dns.rrset.from_text(q.name, 300, "IN", "A", "127.0.0.1"))
    elif q.rdtype == dns.rdatatype.TXT and name in SPF:
        response.answer.append(dns.rrset.from_text(q.name, 300, "IN", "TXT", '"v=spf1 -all"'))
    sock.sendto(response.to_wire(), addr)
