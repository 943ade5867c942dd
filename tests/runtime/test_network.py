"""The network gate: https to allowed domains only, never to private addresses, all counted.

The test server listens on 127.0.0.2 behind a throwaway CA; the gate's resolver maps test names
to addresses, and 127.0.0.2 alone is exempted from the public-address rule, so every refusal
below is the real rule at work.
"""

from __future__ import annotations

import contextlib
import http.server
import ipaddress
import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from runtime import Limits, NetLimits, NetworkGate, Policy, Sandbox
from runtime.errors import SpellRunError
from runtime.net import Refused
from tests.tls import https_server, temporary_ca

NAMES = {
    "api.spell.test": ["127.0.0.2"],
    "eu.api.spell.test": ["127.0.0.2"],
    "other.spell.test": ["127.0.0.2"],
    "loopback.spell.test": ["127.0.0.1"],
    "metadata.spell.test": ["169.254.169.254"],
    "private.spell.test": ["10.1.2.3"],
    "mixed.spell.test": ["127.0.0.2", "192.168.1.1"],
    "mapped.spell.test": ["::ffff:127.0.0.1"],
}
ALLOWED = (
    "api.spell.test",
    "loopback.spell.test",
    "metadata.spell.test",
    "private.spell.test",
    "mixed.spell.test",
    "mapped.spell.test",
)


@pytest.fixture(scope="module")
def server_port() -> Iterator[tuple[int, Any]]:
    ca = temporary_ca(["api.spell.test", "*.api.spell.test", "other.spell.test"])
    with https_server(ca) as port:
        yield port, ca


@pytest.fixture
def lookups() -> list[str]:
    return []


@pytest.fixture
def sandbox(tmp_path: Path, server_port: tuple[int, Any], lookups: list[str]) -> Iterator[Sandbox]:
    _, ca = server_port

    def resolve(host: str, port: int) -> list[str]:
        lookups.append(host)
        if host not in NAMES:
            raise OSError("no such name")
        return NAMES[host]

    gate = NetworkGate(
        resolver=resolve,
        ssl_context=ca.client_context(),
        exempt=[ipaddress.ip_network("127.0.0.2/32")],
        limits=NetLimits(max_requests=3, max_response_bytes=1024 * 1024),
    )
    box = Sandbox(tmp_path / "artifacts", lambda digest: b"", network=gate)
    yield box
    box.close()


def fetch(
    sandbox: Sandbox,
    wasm: bytes,
    request: dict[str, Any],
    *,
    command: str = "net",
    policy: Policy | None = None,
) -> tuple[dict[str, Any], Any]:
    policy = policy or Policy(net_allow=ALLOWED)
    result = sandbox.run(sandbox.compile(wasm), f"{command} {json.dumps(request)}".encode(), Limits(), policy)
    assert result.output["ok"] is True, result.output
    response: dict[str, Any] = result.output["response"]
    return response, result.usage


def test_an_allowed_https_request_goes_through_and_is_counted(
    sandbox: Sandbox, probe_wasm: bytes, server_port: tuple[int, Any]
) -> None:
    port, _ = server_port
    response, usage = fetch(sandbox, probe_wasm, {"url": f"https://api.spell.test:{port}/hello?x=1"})
    assert response["status"] == 200
    assert json.loads(response["body"]) == {"path": "/hello?x=1", "host": f"api.spell.test:{port}"}
    assert usage.network_requests == 1
    assert usage.network_bytes_received == len(response["body"])
    assert usage.policy_violations == ()


def test_subdomains_of_an_allowed_domain_are_reachable(
    sandbox: Sandbox, probe_wasm: bytes, server_port: tuple[int, Any]
) -> None:
    port, _ = server_port
    response, _ = fetch(sandbox, probe_wasm, {"url": f"https://eu.api.spell.test:{port}/"})
    assert response["status"] == 200


def test_a_post_body_is_sent_and_counted(
    sandbox: Sandbox, probe_wasm: bytes, server_port: tuple[int, Any]
) -> None:
    port, _ = server_port
    response, usage = fetch(
        sandbox, probe_wasm, {"method": "POST", "url": f"https://api.spell.test:{port}/", "body": "ping"}
    )
    assert (response["status"], response["body"]) == (201, "ping")
    assert usage.network_bytes_sent == 4


def test_a_response_too_big_for_the_guest_buffer_is_fetched_in_a_second_call(
    sandbox: Sandbox, probe_wasm: bytes, server_port: tuple[int, Any]
) -> None:
    port, _ = server_port
    response, _ = fetch(sandbox, probe_wasm, {"url": f"https://api.spell.test:{port}/x"}, command="netsmall")
    assert response["status"] == 200


