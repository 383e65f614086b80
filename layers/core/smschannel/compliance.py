"""Opt-out keywords on inbound messages: STOP opts the number out of the account, START opts it back in, HELP
answers the account's help text; each answered with one confirmation (`optouts.OptOutPolicy`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from smschannel.errors import DomainError
from smschannel.models import Account
from smschannel.observability import logger
from smschannel.optouts import Keyword, OptOutPolicy, source_of
from smschannel.stores.optouts import OptOutStore

if TYPE_CHECKING:
    from smschannel.outbound.service import OutboundService


class KeywordResponder:
    def __init__(self, optouts: OptOutStore, replies: Callable[[], OutboundService]) -> None:
        """`replies` builds the reply use case when a keyword is first answered: most messages are no keyword,
        and the webhook function's cold start does not pay for the outbound modules."""
        self.optouts = optouts
        self._replies_factory = replies
        self._replies: OutboundService | None = None

    def replies(self) -> OutboundService:
        if self._replies is None:
            self._replies = self._replies_factory()
        return self._replies

    def handle(self, account: Account, phone: str, interaction_id: str, message_id: str, body: str) -> Keyword | None:
        """Act on a customer message that is a keyword; the confirmation's client id is the inbound message's,
        so a provider's retry of the keyword confirms once."""
        policy = OptOutPolicy.of(account)
        keyword = policy.keyword(body)
        if keyword is None:
            return None
        if keyword is Keyword.STOP:
            self.optouts.opt_out(account.id, phone, source_of(body))
        elif keyword is Keyword.START:
            self.optouts.opt_in(account.id, phone, source_of(body))
        try:
            self.replies().compliance_reply(interaction_id, policy.texts[keyword], f"{keyword.value}:{message_id}")
        except DomainError as error:  # e.g. closed meanwhile: the opt-out stands, the confirmation is skipped
            logger.warning("keyword confirmation not sent", extra={"keyword": keyword.value, "reason": error.message})
        logger.info("opt-out keyword", extra={"accountId": account.id, "keyword": keyword.value})
        return keyword
