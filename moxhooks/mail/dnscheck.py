"""Confirming `domain_unknown` with DNS: does the recipient's domain accept mail at all?

Asynchronous (dns.asyncresolver), cached, and never raising: whatever goes wrong with
DNS is `unknown`, and only a definite answer (NXDOMAIN, null MX, no mail host) confirms.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import time
from collections.abc import Callable, Sequence
from enum import StrEnum
from typing import Final

import dns.asyncresolver
import dns.exception
import dns.name
import dns.rdatatype
import dns.resolver
from dns.rdtypes.ANY.MX import MX

__all__ = ["DomainChecker", "DomainStatus", "confirms_domain_unknown"]

log = logging.getLogger(__name__)

# How long an `unknown` answer is kept: long enough to spare a struggling resolver a burst
# of identical queries, short enough that the next event asks again.
UNKNOWN_TTL: Final = 60.0
# Bound on remembered domains; expired entries go first, then the oldest.
MAX_ENTRIES: Final = 10_000


class DomainStatus(StrEnum):
    """What DNS says about a domain as a mail destination."""

    EXISTS = "exists"  # has MX records, or no MX but an A/AAAA record (implicit MX, RFC 5321)
    NXDOMAIN = "nxdomain"  # the name does not exist
    NULL_MX = "null_mx"  # a single "MX 0 ." record: the domain accepts no mail (RFC 7505)
    NO_MAIL = "no_mail"  # the name exists but has no MX and no address records
    UNKNOWN = "unknown"  # timeout, SERVFAIL, no resolver, or a name DNS cannot ask about


def confirms_domain_unknown(status: DomainStatus) -> bool:
    """Whether DNS proves that mail to the domain can never be delivered."""
    return status in (DomainStatus.NXDOMAIN, DomainStatus.NULL_MX, DomainStatus.NO_MAIL)


def _dns_name(domain: str) -> dns.name.Name | None:
    """The domain as an absolute DNS name (IDNA-encoded), or None if it cannot be asked about."""
    d = domain.strip().rstrip(".")
    if not d or d.startswith("["):  # address literals (user@[192.0.2.1]) have no DNS to ask
        return None
    try:
        ipaddress.ip_address(d)
        return None
    except ValueError:
        pass
    try:
        return dns.name.from_text(d).canonicalize()
    except (dns.exception.DNSException, UnicodeError, ValueError):
        return None


class DomainChecker:
    """Looks up whether domains accept mail; cached, and one lookup per domain at a time."""

    def __init__(
        self,
        *,
        nameservers: Sequence[str] = (),
        port: int = 53,
        timeout: float = 3.0,
        cache_ttl: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._cache_ttl = cache_ttl
        self._clock = clock
        self._cache: dict[str, tuple[DomainStatus, float]] = {}
        self._inflight: dict[str, asyncio.Future[DomainStatus]] = {}
        self._resolver: dns.asyncresolver.Resolver | None
        if nameservers:
            resolver = dns.asyncresolver.Resolver(configure=False)
            resolver.nameservers = list(nameservers)
        else:
            try:
                resolver = dns.asyncresolver.Resolver()  # reads /etc/resolv.conf once, here
            except (dns.exception.DNSException, OSError, ValueError) as e:
                log.warning("no DNS resolver configuration, domain checks answer unknown: %s", e)
                self._resolver = None
                return
        resolver.port = port
        resolver.timeout = timeout
        resolver.lifetime = timeout
        self._resolver = resolver

    async def check(self, domain: str) -> DomainStatus:
        """The domain's status; Unicode and xn-- forms are the same domain. Never raises."""
        name = _dns_name(domain)
        if name is None or self._resolver is None:
            return DomainStatus.UNKNOWN
        key = name.to_text()
        hit = self._cache.get(key)
        if hit is not None and hit[1] > self._clock():
            return hit[0]
        shared = self._inflight.get(key)
        if shared is None or shared.get_loop() is not asyncio.get_running_loop():
            shared = asyncio.ensure_future(self._lookup_and_remember(key, name, self._resolver))
            self._inflight[key] = shared
            shared.add_done_callback(lambda f: self._forget_inflight(key, f))
        # shield: one caller giving up must not cancel the lookup the others wait for.
        return await asyncio.shield(shared)

    def _forget_inflight(self, key: str, fut: asyncio.Future[DomainStatus]) -> None:
        if self._inflight.get(key) is fut:
            del self._inflight[key]

    async def _lookup_and_remember(
        self, key: str, name: dns.name.Name, resolver: dns.asyncresolver.Resolver
    ) -> DomainStatus:
        try:
            status = await _lookup(resolver, name)
        except Exception:  # a bug or an odd resolver failure must not break event processing
            log.exception("DNS check of %s failed", key)
            status = DomainStatus.UNKNOWN
        ttl = min(self._cache_ttl, UNKNOWN_TTL) if status == DomainStatus.UNKNOWN else self._cache_ttl
        now = self._clock()
        if len(self._cache) >= MAX_ENTRIES:
            self._evict(now)
        self._cache[key] = (status, now + ttl)
        return status

    def _evict(self, now: float) -> None:
        for k in [k for k, (_, expires) in self._cache.items() if expires <= now]:
            del self._cache[k]
        while len(self._cache) >= MAX_ENTRIES:
            del self._cache[next(iter(self._cache))]


async def _resolve(
    resolver: dns.asyncresolver.Resolver, name: dns.name.Name, rdtype: dns.rdatatype.RdataType
) -> DomainStatus | bool:
    """True if records of rdtype exist, False if the name has none, else a final status."""
    try:
        answer = await resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
    except dns.resolver.NXDOMAIN:
        return DomainStatus.NXDOMAIN
    except dns.exception.DNSException:  # timeout, SERVFAIL (NoNameservers), malformed answers
        return DomainStatus.UNKNOWN
    return answer.rrset is not None and len(answer.rrset) > 0


async def _lookup(resolver: dns.asyncresolver.Resolver, name: dns.name.Name) -> DomainStatus:
    try:
        answer = await resolver.resolve(
            name, dns.rdatatype.MX, raise_on_no_answer=False, search=False
        )
    except dns.resolver.NXDOMAIN:
        return DomainStatus.NXDOMAIN
    except dns.exception.DNSException:
        return DomainStatus.UNKNOWN
    records = [r for r in answer.rrset or () if isinstance(r, MX)]
    if records:
        if len(records) == 1 and records[0].preference == 0 and records[0].exchange == dns.name.root:
            return DomainStatus.NULL_MX
        return DomainStatus.EXISTS
    # No MX: the domain itself is the mail host if it has an address (RFC 5321 5.1).
    a, aaaa = await asyncio.gather(
        _resolve(resolver, name, dns.rdatatype.A), _resolve(resolver, name, dns.rdatatype.AAAA)
    )
    if a is True or aaaa is True:
        return DomainStatus.EXISTS
    if DomainStatus.NXDOMAIN in (a, aaaa):
        return DomainStatus.NXDOMAIN
    if DomainStatus.UNKNOWN in (a, aaaa):
        return DomainStatus.UNKNOWN
    return DomainStatus.NO_MAIL
