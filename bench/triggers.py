"""Trigger evaluation time per record, and the latency triggers add before assignment.

1. In process: 20 triggers of mixed rules (text ops, regexes, lists, local time, attributes) compiled once, then
   evaluated against 10,000 event facts: microseconds per record for the whole rule set.
2. Through the deployed local stack (started on free ports), one conversation at a time: `assignedAt - createdAt`
   (both stamped by the functions) for an account without triggers, then for one whose new interactions fire
   triggers before routing (tag + setAttributes + callUrl queued, plus 10 rules that do not match), then one whose
   trigger reroutes every new interaction to another queue, then one whose welcome auto-reply (with the queue
   position, 32 index reads) goes out through outbound before routing.
Run after `make build`: `.venv/bin/python bench/triggers.py [CONVERSATIONS]`.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]

from smschannel.triggers.conditions import Facts, compile_conditions, time_zone  # noqa: E402
from smschannel.triggers.model import Conditions  # noqa: E402

CONVERSATIONS = int(sys.argv[1]) if len(sys.argv) > 1 else 20
RECORDS = 10_000

RULE_SETS: list[dict[str, Any]] = [
    {"rules": [{"field": "body", "op": "contains", "value": "billing"}]},
    {"rules": [{"field": "body", "op": "regex", "value": r"\border\s*#?\d+"}]},
    {"rules": [{"field": "body", "op": "regex", "value": r"^(stop|unsubscribe|cancel)\b"}]},
    {"rules": [{"field": "body", "op": "in", "value": ["yes", "y", "ok", "sure"]}]},
    {"rules": [{"field": "body", "op": "startsWith", "value": "urgent"}]},
    {
        "match": "any",
        "rules": [
            {"field": "localTime", "op": "between", "value": ["17:00", "09:00"]},
            {"field": "weekday", "op": "in", "value": ["sat", "sun"]},
            {"field": "holiday", "op": "equals", "value": True},
        ],
    },
    {
        "rules": [
            {"field": "firstMessage", "op": "equals", "value": True},
            {"field": "queueId", "op": "equals", "value": "support"},
        ]
    },
    {"rules": [{"field": "attributes.plan", "op": "in", "value": ["gold", "platinum"]}]},
    {"rules": [{"field": "tags", "op": "contains", "value": "vip"}]},
    {"rules": [{"field": "from", "op": "startsWith", "value": "+44"}]},
] * 2


def evaluation() -> None:
    matchers = [compile_conditions(Conditions.model_validate(rules)) for rules in RULE_SETS]
    zone = time_zone("America/New_York")
    rng = random.Random(7)
    words = [
        "hello",
        "billing",
        "order",
        "#1234",
        "stop",
        "yes",
        "urgent",
        "please",
        "help",
        "my",
        "invoice",
        "is",
        "wrong",
        "thanks",
    ]
    facts = [
        Facts(
            values={
                "from": rng.choice(["+14155550123", "+447700900123"]),
                "queueId": "support",
                "firstMessage": rng.random() < 0.3,
                "tags": rng.choice([[], ["vip"]]),
                "attributes": {"plan": rng.choice(["gold", "free"])},
            },
            now=datetime.now(UTC),
            zone=zone,
            holidays=frozenset({"2026-12-25"}),
            body=" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))),
        )
        for _ in range(RECORDS)
    ]
    started = time.perf_counter()
    fired = sum(matcher.matches(each) for each in facts for matcher in matchers)
    elapsed = time.perf_counter() - started
    print(
        f"evaluation: {len(matchers)} triggers x {RECORDS} records in {elapsed:.2f} s = "
        f"{elapsed / RECORDS * 1e6:.0f} us per record for the whole rule set ({fired} matches)"
    )


def stack_latency() -> None:
    from bench.figures import epoch, p95
    from tests.integration.conftest import Stack, local_stack

    def one_at_a_time(stack: Stack, account: dict[str, Any], prefix: str) -> list[float]:
        latencies = []
        for index in range(CONVERSATIONS):
            phone = f"{prefix}{index:04d}"
            assert stack.post_twilio(account, phone, "hello, a question").status_code == 200
            [interaction] = stack.interactions(account["id"], phone=phone)
            deadline = time.monotonic() + 30
            while not (detail := stack.interaction(interaction["id"])).get("assignedAt"):
                assert time.monotonic() < deadline, detail
                time.sleep(0.02)
            latencies.append(epoch(detail["assignedAt"]) - epoch(detail["createdAt"]))
        return sorted(latencies)

    def report(label: str, latencies: list[float], baseline: float | None = None) -> float:
        p50 = statistics.median(latencies)
        added = f", +{(p50 - baseline) * 1000:.0f} ms p50 over no triggers" if baseline is not None else ""
        print(f"{label}: p50 {p50 * 1000:.0f} ms, p95 {p95(latencies) * 1000:.0f} ms{added}")
        return p50

    with local_stack() as stack:
        suffix = uuid.uuid4().hex[:6]
        agents = [f"tb-{suffix}-{index}" for index in range(4)]
        for agent_id in agents:
            stack.admin("PUT", f"/admin/agents/{agent_id}", json={"name": agent_id, "capacity": 100, "status": "ready"})
        for queue_id in (f"tq-{suffix}", f"tq2-{suffix}"):
            stack.admin(
                "PUT", f"/admin/queues/{queue_id}", json={"name": "B", "strategy": "least-busy", "agentIds": agents}
            )
        plain = stack.twilio_account(f"plain-{suffix}", queueId=f"tq-{suffix}")
        firing = stack.twilio_account(f"firing-{suffix}", queueId=f"tq-{suffix}")
        rerouting = stack.twilio_account(f"reroute-{suffix}", queueId=f"tq-{suffix}")
        welcoming = stack.twilio_account(f"welcome-{suffix}", queueId=f"tq-{suffix}")
        stack.admin(
            "PUT",
            f"/admin/accounts/{welcoming['id']}/triggers/welcome",
            json={
                "event": "interaction.created",
                "actions": [
                    {"type": "autoReply", "text": "Hi! You are number {{queuePosition}}.", "frequency": "once"}
                ],
            },
        )
        for index in range(10):
            stack.admin(
                "PUT",
                f"/admin/accounts/{firing['id']}/triggers/miss-{index}",
                json={
                    "event": "interaction.created",
                    "conditions": {"rules": [{"field": "body", "op": "regex", "value": rf"\bnever{index}\b"}]},
                    "actions": [{"type": "close"}],
                },
            )
        stack.admin(
            "PUT",
            f"/admin/accounts/{firing['id']}/triggers/fire",
            json={
                "event": "interaction.created",
                "actions": [
                    {"type": "tag", "tags": ["new"]},
                    {"type": "setAttributes", "attributes": {"source": "sms"}},
                    {"type": "callUrl", "url": "http://127.0.0.1:9/never", "secret": "bench-secret"},
                ],
            },
        )
        stack.admin(
            "PUT",
            f"/admin/accounts/{rerouting['id']}/triggers/route",
            json={"event": "interaction.created", "actions": [{"type": "route", "queueId": f"tq2-{suffix}"}]},
        )
        time.sleep(11)  # the triggers function rereads an account's triggers at most every 10 s
        print(f"{CONVERSATIONS} conversations one at a time per account, local stack (ministack), 2 shared cores")
        baseline = report("no triggers: interaction written -> assigned", one_at_a_time(stack, plain, "+1415561"))
        report("11 triggers, one firing 3 actions", one_at_a_time(stack, firing, "+1415562"), baseline)
        report("a trigger rerouting to another queue", one_at_a_time(stack, rerouting, "+1415563"), baseline)
        report("a welcome autoReply with {{queuePosition}}", one_at_a_time(stack, welcoming, "+1415564"), baseline)


if __name__ == "__main__":
    evaluation()
    if "--no-stack" not in sys.argv:
        stack_latency()
