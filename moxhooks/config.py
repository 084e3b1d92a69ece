"""Configuration: one tree of frozen msgspec Structs (typed models, like the API's),
loaded once from TOML.

Every key has a default that works against `mox localserve`, so moxhooks runs
without a configuration file. A wrong key or value raises ConfigError naming
the key and what is wrong.
"""

from __future__ import annotations

import re
import tomllib
import types
import typing
import urllib.parse
from datetime import timedelta
from pathlib import Path
from typing import Any

import msgspec

from moxhooks.errors import ConfigError
from moxhooks.kinds import Kind

SOFT_KINDS_DEFAULT = frozenset(
    {Kind.MAILBOX_FULL, Kind.EXPIRED, Kind.TRANSIENT, Kind.UNDETERMINED}
)
IMMEDIATE_KINDS_DEFAULT = frozenset(
    {Kind.MAILBOX_UNKNOWN, Kind.DOMAIN_UNKNOWN, Kind.MAILBOX_DISABLED, Kind.COMPLAINT}
)


class PolicySettings(msgspec.Struct, frozen=True):
    """What the policy does with each kind of failure; per account overridable."""

    # Kinds that suppress the address at once (account-wide, no expiry).
    immediate_kinds: frozenset[Kind] = IMMEDIATE_KINDS_DEFAULT
    # Kinds that count as soft failures of the recipient.
    soft_kinds: frozenset[Kind] = SOFT_KINDS_DEFAULT
    # Soft failures (distinct messages) within soft_window that suppress the address.
    soft_threshold: int = 3
    # The window in which soft failures are counted.
    soft_window: timedelta = timedelta(days=14)
    # Expiry of the first soft suppression; doubles on each repeat up to soft_expiry_max.
    soft_expiry: timedelta = timedelta(days=7)
    # The longest a soft suppression lasts.
    soft_expiry_max: timedelta = timedelta(days=90)
    # Remove entries mox added for failures that are not the recipient's fault.
    undo_false_mox: bool = True


class ServerConfig(msgspec.Struct, frozen=True):
    """Where moxhooks listens and how mox reaches it."""

    # The address to listen on.
    host: str = "127.0.0.1"
    # The port to listen on.
    port: int = 8025
    # The URL mox (and recipients of unsubscribe links) reach moxhooks at; "" means
    # http://<host>:<port>.
    public_url: str = ""
    # Largest webhook body accepted, in bytes.
    max_body: int = 1024 * 1024
    # Connections at most, and never more than the process's open-file limit less 64; at
    # the limit the oldest idle connection is closed to make room.
    max_connections: int = 4096
    # Connections from one address at most; at the limit that address's oldest idle
    # connection is closed.
    max_connections_per_peer: int = 256
    # Seconds a connection may take to send a request's headers (from connecting, or from
    # its first byte).
    header_timeout: float = 10.0
    # Seconds an idle connection is kept between requests.
    keepalive_timeout: float = 75.0
    # Seconds a webhook's body may take to arrive (then 408 timeout).
    body_timeout: float = 30.0


class DatabaseConfig(msgspec.Struct, frozen=True):
    """The database: a SQLite file (the default), or a PostgreSQL server."""

    # A PostgreSQL server to keep everything in instead of the SQLite file, e.g.
    # "postgresql://moxhooks:secret@127.0.0.1:5432/moxhooks"; "" (the default) keeps the
    # SQLite file at path. On PostgreSQL each webhook is committed in the database before
    # its 200; on SQLite it is appended to the intake log in <path>-intake.d/.
    url: str = ""
    # The SQLite file; webhooks are received into the log segments in <path>-intake.d/
    # beside it.
    path: str = "moxhooks.db"
    # SQLite synchronous mode in WAL: "normal" survives a crash of moxhooks,
    # "full" also survives a power loss, at the cost of an fsync per commit.
    synchronous: str = "normal"
    # Read-only connections per process: reads run side by side, a slow one holds up
    # no other.
    readers: int = 3
    # Seconds a read may take (waiting for a free reader included) before it is stopped:
    # the request is answered 503 unavailable.
    read_timeout: float = 10.0
    # PostgreSQL: seconds a node's claim on the events and report messages it took lasts.
    # A node that dies (or stalls) holds them this long; then another node takes them over.
    lease: float = 60.0


