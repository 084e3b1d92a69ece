"""The recipient's preference page (/u/{token}/prefs)."""

from __future__ import annotations

from typing import Annotated, Literal

from moxhooks.models.base import DATE_TIME_FORMAT, DateTime, Model, doc


class Topic(Model):
    name: str
    description: str


class ScopeState(Model):
    """Whether the recipient gets mail of a scope."""

    state: Literal["subscribed", "unsubscribed", "paused", "blocked"]
    until: Annotated[str | None, DATE_TIME_FORMAT, doc("the end of a pause or block; null: none")]


class TopicState(Model):
    name: str
    description: str
    state: Literal["subscribed", "unsubscribed", "paused", "blocked"]
    until: Annotated[str | None, DATE_TIME_FORMAT]


class Period(Model):
    id: Annotated[str, doc("e.g. 1w")]
    days: int
    label: Annotated[str, doc("e.g. 1 week")]


class Prefs(Model):
    """What the preference page shows."""

    address: Annotated[str, doc("the recipient, masked, e.g. j***@example.org")]
    topic: Annotated[Topic | None, doc("the link's topic; null: the link is for all mail")]
    everything: ScopeState
    topics: list[TopicState]
    periods: list[Period]
    now: DateTime


class PrefsRequest(Model):
    """POST /u/{token}/prefs."""

    action: Literal["unsubscribe", "pause", "resubscribe"]
    scope: Annotated[str, doc("a topic, or '' for everything")]
    period: Annotated[str, doc("pause only: 1w, 1m or 3m")] = ""
