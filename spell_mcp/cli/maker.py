"""The maker's commands that make a package: init, build, sbom, test and pack (publishing.py
signs and ships it).

From an empty folder to a published spell:
    spell init greeter && cd greeter
    spell build && spell sbom generate && spell test
    spell pack -o spell.tar && spell sign spell.tar
    spell publish spell.tar --bundle spell.tar.sigstore.json
`spell-cli` is the same program, taking the flags of the platform's CI recipe as well
(`spell-cli publish --tar spell.tar --signature spell.tar.sigstore.json`).
"""

from __future__ import annotations

import getpass
import hashlib
import json
import subprocess
from pathlib import Path
from typing import Annotated, Any

import typer

from spell_mcp.cli.common import FAILED, USAGE, JsonOption, emit, fail, stderr

maker_app = typer.Typer()
sbom_app = typer.Typer(help="The spell's SBOM (SPDX 2.3 JSON).", no_args_is_help=True)

FolderArgument = Annotated[Path, typer.Argument(metavar="FOLDER", help="The spell's folder (default: here).")]


def _toolchain_failure(problems: list[str], what: str) -> None:
    stderr(f"{what}:")
    for problem in problems:
        stderr(f"  - {problem}")
    raise typer.Exit(FAILED)


def _manifest(folder: Path) -> Any:
    from spell_mcp.toolchain.packing import PackError, read_manifest

    try:
        return read_manifest(folder)
    except PackError as exc:
        _toolchain_failure(exc.problems, f"{folder}: not a spell folder")


@maker_app.command()
def init(
    name: Annotated[
        str, typer.Argument(metavar="NAME", help="The spell's name: lower case, digits, dashes.")
    ],
    lang: Annotated[str, typer.Option("--lang", metavar="c|zig|rust", help="The source language.")] = "c",
    key: Annotated[
        str | None,
        typer.Option("--key", metavar="KEY", help="Its key, reverse-DNS (default com.example.NAME)."),
    ] = None,
    author: Annotated[str | None, typer.Option("--author", metavar="NAME", help="Who makes it.")] = None,
    directory: Annotated[
        Path | None, typer.Option("--dir", metavar="DIR", help="Where to make it (default ./NAME).")
    ] = None,
) -> None:
    """Start a spell: a folder that builds, tests and publishes as it is."""
    from spell_mcp.toolchain.project import InitError, create

    folder = directory or Path(name)
    try:
        create(folder, name, lang, key=key, author=author or _git_user() or getpass.getuser())
    except InitError as exc:
        fail(str(exc), USAGE)
    typer.echo(
        f"made {folder}/ ({lang}). Next:\n\n    cd {folder}\n    spell build\n    spell sbom generate\n"
        "    spell test\n\nthen `spell pack`, `spell sign` and `spell publish` (its README says how)."
    )


def _git_user() -> str | None:
    try:
        done = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, check=False)
    except OSError:
        return None
    return done.stdout.strip() or None


@maker_app.command()
def build(folder: FolderArgument = Path("."), as_json: JsonOption = False) -> None:
    """Compile the spell to spell.wasm (wasm32-wasi) and check it as publish will."""
    from spell_mcp.toolchain.building import BuildError
    from spell_mcp.toolchain.building import build as build_module

    manifest = _manifest(folder)
    try:
        built = build_module(folder, manifest)
    except BuildError as exc:
        fail(f"build failed: {exc}")
    report = {
        "module": str(built.module),
        "size": built.size,
        "max_size": built.max_size,
        "imports": list(built.imports),
        "refusal": built.refusal,
    }
    emit(
        as_json,
        report,
        lambda r: (
            f"built {r['module']}: {r['size']:,} bytes of {r['max_size']:,} allowed\n"
            f"imports: {', '.join(r['imports']) or 'none'}\n"
            + (f"REFUSED: {r['refusal']}" if r["refusal"] else "the sandbox provides every import")
        ),
    )
    if built.refusal or built.size > built.max_size:
        raise typer.Exit(FAILED)


@sbom_app.command("generate")
def sbom_generate(
    folder: FolderArgument = Path("."),
    output: Annotated[
        Path | None, typer.Option("-o", "--output", metavar="FILE", help="Default: the manifest's sbom.")
    ] = None,
) -> None:
    """Write the SPDX 2.3 SBOM: the module's digest and the dependencies the lock files pin."""
    from spell_mcp.toolchain.sbom_generation import LockFileError, generate

    manifest = _manifest(folder)
    module = folder / manifest.runtime.entry
    if not module.is_file():
        fail(f"{module}: missing; build the spell first (`spell build`)", USAGE)
    try:
        document = generate(folder, manifest, module.read_bytes())
    except LockFileError as exc:
        fail(f"cannot read the dependencies: {exc}", USAGE)
    target = output or folder / manifest.supply_chain.sbom
    target.write_text(json.dumps(document, indent=2) + "\n")
    typer.echo(f"wrote {target}: the spell and {len(document['packages']) - 1} dependencies")


@sbom_app.command("validate")
def sbom_validate(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="An SPDX or CycloneDX JSON SBOM.")],
) -> None:
    """Check an SBOM exactly as publish does."""
    from registry import SbomError, read_sbom

    try:
        document = json.loads(file.read_text())
    except (OSError, ValueError) as exc:
        fail(f"{file}: cannot be read as JSON ({exc})", USAGE)
    try:
        sbom = read_sbom(document if isinstance(document, dict) else {})
    except SbomError as exc:
        _toolchain_failure(exc.problems, f"{file}: refused")
    typer.echo(f"OK {file}: {sbom.format}, {len(sbom.components)} packages")


