"""What every command shares: the error type, running async work, addresses, mox."""

from __future__ import annotations

import argparse
import asyncio
import logging
from collections.abc import Awaitable, Callable
from urllib.parse import quote

import aiohttp

from moxhooks.config import Config, MoxConfig
from moxhooks.mail.address import Address, AddressError, parse_address

Handler = Callable[[Config, argparse.Namespace], int]
AsyncHandler = Callable[[Config, argparse.Namespace], Awaitable[int]]


class CliError(Exception):
    """A problem the user must fix; printed as "moxhooks: <message>", exit code 2."""


def run(coro: Awaitable[int]) -> int:
    """Run coro to completion; the workers' log lines are silenced meanwhile."""

    async def wrapped() -> int:
        return await coro

    # The CLI reports what matters itself; the workers' log lines would repeat it.
    logger = logging.getLogger("moxhooks")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        return asyncio.run(wrapped())
    finally:
        logger.setLevel(level)


def blocking(command: AsyncHandler) -> Handler:
    """A handler that runs the async command to completion with run()."""

    def handler(config: Config, args: argparse.Namespace) -> int:
        return run(command(config, args))

    return handler


def parse(address: str) -> Address:
    """An address given on the command line; CliError if it is not one."""
    try:
        return parse_address(address)
    except AddressError as e:
        raise CliError(f"bad address {address!r}: {e}") from None


def webhook_url(config: Config, account: str, hook: str = "outgoing", mox: str = "") -> str:
    """The URL the mox server named mox ("": the first) posts the account's
    outgoing-delivery (or incoming) webhooks to: with one server configured
    <base>/<account>, with several <base>/<mox>/<account>, each server its own."""
    base = config.webhook_base.removesuffix("outgoing/") + f"{hook}/"
    if len(config.mox) > 1:
        base += quote(mox or config.default_mox.name, safe="") + "/"
    return base + quote(account, safe="")


async def mox_unreachable(config: Config, server: MoxConfig | None = None) -> str | None:
    """None if the mox server (by default the first) answers HTTP at all, else why not."""
    server = server or config.default_mox
    url = server.url.rstrip("/") + "/webapi/v0/"
    timeout = aiohttp.ClientTimeout(total=min(server.timeout, 3.0))
    try:
        async with aiohttp.ClientSession(timeout=timeout) as s, s.get(url) as resp:
            await resp.read()
    except TimeoutError:
        return f"no answer within {timeout.total:g}s"
    except (aiohttp.ClientError, OSError) as e:
        return f"{type(e).__name__}: {e}".rstrip(": ")
    return None