class MoxConfig(msgspec.Struct, frozen=True):
    """How to reach one mox server ([[mox]] tables; a single [mox] table is the one
    named "default")."""

    # The server's name, in its webhook URLs (/hooks/outgoing/<mox>/<account>) and in
    # accounts[].mox: 1-40 of a-z, 0-9, "_" and "-"; required in [[mox]] tables.
    name: str = "default"
    # mox's base URL for its webapi, account and admin APIs.
    url: str = "http://localhost:1080"
    # The mox admin password, for recipient resolution and hold rules; "" disables both.
    admin_password: str = "moxadmin"
    # Seconds before a request to mox counts as failed.
    timeout: float = 10.0


# What a report of a bounce or complaint about a sent message may do (accounts[].
# report_actions); "suppress_for:<duration>" is the third, e.g. "suppress_for:30d".
REPORT_ACTIONS = ("suppress", "suppress_topic", "record")
REPORT_TYPES = ("bounce", "complaint")


class ReportActions(msgspec.Struct, frozen=True):
    """What a report does to the recipient of one mail type: for a bounce, for a complaint."""

    # What a bounce does: "suppress" (account-wide, no expiry), "suppress_topic" (the
    # message's topic only), "suppress_for:<duration>" (account-wide, expiring) or "record".
    bounce: str = "suppress"
    # What a complaint does: the same actions as bounce.
    complaint: str = "suppress"


# A topic name: what the send relay's `topic`, the Extra key reports.topic_key and an entry's
# scope hold; short, lower-case, safe in a URL and a header.
TOPIC_NAME = re.compile(r"[a-z0-9_-]{1,40}")
# A mox server's name: a path segment of its webhook URLs.
MOX_NAME = TOPIC_NAME


class TopicConfig(msgspec.Struct, frozen=True):
    """One topic an account sends mail about (accounts[].topics), e.g. a newsletter."""

    # The name, e.g. "news": 1-40 of a-z, 0-9, "_" and "-".
    name: str
    # What it is, for the recipient's preference page, e.g. "The monthly newsletter".
    description: str = ""


class AccountConfig(msgspec.Struct, frozen=True):
    """One mox account whose outgoing mail moxhooks looks after."""

    # The mox account's name.
    name: str
    # An email address of the account, for mox's webapi (basic auth).
    login: str
    # The account's password in mox.
    password: str
    # The mox servers ([[mox]] names) that have this account: one name, or a list when the
    # account is on several servers, which then share one suppression list (an entry made
    # through one is pushed to all of them); [] means the first [[mox]].
    mox: tuple[str, ...] = ()
    # The webhook secret; "" means one is generated and kept in the database.
    webhook_secret: str = ""
    # Token for programs calling the JSON API as this account; "" disables it.
    api_token: str = ""
    # Addresses of this account whose incoming mail is bounces and complaints (e.g.
    # "bounces@example.org", "fbl@example.org"); "*" takes every message the account
    # receives. Non-empty: `moxhooks setup` registers mox's incoming webhook too.
    inbound_addresses: tuple[str, ...] = ()
    # This account's override of any [policy] key; keys it does not set take [policy]'s.
    policy: PolicySettings = msgspec.field(default_factory=PolicySettings)
    # What a report does, by the sent message's mail type (its Extra key
    # reports.mail_type_key), sorted by mail type; "*" is every type not listed.
    report_actions: tuple[tuple[str, ReportActions], ...] = (("*", ReportActions()),)
    # The topics the account sends mail about ([[accounts.topics]] tables); the send relay
    # takes only these, and a recipient's preference page lists them.
    topics: tuple[TopicConfig, ...] = ()

    def topic(self, name: str) -> TopicConfig | None:
        """The topic called name, or None."""
        for t in self.topics:
            if t.name == name:
                return t
        return None


class ResolveConfig(msgspec.Struct, frozen=True):
    """Finding the recipient of an event."""

    # Key in the event's Extra holding the recipient address, tried last.
    extra_key: str = "recipient"
    # First wait before trying an unresolved event again, seconds.
    retry_min: float = 30.0
    # Longest wait between tries for an unresolved event, seconds.
    retry_max: float = 3600.0
    # Give up on an event after this many tries.
    max_tries: int = 30