@maker_app.command()
def pack(
    folder: FolderArgument = Path("."),
    output: Annotated[Path, typer.Option("-o", "--output", metavar="FILE", help="Where to write it.")] = Path(
        "spell.tar"
    ),
) -> None:
    """Write the canonical package (what you sign and publish): the files the manifest names,
    checked as publish checks them."""
    from registry import RegistrationError
    from spell_mcp.toolchain.packing import PackError, pack_folder

    try:
        data = pack_folder(folder)
    except PackError as exc:
        _toolchain_failure(exc.problems, f"cannot pack {folder}")
    with _trial() as trial:
        try:
            trial.check(data)
        except RegistrationError as exc:
            _toolchain_failure(exc.problems, f"publish would refuse it ({exc.code})")
    output.write_bytes(data)
    typer.echo(f"{output} ({len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()})")


def _trial() -> Any:
    from spell_mcp.settings import Settings
    from spell_mcp.toolchain.trial import trial

    return trial(Settings().operator_ceiling)


@maker_app.command()
def test(
    folder: FolderArgument = Path("."),
    tar: Annotated[
        Path | None,
        typer.Option("--tar", metavar="FILE", help="Test this package instead of packing the folder."),
    ] = None,
    examples: Annotated[
        Path | None,
        typer.Option("--examples", metavar="FILE", help="The cases (default: FOLDER/tests/examples.json)."),
    ] = None,
    osv: Annotated[
        Path | None,
        typer.Option("--osv", metavar="DIR", envvar="SPELL_OSV_DB", help="An OSV database to scan against."),
    ] = None,
    strict: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Fail on warnings too: licence conflicts, any known vulnerability, limits above the "
            "ceilings.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Every check publish runs, then each example cast in the sandbox under the spell's limits."""
    from registry import RegistrationError
    from spell_mcp.catalog.publishing import limits_above_ceilings
    from spell_mcp.settings import Settings
    from spell_mcp.toolchain.packing import PackError, pack_folder
    from spell_mcp.toolchain.trial import ExamplesError, read_examples, vulnerabilities

    try:
        package = tar.read_bytes() if tar is not None else pack_folder(folder)
    except OSError as exc:
        fail(f"--tar {tar}: {exc.strerror or exc}", USAGE)
    except PackError as exc:
        _toolchain_failure(exc.problems, f"cannot pack {folder}")
    cases_file = examples or folder / "tests" / "examples.json"
    try:
        cases = read_examples(cases_file) if cases_file.is_file() else []
    except ExamplesError as exc:
        fail(str(exc), USAGE)
    report: dict[str, Any] = {"checks": [], "warnings": [], "cases": [], "passed": False}
    with _trial() as trial:
        try:
            checked = trial.check(package)
        except RegistrationError as exc:
            report["checks"] = [{"check": exc.code, "passed": False, "problems": exc.problems}]
            _finish(report, as_json)
            return
        report["checks"].append({"check": "package, manifest, schemas, SBOM and module", "passed": True})
        warnings = [f"{w.package} ({w.licence}): {w.reason}" for w in checked.licence_warnings]
        warnings += limits_above_ceilings(checked.source.manifest.runtime.model_dump(), Settings())
        if osv is not None:
            findings = vulnerabilities(checked, osv)
            blocking = [f for f in findings if f.blocking]
            report["checks"].append(
                {
                    "check": "known vulnerabilities",
                    "passed": not blocking,
                    "problems": [f"{f.package} {f.version}: {f.id}, {f.rating}" for f in blocking],
                }
            )
            warnings += [f"{f.package} {f.version}: {f.id}, {f.rating}" for f in findings if not f.blocking]
        report["warnings"] = warnings
        report["cases"] = [trial.cast(checked, case).as_dict() for case in cases]
    if strict and warnings:
        report["checks"].append({"check": "no warnings (--all)", "passed": False, "problems": warnings})
    _finish(report, as_json, cases_file if not cases else None)


def _finish(report: dict[str, Any], as_json: bool, no_cases: Path | None = None) -> None:
    report["passed"] = all(c["passed"] for c in report["checks"]) and all(
        c["passed"] for c in report["cases"]
    )
    if as_json:
        emit(True, report, "")
    else:
        for item in report["checks"]:
            typer.echo(f"{'PASS' if item['passed'] else 'FAIL'}  {item['check']}")
            for problem in item.get("problems", []):
                typer.echo(f"      - {problem}")
        for warning in report["warnings"]:
            typer.echo(f"WARN  {warning}")
        for case in report["cases"]:
            typer.echo(
                f"{'PASS' if case['passed'] else 'FAIL'}  example: {case['name']} ({case['duration_ms']} ms)"
            )
            if not case["passed"]:
                typer.echo(f"      {case['detail']}")
        if no_cases is not None:
            typer.echo(f"note  no examples were run: {no_cases} does not exist")
        passed = sum(c["passed"] for c in report["cases"])
        verdict = "passed" if report["passed"] else "FAILED"
        typer.echo(f"\n{verdict}: {passed} of {len(report['cases'])} examples")
    if not report["passed"]:
        raise typer.Exit(FAILED)
