"""DomainChecker against a fake authoritative DNS server on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import dns.resolver
import pytest
from fakedns import Behaviour, Domain, FakeDNS

from moxhooks.mail.dnscheck import DomainChecker, DomainStatus, confirms_domain_unknown

ZONE: dict[str, Domain | Behaviour] = {
    "mx.example": Domain(mx=((10, "mail.mx.example"), (20, "backup.mx.example"))),
    "a-only.example": Domain(a=("192.0.2.10",)),
    "aaaa-only.example": Domain(aaaa=("2001:db8::10",)),
    "null-mx.example": Domain(mx=((0, "."),)),
    "null-mx-and-real.example": Domain(mx=((0, "."), (10, "mail.mx.example"))),
    "no-mail.example": Domain(),
    "gone.example": Behaviour.NXDOMAIN,
    "servfail.example": Behaviour.SERVFAIL,
    "timeout.example": Behaviour.TIMEOUT,
    "bücher.example": Domain(mx=((10, "mail.bücher.example"),)),
}


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def server() -> AsyncIterator[FakeDNS]:
    async with FakeDNS(ZONE) as s:
        yield s


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def checker(server: FakeDNS, clock: Clock) -> DomainChecker:
    return DomainChecker(
        nameservers=["127.0.0.1"], port=server.port, timeout=0.3, cache_ttl=3600.0, clock=clock
    )


@pytest.mark.parametrize(
    ("domain", "status"),
    [
        ("mx.example", DomainStatus.EXISTS),
        ("a-only.example", DomainStatus.EXISTS),
        ("aaaa-only.example", DomainStatus.EXISTS),
        ("null-mx.example", DomainStatus.NULL_MX),
        ("null-mx-and-real.example", DomainStatus.EXISTS),
        ("no-mail.example", DomainStatus.NO_MAIL),
        ("gone.example", DomainStatus.NXDOMAIN),
        ("not-in-zone.example", DomainStatus.NXDOMAIN),
        ("servfail.example", DomainStatus.UNKNOWN),
        ("timeout.example", DomainStatus.UNKNOWN),
        ("MX.Example.", DomainStatus.EXISTS),
    ],
)
async def test_status(checker: DomainChecker, domain: str, status: DomainStatus) -> None:
    assert await checker.check(domain) == status


async def test_exists_via_mx_asks_only_for_mx(checker: DomainChecker, server: FakeDNS) -> None:
    assert await checker.check("mx.example") == DomainStatus.EXISTS
    assert server.queries_for("mx.example") == ["MX"]


async def test_implicit_mx_asks_for_addresses(checker: DomainChecker, server: FakeDNS) -> None:
    assert await checker.check("a-only.example") == DomainStatus.EXISTS
    assert sorted(server.queries_for("a-only.example")) == ["A", "AAAA", "MX"]


async def test_timeout_is_unknown(server: FakeDNS) -> None:
    # The fake server never answers for this name: the check gives up on its own deadline (the
    # outer one only keeps a broken check from hanging the suite) and says it does not know.
    checker = DomainChecker(nameservers=["127.0.0.1"], port=server.port, timeout=0.2)
    assert await asyncio.wait_for(checker.check("timeout.example"), 60) == DomainStatus.UNKNOWN
    assert server.queries_for("timeout.example")  # it did ask


async def test_cached_answer_does_not_query_again(
    checker: DomainChecker, server: FakeDNS, clock: Clock
) -> None:
    assert await checker.check("mx.example") == DomainStatus.EXISTS
    assert await checker.check("gone.example") == DomainStatus.NXDOMAIN
    asked = len(server.queries)
    clock.now += 3599
    assert await checker.check("mx.example") == DomainStatus.EXISTS
    assert await checker.check("gone.example") == DomainStatus.NXDOMAIN
    assert len(server.queries) == asked
    clock.now += 2  # past cache_ttl
    assert await checker.check("mx.example") == DomainStatus.EXISTS
    assert len(server.queries) == asked + 1


async def test_unknown_is_cached_briefly(
    checker: DomainChecker, server: FakeDNS, clock: Clock
) -> None:
    assert await checker.check("servfail.example") == DomainStatus.UNKNOWN
    asked = len(server.queries_for("servfail.example"))
    clock.now += 30
    assert await checker.check("servfail.example") == DomainStatus.UNKNOWN
    assert len(server.queries_for("servfail.example")) == asked
    clock.now += 31  # past the 60 s given to unknown answers, long before cache_ttl
    server.zone["servfail.example."] = Domain(mx=((10, "mail.servfail.example"),))
    assert await checker.check("servfail.example") == DomainStatus.EXISTS


async def test_concurrent_checks_share_one_lookup(checker: DomainChecker, server: FakeDNS) -> None:
    results = await asyncio.gather(*(checker.check("null-mx.example") for _ in range(10)))
    assert results == [DomainStatus.NULL_MX] * 10
    assert server.queries_for("null-mx.example") == ["MX"]


async def test_cancelled_caller_does_not_cancel_shared_lookup(
    checker: DomainChecker, server: FakeDNS
) -> None:
    first = asyncio.ensure_future(checker.check("a-only.example"))
    second = asyncio.ensure_future(checker.check("a-only.example"))
    await asyncio.sleep(0)
    first.cancel()
    assert await second == DomainStatus.EXISTS


@pytest.mark.parametrize("spelling", ["bücher.example", "xn--bcher-kva.example", "BÜCHER.example."])
async def test_idna(checker: DomainChecker, server: FakeDNS, spelling: str) -> None:
    assert await checker.check(spelling) == DomainStatus.EXISTS
    assert server.queries_for("xn--bcher-kva.example") == ["MX"]


async def test_unicode_and_ascii_forms_share_the_cache(
    checker: DomainChecker, server: FakeDNS
) -> None:
    assert await checker.check("bücher.example") == DomainStatus.EXISTS
    assert await checker.check("xn--bcher-kva.example") == DomainStatus.EXISTS
    assert len(server.queries) == 1


@pytest.mark.parametrize(
    "domain", ["", ".", "a..example", "[192.0.2.1]", "192.0.2.1", "x" * 64 + ".example", "-\udcff"]
)
async def test_names_dns_cannot_ask_about_are_unknown(
    checker: DomainChecker, server: FakeDNS, domain: str
) -> None:
    assert await checker.check(domain) == DomainStatus.UNKNOWN
    assert server.queries == []


async def test_unreadable_system_config_answers_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_config(self: dns.resolver.BaseResolver, *args: object, **kwargs: object) -> None:
        raise dns.resolver.NoResolverConfiguration  # as with no /etc/resolv.conf

    monkeypatch.setattr(dns.resolver.BaseResolver, "read_resolv_conf", no_config)
    checker = DomainChecker()
    assert await checker.check("example.org") == DomainStatus.UNKNOWN


@pytest.mark.parametrize(
    ("status", "confirms"),
    [
        (DomainStatus.EXISTS, False),
        (DomainStatus.NXDOMAIN, True),
        (DomainStatus.NULL_MX, True),
        (DomainStatus.NO_MAIL, True),
        (DomainStatus.UNKNOWN, False),
    ],
)
def test_confirms_domain_unknown(status: DomainStatus, confirms: bool) -> None:
    assert confirms_domain_unknown(status) is confirms
