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


RACE = """
import threading
from registry.json_schema import load
start, failures = threading.Barrier(8), []

def first_use():
    start.wait()
    try:
        load()
    except Exception as exc:
        failures.append(repr(exc))

threads = [threading.Thread(target=first_use) for _ in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(failures)
"""


@pytest.mark.processes
def test_threads_loading_jsonschema_at_once_all_get_it() -> None:
    """Concurrent first publishes in a new server check their SBOMs in threads at once."""
    for _ in range(3):
        done = subprocess.run([sys.executable, "-c", RACE], capture_output=True, text=True, check=True)
        assert done.stdout.strip() == "[]", done.stdout
