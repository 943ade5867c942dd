"""Whatever a client sends, it gets a clear refusal with a catalog code, never a 5xx; nothing is
charged and nothing is recorded against a spell. Specific cases first, then the whole class:
arbitrary JSON-ish bodies thrown at the cast, key and publish endpoints over REST, and at tools
over MCP, and arbitrary uploads at publishing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp_types import INVALID_PARAMS

from registry import pack_directory
from spell_mcp.errors import CATALOG
from spell_mcp.mcp.protocol import PROBLEM_META
from spell_mcp.strict_json import MAX_DEPTH
from tests import wasm_modules as wat
from tests.conftest import RunningServer
from tests.spellbook import write_spell

# Hostile text reaches the database (PostgreSQL refuses NUL characters that SQLite keeps):
# on both databases.
pytestmark = pytest.mark.backends("sqlite", "postgresql")

ECHO = "/v1/spells/dev.spell.echo/cast"


def nested(depth: int, inner: Any = "x") -> Any:
    """`depth` levels of arrays around `inner`, as a cast input (itself one more level)."""
    value = inner
    for _ in range(depth):
        value = [value]
    return value


@pytest.fixture(scope="module")
def caster(server: RunningServer) -> Iterator[httpx.Client]:
    with server.client(server.new_user(credits_usd="1")) as client:
        yield client


def refusal(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json"), response.text
    body: dict[str, Any] = response.json()
    assert body["code"] in CATALOG and CATALOG[body["code"]].status == response.status_code, body
    return body


def snapshot(client: httpx.Client) -> tuple[Any, Any]:
    """What a refused request must leave as it was: the caster's balance and newest cast."""
    balance = client.get("/v1/users/me/balance").json()
    return balance, client.get("/v1/casts", params={"limit": 1}).json()["items"]


def post_raw(
    client: httpx.Client, path: str, body: bytes | str, content_type: str = "application/json"
) -> Any:
    return client.post(path, content=body, headers={"Content-Type": content_type})


# The body is one level, "input" a second: the input's own nesting starts at the third.
@pytest.mark.parametrize("depth", [MAX_DEPTH - 2, MAX_DEPTH - 1, 100, 260, 500, 950, 980, 5000, 100_000])
def test_one_limit_refuses_deep_nesting_at_every_depth(caster: httpx.Client, depth: int) -> None:
    before = snapshot(caster)
    body = '{"input": {"message": "x", "deep": ' + "[" * depth + "]" * depth + "}}"
    response = post_raw(caster, ECHO, body)
    if depth + 2 <= MAX_DEPTH:
        assert response.status_code == 200, response.text
        return
    problem = refusal(response)
    assert (response.status_code, problem["code"]) == (400, "request_invalid")
    assert f"deeper than {MAX_DEPTH} levels" in problem["detail"]
    assert snapshot(caster) == before


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ('{"input": {"message": "\\ud800"}}', "lone surrogate"),
        ('{"input": {"message": "x\\udfffy"}}', "lone surrogate"),
        ('{"input": {"\\ud83d": "x", "message": "x"}}', "lone surrogate"),
        ('{"input": {"message": "x", "n": NaN}}', "NaN"),
        ('{"input": {"message": "x", "n": Infinity}}', "Infinity"),
        ('{"input": {"message": "x", "n": -Infinity}}', "Infinity"),
        ('{"input": {"message": "x", "n": 1e999999}}', "too large for a 64-bit float"),
        ('{"input": {"message": "x", "message": "y"}}', '"message" appears twice'),
        ('{"input": {"message": "x"}, "input": {"message": "y"}}', '"input" appears twice'),
        ('{"input": {"message": "x", "n": ' + "9" * 5000 + "}}", "too many digits"),
        ('{"input": {"message": "x"', "not JSON"),
        (b'{"input": {"message": "\xff"}}', "not UTF-8"),
    ],
    ids=[
        "surrogate",
        "low-surrogate",
        "surrogate-name",
        "nan",
        "infinity",
        "minus-infinity",
        "overflowing-float",
        "duplicate-name",
        "duplicate-envelope",
        "huge-integer",
        "truncated",
        "not-utf8",
    ],
)
def test_input_that_is_not_strict_json_is_refused_and_costs_nothing(
    caster: httpx.Client, body: str | bytes, words: str
) -> None:
    before = snapshot(caster)
    problem = refusal(post_raw(caster, ECHO, body))
    assert problem["code"] == "request_invalid"
    assert words in problem["detail"], problem
    assert snapshot(caster) == before


@pytest.mark.parametrize(
    ("content", "content_type"),
    [
        ('{"input": {"message": "x"}}', "text/plain"),
        ("input=x", "application/x-www-form-urlencoded"),
        ('{"input": {"message": "x"}}', "multipart/form-data; boundary=x"),
        ('{"input": {"message": "x"}}', ""),
    ],
    ids=["text", "form", "multipart", "none"],
)
def test_a_json_body_in_another_media_type_is_told_to_send_json(
    caster: httpx.Client, content: str, content_type: str
) -> None:
    before = snapshot(caster)
    headers = {"Content-Type": content_type} if content_type else {}
    response = caster.post(ECHO, content=content, headers=headers)
    if not content_type:
        # httpx sends none of its own for raw content; make sure no header reached the server.
        assert "content-type" not in response.request.headers
    problem = refusal(response)
    assert (response.status_code, problem["code"]) == (415, "unsupported_media_type")
    assert "application/json" in problem["detail"]
    assert snapshot(caster) == before


