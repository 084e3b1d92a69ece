"""Request bodies in, answers out, through the models (moxhooks.models).

A body is read as JSON, then converted into its model; what the model refuses becomes
400 badRequest with a message that names the member, in the words the API has always
used ("address is required", "address must be a string").
"""

from __future__ import annotations

import functools
import json
import re
import typing
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from moxhooks.errors import ApiError, ErrorCode
from moxhooks.models import encode

T = TypeVar("T", bound=msgspec.Struct)

JSON = "application/json"


def answer(model: Any, status: int = 200) -> web.Response:
    """A model (or a list or dict of models) as the JSON answer."""
    return web.Response(body=encode(model), status=status, content_type=JSON, charset="utf-8")


async def read_json(request: web.Request, *, optional: bool = False) -> dict[str, Any]:
    """The request body as a JSON object; with optional, an empty body is {}."""
    if optional and not request.can_read_body:
        return {}
    if request.content_type != JSON:
        raise ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json")
    try:
        body = await request.json()
    except (ValueError, LookupError):  # not JSON, not in its charset, or an unknown charset
        raise ApiError(ErrorCode.BAD_REQUEST, "the body is not valid JSON") from None
    except RecursionError:  # json.loads recurses per level: [[[[... 100000 deep
        raise ApiError(ErrorCode.BAD_REQUEST, "the body nests too deeply") from None
    if not isinstance(body, dict):
        raise ApiError(ErrorCode.BAD_REQUEST, "the body must be a JSON object")
    return body


async def read_body(request: web.Request, model: type[T], *, optional: bool = False) -> T:
    """The request body as model; 400 badRequest naming the member it cannot take."""
    return convert(await read_json(request, optional=optional), model)


def convert(body: dict[str, Any], model: type[T]) -> T:
    """body as model. A member that is null counts as absent, as it always has."""
    try:
        return msgspec.convert({k: v for k, v in body.items() if v is not None}, model)
    except msgspec.ValidationError as e:
        raise ApiError(ErrorCode.BAD_REQUEST, _words(str(e), model)) from None


_MISSING = re.compile(r"Object missing required field `([^`]+)`")
_WRONG_TYPE = re.compile(r"Expected `([^`]+)`, got `[^`]+` - at `\$\.([^`\[]+)")
_NOT_ONE_OF = re.compile(r"Invalid enum value .* - at `\$\.([^`\[]+)")
_TYPE_WORDS = {
    "str": "a string",
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "array": "a list",
    "object": "an object",
}


def _words(error: str, model: type[msgspec.Struct]) -> str:
    """msgspec's message in the API's words."""
    if m := _MISSING.match(error):
        return f"{m.group(1)} is required"
    if m := _WRONG_TYPE.match(error):
        expected = m.group(1).split(" ")[0]
        return f"{m.group(2)} must be {_TYPE_WORDS.get(expected, expected)}"
    if m := _NOT_ONE_OF.match(error):
        name = m.group(1)
        choices = [json.dumps(c) for c in _choices(model, name)]
        if choices:
            return f"{name} must be {', '.join(choices[:-1])} or {choices[-1]}"
    return error


def _choices(model: type[msgspec.Struct], name: str) -> list[str]:
    """The values a Literal member of model may take."""
    info = msgspec.inspect.type_info(model)
    assert isinstance(info, msgspec.inspect.StructType)
    for f in info.fields:
        if f.encode_name == name and isinstance(f.type, msgspec.inspect.LiteralType):
            return [str(v) for v in f.type.values]
    return []


def read_query(request: web.Request, model: type[T]) -> T:
    """The query string as model: a missing or empty parameter takes its default; 400
    badRequest names a parameter that is not what the model says."""
    values: dict[str, Any] = {}
    for f in _query_fields(model):
        raw = request.query.get(f.name, "")
        if raw != "":
            values[f.name] = f.parse(raw)
    return model(**values)


class _QueryField:
    """How one query parameter is read: a whole number within bounds, true or false, one of
    a few words, or any text."""

    def __init__(self, name: str, tp: msgspec.inspect.Type, choices: tuple[str, ...]) -> None:
        self.name = name
        self.choices = choices
        if isinstance(tp, msgspec.inspect.Metadata):
            tp = tp.type
        self.kind = type(tp).__name__
        self.lo = getattr(tp, "ge", None)
        self.hi = getattr(tp, "le", None)

    def parse(self, raw: str) -> Any:
        name = self.name
        if self.kind == "IntType":
            lo, hi = self.lo or 0, self.hi or MAX_QUERY_INT
            # The length first: int() refuses strings of more than 4300 digits.
            if not raw.isascii() or not raw.isdigit() or len(raw) > 19 or not lo <= int(raw) <= hi:
                raise ApiError(
                    ErrorCode.BAD_REQUEST, f"{name} must be a whole number from {lo} to {hi}"
                )
            return int(raw)
        if self.kind == "BoolType":
            if raw.lower() in ("true", "1"):
                return True
            if raw.lower() in ("false", "0"):
                return False
            raise ApiError(ErrorCode.BAD_REQUEST, f"{name} must be true or false")
        if self.choices:
            if raw not in self.choices:
                words = [c for c in self.choices if c]
                raise ApiError(
                    ErrorCode.BAD_REQUEST,
                    f"{name} must be {', '.join(words[:-1])} or {words[-1]}",
                )
            return raw
        return raw


MAX_QUERY_INT = 2**63 - 1


@functools.cache
def _query_fields(model: type[msgspec.Struct]) -> tuple[_QueryField, ...]:
    info = msgspec.inspect.type_info(model)
    assert isinstance(info, msgspec.inspect.StructType)
    hints = typing.get_type_hints(model, include_extras=True)
    return tuple(
        _QueryField(f.name, f.type, _literal_values(hints[f.name])) for f in info.fields
    )


def _literal_values(tp: Any) -> tuple[str, ...]:
    """The values of a Literal (in the order written; msgspec sorts them), else ()."""
    if typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    if typing.get_origin(tp) is typing.Literal:
        return tuple(v for a in typing.get_args(tp) for v in (_literal_values(a) or (a,)))
    return ()
