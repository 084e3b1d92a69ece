"""The recipient's preference page (/u/<token>) in a real browser: the forwarded link that
changes nothing until confirmed, keyboard-only use, pausing a topic, unsubscribing from
everything (and back), a refused link, and a phone's width."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browser_helpers import SECRET, LiveMoxhooks
from test_browser import Tab, mox_has, mox_lacks, open_tab

from moxhooks.jobs.unsubscribe import issue_link
from moxhooks.store import Suppression, parse_iso

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

ADDRESS = "John.Doe@example.org"
BASE = "johndoe@example.org"
MASKED = "J\u2022\u2022\u2022@example.org"
ACCOUNTS = [
    {
        "name": "mox",
        "login": "mox@localhost",
        "password": "moxmoxmox",
        "webhook_secret": SECRET,
        "topics": [
            {"name": "news", "description": "The monthly newsletter"},
            {"name": "offers", "description": "Special offers"},
        ],
    }
]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveMoxhooks]:
    m = LiveMoxhooks(tmp_path, {"accounts": ACCOUNTS})
    yield m
    m.close()


@pytest.fixture
def tab(browser: Browser, live: LiveMoxhooks) -> Iterator[Tab]:
    with open_tab(browser, live, viewport={"width": 1024, "height": 900}) as t:
        yield t


def make_link(live: LiveMoxhooks, topic: str = "news", address: str = ADDRESS) -> str:
    _, token = live.run(
        issue_link(live.runtime.store.unsubscribe, "mox", address, topic, "<m1@localhost>")
    )
    return token


def entries(live: LiveMoxhooks) -> list[Suppression]:
    return live.run(live.runtime.store.suppressions.list("mox"))


def audit_rows(live: LiveMoxhooks) -> int:
    row = live.run(live.runtime.store.db.fetchone("SELECT COUNT(*) FROM audit"))
    assert row is not None
    return int(row[0])


def open_link(tab: Tab, token: str) -> Page:
    p = tab.page
    p.goto(f"/u/{token}")
    p.wait_for_selector("#prefs:not([hidden])")
    return p


def tab_to(p: Page, element_id: str, most: int = 40) -> None:
    """Press Tab until element_id has the focus; fail if the keyboard never gets there."""
    for _ in range(most):
        if p.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        p.keyboard.press("Tab")
    pytest.fail(f"Tab never reached #{element_id}")


def status_text(p: Page) -> str:
    return p.inner_text("#status")


def test_a_forwarded_link_shows_whose_it_is_and_changes_nothing_until_confirmed(
    tab: Tab, live: LiveMoxhooks
) -> None:
    token = make_link(live)
    before = audit_rows(live)
    p = open_link(tab, token)
    # Someone the message was forwarded to sees whose address it is (masked) and the topic.
    assert p.inner_text("#address") == MASKED
    assert p.inner_text("#topic-name") == "news"
    assert p.inner_text("#topic-description") == "The monthly newsletter"
    assert ADDRESS not in p.content() and "John.Doe" not in p.content()
    assert p.inner_text("#confirm-button") == f"Unsubscribe {MASKED} from news"
    assert "Nothing changes until you confirm" in p.inner_text("#confirm")
    tab.screenshot("unsubscribe-confirm.png")
    # Looking, reloading, and looking again change nothing.
    p.reload()
    p.wait_for_selector("#prefs:not([hidden])")
    assert entries(live) == [] and audit_rows(live) == before
    assert p.is_checked("#topic-news") and p.is_checked("#topic-offers")

    p.click("#confirm-button")
    p.wait_for_selector("#confirm-done:not([hidden])")
    assert p.inner_text("#confirm-done") == f"{MASKED} is unsubscribed from news."
    assert status_text(p) == f"Unsubscribed {MASKED} from news (The monthly newsletter)."
    [entry] = entries(live)
    assert (entry.base_address, entry.scope, entry.kind, entry.source, entry.created_by) == (
        BASE, "news", "unsubscribed", "unsubscribe", "unsubscribe:page"
    )  # fmt: skip
    assert not p.is_checked("#topic-news") and p.is_checked("#topic-offers")
    assert p.inner_text("#topic-news-state") == "Unsubscribed: you do not receive this."
    # A later visit remembers it, and still asks for nothing.
    p.reload()
    p.wait_for_selector("#prefs:not([hidden])")
    assert p.is_hidden("#confirm-button")
    assert p.inner_text("#confirm-done") == f"{MASKED} is unsubscribed from news."
    tab.check_clean()


def test_keyboard_only(tab: Tab, live: LiveMoxhooks) -> None:
    token = make_link(live)
    p = open_link(tab, token)
    # Every control is labelled.
    unlabelled = p.evaluate(
        """() => [...document.querySelectorAll('input, button')]
             .filter((e) => e.offsetParent !== null)
             .filter((e) => e.labels && e.labels.length === 0 && !e.getAttribute('aria-label')
                            && !e.textContent.trim())
             .map((e) => e.id || e.outerHTML)"""
    )
    assert unlabelled == []
    # The page starts at the top: the first Tab reaches the confirmation.
    p.keyboard.press("Tab")
    assert p.evaluate("document.activeElement.id") == "confirm-button"
    p.keyboard.press("Enter")
    p.wait_for_selector("#confirm-done:not([hidden])")
    assert [e.scope for e in entries(live)] == ["news"]

    # Switch offers off with the space bar, and back on.
    p.keyboard.press("Tab")
    tab_to(p, "topic-offers")
    p.keyboard.press("Space")
    p.wait_for_selector("#topic-offers-state.off")
    assert status_text(p) == "Unsubscribed from offers."
    assert p.evaluate("document.activeElement.id") == "topic-offers"  # focus stays
    assert sorted(e.scope for e in entries(live)) == ["news", "offers"]
    p.keyboard.press("Space")
    p.wait_for_selector("#topic-offers-state:not(.off)")
    assert sorted(e.scope for e in entries(live)) == ["news"]

    # Pause news for a month with Enter on its button.
    tab_to(p, "pause-news-1m")
    assert p.get_attribute("#pause-news-1m", "aria-label") == "Pause news for 1 month"
    p.keyboard.press("Enter")
    p.wait_for_selector("#topic-news-state:text-matches('^Paused until')")
    assert p.evaluate("document.activeElement.id") == "pause-news-1m"
    [entry] = entries(live)
    assert entry.scope == "news" and entry.expires is not None
    assert entry.reason.startswith("paused until ") and "(1 month)" in entry.reason

    # Unsubscribe from everything, then resubscribe, all with the keyboard.
    tab_to(p, "unsubscribe-all")
    p.keyboard.press("Enter")
    p.wait_for_selector("#resubscribe-all:not([hidden])")
    mox_has(live, BASE)
    tab_to(p, "resubscribe-all")
    p.keyboard.press("Enter")
    p.wait_for_selector("#unsubscribe-all:not([hidden])")
    mox_lacks(live, BASE)
    tab.check_clean()


def test_pause_a_topic(tab: Tab, live: LiveMoxhooks) -> None:
    token = make_link(live)
    p = open_link(tab, token)
    p.click("#pause-offers-1w")
    p.wait_for_selector("#topic-offers-state:text-matches('^Paused until')")
    assert status_text(p) == "Paused offers for 1 week."
    assert not p.is_checked("#topic-offers")
    [entry] = entries(live)
    assert (entry.scope, entry.kind, entry.source) == ("offers", "unsubscribed", "unsubscribe")
    assert entry.expires is not None
    left = parse_iso(entry.expires) - live.runtime.store.db.clock()
    assert timedelta(days=6, hours=23) < left <= timedelta(days=7)
    # The confirmation still asks about news: pausing offers did not touch it.
    assert p.is_visible("#confirm-button")
    tab.screenshot("unsubscribe-paused.png")
    # Switching it back on ends the pause.
    p.click("#topic-offers")
    p.wait_for_selector("#topic-offers-state:text('You receive this.')")
    assert entries(live) == []
    tab.check_clean()


def test_unsubscribe_from_everything(tab: Tab, live: LiveMoxhooks) -> None:
    token = make_link(live, topic="")
    p = open_link(tab, token)
    # A link without a topic asks about all mail.
    assert p.is_hidden("#topic-line")
    assert p.inner_text("#confirm-button") == f"Unsubscribe {MASKED} from all mail of this sender"
    p.click("#unsubscribe-all")
    p.wait_for_selector("#resubscribe-all:not([hidden])")
    assert status_text(p) == "Unsubscribed from all mail of this sender."
    assert p.inner_text("#everything-state") == "Unsubscribed: you do not receive this."
    # A topic that is on is not sent while all mail is stopped, and the page says so.
    assert p.is_checked("#topic-news")
    assert p.inner_text("#topic-news-state") == "On, but not sent while all mail is stopped."
    assert (
        p.inner_text("#confirm-done") == f"{MASKED} is unsubscribed from all mail of this sender."
    )
    [entry] = entries(live)
    assert entry.scope == "" and entry.mox_state in ("pending_add", "synced")
    mox_has(live, BASE)
    tab.screenshot("unsubscribe-everything.png")
    p.click("#resubscribe-all")
    p.wait_for_selector("#unsubscribe-all:not([hidden])")
    assert status_text(p) == "You receive mail from this sender again."
    mox_lacks(live, BASE)
    tab.check_clean()


def test_another_kinds_entry_is_shown_but_not_changed(tab: Tab, live: LiveMoxhooks) -> None:
    from moxhooks.store import NewEntry

    token = make_link(live)
    live.run(
        live.runtime.store.suppressions.add(
            NewEntry("mox", ADDRESS, BASE, "complaint", "complaint", "ARF", "test")
        )
    )
    p = open_link(tab, token)
    assert "stopped for another reason" in p.inner_text("#everything-state").lower()
    assert p.is_hidden("#unsubscribe-all") and p.is_hidden("#resubscribe-all")
    assert (
        p.inner_text("#confirm-done")
        == f"Mail about all mail of this sender to {MASKED} is stopped for another reason."
    )
    tab.check_clean()


def test_a_refused_link_is_a_clear_page(tab: Tab, live: LiveMoxhooks) -> None:
    token = make_link(live)
    bad = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")
    resp = tab.page.goto(f"/u/{bad}")
    assert resp is not None and resp.status == 404
    assert tab.page.inner_text("h1") == "This link is not valid"
    assert "Nothing was changed." in tab.page.inner_text("main")
    assert entries(live) == []
    tab.screenshot("unsubscribe-bad-link.png")
    tab.check_clean()


def test_readable_on_a_phone(browser: Browser, live: LiveMoxhooks) -> None:
    token = make_link(live, address="a.very.long.address.for.a.phone+news@subdomain.example.org")
    ctx: dict[str, Any] = {
        "viewport": {"width": 360, "height": 740},
        "is_mobile": True,
        "has_touch": True,
        "device_scale_factor": 2,
    }
    with open_tab(browser, live, **ctx) as t:
        p = open_link(t, token)
        p.click("#pause-news-3m")
        p.wait_for_selector("#topic-news-state:text-matches('^Paused until')")
        width = p.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"the page is {width}px wide on a 360px phone"
        # Buttons big enough to tap.
        height = p.evaluate("document.getElementById('unsubscribe-all').offsetHeight")
        assert height >= 36
        t.screenshot("unsubscribe-phone.png")
        t.check_clean()
