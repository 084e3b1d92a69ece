"""The store's exceptions: what a caller may catch without knowing the database engine."""

from __future__ import annotations

from moxhooks.errors import MoxhooksError


class StoreError(MoxhooksError):
    """Root of the errors the store raises on purpose."""


class StoreUnavailable(StoreError):
    """The database cannot answer now: locked or busy past the timeout, the disk full, an
    I/O error, or a read past its deadline. Nothing was changed; try again later."""


class LeaseLost(StoreError):
    """Another node took over the work this node had claimed (its lease ran out first):
    what this node found is not recorded, the other node's outcome stands."""


class ReadTimeout(StoreUnavailable):
    """A read did not finish within its deadline (database.read_timeout) and was stopped."""
