"""Posts webhooks the way mox's queue does (queue/hook.go HookPost, hookDeliver).

    async with MoxSender(url, authorization="Bearer s3cret") as sender:
        attempts = await sender.deliver(outgoing_event("failed", queue_msg_id=5))
        attempts[-1].status == 200

Headers exactly as mox sets them; the body is Go's json.Marshal output (compact,
with <, > and & escaped). One request at a time per sender, like mox per URL.
Non-200 answers and errors are retried with mox's backoff (1m, 2m, 4m, 7.5m, 15m,
30m, 1h, 2h, 4h, 8h, 16h) multiplied by delay_scale, with the same webhook ID and
increasing X-Mox-Webhook-Attempt, up to 12 attempts.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Self

import aiohttp

MOX_VERSION = "v0.0.17"
# queue/hook.go hookIntervals, in seconds.
HOOK_INTERVALS = (60, 120, 240, 450, 900, 1800, 3600, 7200, 14400, 28800, 57600)
EVENTS = (
    "delivered",
    "suppressed",
    "delayed",
    "failed",
    "relayed",
    "expanded",
    "canceled",
    "unrecognized",
)


@dataclass(frozen=True)
class Attempt:
    """One webhook POST: the answer's status (None if no answer) and up to 512 bytes of it."""

    attempt: int
    status: int | None
    response: str
    error: str

    @property
    def ok(self) -> bool:
        return self.status == 200


def rfc3339nano(dt: datetime) -> str:
    """Go's time.RFC3339Nano in UTC: fraction without trailing zeros."""
    dt = dt.astimezone(UTC)
    frac = f"{dt.microsecond:06d}000".rstrip("0")
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + ("." + frac if frac else "") + "Z"


def go_marshal(obj: Any) -> str:
    """Go's json.Marshal: compact, UTF-8, HTML characters escaped."""
    s = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    s = s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return s.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def outgoing_event(
    event: str = "failed",
    *,
    queue_msg_id: int = 1,
    code: int | None = None,
    secode: str | None = None,
    error: str | None = None,
    suppressing: bool = False,
    dsn: bool = False,
    extra: Mapping[str, str] | None = None,
    from_id: str = "",
    message_id: str = "<tJTDlvgzNfsD9UntJOEtEQ@localhost>",
    subject: str = "test message",
    webhook_queued: datetime | None = None,
) -> dict[str, Any]:
    """A webhook.Outgoing payload as mox builds it, every field present.

    code/secode default by event: failed 550/"5.1.1", delayed 451/"4.0.0", else 0/"".
    error defaults to mox's wording for the code (for suppressed, mox's refusal of a listed
    address); DSN events carry no Error, and
    their Extra stays null when the message had none (queue events send {}).
    """
    if code is None:
        code = {"failed": 550, "delayed": 451}.get(event, 0)
    if secode is None:
        secode = {550: "5.1.1", 451: "4.0.0"}.get(code, f"{code // 100}.0.0" if code else "")
    if error is None:
        error = ""
        if event == "suppressed" and not dsn:
            # As real mox writes it (tests/bounces26/mta-configs/captured/): the only field
            # that names the recipient.
            error = "not delivering to recipient address jdoe@example.org: address is on suppression list, permanent"
        elif code and not dsn:
            kind = "permanent" if code >= 500 else "transient"
            error = (
                "delivering message to 127.0.0.1:1025: remote smtp server sent unexpected "
                f"response status code: got {code}, expected 2xx, {kind}: {code} {secode} "
                f"failure with code {code} due to special localpart"
            )
    payload_extra: dict[str, str] | None = dict(extra) if extra is not None else None
    if payload_extra is None and not dsn:
        payload_extra = {}
    return {
        "Version": 0,
        "Event": event,
        "DSN": dsn,
        "Suppressing": suppressing,
        "QueueMsgID": queue_msg_id,
        "FromID": from_id,
        "MessageID": message_id,
        "Subject": subject,
        "WebhookQueued": rfc3339nano(webhook_queued or datetime.now(UTC)),
        "SMTPCode": code,
        "SMTPEnhancedCode": secode,
        "Error": error,
        "Extra": payload_extra,
    }


class MoxSender:
    """Delivers webhooks to one URL like mox: one at a time, retried with backoff."""

    _ids = itertools.count(1)

    def __init__(
        self,
        url: str,
        *,
        authorization: str = "",
        delay_scale: float = 0.0001,
        max_attempts: int = len(HOOK_INTERVALS) + 1,
        timeout: float = 60.0,
        version: str = MOX_VERSION,
    ) -> None:
        self.url = url
        self.authorization = authorization
        self.delay_scale = delay_scale
        self.max_attempts = max_attempts
        self.timeout = timeout
        self.version = version
        self._session: aiohttp.ClientSession | None = None
        self._busy: asyncio.Lock | None = None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def headers(self, hook_id: int, attempt: int) -> dict[str, str]:
        """The request headers mox sends."""
        h = {
            "User-Agent": f"mox/{self.version} (webhook)",
            "Content-Type": "application/json; charset=utf-8",
            "X-Mox-Webhook-ID": str(hook_id),
            "X-Mox-Webhook-Attempt": str(attempt),
        }
        if self.authorization:
            h["Authorization"] = self.authorization
        return h

    async def post(
        self, payload: Mapping[str, Any] | str, *, hook_id: int, attempt: int
    ) -> Attempt:
        """One POST, no retry; waits while another POST of this sender is in flight."""
        body = payload if isinstance(payload, str) else go_marshal(payload)
        if self._session is None:
            self._session = aiohttp.ClientSession(
                skip_auto_headers=("User-Agent",),
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            )
        if self._busy is None:
            self._busy = asyncio.Lock()
        async with self._busy:
            try:
                async with self._session.post(
                    self.url, data=body.encode(), headers=self.headers(hook_id, attempt)
                ) as resp:
                    text = (await resp.content.read(512)).decode("utf-8", "replace")
                    return Attempt(attempt, resp.status, text, "")
            except (aiohttp.ClientError, TimeoutError, OSError) as e:
                return Attempt(attempt, None, "", f"http transact: {type(e).__name__}: {e}")

    async def deliver(
        self, payload: Mapping[str, Any] | str, *, hook_id: int | None = None
    ) -> list[Attempt]:
        """POST until a 200 or max_attempts; returns every attempt made."""
        if hook_id is None:
            hook_id = next(self._ids)
        attempts: list[Attempt] = []
        for n in range(1, self.max_attempts + 1):
            a = await self.post(payload, hook_id=hook_id, attempt=n)
            attempts.append(a)
            if a.ok or n == self.max_attempts:
                break
            interval = HOOK_INTERVALS[min(n - 1, len(HOOK_INTERVALS) - 1)]
            await asyncio.sleep(interval * self.delay_scale)
        return attempts