class SyncConfig(msgspec.Struct, frozen=True):
    """Pushing changes into mox."""

    # Seconds between reconcile passes.
    reconcile_interval: float = 600.0
    # First wait before pushing a change into mox again, seconds.
    retry_min: float = 1.0
    # Longest wait between tries of a change, seconds.
    retry_max: float = 900.0


class DnsConfig(msgspec.Struct, frozen=True):
    """DNS checks that confirm domain_unknown."""

    # Name servers to ask; empty means the system's resolver.
    nameservers: tuple[str, ...] = ()
    # The name servers' port.
    port: int = 53
    # Seconds for one lookup.
    timeout: float = 3.0
    # Seconds an answer is cached.
    cache_ttl: float = 3600.0


class HoldsConfig(msgspec.Struct, frozen=True):
    """Automatic queue holds for a recipient domain that blocks or throttles us."""

    # Add mox hold rules for domains that block or throttle us.
    enabled: bool = True
    # Distinct recipients of one domain failing with sender_blocked or rate_limited
    # within window that make moxhooks add a mox hold rule for that domain.
    threshold: int = 5
    # The window in which those recipients are counted.
    window: timedelta = timedelta(minutes=10)
    # How long an automatic hold stays before it is lifted and its messages released.
    cooldown: timedelta = timedelta(hours=1)


class WebConfig(msgspec.Struct, frozen=True):
    """The web pages and the JSON API."""

    # A session not used for this long ends.
    session_idle: timedelta = timedelta(hours=12)
    # Every session ends this long after sign-in.
    session_lifetime: timedelta = timedelta(days=7)
    # The window in which failed sign-ins are counted.
    login_window: timedelta = timedelta(minutes=15)
    # Failed sign-ins per client address or per user name within login_window after
    # which sign-in answers 429.
    login_max_failures: int = 10
    # A daily bounce rate above this is flagged on the account page (mailbox providers'
    # limit).
    bounce_rate_threshold: float = 0.02
    # A daily complaint rate above this is flagged on the account page (Gmail's and
    # Yahoo's limit).
    complaint_rate_threshold: float = 0.003
    # The active entries by account and kind (/metrics' moxhooks_suppressions, the admin's
    # accounts page) are counted at most this often per process and may be this old: the
    # count reads every active entry, about a second at 10 million on PostgreSQL. "0s"
    # counts on every request.
    suppression_counts_max_age: timedelta = timedelta(seconds=30)


class ReportsConfig(msgspec.Struct, frozen=True):
    """Reports of bounces and complaints about sent messages (the report API, the bounce mailbox)."""

    # Key in a sent message's Extra naming its mail type, which picks accounts[].report_actions.
    mail_type_key: str = "mailtype"
    # Key in a sent message's Extra naming its topic, for the action suppress_topic.
    topic_key: str = "topic"


class UnsubscribeConfig(msgspec.Struct, frozen=True):
    """Unsubscribe links in sent mail (the send relay, /u/<token>)."""

    # Days a signing key still verifies links after `moxhooks unsubscribe rotate-key`
    # made a newer one current; after that, links signed with it are refused.
    old_key_days: int = 30


class ImapConfig(msgspec.Struct, frozen=True):
    """An IMAP mailbox holding bounces and complaints for an account ([[imap]])."""

    # The moxhooks account (accounts[].name) whose mail the reports are about.
    account: str
    # The IMAP server.
    host: str = "localhost"
    # Its port (1143 is localserve's plain IMAP).
    port: int = 1143
    # "tls" (IMAPS), "starttls" or "none" (only on loopback or an otherwise safe link).
    security: str = "none"
    # The IMAP login.
    username: str = "mox@localhost"
    # Its password.
    password: str = "moxmoxmox"
    # The mailbox read.
    mailbox: str = "Inbox"
    # Seconds between looks for new messages.
    interval: float = 60.0


