"""`make demo`: a conversation end to end against a running `make run` (reads .local/endpoints.json)."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = Path(os.environ.get("SMS_STATE_DIR", str(ROOT / ".local")))
CUSTOMER = "+14155550123"


def main() -> None:
    path = STATE_DIR / "endpoints.json"
    if not path.exists():
        sys.exit(f"{path} not found: start the local stack with `make run` first")
    endpoints = json.loads(path.read_text())
    http, sandbox = endpoints["http"], endpoints["sandbox"]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {endpoints['adminToken']}"

    def show(title: str, data: Any) -> None:
        print(f"\n== {title}\n{json.dumps(data, indent=2)}")

    account = "demo-twilio"
    for body in ("Hi, my order 1234 has not arrived", "It was due yesterday"):
        answer = requests.post(
            f"{sandbox}/inbound", json={"accountId": account, "from": CUSTOMER, "body": body}, timeout=60
        ).json()
        show(f"customer texts {account}: {body!r} (the sandbox signs it as Twilio would)", answer)
    interactions = session.get(
        f"{http}/admin/interactions", params={"accountId": account, "phone": CUSTOMER, "status": "open"}, timeout=30
    ).json()["items"]
    interaction_id = interactions[-1]["id"]
    time.sleep(1)  # routing assigns on the table stream
    show("the open interaction", session.get(f"{http}/admin/interactions/{interaction_id}", timeout=30).json())
    closed = session.post(
        f"{http}/admin/interactions/{interaction_id}/close", json={"disposition": "resolved"}, timeout=30
    )
    show("closed by the agent", closed.json())
    requests.post(f"{sandbox}/inbound", json={"accountId": account, "from": CUSTOMER, "body": "Thanks!"}, timeout=60)
    after = session.get(
        f"{http}/admin/interactions", params={"accountId": account, "phone": CUSTOMER}, timeout=30
    ).json()["items"]
    show("after the close, the next SMS opened a new interaction", [(i["id"], i["status"]) for i in after])
    triggers_demo(http, sandbox, session, show)
    time.sleep(1)  # routing assigns it
    still_open = [i for i in after if i["status"] == "open"]
    if still_open:
        holder = session.get(f"{http}/admin/interactions/{still_open[-1]['id']}", timeout=30).json().get("agentId")
        print(
            f"\n== it is open with {holder or 'nobody yet'}: answer and close it in that agent's desktop "
            "(the URLs `make run` printed); the dashboard shows it live"
        )


def triggers_demo(http: str, sandbox: str, session: requests.Session, show: Any) -> None:
    """The `triggers-demo` account: a keyword routes to billing; texting `bot` talks to the sandbox's bot."""
    account, customer = "triggers-demo", "+14155550177"

    def text(body: str) -> None:
        requests.post(f"{sandbox}/inbound", json={"accountId": account, "from": customer, "body": body}, timeout=60)

    def current() -> dict[str, Any]:
        found = session.get(
            f"{http}/admin/interactions", params={"accountId": account, "phone": customer, "status": "open"}, timeout=30
        ).json()["items"]
        return dict(session.get(f"{http}/admin/interactions/{found[-1]['id']}", timeout=30).json())

    text("Hi, I have a question about my bill")
    time.sleep(1)
    billing = current()
    show(
        "triggers: 'bill' routed the new conversation to the billing queue",
        {key: billing[key] for key in ("id", "queueId", "agentId", "tags")},
    )
    session.post(f"{http}/admin/interactions/{billing['id']}/close", json={"disposition": "resolved"}, timeout=30)
    for body in ("bot hello", "what are your hours?", "I want a human"):
        text(body)
        time.sleep(1)
    handed = current()
    show(
        "triggers: the demo bot answered first, then handed off to a person",
        {key: handed.get(key) for key in ("id", "queueId", "agentId", "botHandoff", "attributes")},
    )
    show("what the bot was told", requests.get(f"{sandbox}/bot", timeout=30).json()["items"][-3:])
    runs = session.get(f"{http}/admin/accounts/{account}/triggers/billing/runs", timeout=30).json()["items"]
    show("the billing trigger's runs", runs[:2])
    session.post(f"{http}/admin/interactions/{handed['id']}/close", json={"disposition": "resolved"}, timeout=30)


if __name__ == "__main__":
    main()
