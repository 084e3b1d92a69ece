"""The real-mox drain benchmark: how long the real mox takes to deliver N queued outgoing
webhooks to a webhook server (moxhooks, or the bare aiohttp handler as the ceiling).

bench/run.py calls it (`python bench/run.py --only drain`) with servers it started
itself::

    with RealMoxForDrain(mox_bin, workdir) as mox:        # one mox for everything
        ... start the servers, the moxhooks one with --mox-url mox.url ...
        rows = measure(mox, [("ceiling", bare_url, count_bare(bare_url)),
                             ("moxhooks", mh_url, count_moxhooks(mh_url))], n=1000)

How mox delivers webhooks (mox v0.0.17, commit 1c95876; references are to that tree):

* A webhook is queued (a `Hook` row) when mox retires a message from its delivery
  queue: `retireMsgs` (queue/queue.go:1274) composes one hook per retired message
  (queue/hook.go:579, `NextAttempt: now` at hook.go:624) and inserts them all in the
  database transaction that retires the messages, then kicks the hook queue.
* The hook queue (`startHookQueue`, queue/hook.go:1044) sends at most ONE request at a
  time to a given URL: `hookLaunchWork` (hook.go:1093-1125) skips every hook whose URL
  is in `busyHookURLs` and takes at most one hook per URL; the next hook for that URL
  is launched only when the previous POST's result comes back on
  `hookDeliveryResults` (hook.go:1059). Across different URLs it runs up to
  `maxConcurrentHookDeliveries = 10` (queue/queue.go:1108), but an account has one
  webhook URL. There is no sleep and no rate setting: once hooks are queued, mox posts
  them back to back, each after the receiver has answered the previous one and mox has
  written a database transaction before the POST (hook.go:1170) and one after it
  (hook.go:1205, moving it to the retired hooks). So the drain time is the receiver's
  latency at concurrency 1 plus mox's own per-hook cost (on this machine mostly its
  fsyncs); each row says how much of it was the receiver (`receiver_share`, from mox's
  own measurement of each POST, HookResult.Duration, hook.go:1179).

Why an earlier attempt saw about 1 webhook a second to either server: it had mox
DELIVER one message per webhook, so webhooks were queued only as fast as mox delivered
messages, and that is slow in localserve. mox's delivery queue, like the hook queue,
runs one SMTP transaction at a time per recipient domain (`busyDomains`,
queue/queue.go:1215-1247); localserve delivers to its own SMTP server
(queue/localserve.go:25), which checks the connecting IP's reverse DNS: here 127.0.0.1
reverse-resolves to a name whose forward lookup times out after 5 s at the sandbox's
nameserver (mox.log: "dns iprev check; addr=127.0.0.1; status=fail; delta=5.003s"),
every five or six messages. Many recipients in one SMTP transaction do not fix it
either: the receiving side analyses every recipient's copy with queries over the
account's recent messages (smtpserver/analyze.go:114-177; measured here: 50 ms a
recipient while the account went from 0 to 200 messages, 130 ms from 200 to 400), so a
few hundred recipients run into the sending side's 30 s read timeout after DATA
(smtpclient/client.go:497; they turn into "delayed" webhooks), and it refuses more
than 500 messages a minute from one IP (smtpserver/server.go:77, analyze.go:168).
None of that is about webhooks: mox does not pace them.

So no mail is delivered here. The bench's messages are HELD by a queue hold rule (for
their recipient domain, drain.example; queue/queue.go:691-693 marks matching new
messages Hold, and held messages are never picked for delivery, queue.go:1218). Each
round queues ONE message (webapi Send) to N recipients, i.e. N held queue messages,
then drops them with the admin API's QueueDrop, the queue's "remove" operation
(`failDrop`, queue.go:880-931): it retires all N in one database transaction (one
`retireMsgs` call, queue.go:916), which queues N `canceled` webhooks at once. Those
are the "N queued webhooks". Both receivers get the same N and the same event (the
payload of a `delivered` one but for Event and Error "delivery canceled by admin");
for moxhooks `canceled`, like `delivered`, is not a failure (moxhooks/jobs/policy.py
NON_FAILURE_EVENTS). The clock starts when mox queued them (the earliest hook's
`Submitted`) and stops when the receiver had answered the N-th POST (the end of the
last POST as mox recorded it in the retired hook). The receiver's own count (GET
/count for the bare handler; for moxhooks its /metrics counter
moxhooks_webhooks_received_total, summed over status="200") must have gone up by N;
when the polling of that count saw N is reported too (`count_seconds`), as a
coarse cross-check. The count is polled once a second (POLL_EVERY): it is not the
measurement, and asking more often loads the receiver being measured (moxhooks' /metrics
reads the database; the bare handler's /count reads a variable).

mox settings changed for the run, through its admin API: the hold rule, and the
account's MaxOutgoingMessagesPerDay / MaxFirstTimeRecipientsPerDay (defaults 1000 and
200, store/account.go:3590) so that the webapi accepts several rounds of N recipients.
The timing needs the retired hooks: localserve keeps them (KeepRetiredWebhookPeriod
72h); a mox that does not gets it set to a day. Everything is on loopback addresses.

Rounds alternate between the targets (a, b, a, b, ...) on the same mox, after one
unmeasured warm-up round per target; each target's figure is its median round.
"""

