"""Amounts shown to people: exact decimal dollars, debts included."""

from __future__ import annotations

import pytest

from billing import usd


@pytest.mark.parametrize(
    ("micros", "shown"),
    [
        (0, "0"),
        (1_500, "0.0015"),
        (2_000_000, "2"),
        (12_345_678, "12.345678"),
        (-1_500, "-0.0015"),
        (-2_500_000, "-2.5"),
    ],
)
def test_micro_usd_are_shown_as_exact_dollars(micros: int, shown: str) -> None:
    assert usd(micros) == shown
