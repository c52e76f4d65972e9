"""What no input may carry, checked once at the edge: NUL bytes, lone surrogates, deep JSON.

PostgreSQL text cannot hold a NUL character and UTF-8 cannot encode a lone surrogate (``\\ud800``
from a JSON escape), so either one used to reach a query or an INSERT and end in a 500. A JSON
document nested thousands of levels deep made the parser raise ``RecursionError``. The edge
middleware (path, query string, form fields) and the API's parsers (JSON, form, multipart bodies)
both call :func:`find_problem`; views never repeat the check.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

from django.conf import settings
from django.utils.translation import gettext as _

FORBIDDEN_CHARACTERS = re.compile("[\x00\ud800-\udfff]")
DEFAULT_MAX_JSON_DEPTH = 32


class UnsafeInput(ValueError):
    """The input holds something no field may store; the message says what, for a 400."""


def max_json_depth() -> int:
    return int(getattr(settings, "JSON_MAX_DEPTH", DEFAULT_MAX_JSON_DEPTH))


def check_text(value: str) -> None:
    match = FORBIDDEN_CHARACTERS.search(value)
    if match is None:
        return
    if match.group() == "\x00":
        raise UnsafeInput(_("The request contains a NUL character, which no field accepts."))
    raise UnsafeInput(_("The request contains an invalid Unicode character (a lone surrogate)."))


def check_strings(values: Iterable[str]) -> None:
    for value in values:
        check_text(value)


def check_structure(value, max_depth: int | None = None) -> None:
    """Walk parsed JSON without recursion: every key and string checked, nesting bounded."""
    limit = max_json_depth() if max_depth is None else max_depth
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, dict | list):
            if depth > limit:
                raise UnsafeInput(_("The JSON is nested too deeply (at most %(n)s levels).") % {"n": limit})
            if isinstance(item, dict):
                check_strings(item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)


def loads(text: str | bytes, max_depth: int | None = None):
    """``json.loads`` that refuses deep nesting, NUL bytes and lone surrogates with UnsafeInput.

    Malformed JSON raises ``ValueError`` (``json.JSONDecodeError``) as usual.
    """
    try:
        value = json.loads(text)
    except RecursionError as error:
        raise UnsafeInput(_("The JSON is nested too deeply.")) from error
    check_structure(value, max_depth)
    return value