class Config(msgspec.Struct, frozen=True):
    """The whole configuration."""

    server: ServerConfig = msgspec.field(default_factory=ServerConfig)
    database: DatabaseConfig = msgspec.field(default_factory=DatabaseConfig)
    # The mox servers ([[mox]] tables, each with its name); a single [mox] table is one
    # server named "default". By default localserve's.
    mox: tuple[MoxConfig, ...] = (MoxConfig(),)
    # The mox accounts moxhooks looks after ([[accounts]] tables); by default localserve's.
    accounts: tuple[AccountConfig, ...] = (
        AccountConfig(name="mox", login="mox@localhost", password="moxmoxmox"),
    )
    policy: PolicySettings = msgspec.field(default_factory=PolicySettings)
    resolve: ResolveConfig = msgspec.field(default_factory=ResolveConfig)
    sync: SyncConfig = msgspec.field(default_factory=SyncConfig)
    dns: DnsConfig = msgspec.field(default_factory=DnsConfig)
    holds: HoldsConfig = msgspec.field(default_factory=HoldsConfig)
    web: WebConfig = msgspec.field(default_factory=WebConfig)
    reports: ReportsConfig = msgspec.field(default_factory=ReportsConfig)
    unsubscribe: UnsubscribeConfig = msgspec.field(default_factory=UnsubscribeConfig)
    # Mailboxes read over IMAP for bounces and complaints ([[imap]] tables); none by default.
    imap: tuple[ImapConfig, ...] = ()
    # "debug", "info", "warning" or "error".
    log_level: str = "info"

    def account(self, name: str) -> AccountConfig | None:
        """The account called name, or None."""
        for a in self.accounts:
            if a.name == name:
                return a
        return None

    @property
    def default_mox(self) -> MoxConfig:
        """The first mox server: the one of webhook URLs and accounts that name none."""
        return self.mox[0]

    def mox_named(self, name: str) -> MoxConfig | None:
        """The mox server called name, or None."""
        for m in self.mox:
            if m.name == name:
                return m
        return None

    def mox_key(self, name: str) -> str:
        """The key the store keeps the mox server's records under (webhook secrets, events,
        recipients): "" for the first server, so what one mox stored before there were
        several stays its own; the server's name for every other."""
        return "" if name == self.default_mox.name else name

    def mox_name(self, key: str) -> str:
        """The name of the mox server the store keeps under key (mox_key's inverse)."""
        return key or self.default_mox.name

    def account_moxes(self, account: AccountConfig) -> tuple[str, ...]:
        """The names of the mox servers that have the account, the first one if it names none."""
        return account.mox or (self.default_mox.name,)

    @property
    def webhook_base(self) -> str:
        """The URL prefix mox posts to, without the account name."""
        return self.public_base + "/hooks/outgoing/"

    @property
    def public_base(self) -> str:
        """Where moxhooks is reached from outside, without a trailing "/"."""
        base = self.server.public_url or f"http://{self.server.host}:{self.server.port}"
        return base.rstrip("/")


def load_config(path: str | Path | None) -> Config:
    """Read a TOML file into a Config; None gives the defaults."""
    if path is None:
        return Config()
    try:
        with open(path, "rb") as f:
            data = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return config_from_dict(data)


