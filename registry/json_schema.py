"""jsonschema, imported through `load()`, which leaves its IRI grammar unbuilt until an IRI is checked.

jsonschema checks the `iri` and `iri-reference` formats with rfc3987-syntax when that is installed
(cyclonedx-python-lib's json-validation extra installs it), and rfc3987-syntax builds three Earley
parsers from its grammar as it is imported: about 1.5 s of CPU in every process that imports
jsonschema, whether or not it ever meets an IRI. `load()` imports jsonschema with rfc3987-syntax
hidden, then registers the same two checks for the same drafts; they import rfc3987-syntax the
first time they run. Where jsonschema was imported already, it is left as it is.
"""

from __future__ import annotations

import sys
import threading
from functools import cache, partial
from importlib.util import find_spec
from typing import Any

_GRAMMAR = "rfc3987_syntax"
# (format, rfc3987-syntax's rule), checked from draft 7 on, as jsonschema itself does.
_IRI_FORMATS = (("iri", "iri"), ("iri-reference", "iri_reference"))
# Hiding the grammar changes sys.modules for every thread: one thread at a time (`cache` alone
# lets two threads run a first call at once, and the second then finds nothing to unhide).
_LOADING = threading.Lock()


def load() -> Any:
    """The jsonschema module, its format checkers complete."""
    with _LOADING:
        return _load()


@cache
def _load() -> Any:
    if "jsonschema" in sys.modules:
        return sys.modules["jsonschema"]
    hide = _GRAMMAR not in sys.modules and find_spec(_GRAMMAR) is not None
    if hide:
        sys.modules[_GRAMMAR] = None  # type: ignore[assignment]  # `import` raises ImportError
    try:
        import jsonschema
    finally:
        if hide:
            del sys.modules[_GRAMMAR]
    drafts = (jsonschema.Draft7Validator, jsonschema.Draft201909Validator, jsonschema.Draft202012Validator)
    for name, rule in _IRI_FORMATS if hide else ():
        for draft in drafts:
            if name not in draft.FORMAT_CHECKER.checkers:
                draft.FORMAT_CHECKER.checks(name, raises=ValueError)(partial(_is_valid, rule))
    return jsonschema


def _is_valid(rule: str, instance: object) -> bool:
    if not isinstance(instance, str):
        return True
    from rfc3987_syntax import is_valid_syntax

    return bool(is_valid_syntax(rule, instance))
