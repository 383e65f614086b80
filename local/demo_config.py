"""The demo configuration `make run` loads: one account per provider, queue `support`, agents agent-1/agent-2."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import requests

from local.sandbox import BOT_SECRET
from smschannel.providers import ADAPTERS

DEMO_QUEUE = "support"
BILLING_QUEUE = "billing"
# The account the trigger demo runs on: its own number (and no `demo-` prefix, which names one account per
# provider), so no other demo conversation is answered by its triggers.
TRIGGERS_ACCOUNT = "triggers-demo"
TRIGGERS_NUMBER = "+15550109999"
TRIGGERS_TIME_ZONE = "America/New_York"
DEMO_AGENTS = ("agent-1", "agent-2")
DEMO_TEAM = "floor"
# The floor (docs/floor.md): the support queue's dispositions and after-contact work, canned replies, pause reasons.
DEMO_DISPOSITIONS = ["resolved", "escalated", "follow-up", "no-response"]
DEMO_WRAP_UP_SECONDS = 120
DEMO_RESPONSES = {
    "greet": {"title": "Greeting", "text": "Hi {{contact.name|there}}, this is {{agent.name}} of {{account.name}}."},
    "refund": {
        "title": "Refund issued",
        "text": "Your refund is on its way, {{contact.name|there}}: 3-5 working days. Ref {{interaction.id}}.",
    },
    "bye": {"title": "Closing", "text": "Thanks for texting {{account.name}}. Reply any time if you need us."},
}
# Each demo account gets its own number so the demo can text any of them.
DEMO_NUMBER_PREFIX = "+1555010"


def demo_account_id(provider: str) -> str:
    return f"demo-{provider}"


def support_queue(*, wrap_up: bool) -> dict[str, Any]:
    """The demo's support queue: team `floor`; with `wrap_up` (`make demo`'s floor walk-through), its dispositions
    and after-contact work too (left off by `make run`, whose tests close its conversations freely)."""
    queue: dict[str, Any] = {
        "name": "Support",
        "strategy": "round-robin",
        "agentIds": list(DEMO_AGENTS),
        "teamIds": [DEMO_TEAM],
    }
    if wrap_up:
        queue |= {"dispositions": DEMO_DISPOSITIONS, "wrapUpSeconds": DEMO_WRAP_UP_SECONDS}
    return queue


def load_demo_configuration(http_base: str, admin_token: str, sandbox_base: str) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {admin_token}"

    def put(path: str, body: dict[str, Any]) -> None:
        response = session.put(f"{http_base}{path}", json=body, timeout=30)
        if response.status_code >= 300:
            raise SystemExit(f"demo configuration: PUT {path} answered {response.status_code}: {response.text}")

    for index, agent_id in enumerate(DEMO_AGENTS, start=1):
        put(f"/admin/agents/{agent_id}", {"name": f"Agent {index}", "capacity": 3, "status": "ready"})
    put("/admin/settings", {"pauseReasons": ["break", "lunch", "training"]})
    put(f"/admin/teams/{DEMO_TEAM}", {"name": "Floor", "agentIds": list(DEMO_AGENTS)})
    put(f"/admin/queues/{DEMO_QUEUE}", support_queue(wrap_up=False))
    for response_id, response in DEMO_RESPONSES.items():
        put(f"/admin/responses/{response_id}", {"shortcut": response_id, **response})
    put(f"/admin/queues/{BILLING_QUEUE}", {"name": "Billing", "strategy": "least-busy", "agentIds": list(DEMO_AGENTS)})
    for index, (name, adapter) in enumerate(sorted(ADAPTERS.items())):
        account_id = demo_account_id(name)
        put(
            f"/admin/accounts/{account_id}",
            {
                "name": f"Demo {name.title()}",
                "key": name[:3].upper(),  # the desktop's tab label (XCALLY's account Key)
                "provider": name,
                "phoneNumber": f"{DEMO_NUMBER_PREFIX}{index:04d}",
                "credentials": adapter.sandbox_credentials(),
                "queueId": DEMO_QUEUE,
                "defaultRegion": "US",
                "apiBaseUrl": f"{sandbox_base}/api/{name}/{account_id}",
            },
        )
    load_trigger_demo(put, sandbox_base)


def load_trigger_demo(put: Callable[[str, dict[str, Any]], None], sandbox_base: str) -> None:
    """`triggers-demo`: a welcome reply on every new conversation, an out-of-hours reply (09:00-17:00 Mon-Fri in
    New York, plus holidays), `billing` routed to the billing queue, and `bot` handed to the sandbox's webhook bot."""
    twilio = ADAPTERS["twilio"]
    put(
        f"/admin/accounts/{TRIGGERS_ACCOUNT}",
        {
            "name": "Demo Triggers",
            "provider": "twilio",
            "phoneNumber": TRIGGERS_NUMBER,
            "credentials": twilio.sandbox_credentials(),
            "queueId": DEMO_QUEUE,
            "defaultRegion": "US",
            "apiBaseUrl": f"{sandbox_base}/api/twilio/{TRIGGERS_ACCOUNT}",
            "options": {"timeZone": TRIGGERS_TIME_ZONE, "holidays": ["2026-12-25", "2027-01-01"]},
        },
    )
    triggers: dict[str, dict[str, Any]] = {
        "billing": {
            "name": "Billing questions go to the billing queue",
            "event": "interaction.created",
            "priority": 10,
            "conditions": {"rules": [{"field": "body", "op": "regex", "value": r"\bbill(ing)?\b|\binvoice"}]},
            "actions": [{"type": "route", "queueId": BILLING_QUEUE}, {"type": "tag", "tags": ["billing"]}],
        },
        "bot": {
            "name": "Texting 'bot' starts a conversation with the demo bot",
            "event": "interaction.created",
            "priority": 20,
            "stopProcessing": True,
            "conditions": {"rules": [{"field": "body", "op": "regex", "value": r"^\s*bot\b"}]},
            "actions": [{"type": "bot", "backend": "webhook", "url": f"{sandbox_base}/bot", "secret": BOT_SECRET}],
        },
        "welcome": {
            "name": "Welcome",
            "event": "interaction.created",
            "priority": 30,
            "actions": [
                {
                    "type": "autoReply",
                    "text": "Hi! Thanks for texting {{accountName}}. You are number {{queuePosition}} in line.",
                    "frequency": "once",
                }
            ],
        },
        "out-of-hours": {
            "name": "Out of hours",
            "event": "message.received",
            "priority": 40,
            "conditions": {
                "match": "any",
                "rules": [
                    {"field": "localTime", "op": "between", "value": ["17:00", "09:00"]},
                    {"field": "weekday", "op": "in", "value": ["sat", "sun"]},
                    {"field": "holiday", "op": "equals", "value": True},
                ],
            },
            "actions": [
                {
                    "type": "autoReply",
                    "text": "We are closed now (Mon-Fri 9-17 New York time); an agent will answer when we open.",
                    "frequency": "once",
                }
            ],
        },
    }
    for trigger_id, trigger in triggers.items():
        put(f"/admin/accounts/{TRIGGERS_ACCOUNT}/triggers/{trigger_id}", trigger)
