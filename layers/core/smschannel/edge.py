"""The HTTP edge of every function without Powertools' resolver: an API Gateway HTTP API event (payload 2.0, a
plain dict) → WebhookRequest, a domain error → its status and the one error body, an answer → the response dict.

The webhook function answers its two routes with this alone: importing the resolver (and the event data classes
and the OpenAPI machinery it brings) would cost its cold start ~0.1 of the import floor (`bench/import_time.py`).
`smschannel.http` maps errors for the resolver's functions with the same helpers here.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError

from smschannel.errors import DomainError, UnparsableWebhook
from smschannel.observability import logger
from smschannel.providers.base import WebhookAnswer, WebhookRequest

JSON = "application/json"
Event = Mapping[str, Any]
WebhookRoute = Callable[[str, WebhookRequest], WebhookAnswer]

# A path parameter as Powertools' resolver matches one (RFC 3986's safe characters, the unsafe ones API Gateway
# decodes, word characters): a request the resolver would not route is not routed here either.
_PATH_PARAMETER = r"[-._~()'!*:@,;=+&$%<> \[\]{}|^\w]+"
_WEBHOOK_PATH = re.compile(rf"^/webhooks/(?P<account_id>{_PATH_PARAMETER})(?P<status>/status)?$")
_WEBHOOK_METHODS = frozenset({"GET", "POST"})


def error_body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    """The one shape of every 4xx/5xx body: a stable code, a readable message, and the field at fault (or null)."""
    return {"error": code, "message": message, "field": field}


def refusal(error: DomainError) -> tuple[int, dict[str, Any]]:
    """A domain exception's status and body, logged as every function logs a refused request."""
    if error.status_code >= 500:
        logger.exception("domain error")
    else:
        logger.info("request refused", extra={"code": error.code, "status": error.status_code})
    return error.status_code, error_body(error.code, error.message, error.field)


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


def http_response(status_code: int, content_type: str, body: str) -> dict[str, Any]:
    """The payload 2.0 response, in the shape Powertools' resolver gives it."""
    return {
        "statusCode": status_code,
        "headers": {"Content-Type": content_type},
        "cookies": [],
        "body": body,
        "isBase64Encoded": False,
    }


def json_http_response(status_code: int, body: Any) -> dict[str, Any]:
    """A JSON body serialised as the resolver serialises one (compact separators)."""
    return http_response(status_code, JSON, json.dumps(body, separators=(",", ":")))


def _headers(event: Event) -> dict[str, str]:
    return {key.lower(): value for key, value in (event.get("headers") or {}).items()}


def _context(event: Event) -> Mapping[str, Any]:
    return event.get("requestContext") or {}


def http_method(event: Event) -> str:
    return str((_context(event).get("http") or {}).get("method", "")).upper()


def route_path(event: Event) -> str:
    """The path the routes are matched against: the raw path without a named stage's `/stage` prefix."""
    raw_path = str(event.get("rawPath") or "")
    stage = _context(event).get("stage")
    if stage and stage != "$default":
        return raw_path[len(f"/{stage}") :]
    return raw_path


def public_urls(event: Event, override: str | None = None, public_base_url: str | None = None) -> tuple[str, ...]:
    """Every URL the provider may have used for this request, most likely first.

    Behind API Gateway the function sees the Host and the path after any custom-domain base path; a named stage
    shows in the path as `/stage/...`. An account-level override (its `options.webhookUrl`) wins, since only the
    operator knows the URL pasted into the provider's console when a CDN or proxy sits in front; next the
    stack's PublicBaseUrl joined with the route's path.
    """
    headers = _headers(event)
    context = _context(event)
    host = headers.get("x-forwarded-host") or headers.get("host") or context.get("domainName")
    proto = (headers.get("x-forwarded-proto") or "https").split(",")[0].strip()
    raw_path = str(event.get("rawPath") or "")
    stage = context.get("stage")
    raw_query = event.get("rawQueryString") or ""
    query = f"?{raw_query}" if raw_query else ""
    route = raw_path
    paths = [raw_path]
    if stage and stage != "$default":
        prefix = f"/{stage}"
        if raw_path.startswith(prefix + "/"):
            route = raw_path[len(prefix) :]
            paths.append(route)
        else:
            paths.append(prefix + raw_path)
    urls: list[str] = []
    if override:
        urls.append(override + query)
    if public_base_url:
        urls.append(public_base_url.rstrip("/") + route + query)
    urls += [f"{proto}://{host}{path}{query}" for path in paths]
    return tuple(dict.fromkeys(urls))


def raw_body(event: Event) -> bytes:
    """The request body as the client sent it, bytes of any kind: API Gateway base64-encodes what is not text."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            return base64.b64decode(body)
        except (binascii.Error, ValueError) as exc:
            raise UnparsableWebhook("body is not valid base64", field="body") from exc
    return str(body).encode("utf-8")


def webhook_request(event: Event, public_base_url: str | None = None) -> WebhookRequest:
    """The provider's request as the domain reads it (the account's own signed URL is put first by the domain)."""
    http = _context(event).get("http") or {}
    return WebhookRequest(
        method=http_method(event),
        urls=public_urls(event, None, public_base_url),
        headers=_headers(event),
        query=dict(event.get("queryStringParameters") or {}),
        body=raw_body(event),
        source_ip=http.get("sourceIp"),
        raw_query=event.get("rawQueryString") or "",
    )


def resolve_webhook(
    event: Event, *, message: WebhookRoute, status: WebhookRoute, public_base_url: str | None = None
) -> dict[str, Any]:
    """`GET|POST /webhooks/{accountId}` to `message`, `.../status` to `status`, each called with the account id and
    the request; any other request is a 404, a domain error its status, a payload a model refused a 422."""
    method, path = http_method(event), route_path(event)
    matched = _WEBHOOK_PATH.match(path) if method in _WEBHOOK_METHODS else None
    if matched is None:
        return json_http_response(404, error_body("not_found", f"no route for {method} {path}"))
    route = status if matched["status"] else message
    try:
        answer = route(matched["account_id"], webhook_request(event, public_base_url))
    except DomainError as error:
        return json_http_response(*refusal(error))
    except ValidationError as error:
        logger.info("request refused", extra={"code": "validation_error", "status": 422})
        return json_http_response(422, validation_error_body(list(error.errors())))
    return http_response(answer.status_code, answer.content_type, answer.body)
