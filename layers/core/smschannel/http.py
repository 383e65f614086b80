"""The handler edge shared by every HTTP function: API Gateway event → WebhookRequest, errors → status codes."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEventV2
from pydantic import ValidationError

from smschannel.errors import DomainError, UnparsableWebhook
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


def raw_body(event: APIGatewayProxyEventV2) -> bytes:
    """The request body as the client sent it, bytes of any kind: API Gateway base64-encodes what is not text, and
    decoding that to str (Powertools' `decoded_body`) would raise on a binary body before any error handling."""
    body = event.body or ""
    if event.is_base64_encoded:
        try:
            return base64.b64decode(body)
        except (binascii.Error, ValueError) as exc:
            raise UnparsableWebhook("body is not valid base64", field="body") from exc
    return body.encode("utf-8")


def webhook_request(event: APIGatewayProxyEventV2, public_base_url: str | None = None) -> WebhookRequest:
    """The provider's request as the domain reads it (the account's own signed URL is put first by the domain)."""
    return WebhookRequest(
        method=event.request_context.http.method.upper(),
        urls=public_urls(event, None, public_base_url),
        headers={key.lower(): value for key, value in (event.headers or {}).items()},
        query=dict(event.query_string_parameters or {}),
        body=raw_body(event),
        source_ip=event.request_context.http.source_ip,
        raw_query=event.raw_query_string or "",
    )


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The one shape of every 4xx/5xx body: a stable code, a readable message, and the field at fault (or null)."""
    return {"error": code, "message": message, "field": field}


# Where a validation error's location starts: Powertools prefixes the part of the request it validated.
_REQUEST_PARTS = {"body", "query", "path", "header", "cookie"}


def validation_error_body(errors: list[Any]) -> dict[str, Any]:
    """Pydantic's (or Powertools' request validation's) first error as our shape, naming the field in docs/api.md's
    camelCase as the client sent it (`loc` carries the aliases), e.g. `phoneNumber` or `credentials.authToken`."""
    if not errors:
        return error_body("validation_error", "the request is not valid")
    first = dict(errors[0])
    location = [str(part) for part in first.get("loc", ())]
    if location and location[0] in _REQUEST_PARTS:
        location = location[1:]
    field = ".".join(location) or None
    kind = first.get("type", "")
    text = str(first.get("msg") or kind or "is not valid")
    if kind == "missing":
        text = "is required"
    elif kind == "json_invalid":
        return error_body("validation_error", "the body is not valid JSON", "body")
    message = f"{field}: {text}" if field else text
    return error_body("validation_error", message, field)


def json_response(status_code: int, body: Any) -> Response:
    return Response(status_code=status_code, content_type=content_types.APPLICATION_JSON, body=body)


def http_api(*, enable_validation: bool = False) -> APIGatewayHttpResolver:
    """The resolver of an HTTP API function, its errors mapped as every function maps them."""
    app = APIGatewayHttpResolver(enable_validation=enable_validation)
    register_error_handlers(app)
    return app


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    """Domain exceptions → their HTTP status, in one place for every function."""

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        if error.status_code >= 500:
            logger.exception("domain error")
        else:
            logger.info("request refused", extra={"code": error.code, "status": error.status_code})
        return json_response(error.status_code, error_body(error.code, error.message, error.field))

    @app.not_found
    def _no_route(_: Exception) -> Response:
        event = app.current_event
        return json_response(404, error_body("not_found", f"no route for {event.http_method} {event.path}"))

    @app.exception_handler(RequestValidationError)
    def _request_validation_error(error: RequestValidationError) -> Response:
        logger.info("request refused", extra={"code": "validation_error", "status": 422})
        return json_response(422, validation_error_body(list(error.errors())))

    @app.exception_handler(ValidationError)
    def _model_validation_error(error: ValidationError) -> Response:
        logger.info("request refused", extra={"code": "validation_error", "status": 422})
        return json_response(422, validation_error_body(list(error.errors())))
