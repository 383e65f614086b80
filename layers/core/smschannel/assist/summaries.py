"""Summaries: asked for by the domain consumer when an interaction of an account with `options.ai.summaries`
closes or is transferred (and by `POST /admin/interactions/{id}/summary`), written by the assist function from the
summary queue, never on the request path (docs/ai.md "Summaries").

The queue bounds the retries: a retryable failure (throttle, timeout, the service's 5xx) marks the summary
`unavailable` with its reason and fails the message, delayed SUMMARY_RETRY_DELAYS seconds, until SUMMARY_ATTEMPTS
attempts; the last one (or a failure no retry can mend) leaves the marker and deletes the message. The queue's
redrive policy sends a message that kept crashing the function (not a model failure) to its dead-letter queue.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import EventType
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from smschannel.assist.model import ConverseModel, ModelUnavailable
from smschannel.assist.prompts import summary_request
from smschannel.batch import BatchConsumer
from smschannel.models import Account, AiOptions, Direction, Summary
from smschannel.observability import logger, metrics
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.interactions import InteractionStore
from smschannel.stores.summaries import SummaryStore
from smschannel.stream import StreamChange

SUMMARY_ATTEMPTS = 3
SUMMARY_RETRY_DELAYS = (20, 90)  # seconds before the 2nd and the 3rd attempt
SQS_BATCH = 10
Cause = Literal["closed", "transferred", "regenerated"]
Outcome = Literal["written", "stale", "skipped", "unavailable", "retry"]


@dataclass(frozen=True)
class SummaryJob:
    """One message of the summary queue."""

    interaction_id: str
    cause: Cause
    force: bool = False  # regenerate even when the stored summary already covers every message

    def body(self) -> str:
        return json.dumps({"interactionId": self.interaction_id, "cause": self.cause, "force": self.force})

    @classmethod
    def parse(cls, body: str) -> SummaryJob:
        data = json.loads(body)
        causes: dict[str, Cause] = {"closed": "closed", "transferred": "transferred", "regenerated": "regenerated"}
        return cls(str(data["interactionId"]), causes.get(str(data.get("cause")), "closed"), bool(data.get("force")))


def summary_cause(change: StreamChange) -> Cause | None:
    """Why this change asks for a summary: an interaction closed (not a blocked number's: no one reads it) or
    transferred while open."""
    new, old = change.new or {}, change.old or {}
    if new.get("entity") != "interaction" or change.event_name != "MODIFY":
        return None
    if new.get("status") == "closed" and old.get("status") == "open":
        return None if new.get("disposition") == "blocked" else "closed"
    if new.get("status") == "open" and new.get("lastTransfer") and new.get("lastTransfer") != old.get("lastTransfer"):
        return "transferred"
    return None


class AiOptionsCache:
    """Each account's `options.ai`, read at most once per `ttl_seconds` per container (turning it on or off takes
    effect within that time)."""

    def __init__(self, account_of: Callable[[str], Account | None], ttl_seconds: float = 10.0) -> None:
        self.account_of = account_of
        self.ttl_seconds = ttl_seconds
        self._cache: dict[str, tuple[float, AiOptions]] = {}

    def get(self, account_id: str) -> AiOptions:
        cached = self._cache.get(account_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self.ttl_seconds:
            return cached[1]
        account = self.account_of(account_id)
        options = account.options.ai if account is not None else AiOptions()
        self._cache[account_id] = (now, options)
        return options


class SummaryRequests:
    """The summary queue's producer: the domain consumer's batch gathers the closes and transfers of accounts with
    summaries on and sends them at its end; the admin API's regenerate sends one. A send that fails is logged and
    counted (`SummariesNotQueued`), never failing the conversation's record: `POST .../summary` asks again."""

    def __init__(self, sqs: Callable[[], Any], queue_url: str, options: AiOptionsCache) -> None:
        self._sqs = sqs
        self.queue_url = queue_url
        self.options = options
        self.pending: list[SummaryJob] = []

    def add(self, change: StreamChange) -> None:
        cause = summary_cause(change)
        if cause is None:
            return
        new = change.new or {}
        if self.options.get(str(new.get("accountId"))).summaries:
            self.pending.append(SummaryJob(str(new["id"]), cause))

    def flush(self) -> None:
        jobs, self.pending = self.pending, []
        if not jobs:
            return
        try:
            self.send(jobs)
        except Exception:  # noqa: BLE001 - a summary never holds a conversation back (docs/ai.md)
            logger.exception("summaries not queued", extra={"summaries": len(jobs)})
            metrics.add_metric(name="SummariesNotQueued", unit=MetricUnit.Count, value=len(jobs))
            return
        metrics.add_metric(name="SummariesQueued", unit=MetricUnit.Count, value=len(jobs))

    def send(self, jobs: Iterable[SummaryJob]) -> None:
        listed = list(jobs)
        for start in range(0, len(listed), SQS_BATCH):
            entries = [
                {"Id": str(position), "MessageBody": job.body()}
                for position, job in enumerate(listed[start : start + SQS_BATCH])
            ]
            response = self._sqs().send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            if response.get("Failed"):
                raise RuntimeError(f"{len(response['Failed'])} summaries refused by SQS")


