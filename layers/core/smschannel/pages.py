"""The pages of docs/api.md "Pages": plain HTML/CSS/JS files (no build step), opened either with a token in the URL
(`POST /admin/tokens`) or, without one, signed in through the user pool's hosted sign-in (assets/common.js).

Each page names the one shared module, `assets/common.js` and `assets/common.css` (its session, live connection,
helpers and base styles), with plain `<script src>` / `<link>` tags; this module puts the module's text in their
place when it serves the page, so a page is one request that cannot half-load (a second request for the module
could fail or time out while the page's own script runs without it) and the repository keeps one copy.

A link's token is checked here too, so a wrong or expired link answers a readable 401/403 page instead of a page
that cannot connect. The page learns its WebSocket URL, principal and sign-in endpoints from a JSON object
injected in its script.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
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
# The shared module's tags in the pages' source, and the element its text takes their place in.
SHARED_MODULE = {
    '<link rel="stylesheet" href="assets/common.css">': ("common.css", "style"),
    '<script src="assets/common.js"></script>': ("common.js", "script"),
}


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

    def _read(self, name: str) -> str:
        page = (self.directory / f"{name}.html").read_text(encoding="utf-8")
        for tag, (file, element) in SHARED_MODULE.items():
            if tag not in page:
                raise RuntimeError(f"{name}.html does not load the shared module ({tag})")
            text = (self.directory / "assets" / file).read_text(encoding="utf-8")
            page = page.replace(tag, f"<{element}>\n{text}</{element}>", 1)
        return page

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
