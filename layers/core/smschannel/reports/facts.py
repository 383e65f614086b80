"""Report facts: one JSON record per closed interaction and per message state (stored, sent, delivered, failed),
built from the table stream's images by the domain consumer and put to the facts Firehose stream (docs/reports.md).

Every fact carries a deterministic `factId` (a hash of what it records: the interaction and its close time, or the
message and its status), so a stream record delivered twice yields two identical lines in S3; the report queries
(reports/sql/*.sql) keep one line per `factId` (interactions: per id, the latest `revision`, the wrap-up's once
recorded after the close). Facts are partitioned by `dt`, the local date in the account's time
zone of the moment the fact records (the close, the message's status), and by `kind` (`interactions`, `messages`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from typing import Any, Literal
from zoneinfo import ZoneInfo

from pydantic import Field

from smschannel.models import CamelModel
from smschannel.stream import Image, StreamChange
from smschannel.timestamps import parse_iso

FIREHOSE_BATCH = 500  # PutRecordBatch takes at most 500 records (and 4 MiB) per call
DELIVERY_FAILED = ("failed", "undelivered")


def fact_id(*parts: object) -> str:
    """The same id for the same event, however often its stream record is delivered."""
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()[:32]


def _zone(time_zone: str) -> ZoneInfo:
    try:
        return ZoneInfo(time_zone)
    except Exception:  # noqa: BLE001 - a zone this runtime does not know is read as UTC, never a lost fact
        return ZoneInfo("UTC")


def local_date(stamp: str, time_zone: str) -> str:
    """The date (YYYY-MM-DD) of an ISO timestamp on the account's clock: the fact's partition."""
    return parse_iso(stamp).astimezone(_zone(time_zone)).strftime("%Y-%m-%d")


def local_hour(stamp: str, time_zone: str) -> int:
    """The hour (0-23) of an ISO timestamp on the account's clock: reports by hour."""
    return parse_iso(stamp).astimezone(_zone(time_zone)).hour


def _epoch(stamp: str | None) -> float | None:
    """Epoch seconds: the report SQL subtracts these (timestamp text parses differently in Trino and DuckDB)."""
    return round(parse_iso(stamp).timestamp(), 3) if stamp else None


def _seconds_between(start: str | None, end: str | None) -> float | None:
    if not start or not end:
        return None
    return round((parse_iso(end) - parse_iso(start)).total_seconds(), 3)


