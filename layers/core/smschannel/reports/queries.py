"""The reports: what each one groups by and returns (`REPORTS`), the request checked into a `ReportRequest`, its SQL
(reports/sql/<report>.sql with validated values only), and its run on Athena (`ReportRunner`).

A JSON report waits a bound for Athena, then answers the job id to poll; a CSV export is Athena's own result file,
presigned, so a large export never passes through the function's memory.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic.alias_generators import to_camel

from smschannel.errors import DomainError

SQL_DIR = Path(__file__).parent / "sql"
JSON_MAX_DAYS = 92  # a quarter
CSV_MAX_DAYS = 366  # a year
DEFAULT_SERVICE_LEVEL_SECONDS = 60
_ID = re.compile(r"^[A-Za-z0-9_.:@+\-]{1,128}$")

# The interaction facts' columns each grouping reads (reports/sql/queues.sql and agents.sql).
_GROUPS = {
    "queue": "i.queueid",
    "account": "i.accountid",
    "team": "i.teamid",
    "agent": "i.agentid",
    "day": "i.dt",
    "hour": "i.hour",
}


@dataclass(frozen=True)
class Report:
    name: str
    groupings: tuple[str, ...]  # the first is the default; empty: one row per fact
    filters: dict[str, str]  # query parameter -> column
    definitions: dict[str, str]


_INTERACTION_FILTERS = {
    "accountId": "f.accountid",
    "queueId": "f.queueid",
    "agentId": "f.agentid",
    "teamId": "f.teamid",
}

REPORTS: dict[str, Report] = {
    "queues": Report(
        "queues",
        ("queue", "account", "team", "day", "hour"),
        _INTERACTION_FILTERS,
        {
            "offered": "interactions that closed in the range (each once), whoever handled them",
            "handled": "offered interactions assigned to an agent",
            "abandoned": "offered interactions closed without ever reaching an agent, not by a trigger or bot",
            "triggerHandled": "offered interactions closed by a trigger or a bot, never reaching an agent",
            "serviceLevel": "handled within serviceLevelSeconds of arriving / (handled + abandoned)",
            "averageSpeedOfAnswer": "mean seconds from arrival to assignment, handled interactions",
            "longestWait": "the longest seconds from arrival to assignment (or to the close of an abandoned one)",
            "averageFirstResponse": "mean seconds from arrival to the first agent reply",
            "averageHandleTime": "mean seconds from assignment to close (handleSeconds when kept) plus wrap-up",
            "transfers": "transfers of the offered interactions",
            "deliveryFailureRate": "replies failed or undelivered / replies stored",
            "optOuts": "STOP keywords confirmed",
        },
    ),
    "agents": Report(
        "agents",
        ("agent", "team", "day", "hour"),
        _INTERACTION_FILTERS,
        {
            "handled": "interactions the agent held when they closed in the range",
            "averageSpeedOfAnswer": "mean seconds from arrival to assignment",
            "averageFirstResponse": "mean seconds from arrival to the first agent reply",
            "averageHandleTime": "mean seconds from assignment to close (handleSeconds when kept) plus wrap-up",
            "averageWrapUp": "mean wrap-up seconds",
            "agentReplies": "replies the agents sent",
        },
    ),
    "interactions": Report(
        "interactions",
        (),
        _INTERACTION_FILTERS,
        {"row": "one interaction closed in the range (local dates), with its times, waits and counts"},
    ),
    "messages": Report(
        "messages",
        (),
        {"accountId": "m.accountid", "agentId": "m.agentid"},
        {"row": "one message at its latest status, dated by that status (local dates)"},
    ),
}


class InvalidReport(DomainError):
    """A report request that cannot run as asked (an unknown report, grouping or job, a bad date or range)."""

    status_code = 422
    code = "invalid_report"


@dataclass(frozen=True)
class ReportRequest:
    report: Report
    start: date
    end: date
    group_by: str | None
    filters: dict[str, str]
    service_level_seconds: int
    format: Literal["json", "csv"]


def _date(field: str, value: str | None, today: date) -> date:
    if value is None or value == "":
        return today
    if value in ("today", "yesterday"):
        return today if value == "today" else today - timedelta(days=1)
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        raise InvalidReport(f"{field}: not a date (YYYY-MM-DD, today or yesterday): {value!r}", field=field) from None


def parse_request(report_name: str, params: dict[str, str], today: date) -> ReportRequest:
    """The request checked: 422 naming the field for an unknown report or grouping, a bad date or id, `from` after
    `to`, a range past a quarter (JSON) or a year (CSV)."""
    report = REPORTS.get(report_name)
    if report is None:
        raise InvalidReport(f"report: unknown {report_name!r} (one of {', '.join(REPORTS)})", field="report")
    fmt = params.get("format") or "json"
    if fmt not in ("json", "csv"):
        raise InvalidReport(f"format: json or csv, not {fmt!r}", field="format")
    start = _date("from", params.get("from"), today)
    end = _date("to", params.get("to") or params.get("from"), today)
    if start > end:
        raise InvalidReport("from: after to", field="from")
    limit = JSON_MAX_DAYS if fmt == "json" else CSV_MAX_DAYS
    if (end - start).days + 1 > limit:
        raise InvalidReport(f"to: a {fmt} report covers at most {limit} days", field="to")
    group_by = params.get("groupBy") or (report.groupings[0] if report.groupings else None)
    if group_by is not None and group_by not in report.groupings:
        raise InvalidReport(
            f"groupBy: {group_by!r} is not a grouping of {report.name} ({', '.join(report.groupings) or 'none'})",
            field="groupBy",
        )
    for name in _INTERACTION_FILTERS:
        if params.get(name) and name not in report.filters:
            raise InvalidReport(f"{name}: the {report.name} report does not filter by it", field=name)
    filters = {}
    for name in report.filters:
        value = params.get(name)
        if value:
            if not _ID.match(value):
                raise InvalidReport(f"{name}: not an id: {value!r}", field=name)
            filters[name] = value
    threshold = params.get("serviceLevelSeconds") or str(DEFAULT_SERVICE_LEVEL_SECONDS)
    if not threshold.isdigit() or not 1 <= int(threshold) <= 86_400:
        raise InvalidReport("serviceLevelSeconds: whole seconds from 1 to 86400", field="serviceLevelSeconds")
    return ReportRequest(report, start, end, group_by, filters, int(threshold), fmt)  # type: ignore[arg-type]


@cache
def sql_template(report_name: str) -> str:
    return (SQL_DIR / f"{report_name}.sql").read_text()


def render_sql(request: ReportRequest) -> str:
    """The report's SQL with the request's values: dates and ids were validated (no quote can reach it); the
    grouping is one of the report's own column names."""
    values = {
        "from": request.start.isoformat(),
        "to": request.end.isoformat(),
        # a reply of an interaction that closed on `from` may be dated the day before, a late status the day after
        "messagesFrom": (request.start - timedelta(days=1)).isoformat(),
        "messagesTo": (request.end + timedelta(days=1)).isoformat(),
        "serviceLevelSeconds": str(request.service_level_seconds),
        "group": _GROUPS.get(request.group_by or "", "NULL"),
        "groupBy": request.group_by or "",
        "filters": "".join(
            f" AND {request.report.filters[name]} = '{value}'" for name, value in sorted(request.filters.items())
        ),
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda match: values[match.group(1)], sql_template(request.report.name))