class SummaryService:
    """Writes one interaction's summary from its transcript (the assist function's queue messages)."""

    def __init__(
        self,
        configuration: ConfigurationStore,
        interactions: InteractionStore,
        summaries: SummaryStore,
        model: ConverseModel,
        *,
        default_model_id: str,
        guardrail: tuple[str, str] | None = None,
    ) -> None:
        self.configuration = configuration
        self.interactions = interactions
        self.summaries = summaries
        self.model = model
        self.default_model_id = default_model_id
        self.guardrail = guardrail

    def summarize(self, job: SummaryJob, attempt: int = 1) -> Outcome:
        interaction = self.interactions.get_interaction(job.interaction_id)
        if interaction is None:
            return "skipped"
        account = self.configuration.get_account(interaction.account_id)
        if account is None or not account.options.ai.summaries:
            return "skipped"  # turned off since it was asked
        messages = [
            message
            for message in self.interactions.list_messages(interaction.id)
            if message.direction in (Direction.IN, Direction.OUT)
        ]
        if not messages:
            return "skipped"
        current = interaction.summary
        if not job.force and current is not None and current.status == "ready" and current.messages >= len(messages):
            return "skipped"  # a redelivered message: already written
        model_id = account.options.ai.model_id or self.default_model_id
        request, covered = summary_request(model_id, messages, self.guardrail)
        try:
            answer = self.model.converse(request, "summary")
        except ModelUnavailable as unavailable:
            marker = Summary(
                status="unavailable",
                reason=unavailable.reason,
                model_id=model_id,
                source=job.cause,
                messages=covered,
                attempts=attempt,
            )
            self.summaries.put(interaction.id, marker)
            retry = unavailable.retryable and attempt < SUMMARY_ATTEMPTS
            metrics.add_metric(name="SummaryUnavailable", unit=MetricUnit.Count, value=1)
            return "retry" if retry else "unavailable"
        summary = Summary(
            text=answer.text,
            model_id=answer.model_id,
            input_tokens=answer.input_tokens,
            output_tokens=answer.output_tokens,
            source=job.cause,
            messages=covered,
            attempts=attempt,
        )
        if not self.summaries.put(interaction.id, summary):
            return "stale"  # a summary of more messages is there already, or the interaction is gone
        metrics.add_metric(name="SummaryWritten", unit=MetricUnit.Count, value=1)
        metrics.add_metric(name="SummaryInputTokens", unit=MetricUnit.Count, value=answer.input_tokens)
        metrics.add_metric(name="SummaryOutputTokens", unit=MetricUnit.Count, value=answer.output_tokens)
        return "written"


class RetrySummary(Exception):
    """The model was unavailable and the job has attempts left: the message comes back after its delay."""


class SummaryConsumer(BatchConsumer[SQSRecord]):
    """The summary queue: each message summarised once; a retryable failure delays the message (visibility) and
    fails it, up to SUMMARY_ATTEMPTS receives."""

    event_type = EventType.SQS

    def __init__(self, service: SummaryService, sqs: Callable[[], Any], queue_url: str | None) -> None:
        super().__init__()
        self.service = service
        self._sqs = sqs
        self.queue_url = queue_url

    def handle(self, record: SQSRecord) -> None:
        job = SummaryJob.parse(record.body)
        attempt = int(record.attributes.approximate_receive_count or 1)
        outcome = self.service.summarize(job, attempt)
        logger.info("summary", extra={"interactionId": job.interaction_id, "outcome": outcome, "attempt": attempt})
        if outcome != "retry":
            return
        delay = SUMMARY_RETRY_DELAYS[min(attempt, len(SUMMARY_RETRY_DELAYS)) - 1]
        if self.queue_url:
            self._sqs().change_message_visibility(
                QueueUrl=self.queue_url, ReceiptHandle=record.receipt_handle, VisibilityTimeout=delay
            )
        raise RetrySummary(f"summary of {job.interaction_id}: attempt {attempt} of {SUMMARY_ATTEMPTS}")
