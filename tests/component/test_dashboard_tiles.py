"""The dashboard's queue tiles and threshold alerts, under moto, with the fan-out and routing fed from the table's own
stream: the tiles of today agree with the queue report the same records' facts give (DuckDB running the report's
SQL), live in the snapshot and in each update; a wrap-up after the close adds to the handle time in both; an alert
is published to SNS (an SQS subscriber receives it) and framed once while its condition holds, cleared when it stops
holding, and raised again when crossed again."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from tests.component.harness import (
    FANOUT_FILTER,
    Realtime,
    Routing,
    admin,
    frames_of,
    phone,
    report_over_facts,
    share_stream_log,
    stream_event,
)
from tests.conftest import FakeContext
from tests.support import clear_of_a_half_hour_boundary, drained

ENDPOINT = "https://ws123.execute-api.us-east-1.amazonaws.com/dev"
FIGURES = ("offered", "handled", "abandoned", "answeredWithinServiceLevel", "serviceLevel")
FIGURES += ("averageSpeedOfAnswer", "averageHandleTime")


@pytest.fixture
def alerts_queue(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    """An SQS queue subscribed to the alerts topic, as ops would subscribe; the topic's ARN set for the fan-out."""
    from smschannel.settings import get_settings

    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    url = sqs.create_queue(QueueName="ops-alerts")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    monkeypatch.setenv("ALERTS_TOPIC_ARN", topic)
    monkeypatch.setenv("CONNECTIONS_ENDPOINT", ENDPOINT)
    get_settings.cache_clear()
    share_stream_log(monkeypatch)
    return str(url)


def published(url: str) -> list[dict[str, Any]]:
    sqs = boto3.client("sqs")
    return drained(sqs, url)


def world_with_one_agent(aws: dict[str, str], **queue: Any) -> Realtime:
    world = Routing(aws)
    world.agent("a1", capacity=1)
    world.queue("support", agentIds=["a1"], serviceLevelSeconds=60, **queue)
    world.use_queue("support")
    realtime = Realtime(world)
    realtime.connect("sup", "supervisor")
    realtime.act("sup", "supervisor", None, action="subscribe", topic="dashboard")
    return realtime


def close(realtime: Realtime, interaction_id: str) -> None:
    status, body = admin(realtime.world.admin, "POST", f"/admin/interactions/{interaction_id}/close", {})
    assert status == 200, body
    realtime.pump()


def snapshot_tiles(realtime: Realtime, connection_id: str) -> dict[str, Any]:
    realtime.connect(connection_id, "supervisor")
    realtime.act(connection_id, "supervisor", None, action="subscribe", topic="dashboard")
    [snapshot] = [frame for frame in frames_of(connection_id) if frame["type"] == "dashboard.snapshot"]
    return dict(next(queue for queue in snapshot["queues"] if queue["id"] == "support")["tiles"])


def test_todays_tiles_agree_with_the_queue_report_of_the_same_records(aws: dict[str, str], alerts_queue: str) -> None:
    clear_of_a_half_hour_boundary()
    realtime = world_with_one_agent(aws, wrapUpSeconds=120)
    handled = realtime.world.sms(phone(1), "help").interaction_id
    waiting = realtime.world.sms(phone(2), "anyone?").interaction_id  # a1 is full: it waits
    realtime.pump()
    assert realtime.world.interaction(handled)["agentId"] == "a1"
    close(realtime, waiting)  # never reached an agent: abandoned
    close(realtime, handled)  # a1 in wrap-up (its slot held) until submitted
    updates = [frame for frame in frames_of("sup") if frame["type"] == "dashboard.update"]
    live = [queue["tiles"] for frame in updates for queue in frame["queues"] if "tiles" in queue][-1]
    assert (live["today"]["offered"], live["today"]["handled"], live["today"]["abandoned"]) == (2, 1, 1)

    status, body = admin(realtime.world.admin, "POST", f"/admin/interactions/{handled}/wrap-up", {})
    assert status == 200, body
    realtime.pump()
    wrapped = realtime.world.interaction(handled)
    assert wrapped["wrapUpSeconds"] >= 0 and wrapped.get("wrappedUpAt")

    today = datetime.now(UTC).date().isoformat()
    zone = {realtime.world.account.id: "UTC"}.__getitem__
    (report,) = report_over_facts(
        realtime.records, "queues", {"from": today, "accountId": realtime.world.account.id}, zone
    )
    tiles = snapshot_tiles(realtime, "sup-2")
    assert {name: tiles["today"][name] for name in FIGURES} == {name: report[name] for name in FIGURES}
    assert {name: tiles["halfHour"][name] for name in FIGURES} == {name: report[name] for name in FIGURES}
    assert report["serviceLevel"] == 0.5 and report["averageSpeedOfAnswer"] is not None
    # The wrap-up reached the tile after the close: its handle time is the report's, wrap-up included.
    assert tiles["today"]["averageHandleTime"] == pytest.approx(
        wrapped["handleSeconds"] + wrapped["wrapUpSeconds"], abs=0.15
    )


