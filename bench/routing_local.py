"""Assignments per second and stream-record-to-assignment latency (p50/p95) through the deployed local stack.

Starts the local stack on free ports, creates a queue with AGENTS ready agents of ample capacity, posts N
Twilio-signed first messages from N phones (CONCURRENCY at a time), then reads every interaction back.
Latency is `assignedAt - createdAt` (both stamped by the functions, on one clock): from the interaction's write,
through the table stream and the triggers function, to the committed assignment.
Run after `make build`: `.venv/bin/python bench/routing_local.py [N] [CONCURRENCY]`.
"""

from __future__ import annotations

import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]

from bench.figures import epoch, report  # noqa: E402
from tests.integration.conftest import local_stack  # noqa: E402

MESSAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 200
CONCURRENCY = int(sys.argv[2]) if len(sys.argv) > 2 else 16
AGENTS = 10
QUIET_MESSAGES = 20


def main() -> None:
    with local_stack() as stack:
        suffix = uuid.uuid4().hex[:6]
        agents = [f"bench-{suffix}-{index}" for index in range(AGENTS)]
        for agent_id in agents:
            stack.admin("PUT", f"/admin/agents/{agent_id}", json={"name": agent_id, "capacity": 100, "status": "ready"})
        queue_id = f"bench-{suffix}"
        stack.admin(
            "PUT", f"/admin/queues/{queue_id}", json={"name": "Bench", "strategy": "least-busy", "agentIds": agents}
        )
        account = stack.twilio_account(f"bench-{suffix}", queueId=queue_id)
        phones = [f"+1415559{index:04d}" for index in range(MESSAGES)]
        with ThreadPoolExecutor(CONCURRENCY) as pool:
            statuses = list(pool.map(lambda phone: stack.post_twilio(account, phone, "hi").status_code, phones))
        assert statuses == [200] * MESSAGES, statuses
        deadline = time.monotonic() + 120
        while True:
            interactions = stack.interactions(account["id"])
            assigned = [item for item in interactions if item.get("assignedAt")]
            if len(assigned) == MESSAGES or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        latencies = sorted(epoch(item["assignedAt"]) - epoch(item["createdAt"]) for item in assigned)
        first_created = min(epoch(item["createdAt"]) for item in interactions)
        last_assigned = max(epoch(item["assignedAt"]) for item in assigned)
        print(f"{MESSAGES} new conversations, {CONCURRENCY} concurrent webhooks, {AGENTS} agents, 2 cores")
        print(f"assigned: {len(assigned)}/{MESSAGES}")
        print(
            f"assignments/s (first interaction written -> last assigned): "
            f"{len(assigned) / (last_assigned - first_created):.1f}"
        )
        report("burst: interaction written -> assigned", latencies)

        # One conversation at a time: the latency an SMS sees when the stack is not saturated.
        quiet_account = stack.twilio_account(f"quiet-{suffix}", queueId=queue_id)
        quiet = []
        for index in range(QUIET_MESSAGES):
            phone = f"+1415558{index:04d}"
            assert stack.post_twilio(quiet_account, phone, "hi").status_code == 200
            [interaction] = stack.interactions(quiet_account["id"], phone=phone)
            while not (detail := stack.interaction(interaction["id"])).get("assignedAt"):
                time.sleep(0.02)
            quiet.append(epoch(detail["assignedAt"]) - epoch(detail["createdAt"]))
        report("one at a time: interaction written -> assigned", sorted(quiet))


if __name__ == "__main__":
    main()
