"""Delivery status for providers that post no receipt (Skebby, IntelePeer): the scheduled sender asks them for
the status of recent `sent` messages, with backoff, until the status is final or the message too old."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from smschannel.account_cache import AccountCache
from smschannel.dynamo import Table
from smschannel.errors import DomainError
from smschannel.models import MessageStatus
from smschannel.observability import logger
from smschannel.stores.interactions import InteractionStore
from smschannel.stores.outbound import OutboundStore
from smschannel.timestamps import parse_iso, to_iso

FIRST_POLL_SECONDS = 30.0
POLL_CAP_SECONDS = 3600.0
FINAL = {MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED}


def first_poll_at(now: datetime | None = None) -> str:
    return to_iso((now or datetime.now(UTC)) + timedelta(seconds=FIRST_POLL_SECONDS))


@dataclass(frozen=True)
class PollReport:
    asked: int
    updated: int
    finished: int


class StatusPoller:
    def __init__(
        self, table: Table, accounts: AccountCache, session: Callable[[], Any], max_age_hours: float = 48.0
    ) -> None:
        self.store = OutboundStore(table)
        self.interactions = InteractionStore(table)
        self.accounts = accounts
        self.session = session
        self.max_age = timedelta(hours=max_age_hours)

    def poll(self, now: datetime | None = None) -> PollReport:
        from smschannel.providers import get_adapter
        from smschannel.providers.base import SendError

        now = now or datetime.now(UTC)
        asked = updated = finished = 0
        for item in self.store.due_for_poll(to_iso(now)):
            key = {"pk": str(item["pk"]), "sk": str(item["sk"])}
            status = MessageStatus(str(item.get("status")))
            sent_at = parse_iso(str(item.get("sentAt") or item["createdAt"]))
            if status in FINAL or now - sent_at > self.max_age or not item.get("providerMessageId"):
                self.store.reschedule_poll(key, str(item["id"]), None)
                finished += 1
                continue
            attempts = int(item.get("pollAttempts") or 0)
            try:
                account = self.accounts.get(str(item["accountId"]))
                update = get_adapter(account.provider).fetch_status(
                    account, str(item["providerMessageId"]), self.session()
                )
            except (SendError, DomainError) as error:
                logger.warning("status poll failed", extra={"messageId": item["id"], "reason": str(error)[:200]})
                update = None
            asked += 1
            if update is not None and self.interactions.record_status(str(item["accountId"]), update) is not None:
                updated += 1
            if update is not None and update.status in FINAL:
                self.store.reschedule_poll(key, str(item["id"]), None)
                finished += 1
                continue
            delay = min(POLL_CAP_SECONDS, FIRST_POLL_SECONDS * 2 ** (attempts + 1))
            self.store.reschedule_poll(key, str(item["id"]), to_iso(now + timedelta(seconds=delay)))
        return PollReport(asked, updated, finished)
