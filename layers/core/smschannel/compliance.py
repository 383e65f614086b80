"""Opt-out keywords on inbound messages: STOP opts the number out of the account, START opts it back in, HELP
answers the account's help text; each answered with one confirmation (`optouts.OptOutPolicy`)."""

from __future__ import annotations

from smschannel.errors import DomainError
from smschannel.models import Account
from smschannel.observability import logger
from smschannel.optouts import Keyword, OptOutPolicy, source_of
from smschannel.outbound.service import OutboundService
from smschannel.stores.optouts import OptOutStore


class KeywordResponder:
    def __init__(self, optouts: OptOutStore, outbound: OutboundService) -> None:
        self.optouts = optouts
        self.outbound = outbound

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
            self.outbound.compliance_reply(interaction_id, policy.texts[keyword], f"{keyword.value}:{message_id}")
        except DomainError as error:  # e.g. closed meanwhile: the opt-out stands, the confirmation is skipped
            logger.warning("keyword confirmation not sent", extra={"keyword": keyword.value, "reason": error.message})
        logger.info("opt-out keyword", extra={"accountId": account.id, "keyword": keyword.value})
        return keyword
