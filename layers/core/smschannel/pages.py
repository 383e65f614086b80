"""The pages of docs/api.md "Pages": plain HTML/CSS/JS files (no build step), opened either with a token in the URL
(`POST /admin/tokens`) or, without one, signed in through the user pool's hosted sign-in (assets/common.js).

Each page loads the one shared module, `assets/common.js` and `assets/common.css` (its session, live connection,
helpers and base styles), under a URL carrying the module's content hash, so a browser caches it for good and a
new deployment is fetched at once.

A link's token is checked here too, so a wrong or expired link answers a readable 401/403 page instead of a page
that cannot connect. The page learns its WebSocket URL, principal and sign-in endpoints from a JSON object
injected in its script.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

from aws_lambda_powertools.event_handler import Response

from smschannel.errors import Unauthorized
from smschannel.tokens import verify_token

HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Content-Type-Options": "nosniff",
}
HTML = "text/html; charset=utf-8"
# The shared module's files and their types; nothing else under assets/ is served.
ASSET_TYPES = {"common.js": "text/javascript; charset=utf-8", "common.css": "text/css; charset=utf-8"}


@dataclass(frozen=True)
class SignIn:
    """Where the pages sign in: the hosted sign-in's base URL (…/oauth2/authorize, /oauth2/token, /logout), the
    pages' app client, and the pages' own public base (their redirect URIs, and POST /realtime/tickets)."""

    base_url: str
    client_id: str
    pages_base_url: str

    def config(self, name: str) -> dict[str, str]:
        base, pages = self.base_url.rstrip("/"), self.pages_base_url.rstrip("/")
        return {
            "authorizeUrl": f"{base}/oauth2/authorize",
            "tokenUrl": f"{base}/oauth2/token",
            "logoutUrl": f"{base}/logout",
            "clientId": self.client_id,
            "redirectUri": f"{pages}/{name}",
            "ticketUrl": f"{pages}/realtime/tickets",
            "apiUrl": pages,  # the admin API beside the pages (the reports page reads /admin/reports)
        }


class Pages:
    def __init__(
        self,
        directory: Path,
        signing_key: Callable[[], str],
        websocket_url: str | None,
        signin: SignIn | None = None,
    ) -> None:
        self.directory = directory
        self.signing_key = signing_key
        self.websocket_url = websocket_url
        self.signin = signin
        self.source = cache(self._read)

    @cached_property
    def assets(self) -> dict[str, str]:
        return {name: (self.directory / "assets" / name).read_text(encoding="utf-8") for name in ASSET_TYPES}

    @cached_property
    def assets_version(self) -> str:
        digest = hashlib.sha256("\0".join(self.assets[name] for name in sorted(self.assets)).encode())
        return digest.hexdigest()[:12]

    def _read(self, name: str) -> str:
        return (
            (self.directory / f"{name}.html").read_text(encoding="utf-8").replace("ASSETS_VERSION", self.assets_version)
        )

    def asset(self, name: str, version: str | None) -> Response[str]:
        """A file of the shared module; cached for a year when asked for under the current version's URL."""
        if name not in ASSET_TYPES:
            return Response(status_code=404, content_type="text/plain", body="not found", headers=HEADERS)
        current = version == self.assets_version
        headers = {**HEADERS, "Cache-Control": "public, max-age=31536000, immutable" if current else "no-cache"}
        return Response(status_code=200, content_type=ASSET_TYPES[name], body=self.assets[name], headers=headers)

    def page(self, name: str, role: str, token: str | None) -> Response[str]:
        """The page `name` for a principal of `role`: opened by the link's token, or (no token) the page that signs
        in; else the page saying why the token does not open it."""
        if not token and self.signin is not None:
            return self._render(
                name, {"websocketUrl": self.websocket_url, "role": role, "auth": self.signin.config(name)}
            )
        try:
            principal = verify_token(self.signing_key(), token)
        except Unauthorized as refused:
            return refusal(401, f"This link does not open the page: {refused.message}. Ask for a new one.")
        if principal.role != role:
            return refusal(403, f"This page needs a {role} token.")
        return self._render(
            name, {"websocketUrl": self.websocket_url, "agentId": principal.agent_id, "role": principal.role}
        )

    def _render(self, name: str, config: dict[str, object]) -> Response[str]:
        # `</` cannot end the script element from inside the JSON.
        injected = json.dumps(config).replace("</", "<\\/")
        body = self.source(name).replace("/*CONFIG*/{}", injected, 1)
        return Response(status_code=200, content_type=HTML, body=body, headers=HEADERS)


def refusal(status: int, message: str) -> Response[str]:
    body = (
        "<!doctype html><meta charset=utf-8><title>SMS channel</title>"
        "<body style='font:16px system-ui;background:#0b1020;color:#e6e9f2;display:grid;place-items:center;"
        f"height:100vh;margin:0'><p>{html.escape(message)}</p></body>"
    )
    return Response(status_code=status, content_type=HTML, body=body, headers=HEADERS)
