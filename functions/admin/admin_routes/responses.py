"""Response shapes shared by the admin routers (docs/api.md: 201 on create, 200 on update, 204 on delete, items)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler import Response

from smschannel.http import json_response


def saved(obj: dict[str, Any], created: bool) -> Response[Any]:
    return json_response(201 if created else 200, obj)


def items(objects: list[Any]) -> dict[str, Any]:
    return {"items": [obj if isinstance(obj, dict) else obj.to_json_dict() for obj in objects]}


def deleted() -> Response[Any]:
    return Response(status_code=204)
