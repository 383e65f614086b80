"""The two pages of docs/api.md "Pages": plain HTML/CSS/JS files (no build step) opened with a token in the URL.

The token is checked here too, so a wrong or expired link answers a readable 401/403 page instead of a page that
cannot connect. The page learns its WebSocket URL and principal from a JSON object injected in its script.
"""

from __future__ import annotations

import html
import json
from collections.abc import Callable
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


class Pages:
    def __init__(self, directory: Path, signing_key: Callable[[], str], websocket_url: str | None) -> None:
        self.directory = directory
        self.signing_key = signing_key
        self.websocket_url = websocket_url
        self.source = cache(self._read)

    def _read(self, name: str) -> str:
        return (self.directory / f"{name}.html").read_text(encoding="utf-8")

    def page(self, name: str, role: str, token: str | None) -> Response[str]:
        """The page `name` for a principal of `role`, or the page saying why the token does not open it."""
        try:
            principal = verify_token(self.signing_key(), token)
        except Unauthorized as refused:
            return refusal(401, f"This link does not open the page: {refused.message}. Ask for a new one.")
        if principal.role != role:
            return refusal(403, f"This page needs a {role} token.")
        config = {"websocketUrl": self.websocket_url, "agentId": principal.agent_id, "role": principal.role}
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