from __future__ import annotations

import json
import re
import statistics
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

# tests/realmox.py (after bench/ and the rest, so it shadows nothing run.py imports).
sys.path.append(str(Path(__file__).resolve().parent.parent / "tests"))

from realmox import ACCOUNT, RealMox, Sherpa, account, admin  # type: ignore[import-not-found]

from moxhooks.mox.client import QUEUE_FILTER

AUTH = "Bearer bench-secret"
# The recipients' domain; the hold rule holds every message to it.
HOLD_DOMAIN = "drain.example"
DAY_NS = 24 * 3600 * 10**9

Target = tuple[str, str, Callable[[], int]]


# ---- receiver-side counts ------------------------------------------------------------------


def _get(url: str, timeout: float = 10.0) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return str(resp.read().decode())


def _base(webhook_url: str) -> str:
    u = urllib.parse.urlsplit(webhook_url)
    return f"{u.scheme}://{u.netloc}"


def count_bare(webhook_url: str) -> Callable[[], int]:
    """The bare handler's count of POSTs answered (bench/server_proc.py, GET /count)."""
    url = _base(webhook_url) + "/count"
    return lambda: int(json.loads(_get(url))["count"])


_SAMPLE = re.compile(r"^moxhooks_webhooks_received_total\{([^}]*)\}\s+(\S+)$", re.M)


def count_moxhooks(webhook_url: str) -> Callable[[], int]:
    """moxhooks' count of webhooks answered 200: its /metrics counter
    moxhooks_webhooks_received_total, summed over the samples with status="200"."""
    url = _base(webhook_url) + "/metrics"

    def count() -> int:
        total = 0.0
        for labels, value in _SAMPLE.findall(_get(url)):
            if 'status="200"' in labels.split(","):
                total += float(value)
        return int(total)

    return count


# ---- the mox -------------------------------------------------------------------------------


def _go_time(s: str) -> float:
    """A Go time.Time in JSON (RFC 3339, up to nanoseconds) as Unix seconds."""
    m = re.fullmatch(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)", s)
    if not m:
        raise ValueError(f"not a Go time: {s!r}")
    zone = "+00:00" if m[3] == "Z" else m[3]
    whole = datetime.fromisoformat(m[1] + zone).timestamp()
    return whole + (int(m[2]) / 10 ** len(m[2]) if m[2] else 0.0)


def _queue_filter(ids: set[int], **fields: Any) -> dict[str, Any]:
    """mox's queue.Filter for these queue message IDs."""
    flt: dict[str, Any] = {**QUEUE_FILTER, "IDs": sorted(ids)}
    flt.update(fields)
    return flt


