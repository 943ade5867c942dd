"""JSON as RFC 8259 defines it, from every client: no NaN or Infinity, no number too large for a
float, no lone surrogate, no name twice in one object, and no deeper than `MAX_DEPTH` levels.

Python's `json` accepts all of these, and each is a way to make a spell (or our own encoder)
fail on input a caster sent, with the failure blamed on the spell: a spell's JSON parser need not
accept them, a lone surrogate cannot be encoded as UTF-8, two values for one name are read
differently by different parsers, and deep nesting exhausts recursion in validators and
serialisers long before it exhausts memory. One limit and one refusal for each, on every face.
"""

from __future__ import annotations

import json
import math
from typing import Any

# Arrays and objects inside one another, counting the outermost: `{"a": [1]}` is 2 levels.
MAX_DEPTH = 64


class NotStrictJSON(ValueError):
    """The text or value is not strict JSON; the message says why, in a client's words."""


def loads(text: bytes | str) -> Any:
    """Parse `text`, refusing anything but strict JSON within `MAX_DEPTH` levels."""
    try:
        value = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_names,
        )
    except RecursionError:
        raise NotStrictJSON(_too_deep()) from None
    except NotStrictJSON:
        raise
    except UnicodeDecodeError:
        raise NotStrictJSON("the body is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise NotStrictJSON(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError:  # an integer of more digits than Python converts (4,300)
        raise NotStrictJSON("a number has too many digits") from None
    check(value)
    return value


def duplicate_name(text: bytes | str) -> str | None:
    """Why `text` is refused if an object in it has a name twice (for a body that another parser,
    which keeps the last, reads next: the MCP SDK's); None otherwise, JSON or not."""
    try:
        json.loads(text, object_pairs_hook=_unique_names)
    except NotStrictJSON as exc:
        return str(exc)
    except (ValueError, RecursionError):  # not JSON (UnicodeDecodeError and JSONDecodeError too)
        pass
    return None


def check(value: Any) -> None:
    """Refuse a value parsed elsewhere (an MCP client's arguments) that strict JSON could not
    carry: too deep, a non-finite number, or a lone surrogate."""
    # Iterative, so that depth itself can never exhaust the stack here.
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            if depth > MAX_DEPTH:
                raise NotStrictJSON(_too_deep())
            for name, member in item.items():
                _check_text(name)
                pending.append((member, depth + 1))
        elif isinstance(item, list):
            if depth > MAX_DEPTH:
                raise NotStrictJSON(_too_deep())
            pending.extend((member, depth + 1) for member in item)
        elif isinstance(item, str):
            _check_text(item)
        elif isinstance(item, float) and not math.isfinite(item):
            raise NotStrictJSON("a number is not finite (NaN, Infinity, or too large for a 64-bit float)")


def _too_deep() -> str:
    return f"the JSON nests arrays and objects deeper than {MAX_DEPTH} levels"


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise NotStrictJSON(
            "a string holds a lone surrogate (\\ud800 to \\udfff), which is not text"
        ) from None


def _refuse_constant(name: str) -> Any:
    raise NotStrictJSON(f"JSON has no {name}: send a finite number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise NotStrictJSON(f"the number {text[:40]} is too large for a 64-bit float")
    return number


def _unique_names(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members = dict(pairs)
    if len(members) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise NotStrictJSON(f"the name {json.dumps(name)[:80]} appears twice in one object")
            seen.add(name)
    return members
