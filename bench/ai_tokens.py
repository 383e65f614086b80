"""AI assist through the deployed local stack: tokens per summary and per suggestion (the `usage` Converse returns)
for 5-, 20- and 60-message conversations, the cost per 1,000 summaries at the default model's list price, and the
latency the agent sees (suggestReplies sent -> replies.suggested received; close sent -> interaction.summary).

The emulator's Converse (ministack's bedrock_runtime) answers a deterministic one-line text and counts tokens as
characters / 4 of the system prompt and the messages (a heuristic close to English text's ~4 characters a token,
not a real tokenizer): the input figures are the prompts this code really builds; the output figures are the
mock's, so the cost is also given with the output at its bound (maxTokens: 250 a summary, 400 a suggestion).
Latencies are the local plumbing's (WebSocket, Lambda, DynamoDB, SQS, the emulator's instant model), not a model's.

Run after `make build`: `.venv/bin/python bench/ai_tokens.py [SAMPLES]` (SMS_TEST_ENDPOINTS=<a running stack's
endpoints.json> reuses that stack instead of starting one).
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]

from bench.figures import p95  # noqa: E402
from smschannel.assist.prompts import SUGGESTIONS_INFERENCE, SUMMARY_INFERENCE  # noqa: E402
from tests.integration.conftest import Stack, local_stack  # noqa: E402
from tests.integration.harness import Client, Team, connect, make_team, new_phone, token  # noqa: E402

SAMPLES = int(sys.argv[1]) if len(sys.argv) > 1 else 20
SIZES = (5, 20, 60)
MODEL = "amazon.nova-lite-v1:0"
# Amazon Nova Lite, on-demand, us-east-1 list price (USD per 1M tokens).
PRICE_INPUT, PRICE_OUTPUT = 0.06, 0.24

CUSTOMER = [
    "Hi, my order hasn't arrived yet and the tracking page hasn't changed since Monday.",
    "It's order 55812, placed two weeks ago. I paid for express shipping.",
    "The courier says it was delivered but there's nothing at my door or with the neighbours.",
    "Can you send a replacement, or should I wait a few more days?",
    "I'd prefer a refund to the original card if the replacement takes more than a week.",
    "Ok thanks. Will I get an email when it ships?",
]
AGENT = [
    "Sorry about that! Let me look at the shipment for you right away.",
    "Thanks, I can see it: the courier marked it delivered yesterday at 14:02.",
    "I've opened a trace with the courier; they usually answer within 24 hours.",
    "I can ship a replacement today with next-day delivery at no cost.",
    "Done: the replacement is booked, and if it's not with you by Friday we refund you in full.",
    "Yes, you'll get the tracking link by email and SMS as soon as it leaves the warehouse.",
]


def with_ai(stack: Stack, team: Team) -> None:
    body = {key: value for key, value in team.account.items() if key != "id"}
    body["options"] = {"ai": {"summaries": True, "suggestions": True}}
    assert stack.admin("PUT", f"/admin/accounts/{team.account_id}", json=body).ok


async def conversation(stack: Stack, team: Team, desk: Client, size: int) -> str:
    """A conversation of `size` messages, the customer's and the agent's in turn, assigned to `desk`'s agent."""
    phone = new_phone()
    mark = len(desk.frames)
    await asyncio.to_thread(stack.post_twilio, team.account, phone, CUSTOMER[0])
    assigned = await desk.wait_type("interaction.assigned", timeout=60, after=mark)
    interaction_id = str(assigned["interaction"]["id"])
    for n in range(1, size):
        mark = len(desk.frames)
        if n % 2:
            body = AGENT[(n // 2) % len(AGENT)]
            await desk.send(action="sendMessage", interactionId=interaction_id, body=body, clientMessageId=f"c-{n}")
            await desk.wait_type("message.accepted", timeout=60, after=mark, interactionId=interaction_id)
        else:
            await asyncio.to_thread(stack.post_twilio, team.account, phone, CUSTOMER[(n // 2) % len(CUSTOMER)])
            await desk.wait_for(
                lambda f: (
                    f.get("type") == "message.created"
                    and f.get("interactionId") == interaction_id
                    and f["message"]["direction"] == "in"
                ),
                timeout=60,
                after=mark,
            )
    return interaction_id


async def suggest(desk: Client, interaction_id: str) -> tuple[float, dict[str, Any]]:
    mark = len(desk.frames)
    started = time.perf_counter()
    await desk.send(action="suggestReplies", interactionId=interaction_id)
    frame = await desk.wait_type("replies.suggested", timeout=60, after=mark, interactionId=interaction_id)
    return time.perf_counter() - started, frame


async def close_and_summary(desk: Client, interaction_id: str) -> tuple[float, dict[str, Any]]:
    mark = len(desk.frames)
    started = time.perf_counter()
    await desk.send(action="closeInteraction", interactionId=interaction_id)
    frame = await desk.wait_type("interaction.summary", timeout=120, after=mark, interactionId=interaction_id)
    return time.perf_counter() - started, frame["summary"]


async def measure(stack: Stack) -> dict[str, Any]:
    team = make_team(stack, ["ready"])
    with_ai(stack, team)
    [agent_id] = team.agent_ids
    body = {"name": agent_id, "capacity": 100, "status": "ready"}
    assert stack.admin("PUT", f"/admin/agents/{agent_id}", json=body).ok
    desk = await connect(stack, token(stack, agentId=agent_id))
    by_size: dict[int, dict[str, Any]] = {}
    suggestion_latency: list[float] = []
    for size in SIZES:
        interaction_id = await conversation(stack, team, desk, size)
        took, frame = await suggest(desk, interaction_id)
        assert frame["status"] == "ok", frame
        if size == 20:  # the latency samples, on a mid-sized conversation
            suggestion_latency.append(took)
            for _ in range(SAMPLES - 1):
                suggestion_latency.append((await suggest(desk, interaction_id))[0])
        _, summary = await close_and_summary(desk, interaction_id)
        assert summary["status"] == "ready", summary
        by_size[size] = {
            "summary": (summary["inputTokens"], summary["outputTokens"]),
            "suggestion": (frame["inputTokens"], frame["outputTokens"]),
        }
    summary_latency = []
    for _ in range(max(3, SAMPLES // 2)):
        interaction_id = await conversation(stack, team, desk, 2)
        summary_latency.append((await close_and_summary(desk, interaction_id))[0])
    await desk.close()
    return {"sizes": by_size, "suggestion_latency": suggestion_latency, "summary_latency": summary_latency}


def dollars_per_thousand(input_tokens: int, output_tokens: int) -> float:
    return 1000 * (input_tokens * PRICE_INPUT + output_tokens * PRICE_OUTPUT) / 1_000_000


def main() -> None:
    with local_stack() as stack:
        figures = asyncio.run(measure(stack))
    summary_bound, suggestion_bound = SUMMARY_INFERENCE["maxTokens"], SUGGESTIONS_INFERENCE["maxTokens"]
    print(f"AI assist, local stack ({MODEL}: ${PRICE_INPUT}/1M input, ${PRICE_OUTPUT}/1M output tokens)")
    print("  tokens: ministack's chars/4 heuristic; output tokens are the mock's one-line answer")
    print(
        f"  {'messages':>8} | {'summary in/out':>14} | {'suggest in/out':>14} | "
        f"{'$ per 1,000 summaries (mock out / out at {b})':>44}".replace("{b}", str(summary_bound))
    )
    for size, row in figures["sizes"].items():
        (s_in, s_out), (g_in, g_out) = row["summary"], row["suggestion"]
        measured, bounded = dollars_per_thousand(s_in, s_out), dollars_per_thousand(s_in, summary_bound)
        print(f"  {size:>8} | {s_in:>6} / {s_out:<5} | {g_in:>6} / {g_out:<5} | {measured:>20.4f} / {bounded:.4f}")
    for size, row in figures["sizes"].items():
        g_in, _ = row["suggestion"]
        print(
            f"  $ per 1,000 suggestions, {size} messages (output at {suggestion_bound}): "
            f"{dollars_per_thousand(g_in, suggestion_bound):.4f}"
        )
    for name, values in (
        ("suggestReplies sent -> replies.suggested", figures["suggestion_latency"]),
        ("closeInteraction sent -> interaction.summary", figures["summary_latency"]),
    ):
        print(
            f"  {name:46} p50 {1000 * statistics.median(values):6.0f} ms   p95 {1000 * p95(values):6.0f} ms"
            f"   ({len(values)} samples)"
        )


if __name__ == "__main__":
    main()
