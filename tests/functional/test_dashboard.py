"""The dashboard in a real browser (Debian's chromium, driven by Playwright) against a real
`spell serve`: a person signs in with an API key, finds a spell, casts it through the form made
from its schema, and sees the result and what it cost. Every page is kept as a screenshot, and
no page logs an error (a script the Content-Security-Policy refused would)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from registry import pack_directory
from tests import wasm_modules as wat
from tests.browser import chromium
from tests.conftest import ROOT, RunningServer
from tests.spellbook import write_spell

pytestmark = pytest.mark.skipif(
    not (ROOT / "web/out/index.html").is_file(), reason="the dashboard is not built (make web)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # One browser for the module, a fresh context (cookies, storage) per test.
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser tab; the test fails if the page logs an error it did not expect (a
    refusal the test provokes is logged by the browser as a failed load, with its status)."""
    expected = request.node.get_closest_marker("refused")
    allowed = {f"status of {status}" for status in (expected.args if expected else ())}
    context = browser.new_context(viewport={"width": 1000, "height": 800})
    opened = context.new_page()
    errors: list[str] = []
    opened.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    unexpected = [error for error in errors if not any(status in error for status in allowed)]
    assert unexpected == [], unexpected


def shot(page: Page, name: str, tmp_path: Path) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)


def test_a_person_signs_in_finds_a_spell_and_casts_it(
    server: RunningServer, page: Page, tmp_path: Path
) -> None:
    key = server.new_user(credits_usd="1")
    page.goto(f"{server.url}/signin/")
    shot(page, "signin", tmp_path)
    page.get_by_label("Or with your first API key").fill(key)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{server.url}/")
    expect(page.get_by_role("link", name="Echo")).to_be_visible()
    shot(page, "catalog", tmp_path)

    page.get_by_role("button", name="#text").click()
    expect(page.get_by_role("link", name="Echo")).to_have_count(0)
    expect(page.get_by_role("link", name="Text statistics")).to_be_visible()
    page.get_by_role("button", name="Show all").click()
    expect(page.get_by_role("link", name="Echo")).to_be_visible()
    categories = page.get_by_role("group", name="Categories")
    categories.get_by_role("button", name="developer-tools").click()
    expect(page.get_by_role("link", name="Text statistics")).to_have_count(0)
    categories.get_by_role("button", name="developer-tools").click()
    expect(page.get_by_role("link", name="Text statistics")).to_be_visible()
    page.get_by_label("Search spells").fill("statistics")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Echo")).to_have_count(0)
    page.get_by_role("link", name="Text statistics").click()
    expect(page.get_by_role("heading", name="Text statistics")).to_be_visible()
    expect(page.get_by_text("touches nothing outside itself")).to_be_visible()
    expect(page.get_by_text("Not signed: a development spell")).to_be_visible()
    expect(page.get_by_role("heading", name="Versions")).to_be_visible()
    page.get_by_label("text").first.fill("One. Two. Three.")
    page.get_by_role("button", name="Cast for $0.002").click()
    expect(page.get_by_text("Charged $0.002")).to_be_visible()
    expect(page.locator(".result pre")).to_contain_text('"sentences": 3')
    page.get_by_role("button", name="Verify receipt").click()
    expect(page.get_by_role("status")).to_contain_text("Verified: signed by the platform's key")
    shot(page, "cast", tmp_path)

    page.get_by_role("link", name="Account").click()
    expect(page.get_by_text("$0.998")).to_be_visible()
    shot(page, "account", tmp_path)


@pytest.mark.refused(403)
def test_a_narrow_key_cannot_sign_in_and_says_why(server: RunningServer, page: Page) -> None:
    owner = server.new_user()
    with server.client(owner) as client:
        narrow = client.post("/v1/keys", json={"name": "agent", "scopes": ["cast"]}).json()["key"]
    page.goto(f"{server.url}/signin/")
    page.get_by_label("Or with your first API key").fill(narrow)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator(".problem")).to_contain_text("admin scope")


def sign_in(page: Page, server: RunningServer, key: str) -> None:
    page.goto(f"{server.url}/signin/")
    page.get_by_label("Or with your first API key").fill(key)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{server.url}/")


def rest_cast(server: RunningServer, key: str) -> httpx.Response:
    with server.client(key) as client:
        return client.post("/v1/spells/dev.spell.echo/cast", json={"input": {"message": "from a script"}})


