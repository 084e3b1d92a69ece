"""One enum of error codes: every code the code answers with is an ErrorCode, and the
OpenAPI document, the pages and the README name each one."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from moxhooks.errors import ErrorCode, webui_module
from moxhooks.web.routes import document

ROOT = Path(__file__).parent.parent


def _used_codes() -> set[ErrorCode]:
    """Every ErrorCode member named in moxhooks' source (ErrorCode.X)."""
    used: set[ErrorCode] = set()
    for path in (ROOT / "moxhooks").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "ErrorCode"
            ):
                used.add(ErrorCode[node.attr])  # KeyError: a code that is not in the enum
    return used


def test_no_code_is_a_bare_string() -> None:
    """A code written as a string would bypass the enum: every API error is built from one."""
    pattern = re.compile(
        r"ApiError\(\s*\d|error_response\(\s*\d|\"code\": \"|RelayRequestError\(\s*\""
    )
    hits = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "moxhooks").rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert hits == []


def test_every_code_raised_is_in_the_document() -> None:
    doc = document()
    used = _used_codes()
    assert {ErrorCode.NOT_FOUND, ErrorCode.BAD_PAYLOAD, ErrorCode.SERVER} <= used
    listed = doc["x-error-codes"]
    assert set(listed) == {c.value for c in ErrorCode}
    for code in used:
        assert listed[code.value]["status"] == code.status
    schemas = doc["components"]["schemas"]
    assert schemas["Error"]["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}
    schema_enum = schemas["ErrorCode"]["enum"]
    assert set(schema_enum) == {c.value for c in ErrorCode}


def test_every_code_is_answered_somewhere() -> None:
    """An enum member nothing raises is a documented code no client will ever see."""
    assert set(ErrorCode) - _used_codes() == set()


def test_codes_and_statuses() -> None:
    assert len({c.value for c in ErrorCode}) == len(ErrorCode)
    for c in ErrorCode:
        assert 400 <= c.status < 600 and c.description, c
        assert re.fullmatch(r"(user:)?[a-z][A-Za-z]+", c.value), c


def test_the_pages_get_the_codes_from_the_enum() -> None:
    """webui/errorcodes.js is generated from ErrorCode; the pages use no other spelling."""
    assert (ROOT / "webui" / "errorcodes.js").read_text() == webui_module()
    api_js = (ROOT / "webui" / "api.js").read_text()
    assert "ErrorCode.NO_AUTH" in api_js and "ErrorCode.BAD_AUTH" in api_js
    server_codes = {c.value for c in ErrorCode}
    for js in sorted((ROOT / "webui").glob("*.js")):
        if js.name == "errorcodes.js":
            continue
        text = js.read_text()
        quoted = set(re.findall(r"[\"']((?:user:)?[a-z][A-Za-z]+)[\"']", text))
        assert quoted & server_codes - {"server"} == set(), js.name
        assert re.findall(r"[\"']user:\w+", text) == [], js.name  # a code of the pages' own
