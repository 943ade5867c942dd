"""The maker's commands: init, build, sbom, test, pack, sign, verify, publish and signers.

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
import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

import spell_mcp.cli.remote as remote
from spell_mcp.cli.common import FAILED, USAGE, JsonOption, emit, fail, stderr
from spell_mcp.cli.remote import KeyOption, UrlOption

maker_app = typer.Typer()
sbom_app = typer.Typer(help="The spell's SBOM (SPDX 2.3 JSON).", no_args_is_help=True)
signers_app = typer.Typer(
    help="Who may sign your spells (like PyPI's trusted publishers).", no_args_is_help=True
)

FolderArgument = Annotated[Path, typer.Argument(metavar="FOLDER", help="The spell's folder (default: here).")]
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


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
        warnings += _limit_warnings(checked, trial.ceiling)
        if osv is not None:
            findings = vulnerabilities(checked, osv)
            blocking = [f for f in findings if f.blocking]
            report["checks"].append(
                {
                    "check": "known vulnerabilities",
                    "passed": not blocking,
                    "problems": [f"{f.package} {f.version}: {f.id}, CVSS {f.score}" for f in blocking],
                }
            )
            warnings += [
                f"{f.package} {f.version}: {f.id}, CVSS {f.score}" for f in findings if not f.blocking
            ]
        report["warnings"] = warnings
        report["cases"] = [trial.cast(checked, case).as_dict() for case in cases]
    if strict and warnings:
        report["checks"].append({"check": "no warnings (--all)", "passed": False, "problems": warnings})
    _finish(report, as_json, cases_file if not cases else None)


def _limit_warnings(checked: Any, ceiling: Any) -> list[str]:
    asked = checked.source.manifest.runtime
    pairs = (
        ("timeout_ms", asked.timeout_ms, ceiling.timeout_ms),
        ("max_memory_mb", asked.max_memory_mb, ceiling.max_memory_bytes // (1024 * 1024)),
        ("max_output_mb", asked.max_output_mb, ceiling.max_output_bytes // (1024 * 1024)),
    )
    return [
        f"runtime.{name} = {value} is above the default ceiling: casts run with {limit}"
        for name, value, limit in pairs
        if value > limit
    ]


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


@maker_app.command()
def sign(
    file: Annotated[
        Path | None, typer.Argument(metavar="FILE", help="The package (default: spell.tar).")
    ] = None,
    tar: Annotated[Path | None, typer.Option("--tar", metavar="FILE", help="The same as FILE.")] = None,
    bundle: Annotated[
        Path | None,
        typer.Option(
            "--bundle", "--output", metavar="FILE", help="Where to write the bundle (FILE.sigstore.json)."
        ),
    ] = None,
    identity_token: Annotated[
        str | None,
        typer.Option(
            "--identity-token",
            metavar="JWT",
            envvar="SIGSTORE_ID_TOKEN",
            help="An OIDC identity token to sign with.",
        ),
    ] = None,
    trust_config: Annotated[
        Path | None,
        typer.Option(
            "--trust-config",
            metavar="FILE",
            help="A private Sigstore's client trust config (default: public Sigstore).",
        ),
    ] = None,
    staging: Annotated[
        bool, typer.Option("--staging", help="Sign with Sigstore's staging instance.")
    ] = False,
) -> None:
    """Sign a package with Sigstore: with the workflow's identity in GitHub Actions, a token you
    give, or in your browser."""
    from spell_mcp.toolchain.signing import SigningError
    from spell_mcp.toolchain.signing import sign as sign_package

    target = tar or file or Path("spell.tar")
    if not target.is_file():
        fail(f"{target}: no such package (make it with `spell pack`)", USAGE)
    out = bundle or target.with_name(target.name + ".sigstore.json")
    try:
        signed = sign_package(
            target.read_bytes(), identity_token=identity_token, trust_config=trust_config, staging=staging
        )
    except SigningError as exc:
        fail(f"cannot sign {target}: {exc}")
    out.write_text(signed.bundle)
    typer.echo(f"signed {target} as {signed.identity} ({signed.issuer}); bundle in {out}")


@maker_app.command()
def verify(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The signed file.")],
    bundle: Annotated[
        Path | None, typer.Option("--bundle", metavar="FILE", help="Its bundle (default FILE.sigstore.json).")
    ] = None,
    cert_identity: Annotated[
        str, typer.Option("--cert-identity", metavar="SAN", help="Expected signer (certificate SAN).")
    ] = "",
    cert_oidc_issuer: Annotated[
        str, typer.Option("--cert-oidc-issuer", metavar="URL", help="Expected OIDC issuer.")
    ] = "",
    trust_root: Annotated[
        str,
        typer.Option(
            "--trust-root", metavar="ROOT", help="production, staging, or a trusted_root.json path."
        ),
    ] = "production",
) -> None:
    """Verify a Sigstore signature offline. Exit 0 when valid, 1 with a one-line reason when not."""
    import logging

    # The offline trust root is the point here; sigstore's notice about it is noise.
    logging.getLogger("sigstore").setLevel(logging.ERROR)
    from registry.signing import SignatureError, SignerIdentity, verifier_for
    from registry.signing import verify as verify_signature

    if not cert_identity or not cert_oidc_issuer:
        fail("say who must have signed: --cert-identity SAN --cert-oidc-issuer URL", USAGE)
    bundle = bundle or file.with_name(file.name + ".sigstore.json")
    try:
        provenance = verify_signature(
            file.read_bytes(),
            bundle.read_bytes(),
            verifier_for(trust_root),
            [SignerIdentity(identity=cert_identity, issuer=cert_oidc_issuer)],
        )
    except (SignatureError, OSError) as exc:
        typer.echo(f"FAIL {file.name}: {exc}")
        raise typer.Exit(FAILED) from None
    typer.echo(
        f"OK {file.name}: signed by {provenance.identity} ({provenance.issuer}), "
        f"Rekor log index {provenance.log_index}"
    )


@maker_app.command()
def publish(
    package: Annotated[
        Path | None, typer.Argument(metavar="FILE", help="The package made by `spell pack`.")
    ] = None,
    tar: Annotated[Path | None, typer.Option("--tar", metavar="FILE", help="The same as FILE.")] = None,
    bundle: Annotated[
        Path | None, typer.Option("--bundle", "--signature", metavar="FILE", help="Its Sigstore bundle.")
    ] = None,
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Publish a package and its signature: castable as soon as this returns."""
    from spell_client.api.publishing import publish as publish_request
    from spell_client.models import BodyPublish
    from spell_client.types import File

    target = tar or package or Path("spell.tar")
    try:
        data = target.read_bytes()
        signature = bundle.read_bytes() if bundle is not None else None
    except OSError as exc:
        fail(f"{exc.filename}: {exc.strerror or exc}", USAGE)
    where = remote.platform(url, api_key)
    upload = File(payload=_Upload(data, target.name), file_name=target.name, mime_type="application/x-tar")
    form = BodyPublish(package=upload)
    if signature is not None and bundle is not None:
        form.bundle = File(payload=io.BytesIO(signature), file_name=bundle.name, mime_type="application/json")
    published = remote.call(where, publish_request.sync_detailed, body=form).parsed.to_dict()
    if as_json:
        emit(True, published, "")
        return
    version = published["version"]
    for warning in published.get("warnings", []):
        stderr(f"warning: {warning}")
    state = "published" if published["created"] else "already published"
    signed = f"signed by {version['provenance']['identity']}" if version.get("provenance") else "unsigned"
    typer.echo(
        f"{state}: {version['key']} {version['version']} ({signed})\n"
        f"  {where.url}/v1/spells/{version['key']}/versions/{version['version']}"
    )


