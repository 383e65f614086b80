"""callUrl, apart from the stream: the engine queues each delivery (SQS); the CallUrl function posts it, signed,
with timeouts and retries with backoff; what is still not delivered after the queue's receive limit goes to its
dead-letter queue. Each attempt's outcome is written back into the trigger's run."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import Any

from pydantic import Field

from smschannel import keys
from smschannel.aws_clients import sqs_client
from smschannel.models import CamelModel
from smschannel.observability import logger
from smschannel.stores.triggers import TriggerStore
from smschannel.triggers.model import ActionOutcome, CallUrl
from smschannel.triggers.signing import SIGNATURE_HEADER, signature

CONNECT_TIMEOUT = 3.05
ATTEMPTS_PER_RECEIVE = 3
BACKOFF_SECONDS = 0.5
USER_AGENT = "sms-channel-triggers/1"


class CallUrlDelivery(CamelModel):
    """One queued POST: which trigger action, which event, and the exact body to sign and send."""

    account_id: str
    trigger_id: str
    action: int = Field(ge=0)
    position: str  # the run's place (keys.trigger_run)
    event_id: str
    body: str


class DeliveryFailed(Exception):
    """Not delivered in this receive: the message goes back to the queue (then to its dead-letter queue)."""


class SqsDispatcher:
    def __init__(self, queue_url: str, client: Any | None = None) -> None:
        self.queue_url = queue_url
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or sqs_client()

    def dispatch(self, delivery: dict[str, Any]) -> None:
        self.client.send_message(QueueUrl=self.queue_url, MessageBody=json.dumps(delivery, separators=(",", ":")))


# What is tried again within a receive: network errors, timeouts, and every status but a receiver's refusal (4xx
# other than 408/425/429); redirects are not followed, so a 3xx is a failure too.
RETRY_STATUSES = frozenset(range(300, 400)) | {408, 425, 429} | frozenset(range(500, 600))
MAX_RETRY_AFTER_SECONDS = 5.0  # longer and the queue's own redelivery is the better wait


class CallUrlSender:
    """Posts deliveries through one keep-alive session whose urllib3 `Retry` decides what is retried, counts the
    attempts and reads `Retry-After`; the pause between attempts goes through `sleep` (tests record it)."""

    def __init__(
        self,
        store: TriggerStore,
        *,
        attempts: int = ATTEMPTS_PER_RECEIVE,
        backoff_seconds: float = BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.attempts = attempts
        self.backoff_seconds = backoff_seconds
        self.sleep = sleep
        self._session: Any = None

    @property
    def session(self) -> Any:
        if self._session is None:
            self._session = _retrying_session(self)
        return self._session

    def deliver(self, delivery: CallUrlDelivery, receive_count: int = 1) -> ActionOutcome:
        """Post it; raises DeliveryFailed when it should be tried again later."""
        import requests

        run_key = keys.trigger_run(delivery.account_id, delivery.trigger_id, delivery.position, delivery.event_id)
        trigger = self.store.get_trigger(delivery.account_id, delivery.trigger_id)
        actions = trigger.actions if trigger else []
        action = actions[delivery.action] if delivery.action < len(actions) else None
        if not isinstance(action, CallUrl):
            outcome = ActionOutcome(type="callUrl", outcome="skipped", detail="trigger changed or deleted")
            self.store.record_action_outcome(run_key, delivery.action, outcome)
            return outcome
        body = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature(action.secret, body),
            # Deliveries are at least once: receivers deduplicate on the event and trigger ids.
            "X-Event-Id": delivery.event_id,
            "X-Trigger-Id": delivery.trigger_id,
        }
        try:
            response = self.session.post(
                action.url,
                data=body,
                headers=headers,
                timeout=(CONNECT_TIMEOUT, action.timeout_seconds),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            reason = getattr(exc.args[0], "reason", None) if exc.args else None  # urllib3's MaxRetryError
            problem, tried = type(reason or exc).__name__, self.attempts
        else:
            if response.status_code < 300:
                outcome = ActionOutcome(type="callUrl", outcome="done", detail=f"HTTP {response.status_code}")
                self.store.record_action_outcome(run_key, delivery.action, outcome)
                return outcome
            retries = getattr(response.raw, "retries", None)
            problem, tried = f"HTTP {response.status_code}", len(retries.history) + 1 if retries else 1
        attempts = (receive_count - 1) * self.attempts + tried
        outcome = ActionOutcome(type="callUrl", outcome="failed", detail=f"{problem} after {attempts} attempts")
        self.store.record_action_outcome(run_key, delivery.action, outcome)
        logger.warning(
            "callUrl not delivered", extra={"triggerId": delivery.trigger_id, "problem": problem, "attempts": attempts}
        )
        raise DeliveryFailed(problem)


def _retrying_session(sender: CallUrlSender) -> Any:
    import requests
    from requests.adapters import HTTPAdapter
    from urllib3.util.retry import Retry

    class PacedRetry(Retry):
        """urllib3's Retry (which status, how many, Retry-After), pausing through the sender: the server's
        Retry-After when it sends one (capped), else backoff * 2^(n-1) with jitter."""

        def sleep(self, response: Any = None) -> None:
            after = self.get_retry_after(response) if response is not None else None
            if after is not None and self.respect_retry_after_header:
                sender.sleep(min(after, MAX_RETRY_AFTER_SECONDS))
                return
            sender.sleep(sender.backoff_seconds * 2 ** (len(self.history) - 1) * (1 + random.random()))

    retry = PacedRetry(
        total=sender.attempts - 1,
        allowed_methods=frozenset({"POST"}),  # deliveries are at least once: receivers deduplicate
        status_forcelist=RETRY_STATUSES,
        raise_on_status=False,  # the last answer comes back, to be recorded
        raise_on_redirect=False,
        respect_retry_after_header=True,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
