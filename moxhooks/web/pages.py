"""The account page and the admin page: static files from webui/, served with strict headers.

The files are small, so they are read once at startup (in a thread, off the event
loop) and served from memory. Only names found in the webui directory are
served; there is no path to traverse.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.resources
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from aiohttp import web

# The pages run only their own scripts and styles, and nobody may frame them.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    # Small files that change with each release: revalidate with the ETag every time.
    "Cache-Control": "no-cache",
}
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
# The pages, by route; every other file is served under /static/.
PAGES = {"/": "index.html", "/admin": "admin.html"}


@dataclass(frozen=True)
class Asset:
    """One file of the web UI, held in memory."""

    body: bytes
    content_type: str
    etag: str


ASSETS_KEY = web.AppKey("webui_assets", dict[str, Asset])


def webui_dir() -> Traversable:
    """The webui directory: package data when installed, else the repository's webui/."""
    try:
        files = importlib.resources.files("moxhooks.webui")
        if files.joinpath("index.html").is_file():
            return files
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "webui"


def load_assets(directory: Traversable) -> dict[str, Asset]:
    """Every servable file of directory, by name; blocking, so run it in a thread."""
    assets: dict[str, Asset] = {}
    for entry in directory.iterdir():
        suffix = Path(entry.name).suffix
        if not entry.is_file() or suffix not in CONTENT_TYPES or entry.name.startswith("."):
            continue
        body = entry.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        assets[entry.name] = Asset(body, CONTENT_TYPES[suffix], etag)
    missing = [name for name in PAGES.values() if name not in assets]
    if missing:
        raise RuntimeError(f"web UI files missing in {directory}: {', '.join(missing)}")
    return assets


def _serve(request: web.Request, name: str) -> web.Response:
    asset = request.app[ASSETS_KEY].get(name)
    if asset is None:
        raise web.HTTPNotFound(reason="no such file")
    headers = dict(SECURITY_HEADERS, ETag=asset.etag)
    if asset.etag in request.headers.get("If-None-Match", ""):
        return web.Response(status=304, headers=headers)
    return web.Response(body=asset.body, headers=headers | {"Content-Type": asset.content_type})


async def page(request: web.Request) -> web.Response:
    """GET / and GET /admin: the account page and the admin page."""
    return _serve(request, PAGES[request.path])


async def static(request: web.Request) -> web.Response:
    """GET /static/{name}: a script, the stylesheet or an image of the pages."""
    return _serve(request, request.match_info["name"])


def setup_pages(app: web.Application, directory: Traversable | None = None) -> None:
    """Serve the pages of directory (default webui_dir()) on app."""

    assets: dict[str, Asset] = {}
    app[ASSETS_KEY] = assets

    async def load(app: web.Application) -> None:
        assets.update(await asyncio.to_thread(load_assets, directory or webui_dir()))

    app.on_startup.append(load)
    for path in PAGES:
        app.router.add_get(path, page)
    app.router.add_get("/static/{name}", static)
