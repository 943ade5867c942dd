"""RFC 8785 canonical JSON, fast for what the ledger and receipts hold.

`rfc8785` (the reference) is pure Python: about 50 µs for one ledger entry, and a cast
canonicalises five documents (three chain entries, the receipt, the output's digest). For
documents of strings, integers within ±2^53, booleans, nulls, arrays and objects with ASCII
keys, RFC 8785 is exactly what the standard library's encoder writes with sorted keys, compact
separators and no ASCII escaping: its string escapes are the same set, written the same way, and
ASCII keys sort the same by code point as by UTF-16 unit. Anything else (floats, non-ASCII keys,
lone surrogates) goes to `rfc8785`.
"""

from __future__ import annotations

import json
from typing import Any

import rfc8785

CanonicalizationError = rfc8785.CanonicalizationError
_SAFE = 2**53 - 1
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode


def _plain(value: Any) -> bool:
    """Whether `value` holds only what the standard encoder writes canonically."""
    if isinstance(value, str) or value is None or isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -_SAFE <= value <= _SAFE
    if isinstance(value, dict):
        return all(isinstance(key, str) and key.isascii() and _plain(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return all(_plain(item) for item in value)
    return False


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical form of a JSON value. Raises `CanonicalizationError` for what has
    none (NaN, integers beyond ±2^53, lone surrogates)."""
    if _plain(value):
        try:
            return _encode(value).encode()
        except UnicodeEncodeError:
            pass  # a lone surrogate: the reference says why it has no canonical form
    return rfc8785.dumps(value)
