"""Replies through the deployed local stack: reply accepted -> provider API called (p50/p95), and sends per second
for a burst of one reply to each of N interactions.

Starts the local stack on free ports, opens N interactions (Twilio-signed SMS from N phones), then posts one reply
to each (CONCURRENCY at a time) and reads the sandbox's outbox. Latency is the sandbox's `at` (when the provider
API was called) minus the reply's `createdAt` (stamped by the admin function): both on this machine's clock.
It runs the path the way AWS does: table stream -> outbound function -> SQS FIFO -> outbound function -> provider.
Run after `make build`: `.venv/bin/python bench/outbound_local.py [N] [CONCURRENCY]`.
"""

from __future__ import annotations

import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]

from bench.figures import epoch, report  # noqa: E402
from tests.integration.conftest import Stack, local_stack  # noqa: E402

INTERACTIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 50
CONCURRENCY = int(sys.argv[2]) if len(sys.argv) > 2 else 16
QUIET = 10


def sent_to(stack: Stack, phones: set[str]) -> dict[str, dict[str, Any]]:
    items = requests.get(f"{stack.sandbox}/outbox", timeout=60).json()["items"]
    return {item["to"]: item for item in items if item["to"] in phones}


def main() -> None:
    with local_stack() as stack:
        suffix = uuid.uuid4().hex[:6]
        account = stack.twilio_account(f"out-{suffix}")
        phones = [f"+1415556{index:04d}" for index in range(INTERACTIONS)]
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            assert set(pool.map(lambda phone: stack.post_twilio(account, phone, "hi").status_code, phones)) == {200}
        interactions = {item["phone"]: item["id"] for item in stack.interactions(account["id"])}

        def reply(phone: str) -> dict[str, Any]:
            path = f"/admin/interactions/{interactions[phone]}/messages"
            response = stack.admin(
                "POST", path, json={"body": "Your parcel left this morning.", "clientMessageId": "b"}
            )
            assert response.status_code == 202, response.text
            return dict(response.json()["message"])

        with ThreadPoolExecutor(CONCURRENCY) as pool:
            replies = {message["to"]: message for message in pool.map(reply, phones)}
        deadline = time.monotonic() + 180
        while len(sent := sent_to(stack, set(phones))) < INTERACTIONS and time.monotonic() < deadline:
            time.sleep(0.5)
        latencies = [epoch(sent[phone]["at"]) - epoch(replies[phone]["createdAt"]) for phone in sent]
        first = min(epoch(message["createdAt"]) for message in replies.values())
        last = max(epoch(item["at"]) for item in sent.values())
        print(f"burst: {INTERACTIONS} replies to {INTERACTIONS} interactions, {CONCURRENCY} concurrent POSTs, 2 cores")
        print(f"sent: {len(sent)}/{INTERACTIONS}; sends/s (first reply stored -> last provider call): "
              f"{len(sent) / (last - first):.1f}")  # fmt: skip
        report("burst: reply accepted -> provider API called", latencies)

        quiet_phones = phones[:QUIET]
        quiet = []
        for index, phone in enumerate(quiet_phones):
            path = f"/admin/interactions/{interactions[phone]}/messages"
            message = stack.admin("POST", path, json={"body": f"quiet {index}", "clientMessageId": f"q{index}"}).json()
            while True:
                items = requests.get(f"{stack.sandbox}/outbox", timeout=60).json()["items"]
                found = [item for item in items if item["body"] == f"quiet {index}" and item["to"] == phone]
                if found:
                    quiet.append(epoch(found[0]["at"]) - epoch(message["message"]["createdAt"]))
                    break
                time.sleep(0.05)
        report(f"one at a time ({QUIET}): reply accepted -> provider API called", quiet)


if __name__ == "__main__":
    main()