@pytest.mark.parametrize(
    ("url", "reason", "kind"),
    [
        ("http://api.spell.test:{port}/", "only https", "scheme"),
        ("ftp://api.spell.test/", "only https", "scheme"),
        ("https://other.spell.test:{port}/", "not in the spell's net_allow", "domain"),
        ("https://api.spell.test.evil.example:{port}/", "not in the spell's net_allow", "domain"),
        ("https://loopback.spell.test:{port}/", "non-public address (127.0.0.1)", "private_address"),
        (
            "https://metadata.spell.test/latest/meta-data/",
            "non-public address (169.254.169.254)",
            "private_address",
        ),
        ("https://private.spell.test/", "non-public address (10.1.2.3)", "private_address"),
        ("https://mixed.spell.test:{port}/", "non-public address (192.168.1.1)", "private_address"),
        ("https://mapped.spell.test/", "non-public address", "private_address"),
        ("https://127.0.0.2:{port}/", "not in the spell's net_allow", "domain"),
    ],
)
def test_requests_outside_the_policy_are_refused_and_recorded(
    sandbox: Sandbox, probe_wasm: bytes, server_port: tuple[int, Any], url: str, reason: str, kind: str
) -> None:
    port, _ = server_port
    response, usage = fetch(sandbox, probe_wasm, {"url": url.format(port=port)})
    assert response["error"]["code"] == "policy_violation"
    assert reason in response["error"]["message"]
    (violation,) = usage.policy_violations
    assert violation.kind == kind and reason in violation.detail
    assert usage.network_bytes_received == 0


def test_a_spell_without_net_allow_reaches_nothing(
    sandbox: Sandbox, probe_wasm: bytes, server_port: tuple[int, Any], lookups: list[str]
) -> None:
    port, _ = server_port
    response, _ = fetch(sandbox, probe_wasm, {"url": f"https://api.spell.test:{port}/"}, policy=Policy())
    assert response["error"]["code"] == "policy_violation"
    assert lookups == []  # refused before any DNS query could leak the name


def test_the_name_is_resolved_once_and_the_vetted_address_is_used(
    sandbox: Sandbox, probe_wasm: bytes, server_port: tuple[int, Any], lookups: list[str]
) -> None:
    port, _ = server_port
    fetch(sandbox, probe_wasm, {"url": f"https://api.spell.test:{port}/"})
    assert lookups == ["api.spell.test"]


def test_a_certificate_for_another_name_is_refused(
    sandbox: Sandbox, probe_wasm: bytes, server_port: tuple[int, Any]
) -> None:
    port, _ = server_port
    NAMES["impostor.spell.test"] = ["127.0.0.2"]
    try:
        response, usage = fetch(
            sandbox,
            probe_wasm,
            {"url": f"https://impostor.spell.test:{port}/"},
            policy=Policy(net_allow=("impostor.spell.test",)),
        )
    finally:
        del NAMES["impostor.spell.test"]
    assert response["error"]["code"] == "network_error"
    assert usage.policy_violations == ()


def test_responses_beyond_the_size_cap_are_cut_off(
    sandbox: Sandbox, probe_wasm: bytes, server_port: tuple[int, Any]
) -> None:
    port, _ = server_port
    response, _ = fetch(sandbox, probe_wasm, {"url": f"https://api.spell.test:{port}/big"})
    assert response["error"]["code"] == "response_too_large"


def test_malformed_requests_get_an_error_not_a_crash(sandbox: Sandbox, probe_wasm: bytes) -> None:
    result = sandbox.run(sandbox.compile(probe_wasm), b"net {not json", Limits(), Policy(net_allow=ALLOWED))
    assert result.output["response"]["error"]["code"] == "bad_request"


def test_a_cast_makes_at_most_its_allowance_of_requests() -> None:
    from runtime.net import CastNetwork

    gate = NetworkGate(limits=NetLimits(max_requests=2), resolver=lambda host, port: ["127.0.0.1"])
    cast = CastNetwork(policy=Policy(net_allow=("spell.test",)), deadline=float("inf"))
    answers = [json.loads(gate.request(cast, b'{"url": "https://a.spell.test/"}')) for _ in range(3)]
    assert "non-public" in answers[0]["error"]["message"]
    assert "more than 2 requests" in answers[2]["error"]["message"]
    assert cast.requests == 2


@pytest.mark.parametrize(
    "request_json",
    [
        {"url": "https://api.spell.test/", "headers": {"X-Evil": "a\r\nHost: other"}},
        {"url": "https://api.spell.test/", "method": "CONNECT"},
        {"url": "https://api.spell.test/", "body": 42},
        {"method": "GET"},
    ],
)
def test_smuggling_attempts_are_bad_requests(request_json: dict[str, Any]) -> None:
    from runtime.net import CastNetwork

    gate = NetworkGate(resolver=lambda host, port: ["127.0.0.2"])
    cast = CastNetwork(policy=Policy(net_allow=("api.spell.test",)), deadline=float("inf"))
    answer = json.loads(gate.request(cast, json.dumps(request_json).encode()))
    assert answer["error"]["code"] == "bad_request"


