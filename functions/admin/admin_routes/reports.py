"""`/admin/reports` and `/admin/exports`: the historical reports on Athena (smschannel.reports, docs/reports.md), for
supervisors and admins. JSON answers within a bound or `202 {jobId}` to poll; CSV answers a presigned URL to Athena's
own result; an export (`POST /admin/exports`) answers `202 {jobId}` at once and its poll the URL."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import Field

from smschannel.admin import AdminService
from smschannel.edge import error_body
from smschannel.errors import NotFound
from smschannel.http import json_response
from smschannel.models import CamelModel
from smschannel.reports.queries import REPORTS, InvalidReport, ReportRequest, ReportRunner, item_of, parse_request

_SEPARATOR = "."


class ExportIn(CamelModel):
    """Body of `POST /admin/exports`: one row per interaction or per message of a range, as a CSV file."""

    report: Literal["interactions", "messages"]
    # `from` is a Python keyword: the field is `since`, its JSON name `from` (as the report's query parameter).
    since: str | None = Field(default=None, alias="from", max_length=32)
    to: str | None = Field(default=None, max_length=32)
    account_id: str | None = Field(default=None, max_length=128)
    queue_id: str | None = Field(default=None, max_length=128)
    agent_id: str | None = Field(default=None, max_length=128)
    team_id: str | None = Field(default=None, max_length=128)

    def params(self) -> dict[str, str]:
        """The export as the report's query parameters (format csv)."""
        values = self.model_dump(by_alias=True, exclude={"report"}, exclude_none=True)
        return {**{name: str(value) for name, value in values.items()}, "format": "csv"}


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
    # The filters that name configuration must name what exists.
    lookups: dict[str, Callable[[str], object]] = {
        "accountId": service.get_account,
        "queueId": service.get_queue,
        "agentId": service.get_agent,
        "teamId": service.floor.get_team,
    }

    def checked(report: str, params: dict[str, str]) -> ReportRequest:
        """The request parsed (422 naming the field), each id it filters on known (422 naming it otherwise)."""
        request = parse_request(report, params, datetime.now(UTC).date())
        for name, value in request.filters.items():
            lookup = lookups.get(name)
            if lookup is None:
                continue
            try:
                lookup(value)
            except NotFound:
                raise InvalidReport(f"{name}: unknown {value!r}", field=name) from None
        return request

    def started(request: ReportRequest) -> _Job:
        return _Job(request.report.name, request.group_by, request.format, runner().start(request))

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
        job = started(checked(report, params))
        state = runner().wait(job.execution_id)
        if state is None:
            return json_response(202, {"jobId": job.id, "status": "running"})
        return _answer(runner(), job, state)

    @router.post("/admin/exports")
    def post_export(body: Annotated[ExportIn, Body()]) -> Response[Any]:
        """Started, not waited for: an export of a year may take Athena minutes; the poll answers its URL."""
        job = started(checked(body.report, body.params()))
        return json_response(202, {"jobId": job.id, "status": "running"})

    return router


def _answer(reports: ReportRunner, job: _Job, state: str) -> Response[Any]:
    if state != "SUCCEEDED":
        reason = reports.failure(job.execution_id)
        timed_out = state == "CANCELLED" or "time" in reason.lower()
        code, status = ("report_timed_out", 504) if timed_out else ("report_failed", 502)
        body = error_body(code, f"the report's query {state.lower()}: {reason}")
        return json_response(status, {**body, "jobId": job.id})
    if job.format == "csv":
        url = reports.csv_url(job.execution_id, filename=f"{job.report}.csv")
        return json_response(200, {"status": "succeeded", "url": url, "jobId": job.id})
    items = [item_of(row, job.group_by) for row in reports.rows(job.execution_id)]
    return json_response(200, {"items": items, "definitions": REPORTS[job.report].definitions, "jobId": job.id})
