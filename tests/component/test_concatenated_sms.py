"""Concatenated SMS delivered in parts: stored until complete, then one message, exactly once."""

from __future__ import annotations

from smschannel.account_cache import AccountCache
from smschannel.archive import WebhookArchive
from smschannel.dynamo import Table
from smschannel.inbound import InboundService
from smschannel.models import Account, InboundMessage
from smschannel.providers.base import WebhookRequest
from smschannel.stores.configuration import ConfigurationStore
from smschannel.stores.inbound_messages import InboundMessageStore
from smschannel.stores.interactions import InteractionStore

PHONE = "+447700900123"


def services(table_name: str, bucket: str) -> tuple[ConfigurationStore, InboundMessageStore, InboundService]:
    table = Table(table_name)
    configuration, interactions = ConfigurationStore(table), InteractionStore(table)
    inbound_messages = InboundMessageStore(table, interactions)
    service = InboundService(inbound_messages, interactions, AccountCache(configuration, 0), WebhookArchive(bucket))
    return configuration, inbound_messages, service


def part(reference: str, number: int, total: int, body: str) -> InboundMessage:
    return InboundMessage(
        provider="vonage",
        provider_message_id=f"part-{reference}-{number}",
        **{"from": PHONE},
        to="+447700900000",
        body=body,
        part=(reference, number, total),
    )


def test_parts_out_of_order_become_one_message_once(aws: dict[str, str]) -> None:
    configuration, inbound_messages, service = services(aws["table"], aws["bucket"])
    account = Account(id="uk", name="UK", provider="vonage", phone_number="+447700900000")
    configuration.put_account(account)

    assert service._store(account, part("ref1", 3, 3, " three")) is None
    assert service._store(account, part("ref1", 1, 3, "one")) is None
    outcome = service._store(account, part("ref1", 2, 3, " two"))
    assert outcome is not None and outcome.opened and not outcome.duplicate
    # The provider retries a part after the message was joined: still one message.
    retried = service._store(account, part("ref1", 2, 3, " two"))
    assert retried is not None and retried.duplicate

    [interaction] = service.interactions.list_interactions("uk")
    [message] = service.interactions.list_messages(interaction.id)
    assert message.body == "one two three"
    assert message.provider_message_id == "ref1:joined"


def test_an_incomplete_message_stores_nothing_in_the_interaction_yet(aws: dict[str, str]) -> None:
    configuration, inbound_messages, _ = services(aws["table"], aws["bucket"])
    account = Account(id="uk", name="UK", provider="vonage", phone_number="+447700900000")
    configuration.put_account(account)
    assert inbound_messages.join_parts("uk", PHONE, part("ref2", 1, 2, "half")) is None
    assert inbound_messages.interactions.list_interactions("uk") == []


def test_a_payload_our_model_refuses_is_archived_naming_the_field(aws: dict[str, str]) -> None:
    import boto3
    import pytest
    from pydantic import ValidationError

    from smschannel.errors import UnparsableWebhook
    from smschannel.inbound import _reason

    with pytest.raises(ValidationError) as caught:
        InboundMessage(provider="x", provider_message_id="", **{"from": PHONE}, to="+1")
    assert _reason(caught.value) == "provider_message_id: String should have at least 1 character"

    _, _, service = services(aws["table"], aws["bucket"])
    error = service._archived("uk", "inbound", _request(), caught.value)
    assert isinstance(error, UnparsableWebhook) and error.message.startswith("provider_message_id: String should")
    assert len(boto3.client("s3").list_objects_v2(Bucket=aws["bucket"])["Contents"]) == 1


def _request() -> WebhookRequest:
    return WebhookRequest("POST", ("https://example.com/webhooks/uk",), {}, {}, b"msisdn=1")
