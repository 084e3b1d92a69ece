"""Unsubscribe links, /u/<token>: RFC 8058 one-click, and the recipient's preference page.

- POST /u/{token} with the form body List-Unsubscribe=One-Click (what a mailbox provider
  sends, RFC 8058) unsubscribes at once: an entry of kind `unsubscribed`, source
  `unsubscribe`, scope the link's topic ("" = the whole account, pushed to mox).
- GET /u/{token} never changes anything: it serves the preference page, which shows the
  address masked and the link's topic and asks to confirm. A mail scanner fetching every
  link, or someone the message was forwarded to, unsubscribes nobody by looking.
- GET and POST /u/{token}/prefs: the page's JSON API. The token in the URL is the only
  credential (no account, no session); against a cross-site form (which can send neither),
  it needs the header X-Requested-With and, to POST, a JSON body.

Every refused token gets one answer: 404, code `badToken` (a page for GET /u/{token}).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web

from moxhooks import models
from moxhooks.config import AccountConfig
from moxhooks.errors import ApiError, ErrorCode
from moxhooks.jobs.unsubscribe import BAD_TOKEN, BadToken, mask_address, verify_token
from moxhooks.kinds import Kind, Source
from moxhooks.mail.address import AddressError, base_address, parse_address
from moxhooks.runtime.web import WebRuntime
from moxhooks.store import NewEntry, Suppression, iso
from moxhooks.store.unsubscribe import Link, is_own, is_pause
from moxhooks.web.bodies import answer, read_body
from moxhooks.web.keys import RUNTIME_KEY
from moxhooks.web.pages import ASSETS_KEY, CSP

PAGE = "unsubscribe.html"
# The header the page's script sends and a cross-site form cannot.
CSRF_HEADER = "X-Requested-With"
ONE_CLICK = "One-Click"
# How long a recipient may pause a topic: id -> (days, words).
PAUSE_PERIODS: dict[str, tuple[int, str]] = {
    "1w": (7, "1 week"),
    "1m": (30, "1 month"),
    "3m": (90, "3 months"),
}
# The token is in the URL: no referrer to other sites, no caching, no indexing, no framing.
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
    "X-Content-Type-Options": "nosniff",
}
PAGE_HEADERS = {**HEADERS, "Content-Security-Policy": CSP, "X-Frame-Options": "DENY"}

# The page for a link that is refused; no script, nothing from the request in it.
BAD_TOKEN_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Link not valid · Email preferences</title>
<link rel="stylesheet" href="../static/app.css">
</head>
<body>
<main id="main" class="unsubscribe">
<section class="card narrow">
<h1>This link is not valid</h1>
<p id="bad-token">{BAD_TOKEN[0].upper() + BAD_TOKEN[1:]}.</p>
<p>Nothing was changed.</p>
</section>
</main>
</body>
</html>
"""


def setup_unsubscribe(app: web.Application) -> None:
    """Set up the headers of /u/{token}'s answers (the routes are in routes.ROUTES)."""
    app.on_response_prepare.append(_headers)


async def _headers(request: web.Request, response: web.StreamResponse) -> None:
    if request.path.startswith("/u/"):
        for k, v in HEADERS.items():
            response.headers.setdefault(k, v)


async def _link(request: web.Request) -> Link:
    """The link the URL's token stands for; 404 badToken if it is refused."""
    rt = request.app[RUNTIME_KEY]
    try:
        return await verify_token(
            rt.store.unsubscribe,
            request.match_info["token"],
            rt.config.unsubscribe.old_key_days,
        )
    except BadToken as e:
        raise ApiError(ErrorCode.BAD_TOKEN, str(e)) from None


def _recipient(link: Link) -> tuple[str, str]:
    """(original address, base address) of the link's recipient."""
    try:
        addr = parse_address(link.recipient)
    except AddressError:  # recorded parsed, so only a changed parser gets here
        raise ApiError(ErrorCode.BAD_TOKEN, BAD_TOKEN) from None
    return str(addr), base_address(addr)


# ---- The page and one-click ---------------------------------------------------------------


async def page(request: web.Request) -> web.StreamResponse:
    """GET /u/{token}: the preference page; changes nothing. A refused token: a 404 page."""
    try:
        await _link(request)
    except ApiError:
        return web.Response(
            status=404,
            text=BAD_TOKEN_PAGE,
            content_type="text/html",
            charset="utf-8",
            headers=PAGE_HEADERS,
        )
    asset = request.app[ASSETS_KEY][PAGE]
    return web.Response(
        body=asset.body, headers={**PAGE_HEADERS, "Content-Type": asset.content_type}
    )


async def one_click(request: web.Request) -> web.StreamResponse:
    """POST /u/{token} with List-Unsubscribe=One-Click (RFC 8058): unsubscribe now."""
    link = await _link(request)
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        raise ApiError(
            ErrorCode.BAD_REQUEST, "the body must be the form List-Unsubscribe=One-Click (RFC 8058)"
        )
    try:
        form = await request.post()
    except (ValueError, LookupError):  # multipart without its boundary, bytes not in the charset
        form = None
    if form is None or form.get("List-Unsubscribe") != ONE_CLICK:
        raise ApiError(
            ErrorCode.BAD_REQUEST, "the body must be the form List-Unsubscribe=One-Click (RFC 8058)"
        )
    rt = request.app[RUNTIME_KEY]
    reason = f"one-click unsubscribe (RFC 8058) with the link of message {link.message}"
    await _unsubscribe(rt, link, link.topic, None, reason, "unsubscribe:one-click")
    return web.Response(text="unsubscribed", content_type="text/plain", charset="utf-8")


