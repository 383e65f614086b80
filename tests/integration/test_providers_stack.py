"""Every provider's webhook, posted by the sandbox in that provider's own format and signature, reaches the same
open-interaction logic as Twilio's, through the deployed stack."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.integration.conftest import Stack


def test_each_providers_signed_webhook_opens_then_joins_one_interaction(stack: Stack) -> None:
    accounts = [
        item for item in stack.admin("GET", "/admin/accounts").json()["items"] if item["id"].startswith("demo-")
    ]
    providers = {account["provider"] for account in accounts}
    assert {"twilio", "vonage", "plivo", "telnyx"} <= providers
    phone = "+1415556" + str(uuid.uuid4().int % 10000).zfill(4)

    def converse(account: dict[str, str]) -> tuple[str, list[int], list[dict[str, object]]]:
        statuses = []
        for body in ("hello from " + account["provider"], "second message ✓"):
            response = requests.post(
                f"{stack.sandbox}/inbound", json={"accountId": account["id"], "from": phone, "body": body}, timeout=120
            )
            assert response.status_code == 200, response.text
            statuses.append(response.json()["status"])
        return account["provider"], statuses, stack.interactions(account["id"], phone=phone)

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(converse, accounts))
    for _, _, interactions in results:  # the demo agents' capacity is shared with other tests: give it back
        for interaction in interactions:
            stack.admin("POST", f"/admin/interactions/{interaction['id']}/close", json={"disposition": "test"})
    failures = []
    for provider, statuses, interactions in results:
        if any(status >= 300 for status in statuses):
            failures.append(f"{provider}: webhook answered {statuses}")
        elif len(interactions) != 1 or interactions[0]["messageCount"] != 2 or interactions[0]["phone"] != phone:
            failures.append(f"{provider}: {interactions}")
    assert not failures, failures
