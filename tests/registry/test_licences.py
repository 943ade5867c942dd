"""Dependency licences against the spell's own, by SPDX expression."""

from __future__ import annotations

from registry.licences import check_licences


def reasons(spell: str, *deps: tuple[str, str | None]) -> dict[str, str]:
    return {w.package: w.reason for w in check_licences(spell, list(deps))}


def test_permissive_dependencies_fit_a_permissive_spell() -> None:
    assert (
        reasons(
            "Apache-2.0", ("a", "MIT"), ("b", "BSD-3-Clause AND ISC"), ("c", "Apache-2.0 WITH LLVM-exception")
        )
        == {}
    )


def test_a_choice_of_licences_is_compatible_when_one_choice_is() -> None:
    assert reasons("MIT", ("dual", "GPL-3.0-only OR MIT")) == {}
    assert "not known to be compatible" in reasons("MIT", ("both", "GPL-3.0-only AND MIT"))["both"]


def test_copyleft_in_a_permissive_spell_is_a_warning_not_a_refusal() -> None:
    warnings = check_licences("MIT", [("gpl", "GPL-3.0-only")])
    assert [w.as_dict() for w in warnings] == [
        {
            "package": "gpl",
            "licence": "GPL-3.0-only",
            "reason": "not known to be compatible with the spell's MIT",
        }
    ]
    assert reasons("GPL-3.0-or-later", ("gpl", "GPL-3.0-only"), ("mit", "MIT")) == {}


def test_missing_and_invalid_licences_are_reported() -> None:
    found = reasons("MIT", ("none", None), ("bad", "Not A Licence"))
    assert found == {"none": "no licence declared", "bad": "not a valid SPDX licence expression"}


def test_the_operator_table_decides() -> None:
    table = {"MIT": frozenset({"MIT"})}
    assert [w.package for w in check_licences("MIT", [("bsd", "BSD-3-Clause")], table)] == ["bsd"]
