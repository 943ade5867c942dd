"""The fast canonical JSON writes exactly what the RFC 8785 reference writes, or refuses alike."""

from __future__ import annotations

from typing import Any

import pytest
import rfc8785
from hypothesis import given
from hypothesis import strategies as st

from billing.canonical import CanonicalizationError, canonical_json

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF))
    | st.floats(allow_nan=False, allow_infinity=False)
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=20,
)


def reference(value: Any) -> bytes | type[Exception]:
    try:
        return rfc8785.dumps(value)
    except rfc8785.CanonicalizationError:
        return CanonicalizationError


@given(documents)
def test_it_writes_what_the_reference_writes(value: Any) -> None:
    expected = reference(value)
    if expected is CanonicalizationError:
        with pytest.raises(CanonicalizationError):
            canonical_json(value)
    else:
        assert canonical_json(value) == expected


def test_every_escape_and_a_ledger_entry_match_the_reference() -> None:
    entry = {
        "seq": 2**53 - 1,
        "reference": "".join(map(chr, range(0x80))) + "é€😀\u2028",
        "amount": -1_000_000,
        "kind": "cast",
        "ok": True,
        "none": None,
    }
    assert canonical_json(entry) == rfc8785.dumps(entry)
    with pytest.raises(CanonicalizationError):
        canonical_json({"too big": 2**53})
    with pytest.raises(CanonicalizationError):
        canonical_json({"lone": "\ud800"})
