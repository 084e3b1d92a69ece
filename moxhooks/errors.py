"""The exception families. One root; every API error renders as {"code", "message"}."""

from __future__ import annotations


class MoxhooksError(Exception):
    """Root of every error moxhooks raises on purpose."""


class ConfigError(MoxhooksError):
    """The configuration file is missing a key, has a bad value, or cannot be read."""


class SchemaTooNew(MoxhooksError):
    """The database was migrated by a newer moxhooks than this one; refusing to run on it."""


class ApiError(MoxhooksError):
    """An error answered to an HTTP client as {"code": ..., "message": ...}."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
