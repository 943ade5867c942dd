"""The house's rooms and the one direction its imports go.

Top-level packages: `spell_mcp` → `registry`, `runtime`, `billing`; `registry` → `runtime`;
`runtime` and `billing` import no other package of ours. Inside `spell_mcp`: the entry points
(`app`, `cli`) → the faces (`rest`, `mcp`, which never import each other) → the services
(`casting`, `catalog`, `platform`, …) → `accounts` → `audit`, `observability` → `database` → `errors` and
`settings`; and no module imports itself back through others. The faces and the commands only
adapt: they neither import the storage nor open a unit of work, which the services own.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = ("spell_mcp", "registry", "runtime", "billing")
MAY_IMPORT = {
    "spell_mcp": {"spell_mcp", "registry", "runtime", "billing"},
    "registry": {"registry", "runtime"},
    "runtime": {"runtime"},
    "billing": {"billing"},
}
# Lowest first. A module may import from its own layer and the layers below it.
LAYERS = [
    ("base", ("spell_mcp.errors", "spell_mcp.settings", "spell_mcp.strict_json")),
    ("database", ("spell_mcp.database",)),
    ("audit and observability", ("spell_mcp.audit", "spell_mcp.observability")),
    ("accounts", ("spell_mcp.accounts",)),
    (
        "services",
        (
            "spell_mcp.casting",
            "spell_mcp.queueing",
            "spell_mcp.catalog",
            "spell_mcp.payments",
            "spell_mcp.operations",
            "spell_mcp.privacy",
            "spell_mcp.toolchain",
            "spell_mcp.platform",
            "spell_mcp.housekeeping",
            "spell_mcp.bootstrap",
        ),
    ),
    ("faces", ("spell_mcp.rest", "spell_mcp.mcp", "spell_mcp.dashboard")),
    ("entry points", ("spell_mcp.app", "spell_mcp.cli")),
]
FACES = ("spell_mcp.rest", "spell_mcp.mcp", "spell_mcp.dashboard")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> Iterator[tuple[str, Path]]:
    for package in OURS:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                yield module_name(path), path


PATHS = dict(modules())
KNOWN = set(PATHS)


def imported(path: Path) -> set[str]:
    """Every module of ours that `path` imports, wherever the import statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from spell_mcp.rest import casts` imports the module spell_mcp.rest.casts.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found & KNOWN


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def layer_of(name: str) -> int:
    for rank, (_, prefixes) in enumerate(LAYERS):
        if any(within(name, prefix) for prefix in prefixes):
            return rank
    raise AssertionError(f"{name} belongs to no layer: add it to LAYERS in {Path(__file__).name}")


GRAPH = {name: imported(path) for name, path in modules()}


@pytest.mark.parametrize("module", sorted(GRAPH))
def test_each_top_level_package_imports_only_what_it_may(module: str) -> None:
    package = module.split(".")[0]
    strays = {name for name in GRAPH[module] if name.split(".")[0] not in MAY_IMPORT[package]}
    assert not strays, f"{module} imports {sorted(strays)}"


@pytest.mark.parametrize(
    "module", sorted(name for name in GRAPH if within(name, "spell_mcp") and "." in name)
)
def test_the_server_imports_point_down_the_layers(module: str) -> None:
    mine = layer_of(module)
    for name in GRAPH[module]:
        if not within(name, "spell_mcp") or name == "spell_mcp":
            continue
        assert layer_of(name) <= mine, (
            f"{module} ({LAYERS[mine][0]}) imports {name} ({LAYERS[layer_of(name)][0]}), which is above it"
        )
        for face in FACES:
            for other in FACES:
                if face != other and within(module, face):
                    assert not within(name, other), f"the face {module} imports the other face's {name}"


def test_no_module_imports_itself_back() -> None:
    cycles = []
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(name: str) -> None:
        state[name] = "open"
        path.append(name)
        for target in sorted(GRAPH[name]):
            if state.get(target) == "open":
                cycles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target)
        path.pop()
        state[name] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name)
    assert not cycles, "import cycles: " + "; ".join(" → ".join(cycle) for cycle in cycles)


def test_every_module_of_the_server_has_its_layer() -> None:
    for name in GRAPH:
        if within(name, "spell_mcp") and name != "spell_mcp":
            layer_of(name)


# The faces and the entry points only adapt: the services own every unit of work, its queries,
# its audit events and its side effects. So no face nor command imports the storage or opens a
# transaction (`….db.read`, `….db.write`, `….db.transaction`) itself.
ADAPTERS = (*FACES, "spell_mcp.cli")
STORAGE = ("sqlalchemy", "sqlmodel", "spell_mcp.database")
UNITS_OF_WORK = {"read", "write", "transaction"}


def storage_uses(path: Path) -> list[str]:
    """What of the storage `path` touches: imports of it, and units of work it opens."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        storage = [name for name in names if any(within(name, part) for part in STORAGE)]
        if storage:
            found.append(f"imports {storage[0]} (line {node.lineno})")
        if (
            isinstance(node, ast.Attribute)
            and node.attr in UNITS_OF_WORK
            and isinstance(node.value, ast.Attribute | ast.Name)
            and (node.value.attr if isinstance(node.value, ast.Attribute) else node.value.id) == "db"
        ):
            found.append(f"calls .db.{node.attr} (line {node.lineno})")
    return found


@pytest.mark.parametrize(
    "module", sorted(name for name in GRAPH if any(within(name, adapter) for adapter in ADAPTERS))
)
def test_faces_and_commands_leave_units_of_work_to_the_services(module: str) -> None:
    uses = storage_uses(PATHS[module])
    assert not uses, f"{module} {'; '.join(uses)}: call a service that owns the unit of work"
