"""The pages of docs/api.md "Pages": `GET /dashboard?token=` (supervisors), `GET /agent?token=` (agents),
`GET /reports` (supervisors, signed in: it reads the admin API), each with the one shared module (assets/common.js,
common.css) in it.

Plain HTML/CSS/JS files beside this module, no build step (smschannel.pages checks the token and fills them in).
"""

from __future__ import annotations

from pathlib import Path

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from smschannel import wiring
from smschannel.observability import logger
from smschannel.warmup import answers_warmup

pages = wiring.pages(Path(__file__).parent)
app = APIGatewayHttpResolver()


@app.get("/dashboard")
def dashboard() -> Response[str]:
    return pages.page("dashboard", "supervisor", app.current_event.get_query_string_value("token"))


@app.get("/agent")
def agent() -> Response[str]:
    return pages.page("agent", "agent", app.current_event.get_query_string_value("token"))


@app.get("/reports")
def reports() -> Response[str]:
    # A ?token= link would open it, but not the admin API it reads: the page itself asks for a sign-in then.
    return pages.page("reports", "supervisor", app.current_event.get_query_string_value("token"))


@answers_warmup
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP, log_event=False)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
