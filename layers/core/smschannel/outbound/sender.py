"""One queued reply through its provider, exactly once: claim with a conditional write, call the provider, record
the outcome. Retryable refusals (429, 5xx, connection) are retried by delaying the SQS message; a permanent 4xx
fails the message; a claim found without an outcome (the sender died mid-call) fails it as `unknown-outcome`."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from smschannel.account_cache import AccountCache
from smschannel.dynamo import Table
from smschannel.models import Message, MessageStatus, utc_now
from smschannel.observability import logger
from smschannel.stores.optouts import OptOutStore
from smschannel.stores.outbound import OutboundRef, OutboundStore

if TYPE_CHECKING:
    import requests

UNKNOWN_OUTCOME = "unknown-outcome"
BACKOFF_BASE_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 900.0
RATE_WAIT_TRIES = 3


class Verdict(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # recorded on the message; the queue message is done
    SKIPPED = "skipped"  # nothing to do (already sent or failed, or another sender holds it)
    RETRY = "retry"  # try again after `delay` seconds (the SQS message is delayed)
    EXHAUSTED = "exhausted"  # failed after the last attempt: recorded, and the queue message goes to the DLQ


@dataclass(frozen=True)
class SendOutcome:
    verdict: Verdict
    delay: float = 0.0
    detail: str = ""


def retry_delay(attempt: int, retry_after: float | None, base: float = BACKOFF_BASE_SECONDS) -> float:
    """Exponential backoff with jitter (2 s, 4 s, 8 s ... up to 15 min), or the provider's Retry-After."""
    if retry_after is not None and retry_after > 0:
        return min(BACKOFF_CAP_SECONDS, retry_after)
    ceiling = min(BACKOFF_CAP_SECONDS, base * 2 ** max(0, attempt - 1))
    return ceiling / 2 + random.random() * ceiling / 2


class OutboundSender:
    def __init__(
        self,
        table: Table,
        accounts: AccountCache,
        *,
        max_attempts: int,
        claim_seconds: float,
        status_callback_base: str | None,
        retry_base_seconds: float = BACKOFF_BASE_SECONDS,
    ) -> None:
        self.retry_base_seconds = retry_base_seconds
        self.store = OutboundStore(table)
        self.optouts = OptOutStore(table)
        self.accounts = accounts
        self.max_attempts = max_attempts
        self.claim_seconds = claim_seconds
        self.status_callback_base = status_callback_base.rstrip("/") if status_callback_base else None
        self._session: requests.Session | None = None

    @property
    def session(self) -> requests.Session:
        """One HTTP session per container (kept-alive connections to the providers); requests is imported on the
        first send, not at cold start."""
        if self._session is None:
            import requests

            self._session = requests.Session()
        return self._session

    def deliver(self, ref: OutboundRef, attempt: int) -> SendOutcome:
        """Send one queued reply; `attempt` is the queue's receive count of this message (1 on the first)."""
        item = self.store.get(ref)
        if item is None:
            return SendOutcome(Verdict.SKIPPED, detail="no such message")
        if item.get("status") != MessageStatus.QUEUED:
            return SendOutcome(Verdict.SKIPPED, detail=f"already {item.get('status')}")
        if item.get("claimToken"):
            return self._claimed_elsewhere(ref, item)
        message = Message.model_validate(item)
        account = self.accounts.get(message.account_id)
        if message.sender != "system" and self.optouts.is_opted_out(account.id, message.to):
            self.store.mark_failed(
                ref, code="opted-out", text="the number opted out before the send", now=utc_now(), unclaimed=True
            )
            return SendOutcome(Verdict.FAILED, detail="opted-out")
        rate = account.options.send_rate_per_second
        if rate and not self._take_slot(account.id, rate):
            return SendOutcome(Verdict.RETRY, delay=1.0, detail="send rate")
        claim = self.store.claim(ref, utc_now())
        if claim is None:
            return SendOutcome(Verdict.SKIPPED, detail="claimed by another sender")
        return self._send(ref, claim.token, claim.message, account, attempt)

    def _send(self, ref: OutboundRef, token: str, message: Message, account: Any, attempt: int) -> SendOutcome:
        from smschannel.providers import get_adapter
        from smschannel.providers.base import OutboundSms, SendError

        adapter = get_adapter(account.provider)
        callback = None
        if self.status_callback_base and adapter.status_url_per_message:
            callback = f"{self.status_callback_base}/webhooks/{account.id}/status"
        sms = OutboundSms(
            to=message.to,
            from_=message.from_,
            body=message.body,
            media=list(message.media),
            client_reference=message.id,
            status_callback_url=callback,
        )
        try:
            result = adapter.send(account, sms, self.session)
        except SendError as error:
            code = error.code or "error"
            if code == UNKNOWN_OUTCOME:
                self.store.mark_failed(ref, code=code, text=str(error), now=utc_now(), token=token)
                return SendOutcome(Verdict.FAILED, detail=code)
            if not error.retryable:
                self.store.mark_failed(ref, code=code, text=str(error), now=utc_now(), token=token)
                return SendOutcome(Verdict.FAILED, detail=code)
            if attempt >= self.max_attempts:
                text = f"gave up after {attempt} attempts: {error}"
                self.store.mark_failed(ref, code=code, text=text, now=utc_now(), token=token)
                return SendOutcome(Verdict.EXHAUSTED, detail=code)
            self.store.release(ref, token, str(error))
            return SendOutcome(
                Verdict.RETRY, delay=retry_delay(attempt, error.retry_after, self.retry_base_seconds), detail=code
            )
        # Any other exception leaves the claim in place: the redelivery finds it and fails the message as
        # unknown-outcome once the claim is older than a send can take.
        from smschannel.outbound.poller import first_poll_at

        poll_at = first_poll_at() if adapter.polls_status else None
        self.store.mark_sent(ref, token, account.id, result.provider_message_id, utc_now(), poll_at=poll_at)
        return SendOutcome(Verdict.SENT, detail=result.provider_message_id)

    def _claimed_elsewhere(self, ref: OutboundRef, item: dict[str, Any]) -> SendOutcome:
        age = time.time() - float(item.get("claimedEpoch") or 0)
        if age < self.claim_seconds:
            # Another sender may be calling the provider right now: look again once it must have finished.
            return SendOutcome(Verdict.RETRY, delay=self.claim_seconds - age + 1, detail="in flight elsewhere")
        text = "a send was interrupted after it started; it is not repeated, since the SMS may have left"
        self.store.mark_failed(ref, code=UNKNOWN_OUTCOME, text=text, now=utc_now(), token=str(item["claimToken"]))
        logger.warning("send outcome unknown", extra={"messageId": ref.message_id})
        return SendOutcome(Verdict.FAILED, detail=UNKNOWN_OUTCOME)

    def _take_slot(self, account_id: str, per_second: int) -> bool:
        for _ in range(RATE_WAIT_TRIES):
            if self.store.take_send_slot(account_id, per_second):
                return True
            time.sleep(1.0 - (time.time() % 1.0) + 0.001)  # the next second's window
        return False
