"""`GET /admin/reports/*` and `POST /admin/exports` under moto's Athena: each bad input a 422 naming its field, the
SQL sent to the reports workgroup and database, the JSON answer typed from Athena's result, the CSV answer a presigned
URL to Athena's own result object, the 202 + poll path when Athena is slower than the bound, an export answered 202
at once and its poll the URL, and a failed query a 502 (a cancelled or timed-out one a 504) with its job id.
(Roles: tests/component/test_identity.py's matrix lists these routes, agents 403.)"""

from __future__ import annotations

from collections.abc import Iterator
from types import ModuleType
from typing import Any
from urllib.parse import unquote, urlparse

import boto3
import pytest
from moto.athena.models import QueryResults, athena_backends
from moto.moto_api import state_manager

from tests.conftest import admin, load_function

ACCOUNT, REGION = "123456789012", "us-east-1"


@pytest.fixture
def fn(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    boto3.client("s3").create_bucket(Bucket="reports-bucket")
    boto3.client("athena").create_work_group(
        Name="reports",
        Configuration={"ResultConfiguration": {"OutputLocation": "s3://reports-bucket/results/"}},
    )
    for name, value in {
        "REPORTS_BUCKET": "reports-bucket",
        "REPORTS_WORKGROUP": "reports",
        "REPORTS_DATABASE": "sms_reports",
        "REPORTS_WAIT_SECONDS": "0.5",
    }.items():
        monkeypatch.setenv(name, value)
    from smschannel.settings import get_settings

    get_settings.cache_clear()
    yield load_function("admin")
    state_manager.unset_transition("athena::execution")


def _backend() -> Any:
    return athena_backends[ACCOUNT][REGION]


def _result(columns: list[tuple[str, str]], *rows: list[str]) -> None:
    header = {"Data": [{"VarCharValue": name} for name, _ in columns]}
    data = [{"Data": [{"VarCharValue": value} for value in row]} for row in rows]
    info = [{"Name": name, "Type": kind, "Label": name} for name, kind in columns]
    _backend().query_results_queue.append(QueryResults(rows=[header, *data], column_info=info))


@pytest.mark.parametrize(
    ("report", "query", "field"),
    [
        ("calls", {}, "report"),
        ("queues", {"groupBy": "colour"}, "groupBy"),
        ("interactions", {"groupBy": "queue"}, "groupBy"),
        ("queues", {"from": "2026-03-02", "to": "2026-03-01"}, "from"),
        ("queues", {"from": "2026-01-01", "to": "2026-06-30"}, "to"),
        ("interactions", {"from": "2025-01-01", "to": "2026-06-30", "format": "csv"}, "to"),
        ("queues", {"from": "last tuesday"}, "from"),
        ("queues", {"to": "2026-13-01"}, "to"),
        ("queues", {"queueId": "x' OR '1'='1"}, "queueId"),
        ("queues", {"queueId": "no-such-queue"}, "queueId"),
        ("agents", {"agentId": "no-such-agent"}, "agentId"),
        ("queues", {"accountId": "no-such-account"}, "accountId"),
        ("queues", {"teamId": "no-such-team"}, "teamId"),
        ("agents", {"teamId": "no-such-team"}, "teamId"),
        ("queues", {"format": "xlsx"}, "format"),
        ("queues", {"serviceLevelSeconds": "0"}, "serviceLevelSeconds"),
    ],
)
def test_bad_input_is_a_422_naming_the_field(fn: ModuleType, report: str, query: dict[str, str], field: str) -> None:
    status, body = admin(fn, "GET", f"/admin/reports/{report}", query=query)
    assert (status, body["error"], body["field"]) == (422, "invalid_report", field), body
    assert _backend().executions == {}  # nothing reached Athena


def test_a_year_of_csv_is_accepted_where_json_stops_at_a_quarter(fn: ModuleType) -> None:
    _result([("interaction_id", "varchar")])
    status, body = admin(
        fn, "GET", "/admin/reports/interactions", query={"from": "2025-07-01", "to": "2026-06-30", "format": "csv"}
    )
    assert status == 200, body


def test_the_json_report_runs_the_queue_sql_in_the_workgroup_and_types_the_rows(fn: ModuleType) -> None:
    _result(
        [("group_key", "varchar"), ("offered", "bigint"), ("service_level", "double"), ("abandoned", "bigint")],
        ["support", "4", "0.3333", "1"],
    )
    assert admin(fn, "PUT", "/admin/queues/support", {"name": "Support"})[0] in (200, 201)
    status, body = admin(
        fn, "GET", "/admin/reports/queues", query={"from": "2026-03-01", "to": "2026-03-07", "queueId": "support"}
    )
    assert status == 200, body
    assert body["items"] == [{"queueId": "support", "offered": 4, "serviceLevel": 0.3333, "abandoned": 1}]
    assert "serviceLevel" in body["definitions"]
    (execution,) = _backend().executions.values()
    assert execution.workgroup.name == "reports" and execution.context == {"Database": "sms_reports"}
    assert "f.dt BETWEEN '2026-03-01' AND '2026-03-07' AND f.queueid = 'support'" in execution.query


def test_the_csv_export_answers_a_presigned_url_to_athenas_result(fn: ModuleType) -> None:
    _result([("interaction_id", "varchar")], ["i-1"])
    status, body = admin(fn, "GET", "/admin/reports/interactions", query={"from": "2026-03-01", "format": "csv"})
    assert status == 200, body
    url = urlparse(body["url"])
    (execution_id,) = _backend().executions
    assert url.path.endswith(f"reports-bucket/results/{execution_id}.csv") or (
        url.netloc.startswith("reports-bucket") and url.path == f"/results/{execution_id}.csv"
    )
    assert "Signature" in url.query or "X-Amz-Signature" in url.query


def test_a_slow_query_answers_202_then_the_poll_answers_the_report(fn: ModuleType) -> None:
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 1000})
    _result([("group_key", "varchar"), ("handled", "bigint")], ["agent-1", "3"])
    status, body = admin(fn, "GET", "/admin/reports/agents", query={"from": "2026-03-01"})
    assert status == 202, body
    job_id = body["jobId"]
    assert admin(fn, "GET", f"/admin/reports/jobs/{job_id}")[0] == 202
    state_manager.set_transition("athena::execution", {"progression": "immediate"})
    status, body = admin(fn, "GET", f"/admin/reports/jobs/{job_id}")
    assert status == 200, body
    assert body["items"] == [{"agentId": "agent-1", "handled": 3}]


