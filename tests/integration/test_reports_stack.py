"""Reports through the deployed stack: conversations close, their facts reach the emulator's S3 through the
emulator's Firehose (put by the domain consumer), the emulator's Athena runs the report SQL over the Glue tables,
and the JSON report and the CSV export (a presigned URL to Athena's result) agree; the supervisor dashboard's queue
tiles agree with the report of today, and a queue's threshold alert reaches an SQS queue subscribed to the
stack's AlertsTopic once while it holds."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import requests

from tests.integration.conftest import Stack
from tests.integration.harness import Client, connect, eventually, new_phone, stack_client, token
from tests.support import clear_of_a_half_hour_boundary, drained


def run[T](scenario: Any) -> T:
    return asyncio.run(scenario)  # type: ignore[no-any-return]


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

    s3 = stack_client(stack, "s3")
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


def subscribed_queue(stack: Stack, name: str) -> str:
    """An SQS queue of the emulator subscribed to the stack's AlertsTopic, as ops would subscribe one."""
    assert stack.alerts_topic_arn, "endpoints.json has no alertsTopicArn"
    sqs = stack_client(stack, "sqs")
    url = str(sqs.create_queue(QueueName=name)["QueueUrl"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    policy = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "sns.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": stack.alerts_topic_arn}},
            }
        ]
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sns = stack_client(stack, "sns")
    sns.subscribe(
        TopicArn=stack.alerts_topic_arn, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"}
    )
    return url


def received(stack: Stack, url: str) -> list[dict[str, Any]]:
    sqs = stack_client(stack, "sqs")
    return drained(sqs, url)


def test_the_dashboard_tiles_agree_with_the_report_and_an_alert_reaches_the_ops_queue(stack: Stack) -> None:
    clear_of_a_half_hour_boundary(90)
    suffix = uuid.uuid4().hex[:6]
    agent_id, queue_id = f"tile-{suffix}", f"tileq-{suffix}"
    alerts = subscribed_queue(stack, f"ops-alerts-{suffix}")
    assert stack.admin("PUT", f"/admin/agents/{agent_id}", json={"name": "T", "capacity": 1, "status": "ready"}).ok
    queue = {"name": f"Tiles {suffix}", "agentIds": [agent_id], "alerts": {"serviceLevelBelow": 0.6}}
    assert stack.admin("PUT", f"/admin/queues/{queue_id}", json=queue).ok
    account = stack.twilio_account(f"tilea-{suffix}", queueId=queue_id)

    def mine(frame: dict[str, Any]) -> dict[str, Any] | None:
        return next((queue for queue in frame.get("queues") or [] if queue["id"] == queue_id), None)

    def offered(count: int) -> Callable[[dict[str, Any]], bool]:
        def matches(frame: dict[str, Any]) -> bool:
            entry = mine(frame) if frame.get("type") == "dashboard.update" else None
            return bool(entry and entry.get("tiles") and entry["tiles"]["today"]["offered"] == count)

        return matches

    def close(interaction: dict[str, Any]) -> None:
        closed = stack.admin("POST", f"/admin/interactions/{interaction['id']}/close", json={})
        assert closed.status_code == 200, closed.text

    async def scenario() -> tuple[Client, dict[str, Any]]:
        supervisor = await connect(stack, token(stack, role="supervisor"))
        await supervisor.send(action="subscribe", topic="dashboard")
        snapshot = await supervisor.wait_type("dashboard.snapshot", timeout=20)
        assert mine(snapshot)["tiles"]["today"]["offered"] == 0  # type: ignore[index]
        answered_phone, waiting_phone, later_phone = new_phone(), new_phone(), new_phone()
        assert (await asyncio.to_thread(stack.post_twilio, account, answered_phone, "help")).status_code == 200
        (answered,) = stack.interactions(account["id"], phone=answered_phone)
        eventually(lambda: stack.interaction(answered["id"]).get("agentId"), timeout=20, what="assigned")
        assert (await asyncio.to_thread(stack.post_twilio, account, waiting_phone, "anyone?")).status_code == 200
        (waiting,) = stack.interactions(account["id"], phone=waiting_phone)  # the agent is full: it waits
        await asyncio.to_thread(close, waiting)  # abandoned: the half hour's service level 0 of 1
        raised = await supervisor.wait_type("alert.raised", timeout=30, queueId=queue_id)
        assert (raised["alert"], raised["value"], raised["threshold"]) == ("serviceLevelBelow", 0.0, 0.6)
        await asyncio.to_thread(close, answered)  # answered within 60 s: 1 of 2, still below 0.6
        await supervisor.wait_for(offered(2), timeout=30)
        assert (await asyncio.to_thread(stack.post_twilio, account, later_phone, "me too")).status_code == 200
        (later,) = stack.interactions(account["id"], phone=later_phone)
        eventually(lambda: stack.interaction(later["id"]).get("agentId"), timeout=20, what="assigned")
        await asyncio.to_thread(close, later)  # 2 of 3: above 0.6, the alert clears
        cleared = await supervisor.wait_type("alert.cleared", timeout=30, queueId=queue_id)
        assert cleared["value"] == round(2 / 3, 4)
        live = mine(await supervisor.wait_for(offered(3), timeout=30))
        assert live is not None
        await supervisor.close()
        return supervisor, live

    supervisor, live = run(scenario())
    # Published once while it held: the closes after it came with their updates before this read.
    (message,) = received(stack, alerts)
    assert (message["queueId"], message["alert"], message["value"]) == (queue_id, "serviceLevelBelow", 0.0)
    assert [frame["type"] for frame in supervisor.frames if frame["type"].startswith("alert.")] == [
        "alert.raised",
        "alert.cleared",
    ]

    s3 = stack_client(stack, "s3")
    (bucket,) = [b["Name"] for b in s3.list_buckets()["Buckets"] if "-reports-" in b["Name"]]
    today = datetime.now(UTC).date().isoformat()

    def facts_landed() -> bool:
        listed = s3.list_objects_v2(Bucket=bucket, Prefix=f"facts/interactions/dt={today}/").get("Contents", [])
        bodies = [s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode() for item in listed]
        return sum(account["id"] in body for body in bodies) >= 3

    eventually(facts_landed, timeout=60, interval=0.5, what="the three interaction facts in S3")
    (report,) = _report(stack, "queues", queueId=queue_id, **{"from": today, "to": today})["items"]
    figures = ("offered", "handled", "abandoned", "answeredWithinServiceLevel", "serviceLevel")
    figures += ("averageSpeedOfAnswer", "averageHandleTime")
    tiles = live["tiles"]
    assert {name: tiles["today"][name] for name in figures} == {name: report[name] for name in figures}
    assert {name: tiles["halfHour"][name] for name in figures} == {name: report[name] for name in figures}
    assert (report["offered"], report["handled"], report["abandoned"]) == (3, 2, 1)
    assert report["serviceLevel"] == round(2 / 3, 4)