def test_a_key_made_in_the_browser_casts_over_rest_until_it_is_revoked(
    server: RunningServer, page: Page, tmp_path: Path
) -> None:
    sign_in(page, server, server.new_user(credits_usd="1"))
    page.get_by_role("link", name="API keys").click()
    page.get_by_label("Name").fill("my script")
    page.get_by_role("button", name="Create key").click()
    secret = page.get_by_test_id("new-key").inner_text()
    assert secret.startswith("spell_sk_")
    shot(page, "keys", tmp_path)
    assert rest_cast(server, secret).status_code == 200
    page.get_by_role("button", name="Rotate my script").click()
    expect(page.get_by_test_id("new-key")).not_to_have_text(secret)
    rotated = page.get_by_test_id("new-key").inner_text()
    assert rest_cast(server, rotated).status_code == 200
    assert rest_cast(server, secret).status_code == 200, "the old secret works for a day after a rotation"

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke my script").click()
    expect(page.get_by_role("cell", name="revoked")).to_be_visible()
    for dead in (secret, rotated):
        refused = rest_cast(server, dead)
        assert refused.status_code == 401 and refused.json()["code"] == "unauthenticated"

    page.get_by_label("Name").fill("tight")
    page.get_by_label("Daily budget of this key in USD (optional)").fill("0.00001")
    page.get_by_role("button", name="Create key").click()
    expect(page.get_by_test_id("new-key")).not_to_have_text(rotated)
    tight = page.get_by_test_id("new-key").inner_text()
    assert rest_cast(server, tight).json()["code"] == "budget_exceeded"


@pytest.mark.refused(402)
def test_a_tiny_daily_budget_refuses_the_next_cast_in_its_own_words(
    server: RunningServer, page: Page, tmp_path: Path
) -> None:
    sign_in(page, server, server.new_user(credits_usd="1"))
    page.get_by_role("link", name="Account").click()
    page.get_by_label("Daily cap (USD)").fill("0.0001")
    page.get_by_role("button", name="Save caps").click()
    expect(page.get_by_role("status")).to_have_text("Saved.")
    page.goto(f"{server.url}/spell/?key=dev.spell.textstats")
    expect(page.get_by_text("$0.0001 left this day")).to_be_visible()
    page.get_by_label("text").first.fill("Too dear today.")
    page.get_by_role("button", name="Cast for $0.002").click()
    expect(page.locator(".problem")).to_contain_text("budget_exceeded")
    expect(page.locator(".problem")).to_contain_text("daily")
    shot(page, "budget-refusal", tmp_path)


def test_the_agent_configurations_name_this_server(server: RunningServer, page: Page, tmp_path: Path) -> None:
    page.goto(f"{server.url}/connect/")
    for client in ("Claude Code", "Claude Desktop", "VS Code", "Cursor"):
        expect(page.get_by_role("heading", name=client)).to_be_visible()
    expect(page.get_by_text(f"{server.url}/mcp").first).to_be_visible()
    shot(page, "connect", tmp_path)


AXE = ROOT / "web/node_modules/axe-core/axe.min.js"
PAGES = ["/signin/", "/", "/spell/?key=dev.spell.textstats", "/account/", "/keys/", "/maker/", "/connect/"]


@pytest.mark.parametrize("width", [1000, 375], ids=["desktop", "phone"])
def test_every_page_passes_axe_with_no_serious_violation(
    server: RunningServer, browser: Browser, tmp_path: Path, width: int
) -> None:
    # axe is injected by the test, so this context alone lets a script in past the page's CSP.
    context = browser.new_context(viewport={"width": width, "height": 800}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, server, server.new_user(credits_usd="1"))
    found = {}
    for path in PAGES:
        page.goto(f"{server.url}{path}")
        page.wait_for_load_state("networkidle")
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".filter(v => ['serious', 'critical'].includes(v.impact))"
            ".map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)"
        )
        if violations:
            found[path] = violations
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways at {width} px"
        page.screenshot(path=str(tmp_path / f"{path.strip('/').split('?')[0] or 'catalog'}-{width}.png"))
    context.close()
    assert found == {}, found