def _number(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


class InteractionFact(CamelModel):
    """One closed interaction, with what every interaction metric needs (docs/reports.md defines them)."""

    kind: Literal["interactions"] = "interactions"
    fact_id: str
    # 0 at the close, 1 once its wrap-up is recorded (after the close): the reports keep each interaction's latest
    revision: int = 0
    dt: str  # the local date it closed
    hour: int  # the local hour it was created (arrival volume by hour)
    interaction_id: str
    account_id: str
    queue_id: str | None = None
    team_id: str | None = None
    agent_id: str | None = None
    agent_ids: list[str] = Field(default_factory=list)
    contact_id: str | None = None
    created_at: str
    assigned_at: str | None = None
    first_reply_at: str | None = None
    closed_at: str
    created_epoch: float
    assigned_epoch: float | None = None
    first_reply_epoch: float | None = None
    closed_epoch: float
    waited_seconds: float  # created until assigned (or, never assigned, until closed)
    handle_seconds: float | None = None
    wrap_up_seconds: float | None = None
    messages_in: int = 0
    messages_out: int = 0
    segments_out: int = 0
    delivery_failures: int = 0
    disposition: str | None = None
    transfers: int = 0
    trigger_handled: bool = False  # closed by a trigger or a bot, never by an agent
    bot_handled: bool = False
    handled: bool = False  # assigned to an agent
    abandoned: bool = False  # closed without ever reaching an agent, and not by a trigger or bot
    queue_timed_out: bool = False


class MessageFact(CamelModel):
    """One message in one state: stored (in: received, out: queued), then each delivery status of a reply."""

    kind: Literal["messages"] = "messages"
    fact_id: str
    dt: str  # the local date of `statusAt`
    hour: int  # the local hour of `statusAt`
    message_id: str
    interaction_id: str
    account_id: str
    direction: str
    status: str
    sender: str | None = None
    agent_id: str | None = None
    segments: int = 0
    encoding: str | None = None
    created_at: str
    created_epoch: float
    status_at: str  # when the message reached this status
    error_code: str | None = None
    opt_out: bool = False  # the confirmation of a STOP keyword (smschannel.compliance): one per opt-out


Fact = InteractionFact | MessageFact


def interaction_fact(new: Image, time_zone: str, revision: int = 0, team_id: str | None = None) -> InteractionFact:
    """The fact of an interaction item as it closed. The floor's fields (`teamId`, `transfers`, `handleSeconds`,
    `wrapUpSeconds`, `agentIds`) and the counters (`segmentsOut`, `deliveryFailures`, `firstReplyAt`) are read when
    the item has them."""
    closed_at = str(new.get("closedAt") or new.get("lastMessageAt") or new["createdAt"])
    created_at = str(new["createdAt"])
    assigned_at = new.get("assignedAt") or new.get("firstAssignedAt")
    agent_id = new.get("agentId")
    agent_ids = [str(agent) for agent in new.get("agentIds") or ([agent_id] if agent_id else [])]
    handled = bool(assigned_at or agent_id)
    bot_handled = bool(new.get("bot")) or str(new.get("closedBy") or "").startswith("bot")
    trigger_handled = not handled and (bot_handled or str(new.get("closedBy") or "").startswith("trigger"))
    waited = _seconds_between(created_at, str(assigned_at or closed_at)) or 0.0
    return InteractionFact(
        fact_id=fact_id("interaction", new["id"], closed_at, revision),
        revision=revision,
        dt=local_date(closed_at, time_zone),
        hour=local_hour(created_at, time_zone),
        interaction_id=str(new["id"]),
        account_id=str(new["accountId"]),
        queue_id=new.get("queueId"),
        team_id=new.get("teamId") or team_id,
        agent_id=agent_id,
        agent_ids=agent_ids,
        contact_id=new.get("contactId"),
        created_at=created_at,
        assigned_at=assigned_at,
        first_reply_at=new.get("firstReplyAt"),
        closed_at=closed_at,
        created_epoch=_epoch(created_at) or 0.0,
        assigned_epoch=_epoch(assigned_at),
        first_reply_epoch=_epoch(new.get("firstReplyAt")),
        closed_epoch=_epoch(closed_at) or 0.0,
        waited_seconds=max(waited, 0.0),
        handle_seconds=_number(new.get("handleSeconds")),
        wrap_up_seconds=_number(new.get("wrapUpSeconds")),
        messages_in=int(new.get("messageCount") or 0),
        messages_out=int(new.get("replyCount") or 0),
        segments_out=int(new.get("segmentsOut") or 0),
        delivery_failures=int(new.get("deliveryFailures") or 0),
        disposition=new.get("disposition"),
        transfers=int(new.get("transfers") or 0),
        trigger_handled=trigger_handled,
        bot_handled=bot_handled,
        handled=handled,
        abandoned=not handled and not trigger_handled,
        queue_timed_out=bool(new.get("queueTimedOutAt")),
    )


def message_fact(new: Image, time_zone: str) -> MessageFact:
    status = str(new.get("status") or "")
    at = str(new.get("statusAt") or new["createdAt"])
    sender = new.get("sender")
    return MessageFact(
        fact_id=fact_id("message", new["id"], status),
        dt=local_date(at, time_zone),
        hour=local_hour(at, time_zone),
        message_id=str(new["id"]),
        interaction_id=str(new["interactionId"]),
        account_id=str(new["accountId"]),
        direction=str(new.get("direction") or ""),
        status=status,
        sender=sender,
        agent_id=sender.removeprefix("agent:") if isinstance(sender, str) and sender.startswith("agent:") else None,
        segments=int(new.get("segments") or (1 if new.get("direction") == "in" else 0)),
        encoding=new.get("encoding"),
        created_at=str(new["createdAt"]),
        created_epoch=_epoch(str(new["createdAt"])) or 0.0,
        status_at=at,
        error_code=new.get("errorCode"),
        opt_out=str(new.get("clientMessageId") or "").startswith("stop:"),
    )


def facts_of(
    change: StreamChange,
    time_zone_of: Callable[[str], str],
    team_of: Callable[[str | None, str | None], str | None] = lambda _queue, _agent: None,
) -> list[Fact]:
    """The facts a stream record yields: an interaction's close; a message's insert and each change of its status.
    `team_of(queueId, agentId)` names the team a close is reported under (smschannel.reports.teams)."""
    new, old = change.new or {}, change.old or {}
    entity = new.get("entity")
    closed = entity == "interaction" and new.get("status") == "closed"
    first_close = closed and old.get("status") != "closed"
    wrapped_up = closed and new.get("wrappedUpAt") and not old.get("wrappedUpAt")  # recorded after the close
    if first_close or wrapped_up:
        team = team_of(new.get("queueId"), new.get("agentId"))
        zone = time_zone_of(str(new["accountId"]))
        return [interaction_fact(new, zone, revision=0 if first_close else 1, team_id=team)]
    stored_or_moved = change.event_name == "INSERT" or new.get("status") != old.get("status")
    if entity == "message" and new.get("direction") in ("in", "out") and new.get("status") and stored_or_moved:
        return [message_fact(new, time_zone_of(str(new["accountId"])))]
    return []


def firehose_records(facts: Iterable[Fact]) -> list[dict[str, bytes]]:
    """JSON lines, one fact per record, each line ending in a newline (Athena's JSON SerDe reads one per line)."""
    seen: set[str] = set()
    records = []
    for fact in facts:
        if fact.fact_id in seen:
            continue
        seen.add(fact.fact_id)
        line = json.dumps(fact.to_json_dict(), separators=(",", ":"), sort_keys=True) + "\n"
        records.append({"Data": line.encode()})
    return records


class FactSink:
    """A batch's facts, put to Firehose at the batch's end. A fact Firehose refuses is retried once in the same
    call; one still refused is counted (metric `FactsLost`) and logged, never failing the batch: the conversation
    is never held back for its report."""

    def __init__(self, client: Callable[[], Any], stream_name: str) -> None:
        self._client = client
        self.stream_name = stream_name
        self.pending: list[Fact] = []

    def add(self, facts: Iterable[Fact]) -> None:
        self.pending.extend(facts)

    def flush(self) -> tuple[int, int]:
        """(put, lost)."""
        records, self.pending = firehose_records(self.pending), []
        put = lost = 0
        for start in range(0, len(records), FIREHOSE_BATCH):
            chunk = records[start : start + FIREHOSE_BATCH]
            for attempt in range(2):
                response = self._client().put_record_batch(DeliveryStreamName=self.stream_name, Records=chunk)
                results = response.get("RequestResponses", [])
                refused = [record for record, result in zip(chunk, results, strict=False) if result.get("ErrorCode")]
                put += len(chunk) - len(refused)
                chunk = refused
                if not chunk:
                    break
                if attempt == 1:
                    lost += len(chunk)
        return put, lost