class _Upload(io.BytesIO):
    """The package's bytes for the SDK's multipart form, with a progress line on a terminal."""

    def __init__(self, data: bytes, name: str) -> None:
        super().__init__(data)
        self._size = len(data)
        self._name = name
        self._show = sys.stderr.isatty()

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        if self._show:
            sys.stderr.write(f"\ruploading {self._name}: {100 * self.tell() // max(self._size, 1)} %")
            if not chunk:
                sys.stderr.write("\r\033[K")
            sys.stderr.flush()
        return chunk


@signers_app.command("add")
def signers_add(
    identity: Annotated[
        str | None, typer.Option("--identity", metavar="SAN", help="An e-mail or a workflow URI.")
    ] = None,
    issuer: Annotated[str | None, typer.Option("--issuer", metavar="URL", help="Its OIDC issuer.")] = None,
    github: Annotated[
        str | None,
        typer.Option("--github", metavar="OWNER/REPO", help="A GitHub repository whose workflow signs."),
    ] = None,
    workflow: Annotated[
        str, typer.Option("--workflow", metavar="PATH", help="With --github: the workflow file.")
    ] = ".github/workflows/publish.yml",
    ref: Annotated[
        str,
        typer.Option(
            "--ref",
            metavar="REF",
            help="With --github: the ref it must run on (default: any, as release tags change).",
        ),
    ] = "*",
    url: UrlOption = None,
    api_key: KeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Allow an identity to sign your spells: an e-mail and issuer, or a GitHub workflow."""
    from spell_client.api.publishing import register_signer
    from spell_client.models import SignerIn

    if github:
        request = {
            "identity": f"https://github.com/{github}/{workflow}@{ref}",
            "issuer": GITHUB_ISSUER,
            "repository": github,
        }
    elif identity and issuer:
        request = {"identity": identity, "issuer": issuer}
    else:
        fail("give --identity and --issuer, or --github OWNER/REPO", USAGE)
    where = remote.platform(url, api_key)
    made = remote.call(
        where, register_signer.sync_detailed, body=SignerIn.from_dict(request)
    ).parsed.to_dict()
    emit(as_json, made, lambda s: f"signer {s['id']}: {s['identity']} ({s['issuer']})")


@signers_app.command("list")
def signers_list(url: UrlOption = None, api_key: KeyOption = None, as_json: JsonOption = False) -> None:
    """Who may sign your spells."""
    from spell_client.api.publishing import list_signers

    found = remote.call(remote.platform(url, api_key), list_signers.sync_detailed).parsed.to_dict()
    emit(
        as_json,
        found,
        lambda d: "\n".join(f"{s['id']:>6}  {s['identity']} ({s['issuer']})" for s in d["items"]) or "none",
    )


@signers_app.command("remove")
def signers_remove(
    signer_id: Annotated[int, typer.Argument(metavar="ID", help="The signer's id (`spell signers list`).")],
    url: UrlOption = None,
    api_key: KeyOption = None,
) -> None:
    """No longer allow a signer; versions it signed stay published."""
    from spell_client.api.publishing import remove_signer

    remote.call(remote.platform(url, api_key), remove_signer.sync_detailed, signer_id=signer_id)
    typer.echo(f"signer {signer_id} removed")
