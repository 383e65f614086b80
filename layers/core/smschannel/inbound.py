"""Inbound webhooks: verify the provider's signature, normalize, store in the phone's open interaction."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import ValidationError

from smschannel.account_cache import AccountCache
from smschannel.archive import WebhookArchive
from smschannel.compliance import KeywordResponder
from smschannel.errors import DomainError, UnparsableWebhook
from smschannel.models import Account, InboundMessage, StatusUpdate
from smschannel.observability import logger
from smschannel.phone import mask_phone, normalize_phone
from smschannel.providers import get_adapter
from smschannel.providers.base import WebhookAnswer, WebhookRequest
from smschannel.stores.inbound_messages import InboundMessageStore, InboundOutcome
from smschannel.stores.interactions import InteractionStore


@dataclass(frozen=True)
class InboundResult:
    answer: WebhookAnswer
    outcomes: list[InboundOutcome]


# What a verified webhook that cannot be processed raises: a provider's payload of the wrong shape (a field that is
# a list where a string was expected...) makes an adapter's parser raise TypeError and the like. The request is
# authentic, so it is archived for replay and answered 400, never a 500 the provider would retry forever.
NOT_UNDERSTOOD = (UnparsableWebhook, ValidationError, ValueError, TypeError, KeyError, AttributeError, IndexError)


class InboundService:
    def __init__(
        self,
        inbound_messages: InboundMessageStore,
        interactions: InteractionStore,
        accounts: AccountCache,
        archive: WebhookArchive,
        keywords: KeywordResponder | None = None,
        *,
        public_base_url: str | None = None,
    ) -> None:
        self.public_base_url = public_base_url
        self.keywords = keywords
        self.inbound_messages = inbound_messages
        self.interactions = interactions
        self.accounts = accounts
        self.archive = archive

    def receive_message(self, account_id: str, request: WebhookRequest) -> InboundResult:
        """`POST /webhooks/{accountId}`. Raises UnknownAccount, InvalidSignature, or UnparsableWebhook (archived)."""
        account = self.accounts.get(account_id)
        request = self.signed_request(account, request, "")
        adapter = get_adapter(account.provider)
        adapter.verify(request, account)  # nothing is stored or archived for a forged request
        try:
            messages = adapter.parse_inbound(request, account)
            statuses = adapter.parse_inbound_statuses(request, account)
            outcomes = [outcome for message in messages if (outcome := self._store(account, message))]
        except NOT_UNDERSTOOD as exc:
            raise self._archived(account_id, "inbound", request, exc) from exc
        self._apply_statuses(account, statuses)
        return InboundResult(adapter.inbound_answer(), outcomes)

    def receive_status(self, account_id: str, request: WebhookRequest) -> WebhookAnswer:
        """`POST /webhooks/{accountId}/status`: delivery status of an outbound message."""
        account = self.accounts.get(account_id)
        request = self.signed_request(account, request, "/status")
        adapter = get_adapter(account.provider)
        adapter.verify(request, account)
        try:
            updates = adapter.parse_status(request, account)
        except NOT_UNDERSTOOD as exc:
            raise self._archived(account_id, "status", request, exc) from exc
        self._apply_statuses(account, updates)
        return adapter.status_answer()

    @staticmethod
    def signed_request(account: Account, request: WebhookRequest, suffix: str) -> WebhookRequest:
        """The request with every URL the provider may have signed: first the account's `options.webhookUrl` (what
        the operator pasted into the provider's console, when a CDN or proxy sits in front) with the route's
        suffix, then those the handler edge found (the stack's PublicBaseUrl, then the URLs API Gateway saw)."""
        base = account.options.webhook_url
        return request.signed_at_first(f"{base.rstrip('/')}{suffix}") if base else request

    def _apply_statuses(self, account: Account, updates: list[StatusUpdate]) -> None:
        for update in updates:
            if self.interactions.record_status(account.id, update) is None:
                # Routine: Twilio's `sent` after the send API already answered it, a retried callback.
                logger.debug(
                    "status callback not applied (unknown message or older status)",
                    extra={"providerMessageId": update.provider_message_id, "status": update.status},
                )

    def _store(self, account: Account, message: InboundMessage) -> InboundOutcome | None:
        phone = normalize_phone(message.from_, account.default_region)
        to = normalize_phone(message.to, account.default_region)
        if message.part is not None:
            # One part of a concatenated SMS: stored until every part is here, then stored as one message.
            joined = self.inbound_messages.join_parts(account.id, phone, message)
            if joined is None:
                logger.info("message part stored", extra={"accountId": account.id, "part": message.part[1:]})
                return None
            message = joined
        outcome = self.inbound_messages.record_inbound(account, message, phone, to)
        if self.keywords is not None and not outcome.duplicate:
            self.keywords.handle(account, phone, outcome.interaction_id, outcome.message_id, message.body)
        # One line a message, ~300 bytes: what is usual (a join, not a duplicate) goes unsaid.
        flags = {name: True for name, value in (("opened", outcome.opened), ("duplicate", outcome.duplicate)) if value}
        extra: dict[str, object] = {"accountId": account.id, "phone": mask_phone(phone)}
        logger.info("inbound stored", extra=extra | {"interactionId": outcome.interaction_id} | flags)
        return outcome

    def _archived(self, account_id: str, kind: str, request: WebhookRequest, exc: Exception) -> DomainError:
        reason = _reason(exc)
        key = self.archive.archive(account_id, kind, request, reason)
        logger.warning("webhook archived for replay", extra={"archiveKey": key, "reason": reason})
        return UnparsableWebhook(f"{reason} (archived as {key})")


def _reason(exc: Exception) -> str:
    """What was wrong, in one line: the field at fault for a model that refused the provider's payload."""
    if isinstance(exc, DomainError):
        return exc.message
    if isinstance(exc, ValidationError) and exc.errors():
        error = exc.errors()[0]
        return f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}"
    if isinstance(exc, (TypeError, KeyError, AttributeError, IndexError)):
        return f"payload not understood ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
    return str(exc).splitlines()[0]
