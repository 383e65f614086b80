"""docs/openapi.json is what the admin function's Powertools resolver generates today: a route or a request model
that changes without `make openapi` fails here."""

from __future__ import annotations

import json

from local import openapi


def test_the_committed_openapi_document_is_the_generated_one(aws: dict[str, str]) -> None:
    committed = openapi.OUTPUT.read_text()
    generated = openapi.render()
    assert json.loads(committed) == json.loads(generated), "docs/openapi.json is stale: run `make openapi`"
    assert committed == generated, "docs/openapi.json is not formatted as `make openapi` writes it"


def test_the_document_holds_every_admin_route_and_health() -> None:
    paths = json.loads(openapi.OUTPUT.read_text())["paths"]
    assert "/health" in paths
    assert "/admin/accounts/{account_id}" in paths
    assert "/admin/interactions/{interaction_id}/messages" in paths
