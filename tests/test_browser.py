"""The account page and the admin page in a real browser: Playwright driving Debian's Chromium.

moxhooks runs for real on 127.0.0.1 against the fake mox (browser_helpers.LiveMoxhooks);
the tests click and type like a person and then look into the fake mox. A screenshot
of each page is saved in test-artifacts/. Without Chromium the tests fail, never skip.
"""

from __future__ import annotations

import contextlib
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browser_helpers import ARTIFACTS, LiveMoxhooks

from moxhooks.web.pages import CSP

if TYPE_CHECKING:
    from fakemox import FakeMox
    from playwright.sync_api import Browser, FilePayload, Page

WEBUI = Path(__file__).resolve().parent.parent / "webui"
XSS = '"<img src=x onerror=alert(1)>"@example.org'
# Generous for a loaded CI machine; a pass takes well under a second.
TIMEOUT_MS = 10_000


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveMoxhooks]:
    m = LiveMoxhooks(tmp_path)
    yield m
    m.close()


@dataclass
class Tab:
    """A browser page, and what went wrong on it (script errors, CSP violations, alerts)."""

    page: Page
    live: LiveMoxhooks
    problems: list[str] = field(default_factory=list)

    def screenshot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / name), full_page=True)

    def sign_in(self, email: str = "mox@localhost", password: str = "moxmoxmox") -> None:
        """Sign in on the account page with the keyboard only: the form has the focus."""
        p = self.page
        p.wait_for_selector("#signin:not([hidden])")
        assert p.evaluate("document.activeElement.id") == "signin-email"
        p.keyboard.type(email)
        p.keyboard.press("Tab")
        p.keyboard.type(password)
        p.keyboard.press("Enter")
        p.wait_for_selector("#app:not([hidden])")

    def add(self, address: str, *, scope: str = "", expiry: str = "", note: str = "") -> None:
        """Add an entry with the add form; back on the list afterwards."""
        p = self.page
        p.click("#nav a[data-view=add]")
        p.fill("#add-address", address)
        p.fill("#add-scope", scope)
        if expiry:
            p.select_option("#add-expiry", expiry)
        p.fill("#add-reason", note)
        p.click("#add-submit")
        p.wait_for_selector("#view-list:not([hidden])")
        p.wait_for_selector(f"#list a:text-is({_css_string(address)})")

    def wait_rows(self, n: int) -> None:
        """Wait until the list shows n rows."""
        from playwright.sync_api import expect

        expect(self.page.locator("#list tbody tr")).to_have_count(n)

    def rows(self) -> list[str]:
        """The addresses in the list as shown now."""
        return self.page.locator("#list tbody td.address").all_inner_texts()

    def check_clean(self) -> None:
        assert self.problems == [], self.problems
        assert self.page.locator("img").count() == 0


