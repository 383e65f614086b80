"""The handler edge shared by every HTTP function: API Gateway event → WebhookRequest, errors → status codes."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2

from smschannel.errors import DomainError
from smschannel.observability import logger
from smschannel.providers.base import WebhookRequest


def public_urls(
    event: APIGatewayProxyEventV2, override: str | None = None, public_base_url: str | None = None
) -> tuple[str, ...]:
    """Every URL the provider may have used for this request, most likely first.

    Behind API Gateway the function sees the Host and the path after any custom-domain base path; a named stage
    shows in the path as `/stage/...`. An account-level override (its `options.webhookUrl`) wins, since only the
    operator knows the URL pasted into the provider's console when a CDN or proxy sits in front; next the
    stack's PublicBaseUrl joined with the route's path.
    """
    headers = {key.lower(): value for key, value in (event.headers or {}).items()}
    host = headers.get("x-forwarded-host") or headers.get("host") or event.request_context.domain_name
    proto = (headers.get("x-forwarded-proto") or "https").split(",")[0].strip()
    raw_path = event.raw_path or event.path
    stage = event.request_context.stage
    query = f"?{event.raw_query_string}" if event.raw_query_string else ""
    route_path = raw_path
    paths = [raw_path]
    if stage and stage != "$default":
        prefix = f"/{stage}"
        if raw_path.startswith(prefix + "/"):
            route_path = raw_path[len(prefix) :]
            paths.append(route_path)
        else:
            paths.append(prefix + raw_path)
    urls: list[str] = []
    if override:
        urls.append(override + query)
    if public_base_url:
        urls.append(public_base_url.rstrip("/") + route_path + query)
    urls += [f"{proto}://{host}{path}{query}" for path in paths]
    return tuple(dict.fromkeys(urls))


def webhook_request(
    event: APIGatewayProxyEventV2, url_override: str | None = None, public_base_url: str | None = None
) -> WebhookRequest:
    body = event.decoded_body or ""
    return WebhookRequest(
        method=event.request_context.http.method.upper(),
        urls=public_urls(event, url_override, public_base_url),
        headers={key.lower(): value for key, value in (event.headers or {}).items()},
        query=dict(event.query_string_parameters or {}),
        body=body.encode("utf-8") if isinstance(body, str) else body,
        source_ip=event.request_context.http.source_ip,
    )


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": code, "message": message}
    if field:
        body["field"] = field
    return body


def json_response(status_code: int, body: Any) -> Response:
    return Response(status_code=status_code, content_type=content_types.APPLICATION_JSON, body=body)


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    """Domain exceptions → their HTTP status, in one place for every function."""

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        if error.status_code >= 500:
            logger.exception("domain error")
        else:
            logger.info("request refused", extra={"code": error.code, "status": error.status_code})
        return json_response(error.status_code, error_body(error.code, error.message, error.field))
