"""JSON documents a maker sends — a package's schemas and SBOM, a Sigstore bundle — read within a
bound on nesting, before anything walks them.

Python's parser stops at the interpreter's recursion limit (about a thousand levels, a few
kilobytes into a document of nested arrays) with a RecursionError; the validators that read a
document afterwards (jsonschema, the SBOM libraries, sigstore) recurse several frames a level and
fail far sooner. So a document is refused past `MAX_DEPTH` levels, whichever of the two finds it,
with words a maker can act on, and nothing deeper reaches a validator.
"""

from __future__ import annotations

import json
from typing import Any

# Arrays and objects inside one another, counting the outermost: `{"a": [1]}` is 2 levels. Real
# schemas, SBOMs and bundles nest a dozen at most.
MAX_DEPTH = 64


class JSONTextError(ValueError):
    """Not JSON, or nested too deep; the message says which, in a maker's words."""


def loads(text: bytes | str) -> Any:
    """The document `text` holds, if it is JSON within `MAX_DEPTH` levels."""
    try:
        document = json.loads(text)
    except RecursionError:
        raise JSONTextError(_too_deep()) from None
    except json.JSONDecodeError as exc:
        raise JSONTextError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except ValueError:  # not UTF-8, or an integer of more digits than Python converts
        raise JSONTextError("not JSON: not UTF-8 text, or a number too long") from None
    if deeper_than(document, MAX_DEPTH):
        raise JSONTextError(_too_deep())
    return document


def deeper_than(document: Any, limit: int) -> bool:
    """Whether more than `limit` arrays and objects stand inside one another in `document`."""
    pending: list[tuple[Any, int]] = [(document, 1)]  # iterative: depth cannot exhaust the stack
    while pending:
        item, level = pending.pop()
        members = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if members is not None:
            if level > limit:
                return True
            pending.extend((member, level + 1) for member in members)
    return False


def _too_deep() -> str:
    return f"it nests arrays and objects deeper than {MAX_DEPTH} levels"
