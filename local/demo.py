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
sys.path.insert(0, str(ROOT / "layers" / "core"))  # the demo configuration names the providers' adapters

from local.demo_config import DEMO_QUEUE, DEMO_WRAP_UP_SECONDS, support_queue  # noqa: E402

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
    show("closed by the agent", close(http, session, interaction_id))
    requests.post(f"{sandbox}/inbound", json={"accountId": account, "from": CUSTOMER, "body": "Thanks!"}, timeout=60)
    after = session.get(
        f"{http}/admin/interactions", params={"accountId": account, "phone": CUSTOMER}, timeout=30
    ).json()["items"]
    show("after the close, the next SMS opened a new interaction", [(i["id"], i["status"]) for i in after])
    triggers_demo(http, sandbox, session, show)
    time.sleep(1)  # routing assigns it
    still_open = [i for i in after if i["status"] == "open"]
    if still_open:
        floor_demo(http, endpoints, session, still_open[-1]["id"])


def close(http: str, session: requests.Session, interaction_id: str) -> Any:
    """Closed as resolved and, where its queue asks for wrap-up, the wrap-up submitted: the agent's slot is free."""
    closed = session.post(
        f"{http}/admin/interactions/{interaction_id}/close", json={"disposition": "resolved"}, timeout=30
    ).json()
    if closed.get("wrapUpUntil"):
        wrapped = session.post(
            f"{http}/admin/interactions/{interaction_id}/wrap-up", json={"disposition": "resolved"}, timeout=30
        )
        closed = wrapped.json() if wrapped.ok else closed
    return closed


def floor_demo(http: str, endpoints: dict[str, Any], session: requests.Session, interaction_id: str) -> None:
    """The agents' floor by hand (docs/floor.md): the open conversation starts on agent-1's desk, its customer's
    earlier conversation is closed (the desk's Previous), the support queue asks for a disposition and wrap-up."""
    queue = session.put(f"{http}/admin/queues/{DEMO_QUEUE}", json=support_queue(wrap_up=True), timeout=30).json()
    print(f"\n== the support queue asks for one of {queue.get('dispositions')} and {DEMO_WRAP_UP_SECONDS} s of wrap-up")
    holder = None
    for _ in range(50):  # routing assigns on the table stream
        holder = session.get(f"{http}/admin/interactions/{interaction_id}", timeout=30).json().get("agentId")
        if holder:
            break
        time.sleep(0.2)
    if holder != "agent-1":
        moved = session.post(
            f"{http}/admin/interactions/{interaction_id}/transfer",
            json={"agentId": "agent-1", "note": "make demo: the walk-through starts on agent-1's desk"},
            timeout=30,
        )
        show_line = f"transferred from {holder or 'the queue'} to agent-1" if moved.ok else moved.text
        print(f"\n== {show_line}")
    users = endpoints.get("auth", {}).get("users", {})

    def sign_in(name: str) -> str:
        user = users.get(name)
        return f" (sign in as {user['username']} / {user['password']})" if user else ""

    print(
        f"""
== the floor, by hand: conversation {interaction_id} is on agent-1's desk
   Desktop:   {http}/agent   Dashboard: {http}/dashboard
   1. agent-1{sign_in("agent-1")}: open the conversation (its tab's key, TWI, names the account), type / in the reply
      box, pick "greet" (arrows, Enter) and send it (Enter; Shift+Enter is a new line).
   2. agent-1: Alt+T, choose Agent 2, write a note, Transfer: it leaves agent-1's desk and appears on agent-2's
      at once with the note and the whole conversation.
   3. agent-2{sign_in("agent-2")}: Alt+H shows the customer's previous conversation (read-only); Alt+E names the
      customer; Close: the wrap-up form holds the slot ({DEMO_WRAP_UP_SECONDS} s) until a disposition is submitted.
   4. the supervisor{sign_in("supervisor")}: the dashboard's feed shows the transfer note, the agents' table shows
      agent-2 in wrap-up; clicking the message opens the conversation, with Transfer and Block number."""
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
    close(http, session, billing["id"])
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
    close(http, session, handed["id"])


if __name__ == "__main__":
    main()
