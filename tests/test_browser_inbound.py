"""The bounce and complaint mailbox on the pages, in a real browser (Playwright, Debian's
Chromium): the reports received on the account page, one report with its raw message shown
as text, the reports behind an entry, and the admin's view of the mailbox.

Messages are put into the inbound table as the intake and the processor do
(MailboxStore.add, then finish). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browser_helpers import ARTIFACTS, SECRET, LiveMoxhooks
from test_browser import Tab, open_tab

from moxhooks.kinds import Kind, Source
from moxhooks.store import MailboxResult, NewEntry

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

# The raw message is written by whoever sent the mail.
HOSTILE_RAW = (
    "From: Mailer <mailer@example.net>\r\n"
    "Subject: <b>hello</b>\r\n"
    "\r\n"
    "<script>alert(1)</script>\r\n"
    "<img src=x onerror=alert(1)>\r\n"
    "This is not a report.\r\n"
)
ARF_RAW = (
    "From: staff@hotmail.com\r\n"
    "Subject: complaint about message from 192.0.2.1\r\n"
    'Content-Type: multipart/report; report-type=feedback-report; boundary="b"\r\n\r\n'
    "--b\r\nContent-Type: text/plain\r\n\r\nThis is an email abuse report.\r\n"
    "--b\r\nContent-Type: message/feedback-report\r\n\r\n"
    "Feedback-Type: abuse\r\nUser-Agent: Hotmail FBL\r\nVersion: 1\r\n"
    "--b--\r\n"
)
ARF_PARSED: dict[str, Any] = {
    "type": "arf",
    "recipients": [
        {
            "address": "jane@example.org",
            "kind": "complaint",
            "action": "complaint",
            "status": "",
            "diagnostic": "",
        }
    ],
    "original_message_id": "<sent-1@localhost>",
    "original_headers": {},
    "feedback_type": "abuse",
    "reporter": "Hotmail FBL",
    "reason": "This is an email abuse report.",
    "problems": [],
}


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


IMAP_PORT = closed_port()
INBOUND_CONFIG: dict[str, Any] = {
    "accounts": [
        {
            "name": "mox",
            "login": "mox@localhost",
            "password": "moxmoxmox",
            "webhook_secret": SECRET,
            "inbound_addresses": ["fbl@localhost"],
        }
    ],
    "imap": [
        {
            "account": "mox",
            "host": "127.0.0.1",
            "port": IMAP_PORT,
            "mailbox": "Reports",
            "interval": 3600.0,
        }
    ],
}


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveMoxhooks]:
    """moxhooks with a report address and an IMAP mailbox that cannot be reached."""
    m = LiveMoxhooks(tmp_path, INBOUND_CONFIG)
    yield m
    m.close()


@pytest.fixture
def tab(browser: Browser, live: LiveMoxhooks) -> Iterator[Tab]:
    with open_tab(browser, live, viewport={"width": 1280, "height": 900}) as t:
        yield t


def keep(
    live: LiveMoxhooks,
    external_id: str,
    *,
    raw: str | None,
    subject: str = "",
    mail_from: str = "",
    status: str = "done",
    report_type: str | None = "dsn",
    parsed: dict[str, Any] | None = None,
    outcome: str = "",
    results: tuple[MailboxResult, ...] = (),
) -> int:
    """Keep a message as the intake does and finish it as the processor does; its id."""

    async def go() -> int:
        store = live.runtime.store
        assert await store.inbound.add(
            "mox", "webhook", external_id, rcpt_to="fbl@localhost", mail_from=mail_from,
            subject=subject, message_id=f"<{external_id}@example.net>",
            raw=raw.encode() if raw is not None else None,
        )  # fmt: skip
        row = await store.db.fetchone(
            "SELECT id FROM inbound WHERE external_id = ?", (external_id,)
        )
        assert row is not None
        if status != "pending":
            await store.inbound.finish(row[0], status, report_type, parsed, outcome, results)
        return int(row[0])

    return live.run(go())


def mailbox(live: LiveMoxhooks) -> dict[str, int]:
    """A complaint entry with the ARF report behind it, an unparsed hostile message, a failed
    one and a bounce; the ids by name."""

    async def entry() -> int:
        e = await live.runtime.store.suppressions.add(
            NewEntry(
                account="mox",
                original_address="jane@example.org",
                base_address="jane@example.org",
                kind=Kind.COMPLAINT,
                source=Source.COMPLAINT,
                reason="arf abuse This is an email abuse report.",
                created_by="arf report",
            )
        )
        assert e is not None
        return e.id

    entry_id = live.run(entry())
    ids = {"entry": entry_id}
    ids["bounce"] = keep(
        live, "b1", raw="Subject: Undelivered Mail\r\n\r\nsorry", subject="Undelivered Mail",
        mail_from="MAILER-DAEMON@example.com", outcome="dsn: no recipient found",
    )  # fmt: skip
    ids["arf"] = keep(
        live, "a1", raw=ARF_RAW, subject="complaint about message from 192.0.2.1",
        mail_from="staff@hotmail.com", report_type="arf", parsed=ARF_PARSED,
        outcome="arf: jane@example.org: suppress (added to the list)",
        results=(MailboxResult("mox", "jane@example.org", "complaint", "complaint",
                               "suppress", "added to the list", entry_id),),
    )  # fmt: skip
    ids["failed"] = keep(
        live, "f1", raw=None, subject="lost", status="failed", report_type=None,
        outcome="fetching the message from mox: refused; gave up",
    )  # fmt: skip
    ids["unparsed"] = keep(
        live, "u1", raw=HOSTILE_RAW, subject="<b>hello</b>", mail_from="Mailer <mailer@example.net>",
        status="unparsed", report_type="unparsed",
        parsed={"type": "unparsed", "recipients": [], "problems": ["not MIME"]},
        outcome="no report recognised; kept as it is",
    )  # fmt: skip
    return ids


def no_markup(p: Page) -> None:
    """Nothing from the hostile message became an element, and no alert ran (check_clean)."""
    assert p.evaluate("document.querySelectorAll('script:not([src]), img, b').length") == 0
    assert p.evaluate("document.querySelectorAll('[onerror]').length") == 0


def split_cells(p: Page) -> list[str]:
    """Table cells with more than one child node: on a phone each cell is a grid, so each
    child would land in a row of its own, away from its neighbours."""
    cells: list[str] = p.evaluate(
        """() => [...document.querySelectorAll('td')]
             .filter((td) => td.childNodes.length > 1 && !td.closest('#holdrules-list'))
             .map((td) => td.closest('table').id + ': ' + td.textContent)"""
    )
    return cells


def scroll_width(p: Page) -> int:
    width: int = p.evaluate("document.documentElement.scrollWidth")
    return width


# ---- The account page ----------------------------------------------------------------------


def test_reports_list_detail_and_the_entry_behind(tab: Tab, live: LiveMoxhooks) -> None:
    ids = mailbox(live)
    p = tab.page
    p.goto("/")
    tab.sign_in()
    p.click("#nav a[data-view=reports]")
    p.wait_for_selector("#reports tbody tr")
    assert p.get_attribute("#nav a[data-view=reports]", "aria-current") == "page"
    rows = p.locator("#reports tbody tr")
    assert rows.count() == 4
    # Newest first: the unparsed one, then the failed one, the complaint and the bounce.
    texts = rows.all_inner_texts()
    assert "<b>hello</b>" in texts[0] and "not recognised" in texts[0]
    assert "Not a report" in texts[0]
    assert "given up" in texts[1] and "gave up" in texts[1]
    assert "Feedback report (ARF)" in texts[2] and "staff@hotmail.com" in texts[2]
    assert "read" in texts[2] and "jane@example.org: suppress" in texts[2]
    assert "Delivery status notification" in texts[3]
    # Not recognised and given up stand out.
    classes = [rows.nth(i).get_attribute("class") or "" for i in range(4)]
    assert "attention" in classes[0] and "attention" in classes[1]
    assert "attention" not in classes[2] and "attention" not in classes[3]
    assert p.locator("#reports .badge.status-unparsed").count() == 1
    assert p.locator("#reports .badge.status-failed").count() == 1
    assert p.inner_text("#reports-summary") == "4 messages (all)"
    tab.screenshot("account-reports.png")

    # The status filter.
    for status, n in (("unparsed", 1), ("failed", 1), ("done", 2), ("pending", 0), ("", 4)):
        p.select_option("#r-status", status)
        if n:
            p.wait_for_function(
                "n => document.querySelectorAll('#reports tbody tr').length === n", arg=n
            )
        else:
            p.wait_for_selector("#reports-summary:text('No messages with this status.')")
    assert p.locator("#reports tbody tr").count() == 4

    # The unparsed, hostile message: its raw text is shown as text.
    p.click(f"#reports a[href='#report/{ids['unparsed']}']")
    p.wait_for_selector("#report-raw")
    assert p.inner_text("#report-title") == "<b>hello</b>"
    raw = p.text_content("#report-raw") or ""
    assert raw.replace("\r\n", "\n") == HOSTILE_RAW.replace("\r\n", "\n")
    visible = p.inner_text("#report-raw")
    assert "<script>alert(1)</script>" in visible
    assert "<img src=x onerror=alert(1)>" in visible
    assert p.locator("#report-raw *").count() == 0  # one text node, no elements
    no_markup(p)
    assert "Not recognised as a bounce or complaint" in p.inner_text("#report-facts")
    assert "not MIME" in p.inner_text("#report-parsed")
    tab.screenshot("account-report-unparsed.png")

    # The complaint: what was parsed, each recipient with what was done, and the entry.
    p.goto(f"/#report/{ids['arf']}")
    p.wait_for_selector("#report-recipients")
    parsed = p.inner_text("#report-parsed")
    assert "Feedback report (ARF)" in parsed
    assert "abuse: reported as spam" in parsed
    assert "Hotmail FBL" in parsed and "This is an email abuse report." in parsed
    assert "<sent-1@localhost>" in parsed
    row = p.inner_text("#report-recipients tbody tr")
    assert "jane@example.org" in row and "Reported as spam" in row
    assert "suppress: added to the list" in row
    assert "Feedback-Type: abuse" in p.inner_text("#report-raw")
    tab.screenshot("account-report-complaint.png")
    p.click("#report-recipients a:text-is('Open the entry')")
    p.wait_for_selector("#entry-reports")
    assert p.inner_text("#entry-title") == "jane@example.org"
    [listed] = p.locator("#entry-reports tbody tr").all_inner_texts()
    assert "complaint about message from 192.0.2.1" in listed
    assert "Feedback report (ARF)" in listed and "staff@hotmail.com" in listed
    assert "suppress: added to the list" in listed
    tab.screenshot("account-entry-reports.png")
    # ... and the report opens from there.
    p.click("#entry-reports a:text-is('complaint about message from 192.0.2.1')")
    p.wait_for_selector("#report-recipients")
    assert p.evaluate("location.hash") == f"#report/{ids['arf']}"

    # A message that was never fetched says so; an unknown id is an error in words.
    p.goto(f"/#report/{ids['failed']}")
    p.wait_for_selector("#report-body :text('has not been fetched')")
    assert "moxhooks gave up" in p.inner_text("#report-facts")
    p.goto("/#report/999999")
    p.wait_for_selector("#app-error:not([hidden])")
    assert "no such report message" in p.inner_text("#app-error")
    no_markup(p)
    tab.check_clean()


def test_reports_are_paged(tab: Tab, live: LiveMoxhooks) -> None:
    for i in range(55):
        keep(live, f"d{i}", raw="x", subject=f"bounce {i}")
    p = tab.page
    p.goto("/#reports")
    tab.sign_in()
    tab.page.wait_for_selector("#reports tbody tr")
    rows = p.locator("#reports tbody tr")
    assert rows.count() == 50
    assert rows.first.inner_text().count("bounce 54") == 1
    assert p.is_disabled("#reports-prev") and not p.is_disabled("#reports-next")
    p.click("#reports-next")
    p.wait_for_selector("#reports-page:text('Page 2')")
    assert rows.count() == 5
    assert "bounce 4" in rows.first.inner_text() and "bounce 0" in rows.last.inner_text()
    assert p.is_disabled("#reports-next") and not p.is_disabled("#reports-prev")
    assert p.inner_text("#reports-summary") == "5 messages (the oldest)"
    p.click("#reports-prev")
    p.wait_for_selector("#reports-page:text('Page 1')")
    assert rows.count() == 50
    tab.check_clean()


def test_keyboard_only_opens_a_report(tab: Tab, live: LiveMoxhooks) -> None:
    ids = mailbox(live)
    p = tab.page
    p.goto("/")
    tab.sign_in()  # with the keyboard only

    def tab_to(js_test: str, what: str, limit: int = 30, key: str = "Tab") -> None:
        for _ in range(limit):
            p.keyboard.press(key)
            if p.evaluate(f"(() => {{ const e = document.activeElement; return {js_test}; }})()"):
                return
        pytest.fail(f"Tab never reached {what}")

    tab_to("e.dataset.view === 'reports'", "the Reports link")
    p.keyboard.press("Enter")
    p.wait_for_selector("#reports tbody tr")
    # The view's heading has the focus; the status filter and the reports come next.
    assert p.evaluate("document.activeElement.id") == "reports-title"
    tab_to("e.id === 'r-status'", "the status filter", 3)
    assert p.evaluate("document.activeElement.labels[0].textContent") == "Status"
    tab_to(f"(e.getAttribute('href') || '') === '#report/{ids['unparsed']}'", "the first report")
    p.keyboard.press("Enter")
    p.wait_for_selector("#report-raw")
    assert p.evaluate("document.activeElement.id") == "report-title"
    # The raw message scrolls, so it takes the focus too (arrow keys scroll it).
    tab_to("e.id === 'report-raw'", "the raw message")
    assert p.evaluate("document.activeElement.getAttribute('aria-labelledby')") == "report-raw-title"
    # Back to the list with the keyboard: the link at the top of the view.
    tab_to(
        "e.closest('#view-report') && e.getAttribute('href') === '#reports'",
        "the link back",
        5,
        "Shift+Tab",
    )
    p.keyboard.press("Enter")
    p.wait_for_selector("#view-reports:not([hidden])")
    unlabelled = p.evaluate(
        """() => [...document.querySelectorAll('#view-reports select, #view-reports input')]
             .filter((e) => e.labels.length === 0).map((e) => e.id)"""
    )
    assert unlabelled == []
    no_markup(p)
    tab.check_clean()


def test_reports_fit_a_phone(browser: Browser, live: LiveMoxhooks) -> None:
    ids = mailbox(live)
    with open_tab(
        browser,
        live,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    ) as t:
        p = t.page
        p.goto("/#reports")
        t.sign_in()
        p.wait_for_selector("#reports tbody tr")
        assert scroll_width(p) <= 390, f"the reports are {scroll_width(p)}px wide"
        assert p.evaluate("getComputedStyle(document.querySelector('#reports td')).display") == "grid"
        assert split_cells(p) == []
        t.screenshot("account-reports-phone.png")
        p.goto(f"/#report/{ids['arf']}")
        p.wait_for_selector("#report-raw")
        assert scroll_width(p) <= 390, f"a report is {scroll_width(p)}px wide"
        assert split_cells(p) == []
        t.screenshot("account-report-phone.png")
        p.goto(f"/#entry/{ids['entry']}")
        p.wait_for_selector("#entry-reports")
        assert scroll_width(p) <= 390, f"an entry is {scroll_width(p)}px wide"
        assert split_cells(p) == []
        t.screenshot("account-entry-reports-phone.png")
        t.check_clean()


# ---- The admin page ------------------------------------------------------------------------


def imap_error(live: LiveMoxhooks) -> str:
    """The last error the worker reported for the first IMAP mailbox."""
    state = live.runtime.worker_state.imap.get(0)
    return state.last_error if state else ""


def admin_sign_in(p: Page) -> None:
    p.goto("/admin")
    p.wait_for_selector("#signin:not([hidden])")
    p.keyboard.type("moxadmin")
    p.keyboard.press("Enter")


def test_admin_sees_the_bounce_mailbox(tab: Tab, live: LiveMoxhooks) -> None:
    mailbox(live)
    live.wait_for(lambda: bool(imap_error(live)), "the first IMAP look")
    p = tab.page
    admin_sign_in(p)
    p.wait_for_selector("#imap-list")
    counts = p.inner_text("#inbound-accounts tbody tr")
    cells = p.locator("#inbound-accounts tbody td").all_inner_texts()
    assert cells == ["mox", "fbl@localhost", "0", "2", "1", "1"], (cells, counts)
    assert p.locator("#inbound-accounts .badge.status-unparsed").count() == 1
    imap = p.locator("#imap-list tbody td").all_inner_texts()
    assert imap[0] == "mox"
    assert imap[1] == f"Reports on 127.0.0.1:{IMAP_PORT}"
    assert imap[2] != "not yet"  # a time
    assert f"127.0.0.1:{IMAP_PORT} Reports:" in imap[3] and "refused" in imap[3].lower()
    assert imap[4] == "0"
    assert p.locator("#nav a[href='#inbound']").is_visible()
    p.locator("#inbound").scroll_into_view_if_needed()
    tab.screenshot("admin-inbound.png")
    tab.check_clean()


def test_admin_mailbox_fits_a_phone(browser: Browser, live: LiveMoxhooks) -> None:
    mailbox(live)
    live.wait_for(lambda: bool(imap_error(live)), "the first IMAP look")
    with open_tab(
        browser,
        live,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    ) as t:
        p = t.page
        admin_sign_in(p)
        p.wait_for_selector("#imap-list")
        assert scroll_width(p) <= 390, f"the admin page is {scroll_width(p)}px wide"
        assert p.get_attribute("#imap-list td.detail", "data-label") == "Mailbox"
        assert split_cells(p) == []
        p.locator("#inbound").screenshot(path=str(ARTIFACTS / "admin-inbound-phone.png"))
        t.check_clean()


def test_admin_says_how_to_configure_the_mailbox(browser: Browser, tmp_path: Path) -> None:
    plain = LiveMoxhooks(tmp_path)
    try:
        with open_tab(browser, plain, viewport={"width": 1280, "height": 900}) as t:
            p = t.page
            admin_sign_in(p)
            p.wait_for_selector("#inbound-none")
            text = p.inner_text("#inbound-none")
            assert "No bounce mailbox is configured" in text
            assert "accounts[].inbound_addresses" in text and "[[imap]]" in text
            assert p.locator("#inbound-accounts, #imap-list").count() == 0
            t.screenshot("admin-inbound-none.png")
            t.check_clean()
    finally:
        plain.close()


def test_ending_a_complaint_entry_needs_a_reason(tab: Tab, live: LiveMoxhooks) -> None:
    ids = mailbox(live)
    p = tab.page
    p.goto("/")
    tab.sign_in()
    p.goto(f"/#entry/{ids['entry']}")
    p.wait_for_selector("#entry-remove:not([hidden])")
    p.click("#entry-remove")
    assert p.locator("#remove-complaint").is_visible()
    assert p.inner_text("#remove-reason-hint") == "(required, kept in the history)"
    # Without a reason the dialog does not close and nothing is sent.
    p.click("#remove-confirm")
    assert p.locator("#remove-dialog").is_visible()
    assert p.evaluate("document.getElementById('remove-reason').validity.valueMissing")
    tab.screenshot("account-remove-complaint.png")
    p.fill("#remove-reason", "asked by phone to be mailed again")
    p.click("#remove-confirm")
    p.wait_for_selector("#list-summary:text('The list is empty.')")

    async def ended() -> list[tuple[str, str]]:
        rows = await live.runtime.store.db.fetchall(
            "SELECT action, detail FROM audit WHERE suppression_id = ? ORDER BY id", (ids["entry"],)
        )
        return [(r[0], r[1]) for r in rows]

    audit = live.run(ended())
    assert audit[-1][0] == "complaint_ended"
    assert "asked by phone to be mailed again" in audit[-1][1]
