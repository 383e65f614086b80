"""Reports through the deployed stack: conversations close, their facts reach the emulator's S3 through the
emulator's Firehose (put by the domain consumer), the emulator's Athena runs the report SQL over the Glue tables,
and the JSON report and the CSV export (a presigned URL to Athena's result) agree."""

from __future__ import annotations

import csv
import io
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import boto3
import requests

from tests.integration.conftest import Stack
from tests.integration.harness import eventually, new_phone


def _s3(stack: Stack) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=stack.endpoint,
        region_name="us-east-1",
        aws_access_key_id="000000000000",
        aws_secret_access_key="local",
    )


def _report(stack: Stack, report: str, **params: str) -> dict[str, Any]:
    """The report, polling its job while Athena runs."""
    response = stack.admin("GET", f"/admin/reports/{report}", params=params)
    deadline = time.monotonic() + 60
    while response.status_code == 202 and time.monotonic() < deadline:
        time.sleep(0.5)
        response = stack.admin("GET", f"/admin/reports/jobs/{response.json()['jobId']}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_closed_conversations_reach_the_athena_report_and_the_csv_export_agrees(stack: Stack) -> None:
    suffix = uuid.uuid4().hex[:6]
    agent_id, queue_id = f"rep-{suffix}", f"repq-{suffix}"
    assert stack.admin("PUT", f"/admin/agents/{agent_id}", json={"name": "R", "capacity": 2, "status": "ready"}).ok
    assert stack.admin("PUT", f"/admin/queues/{queue_id}", json={"name": "R", "agentIds": [agent_id]}).ok
    account = stack.twilio_account(f"repa-{suffix}", queueId=queue_id)
    orphan = stack.twilio_account(f"repo-{suffix}", queueId=None)  # no queue: its interactions never reach an agent

    handled_phone, abandoned_phone = new_phone(), new_phone()
    assert stack.post_twilio(account, handled_phone, "help please").status_code == 200
    assert stack.post_twilio(orphan, abandoned_phone, "anyone?").status_code == 200
    (handled,) = stack.interactions(account["id"], phone=handled_phone)
    (abandoned,) = stack.interactions(orphan["id"], phone=abandoned_phone)
    eventually(lambda: stack.interaction(handled["id"]).get("agentId"), timeout=20, what="assigned")
    reply = {"body": "On it", "clientMessageId": f"c-{suffix}"}
    assert stack.admin("POST", f"/admin/interactions/{handled['id']}/messages", json=reply).status_code == 202
    for interaction in (handled, abandoned):
        closed = stack.admin("POST", f"/admin/interactions/{interaction['id']}/close", json={"disposition": "done"})
        assert closed.status_code == 200, closed.text

    s3 = _s3(stack)
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if "-reports-" in b["Name"]]
    today = datetime.now(UTC).date().isoformat()

    def facts_landed() -> list[str] | None:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"facts/interactions/dt={today}/").get("Contents", [])
        bodies = [s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode() for item in listed]
        mine = [body for body in bodies if handled["id"] in body or abandoned["id"] in body]
        return mine if len(mine) >= 2 else None

    assert eventually(facts_landed, timeout=60, interval=0.5, what="both interaction facts in S3")

    both = {"from": today, "to": today}
    (queue_row,) = _report(stack, "queues", accountId=account["id"], **both)["items"]
    assert (queue_row["queueId"], queue_row["offered"], queue_row["handled"]) == (queue_id, 1, 1), queue_row
    assert (queue_row["abandoned"], queue_row["serviceLevel"], queue_row["messagesOut"]) == (0, 1.0, 1)
    (orphan_row,) = _report(stack, "queues", accountId=orphan["id"], **both)["items"]
    assert (orphan_row["offered"], orphan_row["handled"], orphan_row["abandoned"]) == (1, 0, 1), orphan_row
    assert orphan_row["serviceLevel"] == 0.0  # an abandon counts against the service level

    report = _report(stack, "interactions", accountId=account["id"], **both)
    export = stack.admin(
        "GET", "/admin/reports/interactions", params={"accountId": account["id"], "format": "csv", **both}
    )
    while export.status_code == 202:
        time.sleep(0.5)
        export = stack.admin("GET", f"/admin/reports/jobs/{export.json()['jobId']}")
    assert export.status_code == 200, export.text
    downloaded = requests.get(export.json()["url"], timeout=30)
    assert downloaded.status_code == 200, downloaded.text
    rows = list(csv.DictReader(io.StringIO(downloaded.text)))
    assert [row["interaction_id"] for row in rows] == [item["interactionId"] for item in report["items"]]
    assert [row["interaction_id"] for row in rows] == [handled["id"]]
    # Athena writes booleans `true`; the emulator's DuckDB-backed Athena `True`
    assert rows[0]["handled"].lower() == "true" and rows[0]["agent_id"] == agent_id
    assert int(rows[0]["messages_out"]) == report["items"][0]["messagesOut"] == 1
