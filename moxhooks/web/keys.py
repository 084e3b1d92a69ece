"""Typed keys for what the app holds."""

from __future__ import annotations

from aiohttp import web

from moxhooks.config import Config
from moxhooks.runtime.web import WebRuntime

CONFIG_KEY = web.AppKey("config", Config)
RUNTIME_KEY = web.AppKey("runtime", WebRuntime)
