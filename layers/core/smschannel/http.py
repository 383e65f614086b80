"""The resolver edge shared by the HTTP functions built on Powertools' resolver (admin): errors → status codes.

The error shape and the mapping of a domain error are `smschannel.edge`'s, which the webhook function uses alone.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from pydantic import ValidationError

from smschannel.edge import error_body, refusal, validation_error_body
from smschannel.errors import DomainError
from smschannel.observability import logger


def json_response(status_code: int, body: Any) -> Response:
    return Response(status_code=status_code, content_type=content_types.APPLICATION_JSON, body=body)


def http_api(*, enable_validation: bool = False) -> APIGatewayHttpResolver:
    """The resolver of an HTTP API function, its errors mapped as every function maps them."""
    app = APIGatewayHttpResolver(enable_validation=enable_validation)
    register_error_handlers(app)
    return app


def register_error_handlers(app: APIGatewayHttpResolver) -> None:
    """Domain exceptions → their HTTP status, as `smschannel.edge` maps them for every function."""

    @app.exception_handler(DomainError)
    def _domain_error(error: DomainError) -> Response:
        return json_response(*refusal(error))

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