def test_every_json_endpoint_reads_its_body_strictly(caster: httpx.Client, server: RunningServer) -> None:
    with server.client() as operator:
        for path in ("/v1/keys", "/v1/makers/me/signers"):
            problem = refusal(post_raw(operator, path, '{"name": "x", "name": "y"}'))
            assert problem["code"] == "request_invalid" and "appears twice" in problem["detail"]
            problem = refusal(post_raw(operator, path, '{"name": "x"}', "text/plain"))
            assert problem["code"] == "unsupported_media_type"
        problem = refusal(operator.put("/v1/users/me/budget", content='{"daily_usd": NaN}'))
        assert problem["code"] in ("request_invalid", "unsupported_media_type")


# -- the whole class ------------------------------------------------------------------------

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
JSONISH = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=30,
)
# Text that json.dumps cannot produce: non-finite numbers, surrogates, duplicates, depth, junk.
TRICKS = st.sampled_from(
    [
        "NaN",
        "-Infinity",
        "1e999999",
        '"\\ud800"',
        '{"a": 1, "a": 2}',
        "[" * 300 + "]" * 300,
        "9" * 5000,
        '"\\u0000"',
        "{",
        "",
        "\x00",
        "[1,]",
        "'single'",
    ]
)


@st.composite
def bodies(draw: st.DrawFn) -> tuple[bytes, str]:
    """A body and its content type: JSON of any shape, JSON with a trick spliced in, or junk."""
    shape = draw(st.sampled_from(["json", "input", "trick", "bytes"]))
    if shape == "json":
        text = json.dumps(draw(JSONISH))
    elif shape == "input":
        inner = draw(JSONISH)
        text = json.dumps(
            {
                "input": {"message": "x", "extra": inner},
                "version": draw(st.one_of(st.none(), st.text(max_size=5))),
            }
        )
    elif shape == "trick":
        text = '{"input": {"message": "x", "extra": ' + draw(TRICKS) + "}}"
    else:
        return draw(st.binary(max_size=64)), draw(st.sampled_from(["application/json", "text/plain"]))
    content_type = draw(
        st.sampled_from(["application/json"] * 4 + ["text/plain", "application/x-www-form-urlencoded", ""])
    )
    return text.encode("utf-8", "surrogatepass"), content_type


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    body=bodies(),
    path=st.sampled_from([ECHO, "/v1/spells/dev.spell.textstats/cast", "/v1/keys", "/v1/users/me/budget"]),
)
def test_no_body_reaches_a_server_error_or_costs_anything(
    caster: httpx.Client, body: tuple[bytes, str], path: str
) -> None:
    content, content_type = body
    headers = {"Content-Type": content_type} if content_type else {}
    before = snapshot(caster)
    response = caster.request(
        "PUT" if path.endswith("/budget") else "POST", path, content=content, headers=headers
    )
    if response.status_code < 300:
        return  # a well-formed request, done as asked
    refusal(response)
    assert snapshot(caster) == before


# -- MCP: raw JSON-RPC, since a well-behaved client cannot send these ----------------------------

ENVELOPE = (
    '"_meta": {"io.modelcontextprotocol/protocolVersion": "2026-07-28", '
    '"io.modelcontextprotocol/clientCapabilities": {}}'
)