class RealMoxForDrain:
    """One `mox localserve` (tests/realmox.py's RealMox) set up for the drain rounds.

    Use as a context manager; `url` is mox's HTTP address (for moxhooks' --mox-url).
    """

    def __init__(self, mox_bin: str, workdir: Path) -> None:
        directory = workdir / f"drain-mox-{time.monotonic_ns()}"
        directory.mkdir(parents=True)
        self.mox = RealMox(mox_bin, directory)
        self._account: Sherpa | None = None
        self._admin: Sherpa | None = None

    @property
    def url(self) -> str:
        return str(self.mox.url)

    @property
    def log_path(self) -> Path:
        return Path(self.mox.log_path)

    def __enter__(self) -> RealMoxForDrain:
        self.mox.start()
        try:
            self._setup()
        except BaseException:
            self.mox.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.mox.stop()

    @property
    def account(self) -> Sherpa:
        assert self._account is not None
        return self._account

    @property
    def admin(self) -> Sherpa:
        assert self._admin is not None
        return self._admin

    def _setup(self) -> None:
        self._account = account(self.mox)
        self._admin = admin(self.mox)
        conf = self.admin.call("Account", ACCOUNT)[0]
        # Rounds of N recipients each: lift the per-day sending limits (a setting an
        # admin may change for an account; webadmin/admin.go AccountSettingsSave).
        self.admin.call(
            "AccountSettingsSave",
            ACCOUNT,
            10_000_000,
            10_000_000,
            int(conf.get("QuotaMessageSize") or 0),
            not conf.get("NoFirstTimeSenderDelay", False),
            bool(conf.get("NoCustomPassword", False)),
        )
        # The timing comes from the retired hooks: keep them (localserve does, 72h).
        if not conf.get("KeepRetiredWebhookPeriod"):
            self.account.call(
                "KeepRetiredPeriodsSave", int(conf.get("KeepRetiredMessagePeriod") or 0), DAY_NS
            )
        self.admin.call(
            "QueueHoldRuleAdd",
            {
                "ID": 0,
                "Account": "",
                "SenderDomainStr": "",
                "RecipientDomainStr": HOLD_DOMAIN,
                "SenderDomain": {"ASCII": "", "Unicode": ""},
                "RecipientDomain": {"ASCII": "", "Unicode": ""},
            },
        )

    def point_webhook(self, url: str) -> None:
        """The account's outgoing webhook: all events to url, with the bench secret."""
        self.account.call("OutgoingWebhookSave", url, AUTH, [])

    def queue_held(self, n: int, subject: str) -> set[int]:
        """One message to n recipients, held in mox's queue; their queue message IDs."""
        to = [{"Address": f"drain-{i}@{HOLD_DOMAIN}"} for i in range(n)]
        result = self.mox.webapi("Send", {"To": to, "Subject": subject, "Text": "drain\n"})
        ids = {int(s["QueueMsgID"]) for s in result["Submissions"]}
        sort = {"Field": "", "LastID": 0, "Last": None, "Asc": True}
        held = self.admin.call("QueueList", _queue_filter(ids, Hold=True), sort) or []
        if len(ids) != n or len(held) != n:
            raise RuntimeError(f"mox queued {len(ids)} messages, {len(held)} held, of {n}")
        return ids

    def drop(self, ids: set[int]) -> int:
        """Remove these messages from the queue: one transaction, N `canceled` hooks."""
        return int(self.admin.call("QueueDrop", _queue_filter(ids)))

    def retired_hooks(self, queue_ids: set[int]) -> list[dict[str, Any]]:
        """The retired outgoing hooks for these queue messages (among the newest)."""
        flt = {
            "Max": len(queue_ids) + 100,
            "IDs": None,
            "Account": ACCOUNT,
            "Submitted": "",
            "LastActivity": "",
            "Event": "",
        }
        sort = {"Field": "", "LastID": 0, "Last": None, "Asc": False}
        hooks = self.admin.call("HookRetiredList", flt, sort) or []
        return [h for h in hooks if int(h["QueueMsgID"]) in queue_ids]


# ---- one round and the measurement -------------------------------------------------------------

# Seconds between looks at the receiver's count during a round (see the module docstring).
POLL_EVERY = 1.0


def _round(
    mox: RealMoxForDrain, target: Target, n: int, label: str, timeout: float
) -> dict[str, Any]:
    name, url, received = target
    mox.point_webhook(url)
    ids = mox.queue_held(n, f"drain {label} {name}")
    before = received()
    dropped = mox.drop(ids)
    if dropped != n:
        raise RuntimeError(f"drain {label} {name}: mox dropped {dropped} of {n} messages")
    want = before + n
    deadline = time.monotonic() + timeout
    got = before
    while got < want:
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"drain {label} {name}: the receiver counted {got - before} of {n} webhooks"
                f" after {timeout:.0f} s (mox log: {mox.log_path})"
            )
        time.sleep(POLL_EVERY)
        got = received()
    counted_at = time.time()
    # A hook is retired just after its POST: wait until mox has all N recorded.
    hooks: list[dict[str, Any]] = []
    for _ in range(100):
        hooks = mox.retired_hooks(ids)
        if len(hooks) >= n:
            break
        time.sleep(0.1)
    if len(hooks) != n:
        raise RuntimeError(f"drain {label} {name}: mox retired {len(hooks)} of {n} hooks")
    failed = [h for h in hooks if not h["Success"] or h["Attempts"] != 1]
    if failed:
        r = failed[0]["Results"][-1]
        raise RuntimeError(
            f"drain {label} {name}: {len(failed)} webhooks failed or were retried,"
            f" e.g. {r.get('Code')} {r.get('Error')!r}"
        )
    queued = [_go_time(h["Submitted"]) for h in hooks]
    results = [h["Results"][-1] for h in hooks]
    ends = [_go_time(r["Start"]) + r["Duration"] / 1e9 for r in results]
    posts = [r["Duration"] / 1e9 for r in results]
    release = min(queued)
    seconds = max(ends) - release
    time.sleep(0.3)
    extra = received() - want  # more than N answered would mean duplicates
    return {
        "name": name,
        "n": n,
        "events": sorted({h["OutgoingEvent"] for h in hooks}),
        "seconds": seconds,
        "rate": n / seconds,
        "count_seconds": counted_at - release,
        "queued_spread_ms": (max(queued) - release) * 1000,
        "post_ms_p50": statistics.median(posts) * 1000,
        "post_ms_max": max(posts) * 1000,
        "receiver_share": sum(posts) / seconds,
        "received_extra": extra,
    }


