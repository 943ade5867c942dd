"""Licence compatibility of a spell's dependencies with the spell's own licence.

Each dependency's SPDX expression is put in disjunctive normal form; it is compatible when at
least one of its AND-groups lies wholly within what the spell's licence may include, per the
operator's compatibility table. Incompatibilities are warnings kept with the version, not
refusals: licensing needs a person's judgement.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from license_expression import ExpressionError, get_spdx_licensing

PERMISSIVE = frozenset(
    {
        "0BSD",
        "Apache-2.0",
        "Apache-2.0 WITH LLVM-exception",
        "BSD-2-Clause",
        "BSD-3-Clause",
        "BSL-1.0",
        "CC0-1.0",
        "ISC",
        "MIT",
        "MIT-0",
        "Unlicense",
        "Zlib",
        "Python-2.0",
    }
)
WEAK_COPYLEFT = frozenset(
    {"LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later", "MPL-2.0"}
)
# Spell licence → the dependency licences it may include. Operators can replace it in settings.
DEFAULT_COMPATIBILITY: dict[str, frozenset[str]] = {
    **{licence: PERMISSIVE | {"MPL-2.0"} for licence in PERMISSIVE},
    "MPL-2.0": PERMISSIVE | {"MPL-2.0"},
    **{licence: PERMISSIVE | WEAK_COPYLEFT for licence in WEAK_COPYLEFT},
    "GPL-2.0-or-later": PERMISSIVE | WEAK_COPYLEFT | {"GPL-2.0-or-later"},
    "GPL-3.0-only": PERMISSIVE | WEAK_COPYLEFT | {"GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later"},
    "GPL-3.0-or-later": PERMISSIVE | WEAK_COPYLEFT | {"GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later"},
    "AGPL-3.0-only": PERMISSIVE
    | WEAK_COPYLEFT
    | {"GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later", "AGPL-3.0-only", "AGPL-3.0-or-later"},
}

_licensing = get_spdx_licensing()


@dataclass(frozen=True, slots=True)
class LicenceWarning:
    package: str
    licence: str
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"package": self.package, "licence": self.licence, "reason": self.reason}


def _groups(expression: str) -> list[set[str]]:
    """The AND-groups of an expression's disjunctive normal form, as SPDX keys."""
    parsed = _licensing.dnf(_licensing.parse(expression, validate=True, strict=True))
    alternatives = parsed.args if parsed.__class__.__name__ == "OR" else (parsed,)
    groups = []
    for alternative in alternatives:
        members = alternative.args if alternative.__class__.__name__ == "AND" else (alternative,)
        groups.append({str(member) for member in members})
    return groups


def check_licences(
    spell_licence: str,
    dependencies: list[tuple[str, str | None]],
    compatibility: Mapping[str, frozenset[str]] = DEFAULT_COMPATIBILITY,
) -> list[LicenceWarning]:
    """Warnings for each (package, licence expression) the spell's licence may not include."""
    try:
        spell_groups = _groups(spell_licence)
    except ExpressionError:
        return [LicenceWarning("(the spell)", spell_licence, "not a valid SPDX licence expression")]
    # A spell offered under several licences may include what any of them may.
    allowed: set[str] = set()
    for group in spell_groups:
        for licence in group:
            allowed |= compatibility.get(licence, frozenset())
    warnings = []
    for package, expression in dependencies:
        if not expression:
            warnings.append(LicenceWarning(package, "NOASSERTION", "no licence declared"))
            continue
        try:
            groups = _groups(expression)
        except ExpressionError:
            warnings.append(LicenceWarning(package, expression, "not a valid SPDX licence expression"))
            continue
        if not any(group <= allowed for group in groups):
            warnings.append(
                LicenceWarning(
                    package, expression, f"not known to be compatible with the spell's {spell_licence}"
                )
            )
    return warnings