def item_of(row: dict[str, Any], group_by: str | None) -> dict[str, Any]:
    """A result row (snake_case columns) as an item (camelCase), the group's key under the grouping's name."""
    item = {}
    for column, value in row.items():
        name = to_camel(column)
        item[f"{group_by}Id" if name == "groupKey" and group_by not in ("day", "hour") else name] = value
    if "groupKey" in item:
        item[group_by or "group"] = item.pop("groupKey")
    return item


class ReportRunner:
    """Runs a report's SQL on Athena in the reports workgroup (result location, bytes-scanned cutoff and
    encryption are the workgroup's)."""

    def __init__(
        self,
        athena: Callable[[], Any],
        s3: Callable[[], Any],
        database: str,
        workgroup: str,
        wait_seconds: float,
        *,
        results_location: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._athena = athena
        self._s3 = s3
        self.database = database
        self.workgroup = workgroup
        self.wait_seconds = wait_seconds
        self.results_location = results_location
        self._sleep = sleep

    def start(self, request: ReportRequest) -> str:
        # The workgroup enforces its own result location; it is given too for an Athena that does not.
        results = {"ResultConfiguration": {"OutputLocation": self.results_location}} if self.results_location else {}
        response = self._athena().start_query_execution(
            QueryString=render_sql(request),
            QueryExecutionContext={"Database": self.database},
            WorkGroup=self.workgroup,
            **results,
        )
        return str(response["QueryExecutionId"])

    def state(self, job_id: str) -> tuple[str, dict[str, Any]]:
        """The query's state (QUEUED | RUNNING | SUCCEEDED | FAILED | CANCELLED) and its execution."""
        try:
            execution = self._athena().get_query_execution(QueryExecutionId=job_id)["QueryExecution"]
        except Exception as error:
            if "InvalidRequestException" in type(error).__name__ or "InvalidRequest" in str(error):
                raise InvalidReport(f"jobId: unknown job {job_id!r}", field="jobId") from None
            raise
        return str(execution["Status"]["State"]), execution

    def wait(self, job_id: str) -> str | None:
        """The final state, or None when the bound passed first."""
        deadline = time.monotonic() + self.wait_seconds
        pause = 0.1
        while True:
            state, _execution = self.state(job_id)
            if state in ("SUCCEEDED", "FAILED", "CANCELLED"):
                return state
            if time.monotonic() + pause > deadline:
                return None
            self._sleep(pause)
            pause = min(pause * 2, 1.0)

    def rows(self, job_id: str) -> list[dict[str, Any]]:
        """The result rows as dicts of typed values (Athena answers text; the column types say what to parse)."""
        paginator = self._athena().get_paginator("get_query_results")
        rows: list[dict[str, Any]] = []
        columns: list[tuple[str, str]] = []
        for page in paginator.paginate(QueryExecutionId=job_id):
            result = page["ResultSet"]
            if not columns:
                info = result["ResultSetMetadata"]["ColumnInfo"]
                columns = [(column["Name"], column.get("Type", "varchar")) for column in info]
                data = result["Rows"][1:]  # the first page's first row is the header
            else:
                data = result["Rows"]
            for row in data:
                values = [cell.get("VarCharValue") for cell in row["Data"]]
                rows.append({name: _typed(kind, value) for (name, kind), value in zip(columns, values, strict=False)})
        return rows

    def failure(self, job_id: str) -> str:
        _state, execution = self.state(job_id)
        return str(execution["Status"].get("StateChangeReason") or "the query failed")

    def csv_url(self, job_id: str, filename: str = "report.csv", expires_in: int = 900) -> str:
        """A presigned GET of Athena's own CSV result, answered as a download named `filename` (a browser opening
        it saves the file rather than showing it)."""
        _state, execution = self.state(job_id)
        location = str(execution["ResultConfiguration"]["OutputLocation"])
        bucket, _, key = location.removeprefix("s3://").partition("/")
        key = self._result_key(bucket, key)
        params = {
            "Bucket": bucket,
            "Key": key,
            "ResponseContentDisposition": f'attachment; filename="{filename}"',
            "ResponseContentType": "text/csv",
        }
        return str(self._s3().generate_presigned_url("get_object", Params=params, ExpiresIn=expires_in))

    def _result_key(self, bucket: str, key: str) -> str:
        """Athena's result object: at its OutputLocation. The local emulator (ministack 1.5.33) writes it one level
        further down (`<location>/<id>.csv`); that key is used only when the documented one is absent."""
        try:
            self._s3().head_object(Bucket=bucket, Key=key)
        except Exception:  # noqa: BLE001 - absent (404) or unreadable: try the emulator's key, else keep Athena's
            nested = f"{key}/{key.rsplit('/', 1)[-1]}"
            try:
                self._s3().head_object(Bucket=bucket, Key=nested)
            except Exception:  # noqa: BLE001 - neither: presign Athena's own key (the download says why)
                return key
            return nested
        return key


def _typed(kind: str, value: str | None) -> Any:
    if value is None or value == "":
        return None
    kind = kind.lower()
    if kind in ("integer", "bigint", "int", "smallint", "tinyint", "hugeint"):
        return int(float(value))
    if kind in ("double", "float", "real") or kind.startswith("decimal"):
        return float(value)
    if kind == "boolean":
        return value.lower() == "true"
    return value