# ---- The page's JSON API ------------------------------------------------------------------


def _check_csrf(request: web.Request) -> None:
    if not request.headers.get(CSRF_HEADER, "").strip():
        raise ApiError(
            ErrorCode.NOT_PAGE,
            f"send the header {CSRF_HEADER} (the preference page does; a form of another"
            " site cannot)",
        )


async def get_prefs(request: web.Request) -> web.StreamResponse:
    """GET /u/{token}/prefs: the masked address, the link's topic, each topic's state."""
    _check_csrf(request)
    link = await _link(request)
    return answer(await _prefs(request.app[RUNTIME_KEY], link))


async def set_prefs(request: web.Request) -> web.StreamResponse:
    """POST /u/{token}/prefs {"action", "scope", "period"?}: unsubscribe, pause or
    resubscribe the link's recipient for a topic ("" for everything); the new state."""
    _check_csrf(request)
    link = await _link(request)
    body = await read_body(request, models.PrefsRequest)
    action = body.action
    rt = request.app[RUNTIME_KEY]
    scope = body.scope
    if scope not in _scopes(rt, link):
        raise ApiError(ErrorCode.UNKNOWN_TOPIC, f"{scope!r} is not a topic of this sender")
    where = f"topic {scope}" if scope else "everything"
    actor = "unsubscribe:page"
    if action == "unsubscribe":
        reason = (
            f"unsubscribed from {where} on the preference page (link of message {link.message})"
        )
        await _unsubscribe(rt, link, scope, None, reason, actor)
    elif action == "pause":
        period = body.period
        if period not in PAUSE_PERIODS:
            raise ApiError(ErrorCode.BAD_REQUEST, "period must be 1w, 1m or 3m")
        days, words = PAUSE_PERIODS[period]
        until = rt.store.clock() + timedelta(days=days)
        reason = (
            f"paused until {until:%Y-%m-%d %H:%M} UTC ({words}) on the preference page"
            f" (link of message {link.message})"
        )
        await _unsubscribe(rt, link, scope, until, reason, actor)
    else:
        _, base = _recipient(link)
        ended = await rt.store.unsubscribe.resubscribe(
            link.account, base, scope, actor, f"resubscribed to {where} on the preference page"
        )
        if ended is not None and scope == "":
            rt.wake_sync()
    return answer(await _prefs(rt, link))


def _account(rt: WebRuntime, link: Link) -> AccountConfig | None:
    return rt.config.account(link.account)


def _scopes(rt: WebRuntime, link: Link) -> set[str]:
    """What the page may change: everything (""), the account's topics, the link's topic."""
    acct = _account(rt, link)
    return {"", link.topic, *(t.name for t in (acct.topics if acct else ()))}


async def _unsubscribe(
    rt: WebRuntime, link: Link, scope: str, until: datetime | None, reason: str, actor: str
) -> Suppression:
    original, base = _recipient(link)
    entry, _ = await rt.store.unsubscribe.unsubscribe(
        NewEntry(
            account=link.account,
            original_address=original,
            base_address=base,
            kind=Kind.UNSUBSCRIBED,
            source=Source.UNSUBSCRIBE,
            reason=reason,
            created_by=actor,
            scope=scope,
            expires=until,
        )
    )
    if scope == "":
        rt.wake_sync()
    return entry


def _state(entry: Suppression | None) -> models.ScopeState:
    """A scope's state as the page shows it."""
    if entry is None:
        return models.ScopeState(state="subscribed", until=None)
    if is_own(entry):
        return models.ScopeState(
            state="paused" if is_pause(entry) else "unsubscribed", until=entry.expires
        )
    # Stopped for another reason (a bounce, a complaint, the sender's own entry): the
    # recipient cannot change it here, and needs no more detail than that.
    return models.ScopeState(state="blocked", until=entry.expires)


async def _prefs(rt: WebRuntime, link: Link) -> models.Prefs:
    _, base = _recipient(link)
    entries = {e.scope: e for e in await rt.store.unsubscribe.entries(link.account, base)}
    acct = _account(rt, link)
    topics = list(acct.topics) if acct else []
    names = [t.name for t in topics]
    described = {t.name: t.description for t in topics}
    if link.topic and link.topic not in names:
        names.append(link.topic)  # a topic no longer configured still shows, for its link
    topic_states = []
    for n in names:
        st = _state(entries.get(n))
        topic_states.append(
            models.TopicState(
                name=n, description=described.get(n, ""), state=st.state, until=st.until
            )
        )
    return models.Prefs(
        address=mask_address(link.recipient),
        topic=(
            models.Topic(name=link.topic, description=described.get(link.topic, ""))
            if link.topic
            else None
        ),
        everything=_state(entries.get("")),
        topics=topic_states,
        periods=[models.Period(id=k, days=d, label=w) for k, (d, w) in PAUSE_PERIODS.items()],
        now=iso(rt.store.clock()),
    )
