"""template.yaml's alarms and dashboard cover what ops must be told about: every dead-letter queue, every function's
errors and throttles, every stream reader's iterator age, failed sends and the HTTP API's 5xx; each alarm notifies
the AlarmTopicArn topic and is explained in docs/operations.md; the dashboard charts metrics the code emits."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import ROOT, load_template

TEMPLATE = load_template()
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
ALARMS = {name: res["Properties"] for name, res in RESOURCES.items() if res["Type"] == "AWS::CloudWatch::Alarm"}
FUNCTIONS = [name for name, res in RESOURCES.items() if res["Type"] == "AWS::Serverless::Function"]


def alarms_on(namespace: str, metric: str) -> set[str]:
    """The resources (by logical id) that alarms on `metric` watch, from their dimension's !Ref or !GetAtt."""
    watched = set()
    for alarm in ALARMS.values():
        if (alarm["Namespace"], alarm["MetricName"]) == (namespace, metric):
            for dimension in alarm.get("Dimensions", []):
                value = dimension["Value"]
                if isinstance(value, dict):
                    watched.add(str(value.get("Ref") or value.get("GetAtt", "")).split(".")[0])
    return watched


def dead_letter_queues() -> set[str]:
    found = set()
    for res in RESOURCES.values():
        policy = res.get("Properties", {}).get("RedrivePolicy")
        if policy:
            found.add(policy["deadLetterTargetArn"]["GetAtt"].split(".")[0])
        for event in res.get("Properties", {}).get("Events", {}).values():
            failure = event.get("Properties", {}).get("DestinationConfig", {}).get("OnFailure")
            if failure:
                found.add(failure["Destination"]["GetAtt"].split(".")[0])
    return found


def test_every_dead_letter_queue_has_a_depth_alarm() -> None:
    queues = dead_letter_queues()
    assert {"StreamFailureQueue", "OutboundDeadLetterQueue", "CallUrlDeadLetterQueue"} <= queues
    assert queues <= alarms_on("AWS/SQS", "ApproximateNumberOfMessagesVisible")


def test_every_function_has_an_errors_and_a_throttles_alarm() -> None:
    assert len(FUNCTIONS) >= 9
    assert set(FUNCTIONS) <= alarms_on("AWS/Lambda", "Errors")
    assert set(FUNCTIONS) <= alarms_on("AWS/Lambda", "Throttles")


def test_every_stream_reader_has_an_iterator_age_alarm() -> None:
    readers = {
        name
        for name in FUNCTIONS
        if any(
            event["Type"] in ("DynamoDB", "Kinesis")
            for event in RESOURCES[name]["Properties"].get("Events", {}).values()
        )
    }
    assert readers and readers <= alarms_on("AWS/Lambda", "IteratorAge")


def test_failed_sends_and_api_errors_are_alarmed() -> None:
    ours = {alarm["MetricName"] for alarm in ALARMS.values() if alarm["Namespace"] == "SmsChannel"}
    assert {"OutboundFailed", "OutboundExhausted"} <= ours
    assert "HttpApi" in alarms_on("AWS/ApiGateway", "5xx")


def test_every_alarm_notifies_the_topic_and_is_explained_in_the_runbook() -> None:
    runbook = (ROOT / "docs" / "operations.md").read_text()
    for name, alarm in ALARMS.items():
        expected = {"If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], {"Ref": "AWS::NoValue"}]}
        assert alarm["AlarmActions"] == expected and alarm["OKActions"] == expected, name
        assert f"`{name}`" in runbook, f"{name} is not explained in docs/operations.md"


def test_the_dashboard_charts_metrics_the_code_emits_and_every_alarm() -> None:
    body = RESOURCES["OperationsDashboard"]["Properties"]["DashboardBody"]["Sub"]
    dashboard = json.loads(body)
    code = "\n".join(path.read_text() for path in (ROOT / "layers" / "core" / "smschannel").rglob("*.py"))
    code += "\n".join(path.read_text() for path in (ROOT / "functions").rglob("app.py"))
    emitted = set(re.findall(r'name="([A-Za-z]+)"', code)) | {"DuplicateWebhook", "InboundMessage"}
    emitted |= {f"Outbound{verdict.capitalize()}" for verdict in ("sent", "failed", "retry", "exhausted")}
    charted = {
        metric[1]
        for widget in dashboard["widgets"]
        if widget["type"] == "metric"
        for metric in widget["properties"]["metrics"]
        if metric[0] == "SmsChannel"
    }
    assert {"AssignmentWaitSeconds", "WaitingInteractions", "InboundMessage", "OutboundSent"} <= charted
    assert charted <= emitted, charted - emitted
    [alarm_widget] = [widget for widget in dashboard["widgets"] if widget["type"] == "alarm"]
    shown = {re.fullmatch(r"\$\{(\w+)\.Arn\}", arn).group(1) for arn in alarm_widget["properties"]["alarms"]}  # type: ignore[union-attr]
    assert shown == set(ALARMS)