def config_from_dict(data: dict[str, Any]) -> Config:
    """Build a Config from parsed TOML, checking every key."""
    # Account policies start from the global policy and override what they set.
    data = dict(data)
    global_policy = _build(PolicySettings, data.pop("policy", {}), "policy")
    accounts_raw = data.pop("accounts", None)
    imap_raw = data.pop("imap", [])
    mox_raw = data.pop("mox", None)
    cfg: Config = _build(Config, data, "")
    if mox_raw is not None:
        cfg = msgspec.structs.replace(cfg, mox=_moxes(mox_raw))
    if not isinstance(imap_raw, list) or not all(isinstance(t, dict) for t in imap_raw):
        raise ConfigError("imap: must be a list of [[imap]] tables")
    cfg = msgspec.structs.replace(
        cfg, imap=tuple(_build(ImapConfig, t, f"imap[{i}]") for i, t in enumerate(imap_raw))
    )
    cfg = msgspec.structs.replace(cfg, policy=global_policy)
    if accounts_raw is not None:
        if not isinstance(accounts_raw, list) or not accounts_raw:
            raise ConfigError("accounts: must be a non-empty list of [[accounts]] tables")
        accounts = []
        for i, raw in enumerate(accounts_raw):
            where = f"accounts[{i}]"
            if not isinstance(raw, dict):
                raise ConfigError(f"{where}: must be a table")
            raw = dict(raw)
            pol = raw.pop("policy", {})
            actions = raw.pop("report_actions", None)
            if isinstance(raw.get("mox"), str):  # one server: a name, not a list of one
                raw["mox"] = [raw["mox"]]
            acc = _build(AccountConfig, raw, where)
            policy = _override(global_policy, pol, f"{where}.policy")
            acc = msgspec.structs.replace(acc, policy=policy)
            if actions is not None:
                acc = msgspec.structs.replace(
                    acc, report_actions=_report_actions(actions, f"{where}.report_actions")
                )
            accounts.append(acc)
        names = [a.name for a in accounts]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            raise ConfigError(f"accounts: account {dups[0]!r} is listed twice")
        cfg = msgspec.structs.replace(cfg, accounts=tuple(accounts))
    else:
        cfg = msgspec.structs.replace(
            cfg, accounts=tuple(msgspec.structs.replace(a, policy=global_policy) for a in cfg.accounts)
        )
    _check(cfg)
    _check_imap(cfg)
    return cfg


def _check(cfg: Config) -> None:
    _check_database_url(cfg.database.url)
    if cfg.database.synchronous not in ("normal", "full"):
        raise ConfigError('database.synchronous: must be "normal" or "full"')
    if not 1 <= cfg.database.readers <= 64:
        raise ConfigError("database.readers: must be between 1 and 64")
    if not cfg.database.read_timeout > 0:
        raise ConfigError("database.read_timeout: must be more than 0")
    if not cfg.database.lease > 0:
        raise ConfigError("database.lease: must be more than 0")
    if not 0 < cfg.server.port < 65536:
        raise ConfigError("server.port: must be between 1 and 65535")
    for key in ("max_connections", "max_connections_per_peer"):
        if getattr(cfg.server, key) < 1:
            raise ConfigError(f"server.{key}: must be at least 1")
    for key in ("header_timeout", "keepalive_timeout", "body_timeout"):
        if not getattr(cfg.server, key) > 0:
            raise ConfigError(f"server.{key}: must be more than 0")
    mox_names = {m.name for m in cfg.mox}
    if cfg.log_level not in ("debug", "info", "warning", "error"):
        raise ConfigError('log_level: must be one of "debug", "info", "warning", "error"')
    if cfg.holds.threshold < 1:
        raise ConfigError("holds.threshold: must be at least 1")
    if cfg.web.login_max_failures < 1:
        raise ConfigError("web.login_max_failures: must be at least 1")
    if cfg.unsubscribe.old_key_days < 0:
        raise ConfigError("unsubscribe.old_key_days: must not be negative")
    for i, a in enumerate(cfg.accounts):
        if not a.name or "/" in a.name:
            raise ConfigError(f"accounts[{i}].name: must be a non-empty name without /")
        if "@" not in a.login:
            raise ConfigError(f"accounts[{i}].login: must be an email address of the account")
        for addr in a.inbound_addresses:
            if addr != "*" and "@" not in addr:
                raise ConfigError(
                    f"accounts[{i}].inbound_addresses: {addr!r} is not an email address or *"
                )
        _check_topics(a.topics, f"accounts[{i}].topics")
        for name in a.mox:
            if name not in mox_names:
                raise ConfigError(
                    f"accounts[{i}].mox: no mox server {name!r} is configured ([[mox]] names:"
                    f" {', '.join(sorted(mox_names))})"
                )
        if len(set(a.mox)) != len(a.mox):
            raise ConfigError(f"accounts[{i}].mox: a mox server is named twice")
        p = a.policy
        if p.soft_threshold < 1:
            raise ConfigError(f"accounts[{i}].policy.soft_threshold: must be at least 1")


