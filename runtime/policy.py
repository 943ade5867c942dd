"""What a spell may touch: pure data, checked on its own, free of the sandbox that enforces it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DOMAIN = re.compile(rf"^(?:{_LABEL}\.)+[a-z][a-z0-9-]{{0,62}}(?<!-)$")
_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]{0,127}$")
_GUEST_PATH = re.compile(r"^/[a-z0-9][a-z0-9_.-]{0,63}$")
SCRATCH_GUEST_PATH = "/scratch"


class PolicyError(ValueError):
    pass


def check_domain(domain: str) -> str:
    """A lower-case DNS name with at least two labels; no IP literals, wildcards or ports."""
    try:
        ascii_name = domain.strip().encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise PolicyError(f"{domain!r} is not a valid domain name") from None
    if not _DOMAIN.fullmatch(ascii_name) or len(ascii_name) > 253:
        raise PolicyError(f"{domain!r} is not a domain name such as api.example.com")
    return ascii_name


def check_env_name(name: str) -> str:
    if not _ENV_NAME.fullmatch(name):
        raise PolicyError(f"{name!r} is not an environment variable name such as API_TOKEN")
    return name


def guest_path_for(package_dir: str) -> str:
    """The fixed guest path of a package directory listed in fs_read: ./resources → /resources."""
    name = package_dir.strip().removeprefix("./").rstrip("/")
    guest = f"/{name}"
    if (
        "/" in name
        or name in {"", ".", ".."}
        or not _GUEST_PATH.fullmatch(guest)
        or guest == SCRATCH_GUEST_PATH
    ):
        raise PolicyError(f"{package_dir!r} must name a top-level directory of the package, e.g. ./resources")
    return guest


@dataclass(frozen=True, slots=True)
class Mount:
    """A host directory the guest sees, read-only, at `guest_path`."""

    host_path: str
    guest_path: str


@dataclass(frozen=True, slots=True)
class Policy:
    """The grants of one cast. The default grants nothing: no files, no environment, no network."""

    read_only: tuple[Mount, ...] = ()
    # fs_write: a fresh directory at /scratch whose files become the cast's artifacts.
    scratch: bool = False
    env: tuple[tuple[str, str], ...] = ()
    net_allow: tuple[str, ...] = field(default=())
    # Set for a deterministic spell: the clocks and the random source are fixed from it
    # (runtime/determinism.py), so the same seed and input give the same output.
    seed: bytes | None = None

    def __post_init__(self) -> None:
        if self.seed is not None and self.net_allow:
            raise PolicyError("a deterministic cast cannot reach the network")
        for domain in self.net_allow:
            if check_domain(domain) != domain:
                raise PolicyError(f"{domain!r} must be written in lower-case ASCII")
        for name, _ in self.env:
            check_env_name(name)

    def allows_host(self, host: str) -> bool:
        """True when `host` is an allowed domain or a subdomain of one."""
        host = host.lower().rstrip(".")
        return any(host == domain or host.endswith("." + domain) for domain in self.net_allow)
