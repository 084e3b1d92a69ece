"""Request bodies in, answers out, through the models (moxhooks.models).

A body is read as JSON, then converted into its model; what the model refuses becomes
400 badRequest with a message that names the member, in the words the API has always
used ("address is required", "address must be a string").
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

import msgspec
from aiohttp import web

from moxhooks.errors import ApiError, ErrorCode
from moxhooks.models import encode

T = TypeVar("T", bound=msgspec.Struct)

JSON = "application/json"


def answer(model: Any, status: int = 200) -> web.Response:
    """A model (or a list or dict of models) as the JSON answer."""
    return web.Response(body=encode(model), status=status, content_type=JSON)


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