def _moxes(raw: Any) -> tuple[MoxConfig, ...]:
    """[mox] (one server, "default" unless it has a name) or [[mox]] (each named)."""
    if isinstance(raw, dict):
        servers = (_build(MoxConfig, raw, "mox"),)
        where = ["mox"]
    elif isinstance(raw, list) and raw:
        where = [f"mox[{i}]" for i in range(len(raw))]
        for w, t in zip(where, raw, strict=True):
            if not isinstance(t, dict):
                raise ConfigError(f"{w}: must be a table")
            if "name" not in t:
                raise ConfigError(f"{w}.name: required key is missing (each [[mox]] is named)")
        servers = tuple(_build(MoxConfig, t, w) for w, t in zip(where, raw, strict=True))
    else:
        raise ConfigError("mox: must be a [mox] table or a non-empty list of [[mox]] tables")
    seen: set[str] = set()
    for w, m in zip(where, servers, strict=True):
        if not MOX_NAME.fullmatch(m.name):
            raise ConfigError(
                f'{w}.name: {m.name!r} is not a mox name: 1-40 characters of a-z, 0-9, "_" and "-"'
            )
        if m.name in seen:
            raise ConfigError(f"{w}.name: mox server {m.name!r} is listed twice")
        seen.add(m.name)
        if not m.url.startswith(("http://", "https://")):
            raise ConfigError(f"{w}.url: must start with http:// or https://")
    return servers


def _check_topics(topics: tuple[TopicConfig, ...], where: str) -> None:
    seen: set[str] = set()
    for j, t in enumerate(topics):
        if not TOPIC_NAME.fullmatch(t.name):
            raise ConfigError(
                f"{where}[{j}].name: {t.name!r} is not a topic name: 1-40 characters of"
                ' a-z, 0-9, "_" and "-"'
            )
        if t.name in seen:
            raise ConfigError(f"{where}[{j}].name: topic {t.name!r} is listed twice")
        seen.add(t.name)
        if len(t.description) > 500 or any(ord(c) < 32 for c in t.description):
            raise ConfigError(
                f"{where}[{j}].description: at most 500 characters, no control characters"
            )


def _report_actions(raw: Any, where: str) -> tuple[tuple[str, ReportActions], ...]:
    """accounts[].report_actions: mail type -> {bounce, complaint}, each action checked.

    "*" (default: suppress both) is every mail type not listed; a mail type that sets only
    one of bounce and complaint takes the other from "*".
    """
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table of mail types")
    for mail_type, table in raw.items():
        if not mail_type:
            raise ConfigError(f'{where}: a mail type must not be empty ("*" is for all others)')
        if not isinstance(table, dict):
            raise ConfigError(f"{where}.{mail_type}: must be a table with bounce and complaint")
    built = {t: _build(ReportActions, table, f"{where}.{t}") for t, table in raw.items()}
    star = built.get("*", ReportActions())
    out = {"*": star}
    for mail_type, table in raw.items():
        out[mail_type] = ReportActions(**{t: table.get(t, getattr(star, t)) for t in REPORT_TYPES})
        for t in REPORT_TYPES:
            parse_report_action(getattr(out[mail_type], t), f"{where}.{mail_type}.{t}")
    return tuple(sorted(out.items(), key=lambda item: item[0]))


def parse_report_action(value: str, name: str = "action") -> tuple[str, timedelta | None]:
    """A report action: ("suppress" | "suppress_topic" | "record", None) or
    ("suppress_for", its duration). ConfigError naming name if it is none of these."""
    if value in REPORT_ACTIONS:
        return value, None
    head, sep, duration = value.partition(":")
    if head == "suppress_for" and sep:
        try:
            d = parse_duration(duration, name)
        except (ConfigError, OverflowError):
            d = timedelta(0)
        if d > timedelta(0):
            return head, d
        raise ConfigError(
            f'{name}: {value!r}: suppress_for needs a duration over 0 like "30d" or "12h"'
        )
    raise ConfigError(
        f'{name}: {value!r} is not an action: use "suppress", "suppress_topic",'
        ' "suppress_for:<duration>" (e.g. "suppress_for:30d") or "record"'
    )


def _check_database_url(url: str) -> None:
    if not url:
        return
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("postgresql", "postgres"):
        raise ConfigError(
            'database.url: must be "" (SQLite) or a postgresql:// URL, e.g.'
            ' "postgresql://moxhooks:secret@127.0.0.1:5432/moxhooks"'
        )
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        raise ConfigError("database.url: the port must be a number") from None
    if not parts.hostname or not parts.path.strip("/"):
        raise ConfigError("database.url: must name a host and a database (/moxhooks)")