def settle_moxhooks(
    base_url: str, quiet: float = 1.5, timeout: float = 300.0
) -> Callable[[], float]:
    """A settle function for measure(): waits until moxhooks at base_url has processed
    every webhook it received (/healthz: no event pending), then `quiet` seconds more
    (its checkpoint after a burst); returns the seconds until nothing was pending."""

    def pending() -> int:
        try:
            with urllib.request.urlopen(base_url + "/healthz", timeout=10) as resp:
                body = resp.read()
        except urllib.error.HTTPError as e:  # 503: unhealthy, the counts are there too
            body = e.read()
        events = json.loads(body)["checks"]["events"]
        return int(events["pending"])

    def settle() -> float:
        start = time.monotonic()
        while pending():
            if time.monotonic() - start > timeout:
                raise RuntimeError(f"moxhooks at {base_url} still has events pending")
            time.sleep(0.05)
        waited = time.monotonic() - start
        time.sleep(quiet)
        return waited

    return settle


def measure(
    mox: RealMoxForDrain,
    targets: Sequence[Target],
    n: int,
    rounds: int = 2,
    warmup: int = 20,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
    settle: Callable[[], float] | None = None,
) -> list[dict[str, Any]]:
    """Drain N queued webhooks into each target, alternating, `rounds` times each.

    targets: (name, webhook URL, function returning the receiver's count of webhooks
    answered). Returns one row per target, in order: its median round (by seconds),
    with `runs_s` (all rounds), `ratio` = its rate over the first target's, and
    `ratio_paired` = the median over rounds of the first target's time over its own.
    settle: called after every round, waits until the machine is quiet again (moxhooks
    has processed what it received) and returns the seconds that took, which the rows
    report as `settle_s` (the median over that target's rounds): every round starts on
    a quiet machine, and no round pays for the work another one left.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, not {n}")
    timeout = 60.0 + n * 0.1
    if warmup:
        for t in targets:
            _round(mox, t, min(warmup, n), "warm-up", timeout)
    runs: dict[str, list[dict[str, Any]]] = {t[0]: [] for t in targets}
    for i in range(rounds):
        for t in targets:
            r = _round(mox, t, n, f"round {i + 1}", timeout)
            r["settle_s"] = settle() if settle is not None else 0.0
            runs[t[0]].append(r)
            log(
                f"  drain {t[0]:10} n={n} {r['seconds']:7.3f} s {r['rate']:8.1f}/s"
                f"  POST p50 {r['post_ms_p50']:.2f} ms, receiver {r['receiver_share']:.0%}"
                f" of the time"
            )
    rows: list[dict[str, Any]] = []
    for name, _, _ in targets:
        ordered = sorted(runs[name], key=lambda r: r["seconds"])
        row = dict(ordered[len(ordered) // 2])
        row["runs_s"] = [round(r["seconds"], 3) for r in runs[name]]
        row["settle_s"] = statistics.median(r["settle_s"] for r in runs[name])
        rows.append(row)
    first = runs[targets[0][0]]
    for row, (name, _, _) in zip(rows, targets, strict=True):
        row["ratio"] = row["rate"] / rows[0]["rate"]
        # Round by round (each target's round i ran right after the first target's,
        # so it saw the same machine): the median of those ratios. The machine's speed
        # drifts over a run; this is the steadier figure of the two.
        paired = sorted(a["seconds"] / b["seconds"] for a, b in zip(first, runs[name], strict=True))
        row["ratio_paired"] = paired[len(paired) // 2]
    return rows
