"""The contract every registered provider adapter keeps, whatever its wire format: what the provider's side
(`simulate_*`) produces verifies and parses back to the same normalized message, a tampered body does not
verify, and what `send` posts is understood by the provider's side (`sandbox_accept`) as the same SMS."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests

from smschannel.errors import InvalidSignature, MissingSignature
from smschannel.models import Account, MessageStatus
from smschannel.providers import ADAPTERS
from smschannel.providers.base import OutboundSms, ProviderAdapter, SimulatedWebhook, WebhookRequest

from .support import SandboxTransport, make_account

WEBHOOK_URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-contract"
CUSTOMER = "+14155551234"
OUR_NUMBER = "+14155550100"
BODY = "Héllo ✓ contract 42"
MEDIA = ["https://media.example/a.jpg", "https://media.example/b.jpg"]


def contract_account(adapter: ProviderAdapter) -> Account:
    account = make_account(adapter.name, adapter.sandbox_credentials(), phone=OUR_NUMBER)
    return account.model_copy(update={"api_base_url": f"https://sandbox.test/api/{adapter.name}/acct-contract"})


def as_request(webhook: SimulatedWebhook, url: str, body: bytes | None = None) -> WebhookRequest:
    return WebhookRequest(
        method=webhook.method,
        urls=(url,),
        headers={key.lower(): value for key, value in webhook.headers.items()},
        query=dict(webhook.query),
        body=webhook.body if body is None else body,
    )


def adapters_where(capability: Callable[[ProviderAdapter], bool]) -> pytest.MarkDecorator:
    """Parametrize over the registered adapters that have `capability` (a test that does not apply to an adapter
    is not collected for it, rather than skipped inside)."""
    chosen = {name: adapter for name, adapter in ADAPTERS.items() if capability(adapter)}
    assert chosen, "no registered adapter has this capability: the test would cover nothing"
    return pytest.mark.parametrize("adapter", list(chosen.values()), ids=list(chosen))


adapters = adapters_where(lambda adapter: True)
signing_the_body = adapters_where(lambda adapter: adapter.signs_body)
with_a_shared_secret = adapters_where(lambda adapter: not adapter.signs_body)
posting_receipts = adapters_where(lambda adapter: not adapter.polls_status)
polled_for_status = adapters_where(lambda adapter: adapter.polls_status)


@adapters
def test_simulated_inbound_verifies_and_parses_to_the_same_message(adapter: ProviderAdapter) -> None:
    account = contract_account(adapter)
    media = MEDIA if adapter.supports_mms else []
    webhook = adapter.simulate_inbound(
        account, url=WEBHOOK_URL, from_=CUSTOMER, body=BODY, media=media, message_id="0123456789abcdef0123456789abcdef"
    )
    request = as_request(webhook, WEBHOOK_URL + webhook.path_suffix)
    adapter.verify(request, account)
    [message] = adapter.parse_inbound(request, account)
    assert message.provider == adapter.name and message.provider_message_id
    assert (message.from_, message.to, message.body) == (CUSTOMER, OUR_NUMBER, BODY)
    assert [item.url for item in message.media] == media


@signing_the_body
def test_tampered_body_does_not_verify(adapter: ProviderAdapter) -> None:
    account = contract_account(adapter)
    webhook = adapter.simulate_inbound(account, url=WEBHOOK_URL, from_=CUSTOMER, body=BODY, media=[], message_id="m1")
    assert b"contract" in webhook.body
    tampered = as_request(webhook, WEBHOOK_URL, webhook.body.replace(b"contract", b"tampered"))
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(tampered, account)
    assert not isinstance(caught.value, MissingSignature)


@with_a_shared_secret
def test_webhook_authenticated_for_other_credentials_does_not_verify(adapter: ProviderAdapter) -> None:
    """A shared secret does not cover the body (a tampered body verifies): a secret not the account's is refused."""
    account = contract_account(adapter)
    webhook = adapter.simulate_inbound(account, url=WEBHOOK_URL, from_=CUSTOMER, body=BODY, media=[], message_id="m1")
    other = account.model_copy(
        update={"credentials": {key: value + "-other" for key, value in account.credentials.items()}}
    )
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(as_request(webhook, WEBHOOK_URL), other)
    assert not isinstance(caught.value, MissingSignature)


@adapters
def test_unsigned_request_is_missing_signature(adapter: ProviderAdapter) -> None:
    account = contract_account(adapter)
    webhook = adapter.simulate_inbound(account, url=WEBHOOK_URL, from_=CUSTOMER, body=BODY, media=[], message_id="m1")
    unsigned = WebhookRequest(
        method=webhook.method,
        urls=(WEBHOOK_URL,),
        headers={"content-type": webhook.headers.get("Content-Type", "")},
        query={},
        body=b"{}" if "json" in webhook.headers.get("Content-Type", "") else b"",
    )
    with pytest.raises(MissingSignature):
        adapter.verify(unsigned, account)


@posting_receipts
def test_simulated_delivered_status_verifies_and_maps(adapter: ProviderAdapter) -> None:
    account = contract_account(adapter)
    url = WEBHOOK_URL + "/status"
    webhook = adapter.simulate_status(account, url=url, provider_message_id="provider-id-1", status="delivered")
    assert webhook is not None, f"{adapter.name} posts receipts (polls_status is False) but simulates none"
    request = as_request(webhook, url)
    adapter.verify(request, account)
    [update] = adapter.parse_status(request, account)
    assert (update.provider_message_id, update.status) == ("provider-id-1", MessageStatus.DELIVERED)


@polled_for_status
def test_a_polled_provider_posts_no_status_callback(adapter: ProviderAdapter) -> None:
    """Where the outbound poller asks `fetch_status`, the provider's side posts no receipt to simulate."""
    account = contract_account(adapter)
    url = WEBHOOK_URL + "/status"
    assert adapter.simulate_status(account, url=url, provider_message_id="provider-id-1", status="delivered") is None


@adapters
def test_what_send_posts_round_trips_through_the_sandbox(adapter: ProviderAdapter) -> None:
    account = contract_account(adapter)
    sms = OutboundSms(
        to=CUSTOMER,
        from_=OUR_NUMBER,
        body=BODY,
        media=MEDIA if adapter.supports_mms else [],
        client_reference="msg-contract-1",
        status_callback_url=WEBHOOK_URL + "/status",
    )
    session = requests.Session()
    transport = SandboxTransport(adapter.sandbox_accept)
    session.mount("https://", transport)
    result = adapter.send(account, sms, session)
    assert result.provider_message_id
    [understood] = transport.understood
    assert (understood.to, understood.from_, understood.body, understood.media) == (
        sms.to,
        sms.from_,
        sms.body,
        sms.media,
    )
    if adapter.status_url_per_message:
        assert understood.status_callback_url == sms.status_callback_url


@adapters
def test_inbound_and_status_answers_are_2xx(adapter: ProviderAdapter) -> None:
    assert 200 <= adapter.inbound_answer().status_code < 300
    assert 200 <= adapter.status_answer().status_code < 300


@adapters
def test_sandbox_credentials_cover_the_required_ones(adapter: ProviderAdapter) -> None:
    assert set(adapter.required_credentials) <= set(adapter.sandbox_credentials())