def test_a_service_level_alert_is_published_and_framed_once_while_it_holds(
    aws: dict[str, str], alerts_queue: str
) -> None:
    clear_of_a_half_hour_boundary(60)
    realtime = world_with_one_agent(aws, alerts={"serviceLevelBelow": 0.5})
    first = realtime.world.sms(phone(1), "first").interaction_id
    realtime.pump()
    for n in (2, 3):  # a1 is full: these wait, then close unanswered (abandoned: service level 0 of 2)
        close(realtime, str(realtime.world.sms(phone(n), "hello?").interaction_id))
    raised = [frame for frame in frames_of("sup") if frame["type"] == "alert.raised"]
    assert [(frame["queueId"], frame["alert"], frame["value"]) for frame in raised] == [
        ("support", "serviceLevelBelow", 0.0)
    ]
    (message,) = published(alerts_queue)
    assert (message["alert"], message["queueId"], message["threshold"]) == ("serviceLevelBelow", "support", 0.5)

    close(realtime, str(first))  # answered within 60 s: 1 of 3, still below 0.5: not raised again
    assert published(alerts_queue) == []
    assert sum(frame["type"] == "alert.raised" for frame in frames_of("sup")) == 1
    snapshot = snapshot_tiles(realtime, "sup-2")
    assert snapshot["halfHour"]["serviceLevel"] == pytest.approx(1 / 3, abs=1e-4)

    for n in (4, 5):  # two answered in time: 3 of 5, no longer below 0.5: cleared
        answered = realtime.world.sms(phone(n), "hi").interaction_id
        realtime.pump()
        close(realtime, str(answered))
    assert [frame["type"] for frame in frames_of("sup") if frame["type"].startswith("alert.")] == [
        "alert.raised",
        "alert.cleared",
    ]
    busy = realtime.world.sms(phone(6), "busy").interaction_id  # a1 is full again: the next two wait
    realtime.pump()
    assert realtime.world.interaction(str(busy))["agentId"] == "a1"
    close(realtime, str(realtime.world.sms(phone(7), "hello?").interaction_id))  # 3 of 6: not below 0.5
    assert published(alerts_queue) == []
    close(realtime, str(realtime.world.sms(phone(8), "hello??").interaction_id))  # 3 of 7: crossed again
    (again,) = published(alerts_queue)
    assert again["value"] == pytest.approx(3 / 7, abs=1e-4)
    assert [frame["type"] for frame in frames_of("sup") if frame["type"].startswith("alert.")] == [
        "alert.raised",
        "alert.cleared",
        "alert.raised",
    ]


def test_a_longest_wait_alert_is_raised_when_the_oldest_waiter_passes_it(
    aws: dict[str, str], alerts_queue: str
) -> None:
    realtime = world_with_one_agent(aws, alerts={"longestWaitAbove": 300})
    realtime.world.agent("a1", capacity=1, status="paused")  # nobody takes it: it waits
    realtime.pump()
    realtime.world.sms(phone(1), "hello")
    records = [record for record in realtime.world.stream.read() if FANOUT_FILTER(record)]
    (created,) = [
        record
        for record in records
        if record["eventName"] == "INSERT" and record["dynamodb"]["NewImage"]["entity"]["S"] == "interaction"
    ]
    # As if it had arrived ten minutes ago: its queue's longest wait is 600 s when the fan-out counts it.
    ago = datetime.fromtimestamp(time.time() - 600, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    created["dynamodb"]["NewImage"]["createdAt"] = {"S": ago}
    created["dynamodb"]["NewImage"].pop("waitingSince", None)
    realtime.fanout.lambda_handler(stream_event(records), FakeContext())
    (raised,) = [frame for frame in frames_of("sup") if frame["type"] == "alert.raised"]
    assert (raised["alert"], raised["threshold"]) == ("longestWaitAbove", 300)
    assert raised["value"] == pytest.approx(600, abs=5)
    (message,) = published(alerts_queue)
    assert message["alert"] == "longestWaitAbove"
    update = next(frame for frame in frames_of("sup") if frame["type"] == "dashboard.update" and frame["queues"])
    assert "longestWaitAbove" in update["queues"][0]["alerts"]  # the wall screen shows it with the queue


def test_an_alert_not_published_is_not_flagged_so_the_next_change_raises_it(
    aws: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from smschannel.settings import get_settings

    clear_of_a_half_hour_boundary(60)
    topic = "arn:aws:sns:us-east-1:123456789012:alerts-later"  # not created yet: SNS refuses the publish
    monkeypatch.setenv("ALERTS_TOPIC_ARN", topic)
    monkeypatch.setenv("CONNECTIONS_ENDPOINT", ENDPOINT)
    get_settings.cache_clear()
    share_stream_log(monkeypatch)
    realtime = world_with_one_agent(aws, alerts={"serviceLevelBelow": 0.9})
    realtime.world.sms(phone(1), "first")
    realtime.pump()
    close(realtime, str(realtime.world.sms(phone(2), "hello?").interaction_id))  # abandoned: 0 of 1
    assert [frame for frame in frames_of("sup") if frame["type"] == "alert.raised"] == []
    queue = realtime.world.table.get({"pk": "DASHBOARD", "sk": "QUEUE#support"})
    assert queue is not None and "alertServiceLevelBelow" not in queue  # no flag without its message

    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    assert sns.create_topic(Name="alerts-later")["TopicArn"] == topic
    url = sqs.create_queue(QueueName="ops-later")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})
    close(realtime, str(realtime.world.sms(phone(3), "hello??").interaction_id))  # 0 of 2: still below
    (message,) = published(url)
    assert (message["alert"], message["value"]) == ("serviceLevelBelow", 0.0)
    assert sum(frame["type"] == "alert.raised" for frame in frames_of("sup")) == 1


