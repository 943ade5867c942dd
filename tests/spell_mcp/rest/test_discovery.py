"""The public listings of the MCP registry's API (/v0.1) name this platform as its settings say,
never as a request's Host header does, and say how long a cache may keep them: a forged Host
cannot poison what a shared cache serves everyone."""

from __future__ import annotations

from urllib.parse import quote

from fastapi.testclient import TestClient


def test_a_forged_host_header_is_never_reflected_into_the_listings(api: TestClient) -> None:
    ours = api.app.state.platform.settings.advertised_url()  # type: ignore[attr-defined]
    forged = {"Host": "evil.example", "X-Forwarded-Host": "evil.example", "Authorization": ""}
    listed = api.get("/v0.1/servers", headers=forged)
    assert listed.status_code == 200, listed.text
    name = quote(listed.json()["servers"][0]["server"]["name"], safe="")
    answers = [
        listed,
        api.get(f"/v0.1/servers/{name}/versions", headers=forged),
        api.get(f"/v0.1/servers/{name}/versions/latest", headers=forged),
    ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert "evil.example" not in answer.text
        assert f'"{ours}/mcp"' in answer.text
        assert answer.headers["cache-control"] == "public, max-age=60"