def without_password(url: str) -> str:
    """A database URL fit to print or log: its password (in the user info, or a password
    query parameter, which libpq takes too) removed."""
    parts = urllib.parse.urlsplit(url)
    userinfo, at, hosts = parts.netloc.rpartition("@")
    netloc = f"{userinfo.partition(':')[0]}{at}{hosts}"
    query = urllib.parse.urlencode(
        [(k, v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
         if k != "password"]
    )  # fmt: skip
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc, query=query))


def _check_imap(cfg: Config) -> None:
    names = {a.name for a in cfg.accounts}
    for i, m in enumerate(cfg.imap):
        if m.account not in names:
            raise ConfigError(f"imap[{i}].account: no account {m.account!r} is configured")
        if m.security not in ("tls", "starttls", "none"):
            raise ConfigError(f'imap[{i}].security: must be "tls", "starttls" or "none"')
        if not 0 < m.port < 65536:
            raise ConfigError(f"imap[{i}].port: must be between 1 and 65535")
        if m.interval <= 0:
            raise ConfigError(f"imap[{i}].interval: must be more than 0")


def _override(base: PolicySettings, raw: Any, where: str) -> PolicySettings:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: must be a table")
    merged = {f.name: getattr(base, f.name) for f in msgspec.structs.fields(base)}
    built = _build(PolicySettings, raw, where)
    for k in raw:
        merged[k] = getattr(built, k)
    return PolicySettings(**merged)


def _build(cls: Any, raw: Any, where: str) -> Any:
    """Instantiate the Struct cls from a TOML table, converting and checking each key."""
    if not isinstance(raw, dict):
        raise ConfigError(f"{where or 'config'}: must be a table")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in msgspec.structs.fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        name = f"{where}.{key}" if where else key
        if key not in fields:
            raise ConfigError(f"{name}: unknown key")
        kwargs[key] = _convert(hints[key], value, name)
    missing = [
        n
        for n, f in fields.items()
        if n not in kwargs
        and f.default is msgspec.NODEFAULT
        and f.default_factory is msgspec.NODEFAULT
    ]
    if missing:
        raise ConfigError(f"{where}.{missing[0]}: required key is missing")
    return cls(**kwargs)


def _convert(tp: Any, value: Any, name: str) -> Any:
    origin = typing.get_origin(tp)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"{name}: must be true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{name}: must be a whole number")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{name}: must be a number")
        if value < 0:
            raise ConfigError(f"{name}: must not be negative")
        return float(value)
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"{name}: must be a string")
        return value
    if tp is timedelta:
        # Durations are written as "14d", "36h", "90m" or "30s".
        return parse_duration(value, name)
    if origin is tuple:
        if not isinstance(value, list):
            raise ConfigError(f"{name}: must be a list")
        (item,) = typing.get_args(tp)[:1]
        return tuple(_convert(item, v, f"{name}[{i}]") for i, v in enumerate(value))
    if origin is frozenset:
        if not isinstance(value, list):
            raise ConfigError(f"{name}: must be a list")
        (item,) = typing.get_args(tp)
        return frozenset(_convert(item, v, f"{name}[{i}]") for i, v in enumerate(value))
    if tp is Kind:
        try:
            return Kind(value)
        except ValueError:
            raise ConfigError(f"{name}: {value!r} is not a failure kind") from None
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct):
        return _build(tp, value, name)
    if origin in (typing.Union, types.UnionType):
        raise ConfigError(f"{name}: unsupported type")  # pragma: no cover - no such field
    raise ConfigError(f"{name}: unsupported type")  # pragma: no cover


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(value: Any, name: str = "duration") -> timedelta:
    """Parse "14d", "36h", "90m", "30s" into a timedelta."""
    if isinstance(value, str) and len(value) >= 2 and value[-1] in _UNITS:
        try:
            n = float(value[:-1])
        except ValueError:
            n = -1
        if n >= 0:
            return timedelta(seconds=n * _UNITS[value[-1]])
    raise ConfigError(f'{name}: must be a duration like "14d", "36h", "90m" or "30s"')