def _css_string(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextlib.contextmanager
def open_tab(browser: Browser, live: LiveMoxhooks, **context: Any) -> Iterator[Tab]:
    """A fresh browser context (no cookies, no storage) with one page on moxhooks."""
    ctx = browser.new_context(base_url=live.url, accept_downloads=True, **context)
    ctx.set_default_timeout(TIMEOUT_MS)
    page = ctx.new_page()
    tab = Tab(page, live)

    def console(msg: Any) -> None:
        # 401s while signed out are expected; the browser logs each failed load.
        if msg.type == "error" and not msg.text.startswith("Failed to load resource"):
            tab.problems.append(f"console: {msg.text}")

    def dialog(d: Any) -> None:
        tab.problems.append(f"{d.type} dialog: {d.message}")
        d.dismiss()

    page.on("console", console)
    page.on("pageerror", lambda e: tab.problems.append(f"page error: {e}"))
    page.on("dialog", dialog)
    try:
        yield tab
    finally:
        ctx.close()


@pytest.fixture
def tab(browser: Browser, live: LiveMoxhooks) -> Iterator[Tab]:
    with open_tab(browser, live, viewport={"width": 1280, "height": 900}) as t:
        yield t


def mox_has(live: LiveMoxhooks, base: str) -> None:
    live.wait_for(
        lambda: base in {s["BaseAddress"] for s in live.mox.suppressions("mox")},
        f"{base} in mox's suppression list",
    )


def mox_lacks(live: LiveMoxhooks, base: str) -> None:
    live.wait_for(
        lambda: base not in {s["BaseAddress"] for s in live.mox.suppressions("mox")},
        f"{base} gone from mox's suppression list",
    )


# ---- The account page ----------------------------------------------------------------------


def test_add_search_open_remove(tab: Tab, live: LiveMoxhooks) -> None:
    p = tab.page
    p.goto("/")
    p.wait_for_selector("#signin:not([hidden])")
    tab.screenshot("account-signin.png")
    tab.sign_in()
    p.wait_for_selector("#list-summary:text('The list is empty.')")

    # Add: the page says what the entry also blocks before it is added.
    p.click("#nav a[data-view=add]")
    p.fill("#add-address", "Mary-Jane.Doe+news@example.org")
    blocks = p.locator("#add-blocks")
    blocks.locator("text=mary@example.org").first.wait_for()
    assert "base address mary@example.org" in blocks.inner_text()
    p.select_option("#add-expiry", "7d")
    p.fill("#add-reason", "asked us by phone")
    tab.screenshot("account-add.png")
    p.click("#add-submit")
    p.wait_for_selector("#list a:text-is('Mary-Jane.Doe+news@example.org')")
    assert "Added Mary-Jane.Doe+news@example.org" in p.inner_text("#app-status")
    mox_has(live, "mary@example.org")

    tab.add("bob@example.com")
    tab.add("carol@example.net", scope="newsletter")
    mox_has(live, "bob@example.com")
    assert tab.rows() == ["carol@example.net", "bob@example.com", "Mary-Jane.Doe+news@example.org"]
    row = p.locator("#list tbody tr", has_text="carol@example.net")
    assert 'topic "newsletter"' in row.inner_text()
    assert "Added by a person" in row.inner_text()
    # A topic is not mox's business: only account-wide entries are pushed.
    assert "carol@example.net" not in live.mox_bases()

    # Adding the same base address again is refused, in words.
    p.click("#nav a[data-view=add]")
    p.fill("#add-address", "mary@example.org")
    p.locator("#add-blocks .warn").wait_for()
    assert "Already on the list" in p.inner_text("#add-blocks")
    p.click("#add-submit")
    p.wait_for_selector("#add-error:not([hidden])")
    assert "already suppressed" in p.inner_text("#add-error")
    p.click("#nav a[data-view=list]")
    tab.wait_rows(3)  # the list's own load is done before the search is watched

    # Search as you type: one request once typing stops, not one per key.
    searches: list[str] = []
    p.on("request", lambda r: searches.append(r.url) if "search=" in r.url else None)
    p.locator("#f-search").press_sequentially("bob@", delay=40)
    tab.wait_rows(1)
    assert tab.rows() == ["bob@example.com"]
    assert len(searches) == 1 and "search=bob%40" in searches[0], searches
    p.fill("#f-search", "")
    tab.wait_rows(3)
    # Filters: one topic; all mail only.
    p.select_option("#f-scope-mode", "topic")
    p.fill("#f-scope", "newsletter")
    tab.wait_rows(1)
    assert tab.rows() == ["carol@example.net"]
    p.select_option("#f-scope-mode", "-")
    tab.wait_rows(2)
    p.select_option("#f-scope-mode", "")
    tab.wait_rows(3)
    tab.screenshot("account-list.png")

    # Open an entry: why it is there, what it also blocks, its history.
    p.click("#list a:text-is('Mary-Jane.Doe+news@example.org')")
    p.wait_for_selector("#entry-history")
    assert p.inner_text("#entry-title") == "Mary-Jane.Doe+news@example.org"
    assert p.title() == "Mary-Jane.Doe+news@example.org · moxhooks"
    facts = p.inner_text("dl.facts")
    assert "asked us by phone" in facts
    assert "Added by a person" in facts
    assert "mary@example.org" in facts
    assert "mary@example.org" in p.inner_text("#entry-blocks")
    assert p.locator("#entry-history li").count() >= 1
    tab.screenshot("account-entry.png")

    # Remove, with confirmation: Cancel keeps the entry, Remove ends it.
    dialog = p.locator("#remove-dialog")
    p.click("#entry-remove")
    assert dialog.is_visible()
    assert p.inner_text("#remove-address") == "Mary-Jane.Doe+news@example.org"
    p.click("#remove-cancel")
    assert not dialog.is_visible()
    assert p.locator("#entry-remove").is_visible()
    assert "mary@example.org" in live.mox_bases()
    p.click("#entry-remove")
    tab.screenshot("account-remove-dialog.png")
    p.fill("#remove-reason", "moved to a new address")
    p.click("#remove-confirm")
    p.wait_for_selector("#view-list:not([hidden])")
    tab.wait_rows(2)
    assert "Removed Mary-Jane.Doe+news@example.org" in p.inner_text("#app-status")
    assert "Mary-Jane.Doe+news@example.org" not in tab.rows()
    mox_lacks(live, "mary@example.org")
    # The ended entry keeps its history.
    p.select_option("#f-active", "false")
    tab.wait_rows(1)
    p.click("#list a")
    p.wait_for_selector("#entry-history")
    assert "moved to a new address" in p.inner_text("#view-entry")
    assert not p.locator("#entry-remove").is_visible()
    tab.check_clean()


def test_every_field_is_labelled_and_the_keyboard_reaches_it(tab: Tab) -> None:
    p = tab.page
    p.goto("/")
    tab.sign_in()
    for view in ("list", "add", "transfer", "health"):
        p.goto(f"/#{view}")
        p.wait_for_selector(f"#view-{view}:not([hidden])")
        unlabelled = p.evaluate(
            """() => [...document.querySelectorAll('input, select, textarea')]
                 .filter((e) => e.type !== 'hidden' && !e.hidden && e.offsetParent !== null)
                 .filter((e) => e.labels.length === 0 && !e.getAttribute('aria-label'))
                 .map((e) => e.id || e.outerHTML)"""
        )
        assert unlabelled == [], (view, unlabelled)
    # Tab from the top of a freshly loaded page reaches the navigation and the sign-out button.
    p.goto("about:blank")
    p.goto("/#list")
    p.wait_for_selector("#view-list:not([hidden])")
    seen = set()
    for _ in range(12):
        p.keyboard.press("Tab")
        seen.add(p.evaluate("document.activeElement.id || document.activeElement.textContent"))
    assert {"Add", "Health", "signout"} <= seen, seen
    tab.check_clean()


def test_import_with_a_bad_row_then_export(tab: Tab, live: LiveMoxhooks) -> None:
    p = tab.page
    p.goto("/#transfer")
    tab.sign_in()
    p.wait_for_selector("#view-transfer:not([hidden])")
    csv_text = (
        "address,scope,kind,reason\n"
        "one@example.org,,manual,from the old system\n"
        "two@example.com,newsletter,unsubscribed,\n"
        "not an address,,manual,\n"
    )
    upload: FilePayload = {
        "name": "old-list.csv",
        "mimeType": "text/csv",
        "buffer": csv_text.encode(),
    }
    p.set_input_files("#import-file", files=[upload])
    p.click("#import-submit")
    p.wait_for_selector("#import-summary")
    assert p.inner_text("#import-summary") == "Added 2. Already on the list: 0. Rejected: 1."
    rejected = p.locator("#import-rejected tbody tr")
    assert rejected.count() == 1
    assert rejected.locator("td").first.inner_text() == "4"
    tab.screenshot("account-transfer.png")
    mox_has(live, "one@example.org")

    with p.expect_download() as info:
        p.click("#export-button")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    content = Path(download.path()).read_text()
    lines = content.splitlines()
    assert lines[0].startswith("address,base_address,scope,kind")
    assert {line.split(",")[0] for line in lines[1:]} == {"one@example.org", "two@example.com"}
    p.wait_for_selector("#export-progress:text('Done')")
    assert "2 entries" in p.inner_text("#export-progress")
    tab.check_clean()


def test_health_chart_shows_rates_and_limits(tab: Tab, live: LiveMoxhooks) -> None:
    # 60 messages delivered over the last 10 days; 3 bounced for unknown mailboxes,
    # one 2 days ago and two 5 days ago: those two days are above the 2% line.
    events = [("delivered", f"ok{i}@example.org", 0, "") for i in range(60)]
    events += [("failed", f"gone{i}@example.com", 550, "5.1.1") for i in range(3)]
    live.send_events(events)
    for i in range(3):
        mox_has(live, f"gone{i}@example.com")
    days_ago = [i % 10 for i in range(60)] + [2, 5, 5]
    live.move_events_back(days_ago)

    p = tab.page
    p.goto("/#health")
    tab.sign_in()
    p.wait_for_selector("#chart-bounce svg.chart")
    for name in ("bounce", "complaint"):
        chart = p.locator(f"#chart-{name} svg.chart")
        assert chart.is_visible()
        assert chart.locator(".threshold line").count() == 1
        assert (chart.locator(".series").get_attribute("d") or "").startswith("M")
        # A point per day with mail; days without mail are gaps.
        assert chart.locator(".points circle").count() == 10
    assert p.text_content("#chart-bounce .threshold text") == "limit 2%"
    assert p.text_content("#chart-complaint .threshold text") == "limit 0.3%"
    assert p.locator("#chart-bounce circle.over").count() == 2
    assert p.locator("#chart-complaint circle.over").count() == 0
    warnings = p.inner_text("#health-warnings")
    # 5 days ago: 2 of 8 messages bounced; over 30 days: 3 of 63.
    assert "bounce rate 25.00% is above 2.0%" in warnings
    assert "the last 30 days: bounce rate 4.76% is above 2.0%" in warnings
    kinds = p.inner_text("#kinds")
    assert "The mailbox does not exist" in kinds and "3" in kinds
    assert "63" in p.inner_text("#health-totals")
    tab.screenshot("account-health.png")
    tab.check_clean()


def test_hostile_address_is_shown_as_text(tab: Tab, live: LiveMoxhooks) -> None:
    p = tab.page
    p.goto("/")
    tab.sign_in()
    p.click("#nav a[data-view=add]")
    p.fill("#add-address", XSS)
    p.locator("#add-blocks p").first.wait_for()
    assert XSS in p.inner_text("#add-blocks")
    p.fill("#add-reason", "<b>bold?</b> <script>alert(2)</script>")
    p.click("#add-submit")
    link = p.locator("#list a", has_text="<img src=x onerror=alert(1)>")
    link.wait_for()
    assert link.inner_text() == XSS
    link.click()
    p.wait_for_selector("#entry-history")
    assert p.inner_text("#entry-title") == XSS
    assert p.title() == f"{XSS} · moxhooks"
    assert "<b>bold?</b> <script>alert(2)</script>" in p.inner_text("dl.facts")
    tab.screenshot("account-entry-hostile.png")
    p.click("#entry-remove")
    assert p.inner_text("#remove-address") == XSS
    assert p.inner_text("#remove-title") == "Remove from the list?"
    p.click("#remove-cancel")
    # Nothing was parsed as HTML: no image, no script, no alert (check_clean).
    assert p.locator("#app b, #app script").count() == 0
    assert p.evaluate("document.querySelectorAll('img').length") == 0
    tab.check_clean()


def test_sign_out_ends_the_session(tab: Tab) -> None:
    p = tab.page
    p.goto("/")
    tab.sign_in()
    tab.add("dave@example.org")
    p.click("#signout")
    p.wait_for_selector("#signin:not([hidden])")
    assert not p.locator("#view-list").is_visible()
    assert not p.locator("#app").is_visible()
    assert p.locator("#list").count() == 0, "the list stays in the page after signing out"
    assert p.inner_text("#who") == ""
    answer = p.evaluate(
        """async () => {
             const r = await fetch('api/v1/session');
             return [r.status, (await r.json()).code];
           }"""
    )
    assert answer == [401, "user:noAuth"]
    answer = p.evaluate(
        """async () => {
             const r = await fetch('api/v1/accounts/mox/suppressions');
             return [r.status, (await r.json()).code];
           }"""
    )
    assert answer == [401, "user:noAuth"]
    # Signing in again shows the list again.
    tab.sign_in()
    p.wait_for_selector("#list a:text-is('dave@example.org')")
    tab.check_clean()


def test_ended_session_signs_in_again_and_retries(tab: Tab, live: LiveMoxhooks) -> None:
    p = tab.page
    p.goto("/")
    tab.sign_in()
    p.click("#nav a[data-view=add]")
    p.fill("#add-address", "erin@example.org")
    # The server forgets every session, as when it ends them after a long idle time.
    live.forget_sessions()
    p.click("#add-submit")
    p.wait_for_selector("#signin:not([hidden])")
    assert "session has ended" in p.inner_text("#signin-error")
    p.fill("#signin-email", "mox@localhost")
    p.fill("#signin-password", "wrong password")
    p.click("#signin-submit")
    p.wait_for_selector("#signin-error:text('wrong email address or password')")
    p.fill("#signin-password", "moxmoxmox")
    p.click("#signin-submit")
    # The add that failed was sent again after sign-in.
    p.wait_for_selector("#list a:text-is('erin@example.org')")
    mox_has(live, "erin@example.org")
    tab.check_clean()


def test_readable_on_a_phone(browser: Browser, live: LiveMoxhooks) -> None:
    with open_tab(
        browser,
        live,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    ) as t:
        p = t.page
        p.goto("/")
        t.sign_in()
        t.add("a.very.long.address.that.needs.wrapping+newsletter-2026@subdomain.example.org")
        width = p.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the list is {width}px wide on a 390px phone"
        # Rows are cards: each cell shows its column's name before the value.
        assert p.evaluate("getComputedStyle(document.querySelector('#list td')).display") == "grid"
        assert p.get_attribute("#list td.address", "data-label") == "Address"
        t.screenshot("account-list-phone.png")
        p.goto("/#health")
        p.wait_for_selector("#chart-bounce svg.chart")
        width = p.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the health view is {width}px wide on a 390px phone"
        t.screenshot("account-health-phone.png")
        t.check_clean()


# ---- The admin page ------------------------------------------------------------------------


def test_admin_adds_releases_and_removes_a_hold_rule(tab: Tab, live: LiveMoxhooks) -> None:
    p = tab.page
    p.goto("/admin")
    p.wait_for_selector("#signin:not([hidden])")
    assert p.evaluate("document.activeElement.id") == "signin-password"
    p.keyboard.type("moxadmin")
    p.keyboard.press("Enter")
    p.wait_for_selector("#accounts-list")
    assert "mox" in p.inner_text("#accounts-list tbody")
    p.wait_for_selector("#mox-reach:text('mox is reachable')")
    p.wait_for_selector("#holdrules-empty")
    # One mox server: no server to choose.
    assert not p.locator("#hr-mox-field").is_visible()
    assert p.locator("#hr-mox option").count() == 0

    # With every field empty the form warns, and adding asks first.
    assert p.locator("#hr-all-warning").is_visible()
    p.click("#hr-submit")
    assert p.locator("#confirm-dialog").is_visible()
    assert "all outgoing mail" in p.inner_text("#confirm-dialog")
    p.click("#confirm-cancel")
    assert live.call(lambda: dict(live.mox.hold_rules)) == {}

    msg = live.call(lambda: live.mox.add_queued(recipient="waiting@example.com"))
    p.fill("#hr-recipient", "example.com")
    assert not p.locator("#hr-all-warning").is_visible()
    p.click("#hr-submit")
    p.wait_for_selector("#holdrules-list")
    row = p.locator("#holdrules-list tbody tr")
    assert row.count() == 1
    assert "example.com" in row.inner_text()
    rules = live.call(lambda: list(live.mox.hold_rules.values()))
    assert [(r["Account"], r["SenderDomainStr"], r["RecipientDomainStr"]) for r in rules] == [
        ("", "", "example.com")
    ]
    assert live.call(lambda: live.mox.queue[msg["ID"]]["Hold"]) is True
    p.wait_for_selector("#audit-list td:text-is('hold_rule_added')")
    tab.screenshot("admin.png")

    p.click("#holdrules-list button:text-is('Release held')")
    p.wait_for_selector("#holdrules-status:text('Released 1 message')")
    assert live.call(lambda: live.mox.queue[msg["ID"]]["Hold"]) is False

    p.click("#holdrules-list button:text-is('Remove')")
    assert p.locator("#confirm-dialog").is_visible()
    p.click("#confirm-ok")
    p.wait_for_selector("#holdrules-empty")
    assert live.call(lambda: dict(live.mox.hold_rules)) == {}
    p.wait_for_selector("#audit-list td:text-is('hold_rule_removed')")

    p.click("#signout")
    p.wait_for_selector("#signin:not([hidden])")
    assert p.locator("#accounts-list").count() == 0
    tab.check_clean()


def _sign_in_admin(p: Page) -> None:
    p.goto("/admin")
    p.wait_for_selector("#signin:not([hidden])")
    p.fill("#signin-password", "moxadmin")
    p.click("#signin-submit")
    p.wait_for_selector("#accounts-list")


# Mox server b's hold rules, when it has none.
B_EMPTY = "#holdrules-empty:text-is('No hold rules: mox b sends everything.')"


def _recipient_domains(fake: FakeMox) -> list[str]:
    return [r["RecipientDomainStr"] for r in fake.hold_rules.values()]


def test_admin_lists_adds_and_removes_hold_rules_of_the_chosen_mox_server(
    browser: Browser, tmp_path: Path
) -> None:
    live = LiveMoxhooks(tmp_path, mox_names=("a", "b"))
    try:
        a, b = live.moxes["a"], live.moxes["b"]
        # Rule 1 in a: the rule b's first rule will share its id with.
        live.call(lambda: a.hold_rules.update({1: {"ID": 1, "Account": "", "SenderDomainStr": "",
                                                   "RecipientDomainStr": "a-only.example"}}))  # fmt: skip
        with open_tab(browser, live, viewport={"width": 1280, "height": 900}) as tab:
            p = tab.page
            _sign_in_admin(p)
            p.wait_for_selector("#hr-mox-field:not([hidden])")
            assert p.locator("#hr-mox option").all_inner_texts() == ["a", "b"]
            assert p.input_value("#hr-mox") == "a"
            # The first server's rules, as before there were several.
            p.wait_for_selector("#holdrules-list td:text-is('a-only.example')")

            p.select_option("#hr-mox", "b")
            p.wait_for_selector(B_EMPTY)
            p.fill("#hr-recipient", "example.com")
            p.click("#hr-submit")
            p.wait_for_selector(
                "#holdrules-status:text-is('Added hold rule #1 (every account, to example.com on mox b).')"
            )
            p.wait_for_selector("#holdrules-list td:text-is('example.com')")
            # The list is b's: its one rule, not a's rule of the same id.
            assert p.locator("#holdrules-list tbody tr").count() == 1
            assert "a-only.example" not in p.inner_text("#holdrules-table")
            # The rule landed in b only.
            assert live.call(lambda: _recipient_domains(b)) == ["example.com"]
            assert live.call(lambda: _recipient_domains(a)) == ["a-only.example"]
            p.wait_for_selector("#audit-list td:text('hold rule 1 of mox b')")
            tab.screenshot("admin-two-mox.png")

            # Back to a: a's rule; then b again, and its rule removed there only.
            p.select_option("#hr-mox", "a")
            p.wait_for_selector("#holdrules-list td:text-is('a-only.example')")
            assert p.locator("#holdrules-list tbody tr").count() == 1
            p.select_option("#hr-mox", "b")
            p.wait_for_selector("#holdrules-list td:text-is('example.com')")
            p.click("#holdrules-list button:text-is('Remove')")
            assert "example.com on mox b" in p.inner_text("#confirm-dialog")
            p.click("#confirm-ok")
            p.wait_for_selector(B_EMPTY)
            assert live.call(lambda: _recipient_domains(b)) == []
            assert live.call(lambda: _recipient_domains(a)) == ["a-only.example"]
            tab.check_clean()
    finally:
        live.close()


def test_admin_page_refuses_the_account_password(tab: Tab) -> None:
    p = tab.page
    p.goto("/admin")
    p.wait_for_selector("#signin:not([hidden])")
    p.fill("#signin-password", "moxmoxmox")
    p.click("#signin-submit")
    p.wait_for_selector("#signin-error:not([hidden])")
    assert "wrong" in p.inner_text("#signin-error")
    assert not p.locator("#app").is_visible()
    tab.check_clean()


# ---- How the pages are served (no browser needed) ------------------------------------------


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, Any, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("", "text/html; charset=utf-8"),
        ("admin", "text/html; charset=utf-8"),
        ("static/api.js", "text/javascript; charset=utf-8"),
        ("static/account.js", "text/javascript; charset=utf-8"),
        ("static/app.css", "text/css; charset=utf-8"),
        ("static/favicon.svg", "image/svg+xml"),
    ],
)
def test_pages_are_served_with_strict_headers(
    live: LiveMoxhooks, path: str, content_type: str
) -> None:
    status, headers, body = _get(live.url + path)
    assert status == 200
    assert headers["Content-Type"] == content_type
    assert headers["Content-Security-Policy"] == CSP
    assert "script-src 'self';" in CSP and "unsafe-inline" not in CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"
    # Unchanged files are not sent again.
    status, _, body = _get(live.url + path, {"If-None-Match": headers["ETag"]})
    assert (status, body) == (304, b"")


@pytest.mark.parametrize(
    "path",
    [
        "static/nothing.js",
        "static/..%2Fpyproject.toml",
        "static/%2E%2E/README.md",
        "static/",
        "index.html",
        "static/.hidden.js",
    ],
)
def test_only_webui_files_are_served(live: LiveMoxhooks, path: str) -> None:
    status, _, _ = _get(live.url + path)
    assert status == 404


def test_scripts_never_parse_data_as_html() -> None:
    """Every value reaches the page as text: no HTML sinks, no inline script or style."""
    sinks = re.compile(
        r"innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function"
    )
    for js in sorted(WEBUI.glob("*.js")):
        hits = [
            f"{js.name}:{n}"
            for n, line in enumerate(js.read_text().splitlines(), 1)
            if sinks.search(line)
        ]
        assert hits == [], hits
    for page in sorted(WEBUI.glob("*.html")):
        html = page.read_text()
        assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == [], page.name
        assert re.findall(r"\son[a-z]+\s*=", html) == [], page.name
        assert re.findall(r"\sstyle\s*=|<style", html) == [], page.name
        assert re.findall(r"(?:src|href)=\"(?:https?:)?//", html) == [], page.name
