"""Sign-in and sessions."""

from __future__ import annotations

from typing import Annotated, Literal

from msgspec import UNSET, UnsetType

from moxhooks.models.base import Model, doc


class Session(Model, omit_defaults=True):
    """Who is signed in; the answer of sign-in and GET session."""

    role: Literal["account", "admin"]
    csrf: Annotated[str, doc("send as X-CSRF-Token on every call; '' for API tokens")]
    via: Literal["session", "token"]
    account: Annotated[str | UnsetType, doc("account role only: the mox account, e.g. mox")] = (
        UNSET
    )
    email: Annotated[str | UnsetType, doc("account role only: the address signed in with")] = (
        UNSET
    )


class LoginRequest(Model):
    """POST login."""

    email: str
    password: str


class AdminLoginRequest(Model):
    """POST admin/login."""

    password: str
