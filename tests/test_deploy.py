"""The deployment files say only what the code understands: every setting they set is a setting,
every file the image copies exists, the release step is a real command, and the containers run
as a user of their own on a read-only root with a health check.

(Building and running the image needs a container engine: docs/deploy.md.)"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from typer.main import get_command

from spell_mcp.app import create_app
from spell_mcp.cli import app as cli
from spell_mcp.settings import SECRETS_DIR_VARIABLE, Settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = {f"SPELL_{name.upper()}" for name in Settings.model_fields} | {SECRETS_DIR_VARIABLE}
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def compose() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return document


def spell_services() -> dict[str, dict[str, Any]]:
    return {
        name: service
        for name, service in compose()["services"].items()
        if service.get("image") == "spell:latest"
    }


def test_every_path_the_image_copies_from_the_repository_exists() -> None:
    sources = [
        source
        for line in DOCKERFILE.splitlines()
        if line.startswith("COPY ") and "--from=" not in line
        for source in line.split()[1:-1]
    ]
    assert sources, "the Dockerfile copies nothing"
    for source in sources:
        assert (ROOT / source).exists(), f"Dockerfile copies {source}, which does not exist"


def test_the_image_runs_as_a_user_of_its_own_with_a_health_check() -> None:
    assert len(re.findall(r"^FROM ", DOCKERFILE, re.M)) >= 2  # built in stages; the last has no compilers
    users = re.findall(r"^USER (\S+)", DOCKERFILE, re.M)
    assert users and users[-1].split(":")[0] not in ("0", "root")
    assert "/healthz" in DOCKERFILE.split("HEALTHCHECK", 1)[1]
    assert {route.path for route in create_app(Settings()).routes if hasattr(route, "path")} >= {"/healthz"}
    assert DOCKERFILE.rstrip().endswith('CMD ["spell", "serve"]')


def test_every_setting_the_deployments_set_is_one_the_server_reads() -> None:
    set_by_image = set(re.findall(r"\b(SPELL_[A-Z0-9_]+)=", DOCKERFILE))
    set_by_compose = {name for service in spell_services().values() for name in service["environment"]}
    set_by_fly = set(tomllib.loads((ROOT / "fly.toml").read_text())["env"])
    for where, names in (
        ("Dockerfile", set_by_image),
        ("compose.yaml", set_by_compose),
        ("fly.toml", set_by_fly),
    ):
        assert names and names <= SETTINGS, f"{where} sets what no setting reads: {sorted(names - SETTINGS)}"


def test_compose_mounts_each_secret_as_the_file_of_a_setting() -> None:
    secrets = set(compose()["secrets"])
    assert secrets and {name.upper() for name in secrets} <= SETTINGS - {SECRETS_DIR_VARIABLE}
    for name, service in spell_services().items():
        assert service["environment"]["SPELL_SECRETS_DIR"] == "/run/secrets", name
        # Keys reach the servers as files only, never through the environment.
        assert not {name.upper() for name in secrets} & set(service["environment"]), name


def test_compose_servers_run_on_a_read_only_root_after_the_migration() -> None:
    services = spell_services()
    assert {"spell-1", "spell-2", "migrate"} <= set(services)
    for name, service in services.items():
        assert service["read_only"] is True and "/tmp" in service["tmpfs"], name
    for name in ("spell-1", "spell-2"):
        assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_the_release_step_is_a_real_command() -> None:
    release = tomllib.loads((ROOT / "fly.toml").read_text())["deploy"]["release_command"].split()
    assert release[0] == "spell" and release[1] in get_command(cli).commands  # type: ignore[attr-defined]
    assert compose()["services"]["migrate"]["command"] == release


def test_every_process_the_deployments_run_is_a_real_command() -> None:
    commands = get_command(cli).commands  # type: ignore[attr-defined]
    fly = tomllib.loads((ROOT / "fly.toml").read_text())["processes"]
    ran = [line.split() for line in fly.values()] + [
        service["command"] for service in spell_services().values() if "command" in service
    ]
    assert ["spell", "worker"] in ran and ["spell", "serve"] in ran
    for command in ran:
        assert command[0] == "spell" and command[1] in commands, command


def test_the_fleet_queues_casts_on_nats_for_its_workers() -> None:
    services = compose()["services"]
    worker = spell_services()["worker"]
    assert worker["environment"]["SPELL_NATS_URL"].startswith("nats://nats:")
    assert "--jetstream" in services["nats"]["command"] and worker["depends_on"]["nats"]
