"""The two pages of SPEC.md "Pages": `GET /dashboard?token=` (supervisors) and `GET /agent?token=` (agents).

Plain HTML/CSS/JS files beside this module, no build step. The token is checked here too, so a wrong or expired
link answers a readable 401/403 page instead of a page that cannot connect.
"""

from __future__ import annotations

import html
import json
from functools import cache
from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel.errors import Unauthorized
from smschannel.observability import logger
from smschannel.secrets import token_signing_key
from smschannel.settings import get_settings
from smschannel.tokens import verify_token
from smschannel.warmup import answers_warmup

settings = get_settings()
app = APIGatewayHttpResolver()
HERE = Path(__file__).parent
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the URL
    "X-Content-Type-Options": "nosniff",
}


@cache
def page_source(name: str) -> str:
    return (HERE / f"{name}.html").read_text(encoding="utf-8")


def refusal(status: int, message: str) -> Response[str]:
    body = (
        "<!doctype html><meta charset=utf-8><title>SMS channel</title>"
        "<body style='font:16px system-ui;background:#0b1020;color:#e6e9f2;display:grid;place-items:center;"
        f"height:100vh;margin:0'><p>{html.escape(message)}</p></body>"
    )
    return Response(status_code=status, content_type="text/html; charset=utf-8", body=body, headers=HEADERS)


def page(name: str, role: str) -> Response[str]:
    token = app.current_event.get_query_string_value("token")
    try:
        principal = verify_token(token_signing_key(settings), token)
    except Unauthorized as refused:
        return refusal(401, f"This link does not open the page: {refused.message}. Ask for a new one.")
    if principal.role != role:
        return refusal(403, f"This page needs a {role} token.")
    config = {"websocketUrl": settings.websocket_url, "agentId": principal.agent_id, "role": principal.role}
    # `</` cannot end the script element from inside the JSON.
    injected = json.dumps(config).replace("</", "<\\/")
    body = page_source(name).replace("/*CONFIG*/{}", injected, 1)
    return Response(status_code=200, content_type="text/html; charset=utf-8", body=body, headers=HEADERS)


@app.get("/dashboard")
def dashboard() -> Response[str]:
    return page("dashboard", "supervisor")


@app.get("/agent")
def agent() -> Response[str]:
    return page("agent", "agent")


@answers_warmup
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