def test_a_maker_yanks_a_version_and_the_catalog_stops_offering_it(
    server: RunningServer, page: Page, tmp_path: Path
) -> None:
    maker = server.new_user(credits_usd="1")
    key = f"com.maker{secrets.token_hex(3)}.hello"
    directory = write_spell(tmp_path, key, wat.writes('{"hello":"world"}'), price_usd="0.25")
    # A hostile README: raw HTML and a script link must reach the page as neither.
    (directory / "README.md").write_text(
        "# Hello\n\nSays hello.\n\n"
        "<img src=x onerror=\"document.title='owned'\">\n\n"
        "[click](javascript:alert(1))\n"
    )
    package = pack_directory(directory)
    with server.client(maker) as client:
        published = client.post("/v1/spells", files={"package": ("spell.tar", package, "application/x-tar")})
        assert published.status_code == 201, published.text
    sign_in(page, server, maker)
    page.goto(f"{server.url}/spell/?key={key}")
    page.get_by_text("README").click()
    expect(page.get_by_text("Says hello.")).to_be_visible()
    assert page.locator(".readme img").count() == 0
    assert page.locator('.readme a[href^="javascript"]').count() == 0
    assert page.title() != "owned"
    page.get_by_role("button", name="Cast for $0.25").click()
    expect(page.get_by_text("Charged $0.25")).to_be_visible()

    page.get_by_role("link", name="Account").click()
    expect(page.get_by_role("table", name="Spent per day, last 30 days")).to_contain_text("0.25")
    page.get_by_role("button", name="By spell").click()
    expect(page.get_by_role("cell", name=key)).to_be_visible()
    shot(page, "usage", tmp_path)

    page.get_by_role("link", name="My spells").click()
    expect(page.get_by_role("table", name="Your share per spell, all time")).to_contain_text(key)
    expect(page.get_by_text("Nothing needs your attention.")).to_be_visible()
    page.get_by_label("Identity (an e-mail, or a CI workflow URI)").fill("maker@example.com")
    page.get_by_role("button", name="Add signer").click()
    expect(page.get_by_text("maker@example.com")).to_be_visible()
    page.get_by_text("Secrets (0)").click()
    page.get_by_label("Name", exact=True).fill("API_TOKEN")
    page.get_by_label("Value", exact=True).fill("s3cret")
    page.get_by_role("button", name="Set secret").click()
    expect(page.get_by_text("Secrets (1)")).to_be_visible()
    expect(page.get_by_text("s3cret")).to_have_count(0)
    page.get_by_role("button", name=f"Yank {key} 1.0.0").click()
    expect(page.get_by_text("1.0.0 (yanked)")).to_be_visible()
    shot(page, "maker", tmp_path)
    page.get_by_role("link", name="Catalog").click()
    page.get_by_label("Search spells").fill(key)
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No spell matches")).to_be_visible()


def test_a_version_that_asks_for_more_waits_on_the_page_until_the_person_accepts(
    server: RunningServer, page: Page, tmp_path: Path
) -> None:
    maker = server.new_user()
    key = f"com.maker{secrets.token_hex(3)}.greet"
    with server.client(maker) as client:
        for version, policy in (("1.0.0", ""), ("2.0.0", 'net_allow = ["api.example.com"]')):
            folder = write_spell(
                tmp_path / version, key, wat.writes(f'{{"v":"{version}"}}'), version=version, policy=policy
            )
            files = {"package": ("spell.tar", pack_directory(folder), "application/x-tar")}
            assert client.post("/v1/spells", files=files).status_code == 201
            if version == "1.0.0":
                caster = server.new_user(credits_usd="1")
                with server.client(caster) as cast_client:  # their first cast accepts 1.0.0
                    assert cast_client.post(f"/v1/spells/{key}/cast", json={"input": {}}).status_code == 200
    sign_in(page, server, caster)
    page.goto(f"{server.url}/spell/?key={key}")
    notice = page.get_by_role("status").filter(has_text="asks for more")
    expect(notice).to_contain_text("Your casts run version 1.0.0")
    expect(notice).to_contain_text("it reaches api.example.com over the network")
    shot(page, "pinned", tmp_path)
    page.get_by_role("button", name="Cast for $0.01").click()
    expect(page.locator(".result pre")).to_contain_text('"v": "1.0.0"')
    page.get_by_role("button", name="Accept version 2.0.0").click()
    expect(page.get_by_text("asks for more")).to_have_count(0)
    page.get_by_role("button", name="Cast for $0.01").click()
    expect(page.locator(".result pre")).to_contain_text('"v": "2.0.0"')
