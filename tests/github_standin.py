"""A local stand-in for GitHub's OAuth endpoints and /user, at the HTTP boundary: the platform's
real OAuth client (Authlib over httpx) talks to it as it would to github.com.

It enforces what GitHub does: the registered client id and secret, the exact redirect URI, a
one-time code, and PKCE (S256: the verifier must hash to the challenge the authorize step saw).
The authorize step signs in `account` at once, as a user who already approved the app would be.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tests.local_server import local_server

CLIENT_ID = "Iv1.spelltest"
CLIENT_SECRET = "spell-test-secret"


@dataclass
class GitHubStandIn:
    url: str
    account: dict[str, Any] = field(default_factory=lambda: {"id": 4242, "login": "octo", "name": "Octo Cat"})
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code → (challenge, redirect_uri)
    tokens: set[str] = field(default_factory=set)
    token_requests: list[dict[str, str]] = field(default_factory=list)

    def settings(self) -> dict[str, str]:
        return {
            "SPELL_GITHUB_CLIENT_ID": CLIENT_ID,
            "SPELL_GITHUB_CLIENT_SECRET": CLIENT_SECRET,
            "SPELL_GITHUB_AUTHORIZE_URL": f"{self.url}/login/oauth/authorize",
            "SPELL_GITHUB_TOKEN_URL": f"{self.url}/login/oauth/access_token",
            "SPELL_GITHUB_API_URL": f"{self.url}/api",
        }

    def app(self) -> Starlette:
        async def authorize(request: Request) -> Response:
            query = request.query_params
            if query.get("client_id") != CLIENT_ID or query.get("code_challenge_method") != "S256":
                return JSONResponse({"error": "bad authorize request"}, status_code=400)
            code = secrets.token_hex(10)
            self.codes[code] = (query["code_challenge"], query["redirect_uri"])
            target = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
            return RedirectResponse(target, status_code=302)

        async def access_token(request: Request) -> Response:
            form = dict(await request.form())
            basic = request.headers.get("authorization", "")
            if basic.startswith("Basic "):
                client_id, _, secret = base64.b64decode(basic[6:]).decode().partition(":")
                form.setdefault("client_id", client_id)
                form.setdefault("client_secret", secret)
            self.token_requests.append({k: str(v) for k, v in form.items()})
            challenge, redirect_uri = self.codes.pop(str(form.get("code")), (None, None))
            verifier = str(form.get("code_verifier", ""))
            computed = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            )
            if (
                form.get("client_id") != CLIENT_ID
                or form.get("client_secret") != CLIENT_SECRET
                or challenge is None
                or form.get("redirect_uri") != redirect_uri
                or computed != challenge
            ):
                # GitHub answers 200 with an error body.
                return JSONResponse({"error": "bad_verification_code"})
            token = f"gho_{secrets.token_hex(16)}"
            self.tokens.add(token)
            return JSONResponse({"access_token": token, "token_type": "bearer", "scope": "read:user"})

        async def user(request: Request) -> Response:
            token = request.headers.get("authorization", "").removeprefix("Bearer ").removeprefix("token ")
            if token not in self.tokens:
                return JSONResponse({"message": "Bad credentials"}, status_code=401)
            return JSONResponse(self.account)

        return Starlette(
            routes=[
                Route("/login/oauth/authorize", authorize),
                Route("/login/oauth/access_token", access_token, methods=["POST"]),
                Route("/api/user", user),
            ]
        )


@contextmanager
def github_standin(port: int) -> Iterator[GitHubStandIn]:
    standin = GitHubStandIn(url=f"http://127.0.0.1:{port}")
    with local_server(standin.app(), port):
        yield standin