def test_a_failed_query_is_a_502_with_its_job_id(fn: ModuleType) -> None:
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 1000})
    status, body = admin(fn, "GET", "/admin/reports/queues", query={"from": "2026-03-01"})
    assert status == 202
    (execution,) = _backend().executions.values()
    execution._status = "FAILED"  # what Athena reports of a query it could not run
    status, failed = admin(fn, "GET", f"/admin/reports/jobs/{body['jobId']}")
    assert (status, failed["error"], failed["jobId"]) == (502, "report_failed", body["jobId"])


def test_an_unknown_job_id_is_a_422_naming_it(fn: ModuleType) -> None:
    status, body = admin(fn, "GET", "/admin/reports/jobs/not-a-job")
    assert (status, body["field"]) == (422, "jobId")


def test_a_cancelled_query_is_a_504_with_its_job_id(fn: ModuleType) -> None:
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 1000})
    status, body = admin(fn, "GET", "/admin/reports/queues", query={"from": "2026-03-01"})
    assert status == 202
    (execution,) = _backend().executions.values()
    execution._status = "CANCELLED"  # what Athena reports of a query stopped at its time or bytes-scanned limit
    status, answer = admin(fn, "GET", f"/admin/reports/jobs/{body['jobId']}")
    assert (status, answer["error"], answer["jobId"]) == (504, "report_timed_out", body["jobId"])
    assert set(answer) == {"error", "message", "field", "jobId"}  # the one error shape, with the job to ask about


def test_a_filter_naming_an_existing_team_reaches_athena(fn: ModuleType) -> None:
    _result([("group_key", "varchar"), ("handled", "bigint")], ["t-1", "2"])
    assert admin(fn, "PUT", "/admin/teams/t-1", {"name": "Team 1"})[0] == 201
    status, body = admin(fn, "GET", "/admin/reports/agents", query={"from": "2026-03-01", "teamId": "t-1"})
    assert status == 200, body
    (execution,) = _backend().executions.values()
    assert "f.teamid = 't-1'" in execution.query


def test_an_export_answers_202_at_once_and_its_poll_the_csv_url(fn: ModuleType) -> None:
    state_manager.set_transition("athena::execution", {"progression": "manual", "times": 1000})
    _result([("message_id", "varchar")], ["m-1"])
    body = {"report": "messages", "from": "2026-03-01", "to": "2026-03-31", "accountId": None}
    status, started = admin(fn, "POST", "/admin/exports", body)
    assert (status, started["status"]) == (202, "running"), started
    (execution,) = _backend().executions.values()
    assert "m.dt BETWEEN '2026-03-01' AND '2026-03-31'" in execution.query
    assert admin(fn, "GET", f"/admin/reports/jobs/{started['jobId']}")[0] == 202
    state_manager.set_transition("athena::execution", {"progression": "immediate"})
    status, done = admin(fn, "GET", f"/admin/reports/jobs/{started['jobId']}")
    assert (status, done["status"]) == (200, "succeeded"), done
    url = urlparse(done["url"])
    assert url.path.endswith(f"/results/{execution.id}.csv") and "Signature" in url.query
    assert 'attachment; filename="messages.csv"' in unquote(url.query)  # a browser saves it


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"report": "queues"}, "report"),  # exports are one row per interaction or message
        ({}, "report"),
        ({"report": "interactions", "from": "2026-03-02", "to": "2026-03-01"}, "from"),
        ({"report": "interactions", "from": "2025-01-01", "to": "2026-06-30"}, "to"),  # past a year
        ({"report": "interactions", "from": "soon"}, "from"),
        ({"report": "interactions", "queueId": "no-such-queue"}, "queueId"),
        ({"report": "interactions", "teamId": "no-such-team"}, "teamId"),
        ({"report": "messages", "agentId": "x' OR '1'='1"}, "agentId"),
        ({"report": "messages", "queueId": "support"}, "queueId"),  # a message is not a queue's: never ignored
    ],
)
def test_a_bad_export_is_a_422_naming_the_field(fn: ModuleType, body: dict[str, Any], field: str) -> None:
    status, answer = admin(fn, "POST", "/admin/exports", body)
    assert (status, answer["field"]) == (422, field), answer
    assert _backend().executions == {}  # nothing reached Athena
