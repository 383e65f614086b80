"""Properties of every provider adapter for any message and any bytes: what the provider's side sends for any body
and sender verifies and parses back to the same message, and whatever arrives (any body, content type and
signature header) is parsed or refused with a domain error (a 4xx of the one error shape), never a crash (a 500
the provider would retry forever)."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given
from hypothesis import strategies as st

from smschannel.errors import DomainError
from smschannel.providers import ADAPTERS
from smschannel.providers.base import ProviderAdapter, WebhookRequest
from tests.unit.providers.test_contract import OUR_NUMBER, WEBHOOK_URL, as_request, contract_account

adapters = pytest.mark.parametrize("adapter", list(ADAPTERS.values()), ids=list(ADAPTERS))
# What customers text: any characters but lone surrogates (which no transport can carry) and NUL.
BODIES = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), min_size=1, max_size=400)
REGIONS = ["US", "GB", "IT", "IN", "BR", "DE", "JP", "AU", "ZA", "MX"]


@st.composite
def customers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(REGIONS))
    number = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert number is not None
    number.national_number += draw(st.integers(0, 99))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def bare(body: str) -> str:
    """What survives every transport: providers' forms and JSON keep any text, but a form field's CR LF may reach
    us as LF (HTML form encoding), so line ends are compared as LF."""
    return body.replace("\r\n", "\n").replace("\r", "\n")


@adapters
@given(body=BODIES, customer=customers(), message_id=st.uuids().map(lambda found: found.hex))
def test_any_text_from_any_customer_arrives_as_sent(
    adapter: ProviderAdapter, body: str, customer: str, message_id: str
) -> None:
    account = contract_account(adapter)
    webhook = adapter.simulate_inbound(
        account, url=WEBHOOK_URL, from_=customer, body=body, media=[], message_id=message_id
    )
    request = as_request(webhook, WEBHOOK_URL + webhook.path_suffix)
    adapter.verify(request, account)
    [message] = adapter.parse_inbound(request, account)
    assert (message.from_, message.to) == (customer, OUR_NUMBER)
    assert bare(message.body) == bare(body)


HEADER_NAMES = st.sampled_from(
    [
        "x-twilio-signature",
        "x-plivo-signature-v3",
        "x-plivo-signature-v3-nonce",
        "telnyx-signature-ed25519",
        "telnyx-timestamp",
        "authorization",
        "x-signature",
        "x-timestamp",
        "messagebird-signature-jwt",
        "x-amz-sns-message-type",
    ]
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "text/plain", "application/octet-stream", ""]
)
JSONISH = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=10)),
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@adapters
@given(
    body=st.one_of(st.binary(max_size=300), JSONISH.map(lambda value: __import__("json").dumps(value).encode())),
    content_type=CONTENT_TYPES,
    headers=st.dictionaries(HEADER_NAMES, st.text(max_size=40), max_size=4),
    query=st.dictionaries(st.text(max_size=8), st.text(max_size=12), max_size=3),
)
def test_anything_that_arrives_is_parsed_or_refused_with_a_domain_error(
    adapter: ProviderAdapter, body: bytes, content_type: str, headers: dict[str, str], query: dict[str, str]
) -> None:
    account = contract_account(adapter)
    request = WebhookRequest(
        method="POST",
        urls=(WEBHOOK_URL,),
        headers={"content-type": content_type, **headers},
        query=query,
        body=body,
    )
    for step in (adapter.verify, adapter.parse_inbound, adapter.parse_status):
        try:
            step(request, account)
        except DomainError as refused:
            assert 400 <= refused.status_code < 500 and refused.message
