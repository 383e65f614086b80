"""`/admin/reports`: the historical reports on Athena (smschannel.reports, docs/reports.md), for supervisors and
admins. JSON answers within a bound or `202 {jobId}` to poll; CSV answers a presigned URL to Athena's own result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from smschannel.admin import AdminService
from smschannel.edge import error_body
from smschannel.errors import NotFound
from smschannel.http import json_response
from smschannel.reports.queries import REPORTS, InvalidReport, ReportRunner, item_of, parse_request

_SEPARATOR = "."


@dataclass(frozen=True)
class _Job:
    """A report's run: the job id carries what the poll needs to shape the answer, then Athena's own id."""

    report: str
    group_by: str | None
    format: str
    execution_id: str

    @property
    def id(self) -> str:
        return _SEPARATOR.join((self.report, self.group_by or "-", self.format, self.execution_id))

    @classmethod
    def parse(cls, job_id: str) -> _Job:
        parts = job_id.split(_SEPARATOR, 3)
        if len(parts) != 4 or parts[0] not in REPORTS or parts[2] not in ("json", "csv") or not parts[3]:
            raise InvalidReport(f"jobId: unknown job {job_id!r}", field="jobId")
        return cls(parts[0], None if parts[1] == "-" else parts[1], parts[2], parts[3])


def reports_router(runner: Callable[[], ReportRunner], service: AdminService) -> APIGatewayHttpRouter:
    router = APIGatewayHttpRouter()
    # The filters that name configuration must name what exists (teams: once the floor's teams are stored).
    lookups: dict[str, Callable[[str], object]] = {
        "accountId": service.get_account,
        "queueId": service.get_queue,
        "agentId": service.get_agent,
    }

    def check_known(filters: dict[str, str]) -> None:
        for name, value in filters.items():
            lookup = lookups.get(name)
            if lookup is None:
                continue
            try:
                lookup(value)
            except NotFound:
                raise InvalidReport(f"{name}: unknown {value!r}", field=name) from None

    @router.get("/admin/reports/jobs/<job_id>")
    def report_job(job_id: str) -> Response[Any]:
        job = _Job.parse(job_id)
        state, _execution = runner().state(job.execution_id)
        if state in ("QUEUED", "RUNNING"):
            return json_response(202, {"jobId": job.id, "status": state.lower()})
        return _answer(runner(), job, state)

    @router.get("/admin/reports/<report>")
    def get_report(report: str) -> Response[Any]:
        params = dict(router.current_event.query_string_parameters or {})
        request = parse_request(report, params, datetime.now(UTC).date())
        check_known(request.filters)
        reports = runner()
        job = _Job(request.report.name, request.group_by, request.format, reports.start(request))
        state = reports.wait(job.execution_id)
        if state is None:
            return json_response(202, {"jobId": job.id, "status": "running"})
        return _answer(reports, job, state)

    return router


def _answer(reports: ReportRunner, job: _Job, state: str) -> Response[Any]:
    if state != "SUCCEEDED":
        reason = reports.failure(job.execution_id)
        timed_out = state == "CANCELLED" or "time" in reason.lower()
        code, status = ("report_timed_out", 504) if timed_out else ("report_failed", 502)
        body = error_body(code, f"the report's query {state.lower()}: {reason}")
        return json_response(status, {**body, "jobId": job.id})
    if job.format == "csv":
        return json_response(200, {"url": reports.csv_url(job.execution_id), "jobId": job.id})
    items = [item_of(row, job.group_by) for row in reports.rows(job.execution_id)]
    return json_response(200, {"items": items, "definitions": REPORTS[job.report].definitions, "jobId": job.id})