def test_a_request_nested_past_the_parsers_limit_is_a_bad_request() -> None:
    from runtime.net import CastNetwork

    gate = NetworkGate(resolver=lambda host, port: ["127.0.0.2"])
    cast = CastNetwork(policy=Policy(net_allow=("api.spell.test",)), deadline=float("inf"))
    answer = json.loads(gate.request(cast, b"[" * 100_000 + b"]" * 100_000))
    assert answer["error"]["code"] == "bad_request"


def test_a_document_a_user_named_is_fetched_under_the_webhook_rules_and_bounded(
    server_port: tuple[int, Any],
) -> None:
    """`get` (a client's metadata document): https to public addresses only, no IP literal, the
    answer cut at the size asked for."""
    port, ca = server_port
    gate = NetworkGate(
        resolver=lambda host, port: NAMES[host],
        ssl_context=ca.client_context(),
        exempt=[ipaddress.ip_network("127.0.0.2/32")],
    )
    fetched = gate.get(f"https://api.spell.test:{port}/client.json", [], timeout_s=5, max_bytes=4096)
    assert fetched.status == 200 and json.loads(fetched.body)["path"] == "/client.json"
    refusals = {
        f"http://api.spell.test:{port}/client.json": "scheme",
        "https://metadata.spell.test/client.json": "private_address",
        "https://private.spell.test/client.json": "private_address",
        "https://127.0.0.2/client.json": "ip_literal",
    }
    for url, kind in refusals.items():
        with pytest.raises(Refused) as refused:
            gate.get(url, [], timeout_s=5, max_bytes=4096)
        assert refused.value.kind == kind, url
    with pytest.raises(Refused) as too_big:
        gate.get(f"https://api.spell.test:{port}/big", [], timeout_s=5, max_bytes=4096)
    assert too_big.value.code == "response_too_large"


class Trickler(http.server.BaseHTTPRequestHandler):
    """A hostile server: it answers, then sends its headers a byte at a time, each well within
    any per-read timeout, for far longer than any request may take."""

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        self.wfile.write(b"HTTP/1.1 200 OK\r\n")
        self.wfile.flush()
        with contextlib.suppress(OSError):
            for _ in range(TRICKLE_BYTES):
                self.wfile.write(b"X")
                self.wfile.flush()
                time.sleep(0.1)

    def log_message(self, *args: object) -> None:
        pass


TRICKLE_BYTES = 100  # ten seconds of it


@pytest.fixture(scope="module")
def trickler_port() -> Iterator[tuple[int, Any]]:
    ca = temporary_ca(["api.spell.test"])
    with https_server(ca, handler=Trickler) as port:
        yield port, ca


def test_a_server_trickling_its_answer_is_cut_off_at_the_deadline(trickler_port: tuple[int, Any]) -> None:
    port, ca = trickler_port
    gate = NetworkGate(
        resolver=lambda host, port: ["127.0.0.2"],
        ssl_context=ca.client_context(),
        exempt=[ipaddress.ip_network("127.0.0.2/32")],
    )
    started = time.monotonic()
    with pytest.raises(Refused) as refused:
        gate.post(f"https://api.spell.test:{port}/hook", b"{}", [("Content-Length", "2")], timeout_s=1.0)
    assert refused.value.code == "timeout"
    # Cut off at the 1 s deadline, not after the server's 10 s of trickling; a loaded machine
    # may add seconds, so the bound sits between the two.
    assert time.monotonic() - started < 5


def test_a_spell_request_to_a_trickling_server_ends_with_the_cast(
    tmp_path: Path, trickler_port: tuple[int, Any], probe_wasm: bytes
) -> None:
    port, ca = trickler_port
    gate = NetworkGate(
        resolver=lambda host, port: ["127.0.0.2"],
        ssl_context=ca.client_context(),
        exempt=[ipaddress.ip_network("127.0.0.2/32")],
    )
    box = Sandbox(tmp_path / "artifacts", lambda digest: b"", network=gate)
    try:
        request = json.dumps({"url": f"https://api.spell.test:{port}/slow"})
        started = time.monotonic()
        with pytest.raises(SpellRunError) as stopped:
            box.run(
                box.compile(probe_wasm),
                f"net {request}".encode(),
                Limits(timeout_ms=1000),
                Policy(net_allow=("api.spell.test",)),
            )
        # The request gives up at the cast's deadline; the watchdog then stops the cast.
        assert stopped.value.code == "spell_timeout"
        assert time.monotonic() - started < 5  # not the server's 10 s
    finally:
        box.close()
