"""People sign in with GitHub (authorization code + PKCE + state) against a local stand-in of
GitHub's endpoints, stay signed in with a cookie, and every change they make carries the CSRF
token."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright

from tests.conftest import (
    ROOT,
    RunningServer,
    free_port,
    running_servers,
)
from tests.github_standin import CLIENT_ID, GitHubStandIn, github_standin

# Signed in, a browser lands on the dashboard where it is built, else on the API docs.
LANDING = "/" if (ROOT / "web/out/index.html").is_file() else "/docs"


@pytest.fixture(scope="module")
def github() -> Iterator[GitHubStandIn]:
    with github_standin(free_port()) as standin:
        yield standin


@pytest.fixture(scope="module")
def web_server(
    github: GitHubStandIn, tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes
) -> Iterator[RunningServer]:
    base = tmp_path_factory.mktemp("web")
    with running_servers(base, built_spells, probe_wasm, extra_env=github.settings()) as (server,):
        yield server


def begin(browser: httpx.Client) -> str:
    """Start signing in; returns GitHub's authorize URL."""
    started = browser.get("/v1/auth/github")
    assert started.status_code == 302
    return started.headers["location"]


def approve(authorize_url: str) -> str:
    """What GitHub does once the person approves: the callback URL with a code and the state."""
    answered = httpx.get(authorize_url)
    assert answered.status_code == 302, answered.text
    return answered.headers["location"]


def sign_in(server: RunningServer) -> httpx.Client:
    browser = httpx.Client(base_url=server.url, timeout=30)
    callback = approve(begin(browser))
    landed = browser.get(callback)
    assert landed.status_code == 303 and landed.headers["location"] == LANDING
    return browser


def test_signing_in_with_github_uses_pkce_and_state(web_server: RunningServer, github: GitHubStandIn) -> None:
    browser = httpx.Client(base_url=web_server.url, timeout=30)
    authorize = urlsplit(begin(browser))
    query = parse_qs(authorize.query)
    assert f"{authorize.scheme}://{authorize.netloc}" == github.url
    assert query["client_id"] == [CLIENT_ID] and query["code_challenge_method"] == ["S256"]
    assert query["redirect_uri"] == [f"{web_server.url}/v1/auth/github/callback"]
    assert len(query["state"][0]) >= 32
    flow_cookie = next(c for c in browser.cookies.jar if c.name == "spell_sign_in")
    assert query["state"][0] not in str(flow_cookie.value)  # sealed, not readable
    landed = browser.get(approve(authorize.geturl()))
    assert landed.status_code == 303
    # The code was traded with the verifier: the stand-in checked it hashes to the challenge.
    assert github.token_requests[-1]["code_verifier"]
    me = browser.get("/v1/users/me").json()
    assert (me["via"], me["github_id"], me["name"]) == ("session", 4242, "Octo Cat")
    session_cookie = next(c for c in browser.cookies.jar if c.name == "spell_session")
    assert session_cookie.has_nonstandard_attr("HttpOnly")


def test_signing_in_goes_on_to_the_page_it_was_started_from_on_this_site_only(
    web_server: RunningServer,
) -> None:
    """An agent's consent page starts the sign-in: the person lands back on it, never elsewhere."""
    landings = {
        "/consent/?request=abc": "/consent/?request=abc",
        "//evil.example/": LANDING,
        "https://evil.example/": LANDING,
        "/\\evil.example": LANDING,
    }
    for then, landing in landings.items():
        browser = httpx.Client(base_url=web_server.url, timeout=30)
        started = browser.get("/v1/auth/github", params={"then": then})
        landed = browser.get(approve(started.headers["location"]))
        assert landed.status_code == 303 and landed.headers["location"] == landing, then


def test_the_same_github_account_is_the_same_user(web_server: RunningServer) -> None:
    first, second = sign_in(web_server), sign_in(web_server)
    assert first.get("/v1/users/me").json()["id"] == second.get("/v1/users/me").json()["id"]


def test_a_cookie_alone_cannot_change_anything(web_server: RunningServer) -> None:
    browser = sign_in(web_server)
    csrf = browser.cookies["spell_csrf"]
    forged = browser.post("/v1/keys", json={"name": "from another site", "scopes": ["read"]})
    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"
    wrong = browser.post("/v1/keys", json={"name": "x", "scopes": ["read"]}, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    made = browser.post(
        "/v1/keys", json={"name": "from the page", "scopes": ["read"]}, headers={"X-CSRF-Token": csrf}
    )
    assert made.status_code == 201
    # Reading needs no token.
    assert browser.get("/v1/keys").status_code == 200


@pytest.mark.parametrize("tamper", ["wrong-state", "other-browser", "code-of-another-flow", "denied"])
def test_a_sign_in_that_does_not_add_up_is_refused(web_server: RunningServer, tamper: str) -> None:
    browser = httpx.Client(base_url=web_server.url, timeout=30)
    callback = approve(begin(browser))
    if tamper == "wrong-state":
        callback = callback.replace("state=", "state=x")
    elif tamper == "other-browser":
        browser = httpx.Client(base_url=web_server.url, timeout=30)
    elif tamper == "code-of-another-flow":
        # A second flow in the same browser: its state and verifier replace the first's, so the
        # first flow's code no longer matches the verifier the server would send.
        second = parse_qs(urlsplit(begin(browser)).query)["state"][0]
        code = parse_qs(urlsplit(callback).query)["code"][0]
        callback = f"{web_server.url}/v1/auth/github/callback?code={code}&state={second}"
    else:
        callback = f"{web_server.url}/v1/auth/github/callback?error=access_denied"
    refused = browser.get(callback)
    assert refused.status_code == 400 and refused.json()["code"] == "sign_in_failed"
    assert "spell_session" not in browser.cookies
    assert browser.get("/v1/users/me").status_code == 401


def test_signing_out_ends_the_session(web_server: RunningServer) -> None:
    browser = sign_in(web_server)
    cookie = browser.cookies["spell_session"]
    assert browser.post("/v1/auth/logout").status_code == 403  # CSRF, like any change
    assert (
        browser.post("/v1/auth/logout", headers={"X-CSRF-Token": browser.cookies["spell_csrf"]}).status_code
        == 204
    )
    replayed = httpx.get(f"{web_server.url}/v1/users/me", cookies={"spell_session": cookie})
    assert replayed.status_code == 401


def test_without_a_github_app_sign_in_is_not_offered(server: RunningServer) -> None:
    assert httpx.get(f"{server.url}/v1/auth/github").status_code == 404


@pytest.mark.skipif(LANDING != "/", reason="the dashboard is not built (make web)")
def test_a_person_signs_in_with_github_from_the_dashboard(web_server: RunningServer) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or "/usr/bin/chromium")
        page = browser.new_page()
        page.goto(f"{web_server.url}/signin/")
        page.get_by_role("link", name="Sign in with GitHub").click()
        page.wait_for_url(f"{web_server.url}/")
        expect(page.get_by_role("button", name="Sign out (Octo Cat)")).to_be_visible()
        page.get_by_role("button", name="Sign out (Octo Cat)").click()
        page.wait_for_url(f"{web_server.url}/signin/")
        browser.close()
