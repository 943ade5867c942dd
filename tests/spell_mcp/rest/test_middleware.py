"""Every response carries security headers and a request id; oversized bodies are refused."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from spell_mcp.app import create_app
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
