"""Typed keys for what the app holds."""

from __future__ import annotations

from aiohttp import web

from ..config import Config
from ..runtime import Runtime

CONFIG_KEY = web.AppKey("config", Config)
RUNTIME_KEY = web.AppKey("runtime", Runtime)
