"""Spell's MCP App: every spell tool names the `ui://` resource, which is listed and served as
an MCP App; in a real browser, inside a stand-in host speaking the extension's postMessage
protocol, it shows a real cast's receipt (hostile output as text, never markup) and casts again
through its host from the form made of the spell's schema."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from playwright.sync_api import expect, sync_playwright

from spell_mcp.mcp import cast_app
from tests.conftest import RunningServer, running_servers
from tests.functional.test_mcp import GENERATIONS, http_client

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HOSTILE = "<img src=x onerror=\"parent.postMessage({pwned: true}, '*')\"> & </pre>"


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, built_spells: Path, probe_wasm: bytes
) -> Iterator[RunningServer]:
    with running_servers(tmp_path_factory.mktemp("app"), built_spells, probe_wasm) as (running,):
        yield running


@pytest.mark.parametrize("mode", GENERATIONS)
async def test_every_spell_tool_names_the_app_which_is_listed_and_served(
    server: RunningServer, mode: str
) -> None:
    async with http_client(server, server.operator_key, mode) as client:
        tools = (await client.list_tools()).tools
        listed = (await client.list_resources()).resources
        read = await client.read_resource(cast_app.URI)
    spell_tools = [tool for tool in tools if tool.name.startswith("dev_spell_")]
    assert spell_tools and all(
        (tool.meta or {})["ui"] == {"resourceUri": cast_app.URI} for tool in spell_tools
    )
    [app] = [resource for resource in listed if str(resource.uri) == cast_app.URI]
    assert app.mime_type == "text/html;profile=mcp-app"
    [contents] = read.contents
    assert contents.mime_type == "text/html;profile=mcp-app"
    assert "ui/initialize" in contents.text  # type: ignore[union-attr]


def as_wire(result: Any) -> dict[str, Any]:
    wire: dict[str, Any] = result.model_dump(mode="json", by_alias=True, exclude_none=True)
    return wire


async def cast_and_read(server: RunningServer) -> tuple[str, dict[str, Any], dict[str, Any], dict[str, Any]]:
    async with http_client(server, server.operator_key, "auto") as client:
        html = (await client.read_resource(cast_app.URI)).contents[0].text  # type: ignore[union-attr]
        tool = next(tool for tool in (await client.list_tools()).tools if tool.name == "dev_spell_echo")
        first = await client.call_tool("dev_spell_echo", {"message": HOSTILE})
        second = await client.call_tool("dev_spell_echo", {"message": "again"})
    return html, as_wire(tool), as_wire(first), as_wire(second)


HOST = """<!doctype html><meta charset="utf-8">
<iframe id="app" sandbox="allow-scripts allow-forms" style="width:900px;height:700px"></iframe>
<script>
const [HTML, TOOL, ARGS, FIRST, SECOND] = %s;
const frame = document.getElementById("app");
window.received = [];
const reply = (message) => frame.contentWindow.postMessage({jsonrpc: "2.0", ...message}, "*");
window.addEventListener("message", (event) => {
  const message = event.data;
  window.received.push(message);
  if (message.method === "ui/initialize") {
    const hostInfo = {name: "test-host", version: "1"};
    reply({id: message.id, result: {protocolVersion: "2026-01-26", hostInfo,
           hostCapabilities: {}, hostContext: {toolInfo: {tool: TOOL}}}});
  } else if (message.method === "ui/notifications/initialized") {
    reply({method: "ui/notifications/tool-input", params: {arguments: ARGS}});
    reply({method: "ui/notifications/tool-result", params: FIRST});
  } else if (message.method === "tools/call") {
    window.called = message.params;
    reply({id: message.id, result: SECOND});
  }
});
frame.srcdoc = HTML;
</script>"""


def test_the_app_shows_the_receipt_and_casts_again_through_its_host(
    server: RunningServer, tmp_path: Path
) -> None:
    html, tool, first, second = anyio.run(cast_and_read, server)
    # Inside the host's own <script>: "</" escaped, so the app's "</script>" ends nothing there.
    data = json.dumps([html, tool, {"message": HOSTILE}, first, second]).replace("</", "<\\/")
    host = HOST % data
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.set_content(host)
            app = page.frame_locator("#app")
            expect(app.locator("#status")).to_have_text(
                "Cast settled. The receipt is signed by the platform."
            )
            # The result's text: the output as JSON, the markup in it as characters.
            expect(app.locator("#output")).to_have_text(json.dumps({"message": HOSTILE}, ensure_ascii=False))
            expect(app.locator("#facts")).to_contain_text(first["_meta"]["dev.spell/cast_id"])
            expect(app.locator("#facts")).to_contain_text("$0.0001")  # charged
            expect(app.locator("#facts")).to_contain_text("unsigned development spell")
            expect(app.locator("#facts")).to_contain_text(first["_meta"]["dev.spell/module_digest"])
            # Shown as text: the spell's markup made no element and ran nothing.
            assert app.locator("img").count() == 0
            page.screenshot(path=str(tmp_path / "receipt.png"))

            field = app.locator("input[name=message]")
            expect(field).to_have_value(HOSTILE)
            field.fill("again")
            app.locator("#cast").click()
            expect(app.locator("#output")).to_contain_text('"again"')
            called = page.evaluate("window.called")
            received = page.evaluate("window.received")
        finally:
            browser.close()
    assert called == {"name": "dev_spell_echo", "arguments": {"message": "again"}}
    assert not any(isinstance(message, dict) and message.get("pwned") for message in received)
    assert errors == []
