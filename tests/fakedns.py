"""A tiny authoritative DNS server on 127.0.0.1 for tests, answering from a zone dict.

    zone = {
        "example.org": Domain(mx=((10, "mx.example.org"),)),
        "web.example": Domain(a=("192.0.2.10",)),
        "broken.example": Behaviour.SERVFAIL,
        "slow.example": Behaviour.TIMEOUT,       # never answered
    }
    async with FakeDNS(zone) as server:
        checker = DomainChecker(nameservers=["127.0.0.1"], port=server.port)

Names missing from the zone are NXDOMAIN. Every query is recorded in `queries`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from types import TracebackType
from typing import Self, cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

TTL = 300


@dataclass(frozen=True)
class Domain:
    """A name that exists, with its records (possibly none: NOERROR with an empty answer)."""

    mx: tuple[tuple[int, str], ...] = ()  # (preference, exchange); (0, ".") is a null MX
    a: tuple[str, ...] = ()
    aaaa: tuple[str, ...] = ()


class Behaviour(Enum):
    """A name answered with an error, or not at all."""

    NXDOMAIN = "nxdomain"
    SERVFAIL = "servfail"
    TIMEOUT = "timeout"  # the query is recorded and dropped


def _key(name: str | dns.name.Name) -> str:
    n = name if isinstance(name, dns.name.Name) else dns.name.from_text(name.rstrip(".") + ".")
    return n.canonicalize().to_text()


class FakeDNS(asyncio.DatagramProtocol):
    """Answers UDP DNS queries on 127.0.0.1 at a free port from its zone."""

    def __init__(self, zone: Mapping[str, Domain | Behaviour]) -> None:
        self.zone: dict[str, Domain | Behaviour] = {_key(k): v for k, v in zone.items()}
        self.queries: list[tuple[str, str]] = []  # (name, type), e.g. ("example.org.", "MX")
        self._transport: asyncio.DatagramTransport | None = None

    @property
    def port(self) -> int:
        assert self._transport is not None, "not started"
        port: int = self._transport.get_extra_info("sockname")[1]
        return port

    def queries_for(self, name: str) -> list[str]:
        """The query types asked for one name, in order."""
        key = _key(name)
        return [t for n, t in self.queries if n == key]

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        await loop.create_datagram_endpoint(lambda: self, local_addr=("127.0.0.1", 0))

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()
            self._transport = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector transport does not subclass DatagramTransport; it is one.
        self._transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return
        if not query.question or self._transport is None:
            return
        question = query.question[0]
        key = _key(question.name)
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.queries.append((key, rdtype))
        entry = self.zone.get(key, Behaviour.NXDOMAIN)
        if entry is Behaviour.TIMEOUT:
            return
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if entry is Behaviour.NXDOMAIN:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif entry is Behaviour.SERVFAIL:
            response.set_rcode(dns.rcode.SERVFAIL)
        elif isinstance(entry, Domain):
            values = {
                "MX": [f"{pref} {_key(exchange)}" for pref, exchange in entry.mx],
                "A": list(entry.a),
                "AAAA": list(entry.aaaa),
            }.get(rdtype, [])
            if values:
                response.answer.append(
                    dns.rrset.from_text_list(question.name, TTL, "IN", rdtype, values)
                )
        self._transport.sendto(response.to_wire(), addr)
