"""Reading the bounce and complaint mailbox over IMAP, instead of mox's incoming webhook.

Every `interval` seconds each configured mailbox ([[imap]] in the configuration) is
searched for messages not yet seen; each is fetched without marking it (BODY.PEEK[]),
kept in the inbound table, and only then flagged \\Seen, so a crash between the two
fetches it again and the table's (account, source, external_id) key keeps one copy.
The external ID is "<UIDVALIDITY>:<UID>", unique per mailbox for as long as the
mailbox keeps its UIDVALIDITY. imaplib is blocking: each pass runs in a thread.
"""

from __future__ import annotations

import asyncio
import imaplib
import logging
import ssl
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import compat32

from moxhooks.config import ImapConfig
from moxhooks.store import Store

log = logging.getLogger(__name__)

# Messages fetched per pass and mailbox: a backlog is worked off over several passes.
BATCH = 100
MAX_MESSAGE = 4 * 1024 * 1024


@dataclass
class ImapState:
    """How the last pass over one mailbox went, for the admin page and /healthz."""

    last_pass: str = ""
    last_error: str = ""
    kept: int = 0  # messages kept since the start


@dataclass(frozen=True)
class Fetched:
    uid: str
    raw: bytes


def _connect(cfg: ImapConfig, timeout: float) -> imaplib.IMAP4:
    if cfg.security == "tls":
        ctx = ssl.create_default_context()
        return imaplib.IMAP4_SSL(cfg.host, cfg.port, ssl_context=ctx, timeout=timeout)
    conn = imaplib.IMAP4(cfg.host, cfg.port, timeout=timeout)
    if cfg.security == "starttls":
        conn.starttls(ssl.create_default_context())
    return conn


def fetch_unseen(cfg: ImapConfig, timeout: float = 30.0) -> tuple[str, list[Fetched]]:
    """(UIDVALIDITY, the unseen messages) of the mailbox; blocking, raises imaplib errors."""
    conn = _connect(cfg, timeout)
    try:
        conn.login(cfg.username, cfg.password)
        typ, data = conn.select(_quote(cfg.mailbox))
        if typ != "OK":
            raise imaplib.IMAP4.error(f"selecting {cfg.mailbox!r}: {data!r}")
        code = conn.response("UIDVALIDITY")[1]
        validity = (code[0] or b"").decode() if code and code[0] else ""
        typ, data = conn.uid("SEARCH", "UNSEEN")
        found = (data[0] or b"").split()[:BATCH] if typ == "OK" and data else []
        uids = [u.decode() for u in found]
        out: list[Fetched] = []
        for uid in uids:
            typ, parts = conn.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = b"".join(p[1] for p in parts if isinstance(p, tuple) and len(p) > 1)
            if typ == "OK" and raw:
                out.append(Fetched(uid, raw[:MAX_MESSAGE]))
        return validity, out
    finally:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def mark_seen(cfg: ImapConfig, uids: list[str], timeout: float = 30.0) -> None:
    """Flag the messages \\Seen once they are kept; blocking."""
    if not uids:
        return
    conn = _connect(cfg, timeout)
    try:
        conn.login(cfg.username, cfg.password)
        conn.select(_quote(cfg.mailbox))
        conn.uid("STORE", ",".join(uids), "+FLAGS.SILENT", "(\\Seen)")
    finally:
        try:
            conn.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


def _headers(raw: bytes) -> tuple[str, str, str]:
    """Subject, Message-ID and From of a message, for listings; "" where absent or odd."""
    head = raw[:65536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    try:
        h = BytesHeaderParser(policy=compat32).parsebytes(head)
        subject, message_id, sender = (str(h.get(k, ""))[:500] for k in ("Subject", "Message-ID", "From"))
    except Exception:  # an odd header must not stop the mailbox from being read
        return "", "", ""
    return subject, message_id, sender


def _quote(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapReader:
    """Polls every configured mailbox; run() loops until cancelled."""

    def __init__(
        self,
        sources: tuple[ImapConfig, ...],
        store: Store,
        on_kept: Callable[[], None],
        on_state: Callable[[int, ImapState], None] = lambda i, state: None,
    ) -> None:
        self.sources = sources
        self.store = store
        self.on_kept = on_kept
        # Told how each pass went (the worker reports it to the web process).
        self.on_state = on_state
        self.state: dict[int, ImapState] = {i: ImapState() for i in range(len(sources))}

    async def run(self) -> None:
        if not self.sources:
            return
        while True:
            for i, cfg in enumerate(self.sources):
                await self.poll(i, cfg)
            await asyncio.sleep(min(c.interval for c in self.sources))

    async def poll(self, i: int, cfg: ImapConfig) -> int:
        """One pass over one mailbox; returns how many new messages were kept."""
        st = self.state.setdefault(i, ImapState())
        st.last_pass = self.store.now()
        try:
            return await self._poll(cfg, st)
        finally:
            self.on_state(i, st)

    async def _poll(self, cfg: ImapConfig, st: ImapState) -> int:
        try:
            validity, msgs = await asyncio.to_thread(fetch_unseen, cfg)
            kept, done = 0, []
            for m in msgs:
                subject, message_id, mail_from = _headers(m.raw)
                if await self.store.inbound.add(
                    cfg.account,
                    "imap",
                    f"{validity}:{m.uid}",
                    rcpt_to=cfg.username,
                    mail_from=mail_from,
                    subject=subject,
                    message_id=message_id,
                    raw=m.raw,
                ):
                    kept += 1
                done.append(m.uid)
            await asyncio.to_thread(mark_seen, cfg, done)
        except (imaplib.IMAP4.error, OSError, EOFError) as e:
            st.last_error = f"{cfg.host}:{cfg.port} {cfg.mailbox}: {e}"
            log.warning("imap account=%s: %s", cfg.account, st.last_error)
            return 0
        st.last_error = ""
        st.kept += kept
        if kept:
            log.info("imap account=%s mailbox=%s: kept %d messages", cfg.account, cfg.mailbox, kept)
            self.on_kept()
        return kept