class RawMcp:
    """Stateless Streamable HTTP (2026-07-28) spoken by hand, so that any text can be sent."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client

    def call(self, tool: str, arguments: str) -> dict[str, Any]:
        """tools/call with `arguments` exactly as written (any text at all)."""
        body = (
            f'{{"jsonrpc": "2.0", "id": 1, "method": "tools/call", '
            f'"params": {{"name": "{tool}", "arguments": {arguments}, {ENVELOPE}}}}}'
        )
        headers = {
            "Content-Type": "application/json",
            "Accept": "application/json, text/event-stream",
            "MCP-Protocol-Version": "2026-07-28",
            "Mcp-Method": "tools/call",
            "Mcp-Name": tool,
        }
        response = self.client.post("/mcp", content=body.encode("utf-8", "surrogatepass"), headers=headers)
        assert response.status_code < 500, response.text
        answer: dict[str, Any] = response.json()
        return answer


@pytest.fixture(scope="module")
def raw_mcp(caster: httpx.Client) -> RawMcp:
    return RawMcp(caster)


def assert_mcp_refusal(answer: dict[str, Any]) -> None:
    """A protocol error, or a tool error carrying a catalog code; never an internal error."""
    if "error" in answer:
        assert isinstance(answer["error"]["code"], int) and answer["error"]["message"], answer
        return
    result = answer["result"]
    assert result["isError"] is True, answer
    code = result["_meta"][PROBLEM_META]["code"]
    assert code in CATALOG and code != "internal_error", answer


@pytest.mark.parametrize(
    "arguments",
    [
        '{"message": "x", "n": NaN}',
        '{"message": "x", "n": Infinity}',
        '{"message": "x", "n": -Infinity}',
        '{"message": "x", "n": 1e999999}',
        '{"message": "\\ud800"}',
        '{"message": "x", "deep": ' + "[" * 100 + "]" * 100 + "}",
        '{"message": "x", "deep": ' + "[" * 5000 + "]" * 5000 + "}",
        '{"message": "x", "n": ' + "9" * 5000 + "}",
        '"not an object"',
        '{"message": "x", "message": "y"}',
    ],
    ids=[
        "nan",
        "infinity",
        "minus-infinity",
        "overflow",
        "surrogate",
        "deep",
        "deeper",
        "digits",
        "string",
        "duplicate",
    ],
)
def test_mcp_arguments_that_are_not_strict_json_are_refused_and_cost_nothing(
    caster: httpx.Client, raw_mcp: RawMcp, arguments: str
) -> None:
    before = snapshot(caster)
    for tool in ("dev_spell_echo", "spells_cast"):
        params = (
            arguments if tool == "dev_spell_echo" else f'{{"key": "dev.spell.echo", "input": {arguments}}}'
        )
        assert_mcp_refusal(raw_mcp.call(tool, params))
    assert snapshot(caster) == before


def test_mcp_refuses_a_name_twice_in_one_object_as_rest_does(caster: httpx.Client, raw_mcp: RawMcp) -> None:
    """Parsers differ on which of two values for one name they keep: REST refuses the body
    (request_invalid), and MCP the request (invalid params), wherever the name repeats."""
    before = snapshot(caster)
    for tool, arguments in (
        ("dev_spell_echo", '{"message": "x", "message": "y"}'),
        ("spells_cast", '{"key": "dev.spell.echo", "input": {"message": "x"}, "input": {"message": "y"}}'),
    ):
        error = raw_mcp.call(tool, arguments)["error"]
        assert error["code"] == INVALID_PARAMS and "appears twice in one object" in error["message"], error
    assert snapshot(caster) == before


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(
    extra=st.one_of(JSONISH.map(json.dumps), TRICKS), tool=st.sampled_from(["dev_spell_echo", "spells_cast"])
)
def test_no_mcp_arguments_reach_an_internal_error_or_cost_anything(
    caster: httpx.Client, raw_mcp: RawMcp, extra: str, tool: str
) -> None:
    arguments = '{"message": "x", "extra": ' + extra + "}"
    if tool == "spells_cast":
        arguments = '{"key": "dev.spell.echo", "input": ' + arguments + "}"
    before = snapshot(caster)
    answer = raw_mcp.call(tool, arguments)
    if "result" in answer and not answer["result"].get("isError"):
        return  # well-formed arguments, cast as asked
    assert_mcp_refusal(answer)
    assert snapshot(caster) == before


# -- publishing: whatever bytes arrive as a package or a bundle --------------------------------


@pytest.fixture(scope="module")
def valid_package(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    directory = write_spell(tmp_path_factory.mktemp("package"), "com.fuzz.target", wat.writes("{}"))
    return pack_directory(directory)


@st.composite
def uploads(draw: st.DrawFn, valid: bytes) -> tuple[dict[str, Any], dict[str, str]]:
    """A publish request: a valid package with bytes changed, cut or appended, or any bytes at
    all; with or without a bundle; as multipart, or as something else entirely."""
    shape = draw(st.sampled_from(["mutated", "cut", "junk", "json"]))
    package = bytearray(valid)
    if shape == "mutated":
        for _ in range(draw(st.integers(1, 8))):
            package[draw(st.integers(0, len(package) - 1))] = draw(st.integers(0, 255))
    elif shape == "cut":
        package = package[: draw(st.integers(0, len(package) - 1))]
    elif shape == "junk":
        package = bytearray(draw(st.binary(max_size=2048)))
    if shape == "json":
        return {"content": b'{"package": "x"}'}, {"Content-Type": "application/json"}
    files: dict[str, Any] = {"package": ("spell.tar", bytes(package), "application/x-tar")}
    bundle = draw(
        st.one_of(st.none(), st.binary(max_size=300), JSONISH.map(lambda v: json.dumps(v).encode()))
    )
    if bundle is not None:
        files["bundle"] = ("spell.sigstore.json", bundle, "application/json")
    return {"files": files}, {}


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
@given(data=st.data())
def test_no_upload_reaches_a_server_error_or_publishes_half_a_spell(
    caster: httpx.Client, valid_package: bytes, data: st.DataObject
) -> None:
    request, headers = data.draw(uploads(valid_package))
    before = caster.get("/v1/spells", params={"q": "com.fuzz"}).json()["items"]
    response = caster.post("/v1/spells", headers=headers, **request)
    if response.status_code < 300:
        return  # a byte that did not matter (tar padding): published whole, as it should be
    refusal(response)
    assert caster.get("/v1/spells", params={"q": "com.fuzz"}).json()["items"] == before
