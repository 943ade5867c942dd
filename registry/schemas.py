"""Input and output schemas: JSON Schema 2020-12, checked once and compiled once.

`jsonschema` is loaded where it is first used, through registry/json_schema.py (which keeps its
IRI grammar from being built until an IRI is checked): a command that validates nothing does not
load it at all. A server loads it at start (spell_mcp/app.py).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from registry.content import content_problems
from registry.json_schema import load

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator


class SchemaError(ValueError):
    pass


def check_input_schema(schema: Any) -> dict[str, Any]:
    """A valid 2020-12 schema whose root describes a JSON object."""
    if not isinstance(schema, dict):
        raise SchemaError("the input schema must be a JSON object")
    jsonschema = load()
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SchemaError(f"not a valid JSON Schema 2020-12: {exc.message}") from None
    if schema.get("type") != "object":
        raise SchemaError('the input schema\'s root must be {"type": "object", ...}')
    return schema


def check_output_schema(schema: Any) -> dict[str, Any]:
    if not isinstance(schema, dict):
        raise SchemaError("the output schema must be a JSON object")
    jsonschema = load()
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise SchemaError(f"output schema is not valid JSON Schema 2020-12: {exc.message}") from None
    return schema


class InputValidators:
    """Compiled validators for immutable spell versions, kept so a cast never recompiles one."""

    def __init__(self, size: int = 1024) -> None:
        self._size = size
        self._validators: OrderedDict[Hashable, Draft202012Validator] = OrderedDict()

    def problems(
        self, version_id: Hashable, schema: dict[str, Any], value: Any, *, limit: int = 10
    ) -> list[str]:
        """What is wrong with `value` against `schema`, one line per problem (empty when valid)."""
        validator = self._validators.get(version_id)
        if validator is None:
            draft = load().Draft202012Validator
            validator = draft(schema, format_checker=draft.FORMAT_CHECKER)
            self._validators[version_id] = validator
            while len(self._validators) > self._size:
                self._validators.popitem(last=False)
        problems = []
        for err in sorted(validator.iter_errors(value), key=lambda e: [str(p) for p in e.absolute_path]):
            where = "/".join(str(p) for p in err.absolute_path)
            problems.append(f"{'/' + where if where else '(root)'}: {err.message}")
            if len(problems) >= limit:
                break
        return problems


def broken_promise(
    validators: InputValidators,
    version_id: Hashable,
    output: Any,
    *,
    content: bool,
    output_schema: dict[str, Any] | None,
) -> str | None:
    """How a spell's output breaks what its manifest promised, or None when it keeps it: a content
    document if it said so, and its output schema (over the document's `structured` part then)."""
    if content:
        problems = content_problems(output)
        if problems:
            return f"the output is not a content document: {problems[0]}"
        output = output.get("structured")
        if output is None:
            return None
    if output_schema is None:
        return None
    problems = validators.problems(("output", version_id), output_schema, output)
    if problems:
        return f"the output does not match the spell's output schema: {problems[0]}"
    return None
