"""The OpenAPI document says how to authenticate and every refusal an operation can give, so
that /docs can "Try it out" and generated clients and fuzzers know every answer."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from spell_mcp.app import create_app
from spell_mcp.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    home = tmp_path_factory.mktemp("openapi")
    settings = Settings(home=home / "home", examples_dir=home / "no-examples")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    body: dict[str, Any] = client.get("/openapi.json").json()
    return body


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", operation


def test_api_keys_and_browser_sessions_are_declared_security_schemes(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert schemes["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "spell_sk_…",
        "description": schemes["apiKey"]["description"],
    }
    assert schemes["browserSession"]["in"] == "cookie"
    cast = document["paths"]["/v1/spells/{key}/cast"]["post"]
    assert {"apiKey": []} in cast["security"]


def test_every_authenticated_operation_declares_401_and_429(document: dict[str, Any]) -> None:
    for name, operation in operations(document):
        if operation.get("security"):
            assert {"401", "429"} <= operation["responses"].keys(), name


def test_every_operation_with_a_json_body_declares_400_and_415(document: dict[str, Any]) -> None:
    for name, operation in operations(document):
        if "application/json" in operation.get("requestBody", {}).get("content", {}):
            assert {"400", "415"} <= operation["responses"].keys(), name


def test_a_cast_declares_every_refusal_it_can_give(document: dict[str, Any]) -> None:
    responses = document["paths"]["/v1/spells/{key}/cast"]["post"]["responses"]
    assert {"400", "401", "402", "403", "404", "409", "413", "415", "422", "429", "502", "503", "504"} <= set(
        responses
    )


def test_the_docs_work_offline(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assert "cdn" not in page.text.lower() and "/docs/assets/swagger-ui-bundle.js" in page.text
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert "script-src 'self'" in page.headers["content-security-policy"]
