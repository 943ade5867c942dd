"""The maker's commands that prove and ship a package: sign, verify, publish, and who may sign
(signers). `spell-cli publish --tar FILE --signature FILE` is the platform specification's
spelling of `spell publish FILE --bundle FILE`."""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Annotated

import typer

import spell_mcp.cli.remote as remote
from spell_mcp.cli.common import FAILED, USAGE, JsonOption, emit, fail, stderr
from spell_mcp.cli.remote import KeyOption, UrlOption

publishing_app = typer.Typer()
signers_app = typer.Typer(
    help="Who may sign your spells (like PyPI's trusted publishers).", no_args_is_help=True
)

GITHUB_ISSUER = "https://token.actions.githubusercontent.com"


@publishing_app.command()
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


@publishing_app.command()
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


@publishing_app.command()
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
