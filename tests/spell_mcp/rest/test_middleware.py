"""Every response carries security headers and a request id; oversized bodies are refused."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.types import Message

from spell_mcp.app import create_app
from spell_mcp.observability import metrics
from spell_mcp.settings import Settings


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(
        home=tmp_path / "home",
        max_request_mb=1,
        cors_origins=["https://app.example"],
        dev_mode=True,  # an operator key to make authenticated requests with
        examples_dir=tmp_path / "no-examples",
    )
    with TestClient(create_app(settings)) as test_client:
        key = (tmp_path / "home" / "operator.key").read_text().strip()
        test_client.headers["Authorization"] = f"Bearer {key}"
        yield test_client


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/healthz"),
        ("GET", "/v1/spells"),
        ("GET", "/v1/nowhere"),
        ("POST", "/mcp"),
        ("GET", "/openapi.json"),
    ],
)
def test_every_response_carries_the_security_headers(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, headers={"Authorization": ""})
    assert response.headers["strict-transport-security"].startswith("max-age=")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "camera=()" in response.headers["permissions-policy"]
    assert response.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert response.headers["x-request-id"].startswith("req_")


def test_a_clients_request_id_is_kept_and_a_hostile_one_replaced(client: TestClient) -> None:
    assert client.get("/healthz", headers={"X-Request-ID": "trace-42"}).headers["x-request-id"] == "trace-42"
    assert (
        client.get("/healthz", headers={"X-Request-ID": "a b\tc"}).headers["x-request-id"].startswith("req_")
    )


def test_oversized_bodies_are_refused_announced_or_streamed(client: TestClient) -> None:
    big = b"x" * (1024 * 1024 + 1)
    announced = client.post("/v1/spells", content=big, headers={"content-type": "application/octet-stream"})
    assert announced.status_code == 413 and announced.json()["code"] == "request_too_large"

    def chunks() -> Iterator[bytes]:
        for _ in range(20):
            yield b"y" * 65536

    form = {"content-type": "multipart/form-data; boundary=x"}
    streamed = client.post("/v1/spells", content=chunks(), headers=form)
    assert streamed.status_code == 413 and streamed.json()["code"] == "request_too_large"
    over_mcp = client.post("/mcp", content=chunks(), headers={"content-type": "application/json"})
    assert over_mcp.status_code == 413


def test_cors_allows_only_the_configured_origins(client: TestClient) -> None:
    allowed = client.options(
        "/v1/spells", headers={"Origin": "https://app.example", "Access-Control-Request-Method": "GET"}
    )
    assert allowed.headers["access-control-allow-origin"] == "https://app.example"
    assert allowed.headers["access-control-allow-credentials"] == "true"
    refused = client.options(
        "/v1/spells", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
    )
    assert "access-control-allow-origin" not in refused.headers
    assert "Origin" in client.get("/healthz", headers={"Origin": "https://app.example"}).headers.get(
        "vary", ""
    )


def test_an_unexpected_failure_is_a_problem_document_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(home=tmp_path / "home", examples_dir=tmp_path / "no-examples")
    app = create_app(settings)

    async def explode() -> None:
        raise RuntimeError("internal detail: /srv/spell/secret.db")

    app.add_api_route("/v1/explode", explode)
    app.router.routes.insert(0, app.router.routes.pop())  # before the dashboard, which takes the rest
    with TestClient(app) as client, caplog.at_level(logging.ERROR):
        response = client.get("/v1/explode")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "internal_error"
    assert "secret" not in response.text and "RuntimeError" not in response.text
    assert response.headers["x-request-id"].startswith("req_")
    logged = [record for record in caplog.records if record.exc_info]
    assert len(logged) == 1 and "/v1/explode" in logged[0].getMessage()


def counted(route: str, status: str) -> float:
    """How many requests to `route` the metrics counted with `status`."""
    samples = [sample for family in metrics.HTTP_REQUESTS.collect() for sample in family.samples]
    return sum(
        sample.value
        for sample in samples
        if sample.name.endswith("_total")
        and sample.labels["route"] == route
        and sample.labels["status"] == status
    )


async def hang_up(app: Any, key: str, path: str, content_type: bytes, sent: bytes) -> list[Message]:
    """A request whose client sends part of the body it announced, then closes the connection."""
    arriving: list[Message] = [
        {"type": "http.request", "body": sent, "more_body": True},
        {"type": "http.disconnect"},
    ]
    answered: list[Message] = []

    async def receive() -> Message:
        return arriving.pop(0) if arriving else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        answered.append(message)

    headers = [
        (b"host", b"127.0.0.1:8000"),
        (b"authorization", f"Bearer {key}".encode()),
        (b"content-type", content_type),
        (b"content-length", b"100000"),
        (b"accept", b"application/json, text/event-stream"),
    ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    await app(scope, receive, send)
    return answered


@pytest.mark.parametrize(
    ("path", "route", "content_type", "sent"),
    [
        ("/v1/spells/dev.spell.echo/cast", "/v1/spells/{key}/cast", b"application/json", b'{"input": {"mess'),
        (
            "/v1/spells",
            "/v1/spells",
            b"multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="package"; filename="p"\r\n\r\nab',
        ),
        ("/mcp", "unmatched", b"application/json", b'{"jsonrpc": "2.0", "id": 1, "meth'),
    ],
    ids=["json", "upload", "mcp"],
)
def test_a_client_that_hangs_up_mid_body_is_no_server_error(
    client: TestClient,
    caplog: pytest.LogCaptureFixture,
    path: str,
    route: str,
    content_type: bytes,
    sent: bytes,
) -> None:
    """Not logged as an error, counted as 499 (as nginx does), never as a 500."""
    key = client.headers["Authorization"].removeprefix("Bearer ")
    before = counted(route, "499"), counted(route, "500")
    with caplog.at_level(logging.INFO):
        client.portal.call(hang_up, client.app, key, path, content_type, sent)  # type: ignore[union-attr]
    assert (counted(route, "499"), counted(route, "500")) == (before[0] + 1, before[1])
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.WARNING] == []
