"""Amounts shown to people: exact decimal dollars, debts included."""

from __future__ import annotations

import time

import pytest

from billing import micros_of_usd, usd


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


@pytest.mark.parametrize(
    ("text", "micros"), [("5", 5_000_000), (" 0.25 ", 250_000), ("-1.5", -1_500_000), ("1e-6", 1)]
)
def test_amounts_written_in_usd_are_read_exactly(text: str, micros: int) -> None:
    assert micros_of_usd(text) == micros


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("five", "decimal amount"),
        ("0.0000001", "6 decimal places"),
        ("inf", "decimal amount"),
        ("NaN", "decimal amount"),
        ("1_000", "decimal amount"),
        ("\u0663", "decimal amount"),
        ("0x10", "decimal amount"),
        ("1e999990", "decimal amount"),
        ("9" * 41, "decimal amount"),
    ],
)
def test_amounts_that_are_not_exact_usd_are_refused(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        micros_of_usd(text)


def test_an_amount_with_a_huge_exponent_is_refused_at_once() -> None:
    """1e999990 cost about 40 s of CPU (an integer of a million digits) before it was refused."""
    started = time.perf_counter()
    for text in ("1e999990", "-1e999999999", "1e-999999"):
        with pytest.raises(ValueError):
            micros_of_usd(text)
    assert time.perf_counter() - started < 1.0
