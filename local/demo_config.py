"""The demo configuration `make run` loads: one account per provider, queue `support`, agents agent-1/agent-2."""

from __future__ import annotations

from typing import Any

import requests

from smschannel.providers import ADAPTERS

DEMO_QUEUE = "support"
DEMO_AGENTS = ("agent-1", "agent-2")
# Each demo account gets its own number so the demo can text any of them.
DEMO_NUMBER_PREFIX = "+1555010"


def demo_account_id(provider: str) -> str:
    return f"demo-{provider}"


def load_demo_configuration(http_base: str, admin_token: str, sandbox_base: str) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {admin_token}"

    def put(path: str, body: dict[str, Any]) -> None:
        response = session.put(f"{http_base}{path}", json=body, timeout=30)
        if response.status_code >= 300:
            raise SystemExit(f"demo configuration: PUT {path} answered {response.status_code}: {response.text}")

    for index, agent_id in enumerate(DEMO_AGENTS, start=1):
        put(f"/admin/agents/{agent_id}", {"name": f"Agent {index}", "capacity": 3, "status": "ready"})
    put(f"/admin/queues/{DEMO_QUEUE}", {"name": "Support", "strategy": "round-robin", "agentIds": list(DEMO_AGENTS)})
    for index, (name, adapter) in enumerate(sorted(ADAPTERS.items())):
        account_id = demo_account_id(name)
        put(
            f"/admin/accounts/{account_id}",
            {
                "name": f"Demo {name.title()}",
                "provider": name,
                "phoneNumber": f"{DEMO_NUMBER_PREFIX}{index:04d}",
                "credentials": adapter.sandbox_credentials(),
                "queueId": DEMO_QUEUE,
                "defaultRegion": "US",
                "apiBaseUrl": f"{sandbox_base}/api/{name}/{account_id}",
            },
        )
