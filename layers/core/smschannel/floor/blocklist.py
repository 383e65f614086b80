"""The block list: numbers an account will not hear from (not the same as opt-out, which is the customer's choice).

A blocked number's messages are still stored (nothing is lost: the webhook is answered and stored as always), but
the domain consumer screens them before triggers and routing: the interaction they open or join is closed at once
with disposition `blocked`, so no trigger fires, no agent is assigned or notified and nothing is sent back.
Blocking a number closes its open interaction the same way. Opt-out state is left as it is; replies to a blocked
number are never sent, since its interactions are closed (docs/floor.md "Block list").
"""

from __future__ import annotations

from smschannel.errors import DomainError
from smschannel.models import InteractionStatus
from smschannel.observability import logger
from smschannel.phone import mask_phone
from smschannel.stores.blocklist import BlockListStore
from smschannel.stores.interactions import InteractionStore
from smschannel.stream import StreamChange

BLOCKED_DISPOSITION = "blocked"


class BlockListScreen:
    def __init__(self, blocklist: BlockListStore, interactions: InteractionStore) -> None:
        self.blocklist = blocklist
        self.interactions = interactions

    def screen(self, change: StreamChange) -> bool:
        """True when the change is a blocked number's new interaction or message: closed here, and triggers and
        routing must not see it."""
        new = change.new
        if change.event_name != "INSERT" or new is None:
            return False
        if new.get("entity") == "interaction" and new.get("status") == InteractionStatus.OPEN:
            account_id, phone, interaction_id = new.get("accountId"), new.get("phone"), new.get("id")
        elif new.get("entity") == "message" and new.get("direction") == "in":
            account_id, phone, interaction_id = new.get("accountId"), new.get("from"), new.get("interactionId")
        else:
            return False
        if not (account_id and phone and interaction_id):
            return False
        if not self.blocklist.is_blocked(str(account_id), str(phone)):
            return False
        self.close_blocked(str(interaction_id))
        logger.info("blocked number screened", extra={"accountId": account_id, "phone": mask_phone(str(phone))})
        return True

    def close_blocked(self, interaction_id: str) -> None:
        interaction = self.interactions.get_interaction(interaction_id)
        if interaction is None or interaction.status != InteractionStatus.OPEN:
            return
        try:
            self.interactions.close_interaction(interaction_id, BLOCKED_DISPOSITION)
        except DomainError:
            # Closed meanwhile (an agent, another record of the same burst): what was wanted.
            logger.info("blocked interaction closed meanwhile", extra={"interactionId": interaction_id})
