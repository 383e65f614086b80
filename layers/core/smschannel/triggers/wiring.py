"""The trigger engine as the stream function runs it, built from the settings and the table's stores."""

from __future__ import annotations

from smschannel.account_cache import AccountCache
from smschannel.dynamo import Table
from smschannel.outbound.service import OutboundService
from smschannel.settings import Settings
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.contacts import ContactStore
from smschannel.stores.interactions import InteractionStore
from smschannel.stores.optouts import OptOutStore
from smschannel.stores.triggers import TriggerStore
from smschannel.triggers.bots import BotBackend, LexBackend, WebhookBackend
from smschannel.triggers.callurl import SqsDispatcher
from smschannel.triggers.service import TriggerEngine


def build_engine(settings: Settings, table: Table) -> TriggerEngine:
    configuration = ConfigurationStore(table)
    contacts = ContactStore(table)
    interactions = InteractionStore(table)

    def contact_name(contact_id: str) -> str | None:
        contact = contacts.get_contact(contact_id)
        return contact.name if contact else None

    bots: dict[str, BotBackend] = {"lex": LexBackend(), "webhook": WebhookBackend()}
    return TriggerEngine(
        TriggerStore(table, run_ttl_days=settings.trigger_run_ttl_days),
        account_of=configuration.get_account,
        close=interactions.close_interaction,
        contact_name=contact_name,
        replier=OutboundService(
            table, AccountCache(configuration, settings.account_cache_seconds), settings.max_body_length
        ),
        optouts=OptOutStore(table),
        dispatcher=SqsDispatcher(settings.call_url_queue_url) if settings.call_url_queue_url else None,
        bots=bots,
    )
