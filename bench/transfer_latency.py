"""Transfer latency through the deployed local stack: a transfer accepted -> the receiving agent's frame, beside the
webhook -> agent figure of the same run.

Per sample, one new conversation: the webhook answered -> `interaction.assigned` at agent A (inbound write, stream,
routing, stream, fan-out); then A's `transfer` to B over the WebSocket, sent -> `interaction.transferred` at B (the
realtime function's transaction, stream, fan-out). Both as p50/p95 and their ratio.

Run after `make build`: `.venv/bin/python bench/transfer_latency.py [SAMPLES]` (SMS_TEST_ENDPOINTS=<a running
stack's endpoints.json> reuses that stack instead of starting one).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]

from bench.figures import p95  # noqa: E402
from tests.integration.conftest import Stack, local_stack  # noqa: E402
from tests.integration.harness import connect, make_team, new_phone, token  # noqa: E402

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 20


async def measure(stack: Stack) -> tuple[list[float], list[float]]:
    team = make_team(stack, ["ready", "ready"])
    giver, receiver = team.agent_ids
    for agent_id in team.agent_ids:
        body = {"name": agent_id, "capacity": SAMPLES + 1, "status": "ready"}
        assert stack.admin("PUT", f"/admin/agents/{agent_id}", json=body).ok
    # Only the giver is in the queue: every new conversation reaches it; the receiver gets them by transfer.
    assert stack.admin("PUT", f"/admin/queues/{team.queue_id}", json={"name": "Bench", "agentIds": [giver]}).ok
    one = await connect(stack, token(stack, agentId=giver))
    two = await connect(stack, token(stack, agentId=receiver))
    webhook, transfer = [], []
    for _ in range(SAMPLES):
        mark_one, mark_two = len(one.frames), len(two.frames)
        start = time.perf_counter()
        response = await asyncio.to_thread(stack.post_twilio, team.account, new_phone(), "hello")
        answered = time.perf_counter()
        assert response.status_code == 200
        assigned = await one.wait_type("interaction.assigned", timeout=30, after=mark_one)
        webhook.append(time.perf_counter() - answered)
        interaction_id = assigned["interaction"]["id"]
        start = time.perf_counter()
        await one.send(action="transfer", interactionId=interaction_id, agentId=receiver, note="bench")
        await two.wait_for(
            lambda f, i=interaction_id: f.get("type") == "interaction.transferred" and f["interaction"]["id"] == i,
            timeout=30,
            after=mark_two,
        )
        transfer.append(time.perf_counter() - start)
    await one.close()
    await two.close()
    return webhook, transfer


def main() -> None:
    with local_stack() as stack:
        webhook, transfer = asyncio.run(measure(stack))
    rows = [
        ("webhook answered -> agent's interaction.assigned", webhook),
        ("transfer sent -> receiver's frame", transfer),
    ]
    print(f"transfer latency, local stack, {SAMPLES} samples (ms)")
    for name, values in rows:
        print(f"  {name:52} p50 {1000 * statistics.median(values):7.0f}   p95 {1000 * p95(values):7.0f}")
    print(f"  ratio transfer / webhook (p50): {statistics.median(transfer) / statistics.median(webhook):.2f}")


if __name__ == "__main__":
    main()
