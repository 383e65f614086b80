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
    time.sleep(1)  # routing assigns it
    still_open = [i for i in after if i["status"] == "open"]
    if still_open:
        holder = session.get(f"{http}/admin/interactions/{still_open[-1]['id']}", timeout=30).json().get("agentId")
        print(
            f"\n== it is open with {holder or 'nobody yet'}: answer and close it in that agent's desktop "
            "(the URLs `make run` printed); the dashboard shows it live"
        )


if __name__ == "__main__":
    main()
