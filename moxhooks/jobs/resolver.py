"""Finding the recipient of an event: mox's webhook payload does not carry it.

In order: moxhooks' own record of QueueMsgID -> address (its sends, earlier
lookups), mox's admin API (RetiredList, then QueueList, batched by IDs), and
last a configurable key in the event's Extra. QueueMsgIDs are unique only per mox
server: an event's recipient is looked up under its server's key (StoredEvent.mox) and
asked of that server's admin API.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass

from moxhooks.mail.address import AddressError, parse_address
from moxhooks.mox.client import AdminAPI, MoxError, recipient_address
from moxhooks.mox.payload import Outgoing
from moxhooks.store import EventStore, StoredEvent

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resolved:
    """A recipient and where it was found."""

    address: str
    source: str  # "moxhooks", "mox" or "extra"


class RecipientResolver:
    """Resolves recipients of events, in batches."""

    def __init__(
        self,
        events: EventStore,
        admin: AdminAPI | None,
        extra_key: str,
        admins: Mapping[str, AdminAPI | None] | None = None,
    ) -> None:
        """admin: the first mox server's admin API; admins: every server's, by its key
        (Config.mox_key), when there are several."""
        self.events = events
        self.admin = admin
        self.admins: Mapping[str, AdminAPI | None] = admins if admins is not None else {"": admin}
        self.extra_key = extra_key
        # The last error talking to mox's admin API, for health reports.
        self.last_error = ""

    async def resolve(self, batch: list[tuple[StoredEvent, Outgoing]]) -> dict[int, Resolved]:
        """Recipients for as many events of the batch as can be found, by event id."""
        found: dict[int, Resolved] = {}
        by_mox: dict[str, list[tuple[StoredEvent, Outgoing]]] = {}
        for ev, out in batch:
            by_mox.setdefault(ev.mox, []).append((ev, out))
        missing: list[tuple[StoredEvent, Outgoing]] = []
        for mox, part in by_mox.items():
            missing += await self._resolve_known(mox, part, found)
        for ev, out in missing:
            value = out.extra.get(self.extra_key, "") if out.extra else ""
            if value:
                try:
                    found[ev.id] = Resolved(str(parse_address(value)), "extra")
                except AddressError:
                    log.warning(
                        "bad recipient in Extra account=%s queue_msg_id=%d key=%s",
                        ev.account,
                        out.queue_msg_id,
                        self.extra_key,
                    )
        return found

    async def _resolve_known(
        self, mox: str, part: list[tuple[StoredEvent, Outgoing]], found: dict[int, Resolved]
    ) -> list[tuple[StoredEvent, Outgoing]]:
        """Recipients of one mox server's events from moxhooks' record, then from that
        server's admin API, into found; the events still without one."""
        known = await self.events.recipients_for(
            [(ev.account, out.queue_msg_id) for ev, out in part], mox
        )
        missing: list[tuple[StoredEvent, Outgoing]] = []
        for ev, out in part:
            addr = known.get((ev.account, out.queue_msg_id))
            if addr is not None:
                found[ev.id] = Resolved(addr, "moxhooks")
            else:
                missing.append((ev, out))
        admin = self.admins.get(mox)
        if missing and admin is not None:
            from_mox = await self._from_mox(admin, mox, missing)
            found.update(from_mox)
            missing = [(ev, out) for ev, out in missing if ev.id not in from_mox]
        return missing

    async def _from_mox(
        self, admin: AdminAPI, mox: str, batch: list[tuple[StoredEvent, Outgoing]]
    ) -> dict[int, Resolved]:
        ids = sorted({out.queue_msg_id for _, out in batch if out.queue_msg_id > 0})
        if not ids:
            return {}
        # msg id -> (sender account, recipient)
        known: dict[int, tuple[str, str]] = {}
        try:
            for lister in (admin.retired_list, admin.queue_list):
                todo = [i for i in ids if i not in known]
                if not todo:
                    break
                for m in await lister(todo):
                    rcpt = recipient_address(m)
                    if rcpt:
                        known[int(m["ID"])] = (str(m.get("SenderAccount") or ""), rcpt)
            self.last_error = ""
        except MoxError as e:
            self.last_error = str(e)
            log.warning("resolving recipients through mox failed: %s", e)
        out: dict[int, Resolved] = {}
        remember: dict[str, list[tuple[int, str]]] = {}
        for ev, o in batch:
            hit = known.get(o.queue_msg_id)
            # A message of another account is not this account's to act on.
            if hit is None or hit[0] != ev.account:
                continue
            out[ev.id] = Resolved(hit[1], "mox")
            remember.setdefault(ev.account, []).append((o.queue_msg_id, hit[1]))
        for account, pairs in remember.items():
            await self.events.remember_recipients(account, pairs, "mox", mox)
        return out