def test_the_minute_sweep_raises_a_longest_wait_alert_once_with_no_change_to_report_it(
    aws: dict[str, str], alerts_queue: str
) -> None:
    realtime = world_with_one_agent(aws, alerts={"longestWaitAbove": 300})
    realtime.world.agent("a1", capacity=1, status="paused")  # nobody takes it: it waits
    waiting = realtime.world.sms(phone(1), "hello").interaction_id
    realtime.pump()
    sweep = {"source": "aws.events", "detail-type": "Scheduled Event", "detail": {}, "id": "e", "resources": []}
    assert realtime.fanout.lambda_handler(sweep, FakeContext()) == {"alerts": 0}  # waiting for seconds only
    assert published(alerts_queue) == []
    # Ten minutes pass (the queue's counters say since when it waits; nothing else changes).
    ago = datetime.fromtimestamp(time.time() - 600, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    table = realtime.world.table
    table.client.update_item(
        TableName=table.name,
        Key={"pk": {"S": "DASHBOARD"}, "sk": {"S": "QUEUE#support"}},
        UpdateExpression="SET waiting.#i = :t",
        ExpressionAttributeNames={"#i": str(waiting)},
        ExpressionAttributeValues={":t": {"S": ago}},
    )
    assert realtime.fanout.lambda_handler(sweep, FakeContext()) == {"alerts": 1}
    assert realtime.fanout.lambda_handler(sweep, FakeContext()) == {"alerts": 0}  # held: not again
    (message,) = published(alerts_queue)
    assert (message["alert"], message["queueId"]) == ("longestWaitAbove", "support")
    raised = [frame for frame in frames_of("sup") if frame["type"] == "alert.raised"]
    assert len(raised) == 1 and raised[0]["value"] == pytest.approx(600, abs=5)
    close(realtime, str(waiting))  # nobody waits any more: the change clears it
    assert [frame["type"] for frame in frames_of("sup") if frame["type"].startswith("alert.")] == [
        "alert.raised",
        "alert.cleared",
    ]


def test_a_supervisor_scoped_to_teams_hears_only_its_queues_alerts(aws: dict[str, str], alerts_queue: str) -> None:
    clear_of_a_half_hour_boundary(60)
    realtime = world_with_one_agent(aws)
    world = realtime.world
    world.agent("a2", capacity=1)
    assert admin(world.admin, "PUT", "/admin/teams/north", {"name": "N", "agentIds": ["a1"], "supervisorIds": ["sue"]})[
        0
    ] in (200, 201)
    assert admin(world.admin, "PUT", "/admin/teams/south", {"name": "S", "agentIds": ["a2"]})[0] in (200, 201)
    alerts = {"serviceLevelBelow": 0.5}
    world.queue("support", teamIds=["north"], agentIds=[], serviceLevelSeconds=60, alerts=alerts)
    world.queue("billing", teamIds=["south"], agentIds=[], alerts=alerts)
    realtime.connect("sue", "supervisor", supervisor_id="sue")
    realtime.act("sue", "supervisor", None, action="subscribe", topic="dashboard")
    world.use_queue("billing")
    world.sms(phone(1), "first")  # a2 takes it; the next waits and is abandoned
    realtime.pump()
    close(realtime, str(world.sms(phone(2), "billing?").interaction_id))
    world.use_queue("support")
    world.sms(phone(3), "first")
    realtime.pump()
    close(realtime, str(world.sms(phone(4), "support?").interaction_id))  # the event that comes after
    everyone = [(frame["queueId"], frame["alert"]) for frame in frames_of("sup") if frame["type"] == "alert.raised"]
    assert everyone == [("billing", "serviceLevelBelow"), ("support", "serviceLevelBelow")]
    hers = [frame["queueId"] for frame in frames_of("sue") if frame["type"] == "alert.raised"]
    assert hers == ["support"]
    assert [message["queueId"] for message in published(alerts_queue)] == ["billing", "support"]  # ops hear all
