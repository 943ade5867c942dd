"""jsonschema is loaded without building rfc3987-syntax's IRI grammar (1.5 s of CPU per process),
and IRIs are still checked, by the same library, the first time one is met."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROGRAM = """
import json, sys
from registry.json_schema import load
jsonschema = load()
loaded_at_start = "rfc3987_syntax" in sys.modules
schema = {"type": "object", "properties": {"link": {"type": "string", "format": "iri-reference"}}}
draft = jsonschema.Draft202012Validator
validator = draft(schema, format_checker=draft.FORMAT_CHECKER)
verdicts = [validator.is_valid({"link": link}) for link in ("https://例え.jp/ä?q=1", "https://a b/", "../up")]
print(json.dumps({"loaded_at_start": loaded_at_start, "verdicts": verdicts}))
"""


@pytest.mark.processes
def test_the_iri_grammar_is_built_only_when_an_iri_is_checked_and_iris_are_checked() -> None:
    # A process of its own: this one imported jsonschema long ago, the usual way.
    done = subprocess.run([sys.executable, "-c", PROGRAM], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == {"loaded_at_start": False, "verdicts": [True, False, True]}
