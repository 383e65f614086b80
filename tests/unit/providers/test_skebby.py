"""Skebby adapter: forwarded SMS authenticated by the account's webhookSecret (basic auth or `?secret=`), with ids
derived from their fields, no receipt webhook, order statuses mapped, and `POST /sms` with the user_key /
Access_token headers and the account's message type."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
import requests

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import Account, AccountOptions, MessageStatus
from smschannel.providers import skebby
from smschannel.providers.base import OutboundSms, SendError, WebhookRequest
from smschannel.providers.skebby import SkebbyAdapter

from .support import Canned, as_webhook_request, canned_session, fixture, fixture_json, make_account, webhook_request

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-skebby"
SECRET = "skebby-webhook-secret-0123456789"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
adapter = SkebbyAdapter()
account = make_account(
    "skebby", {"userKey": "1234567", "accessToken": "AbCdEf0123456789", "webhookSecret": SECRET}, phone="+393409876543"
)
SMS = OutboundSms(
    to="+393471234567", from_="+393409876543", body="Il suo ordine è in consegna", client_reference="msg-1042"
)


def forwarded(name: str = "forwarded_sms.form", query: dict[str, str] | None = None) -> WebhookRequest:
    return webhook_request("POST", URL, fixture("skebby", name), FORM, query)


def with_type(kind: str) -> Account:
    # model_construct: the send must refuse a type the options model would have refused on PUT too.
    return account.model_copy(update={"options": AccountOptions.model_construct(message_type=kind)})


def test_secret_query_parameter_and_basic_auth_authenticate() -> None:
    adapter.verify(forwarded(query={"secret": SECRET}), account)
    token = base64.b64encode(f"skebby:{SECRET}".encode()).decode()
    request = webhook_request(
        "POST", URL, fixture("skebby", "forwarded_sms.form"), {**FORM, "Authorization": f"Basic {token}"}
    )
    adapter.verify(request, account)


def test_missing_secret_is_401_and_a_wrong_one_403() -> None:
    with pytest.raises(MissingSignature):
        adapter.verify(forwarded(), account)
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(forwarded(query={"secret": SECRET + "x"}), account)
    assert not isinstance(caught.value, MissingSignature)


def test_forwarded_sms() -> None:
    [message] = adapter.parse_inbound(forwarded(), account)
    assert (message.from_, message.to, message.body) == (
        "+393471234567",
        "+393409876543",
        "Buongiorno, a che ora apre il negozio?",
    )
    assert message.provider_message_id.startswith("skebby-") and len(message.provider_message_id) == 39


def test_the_same_sms_forwarded_twice_has_the_same_id_and_another_sms_another() -> None:
    [first] = adapter.parse_inbound(forwarded(), account)
    [again] = adapter.parse_inbound(forwarded(), account)
    [other] = adapter.parse_inbound(forwarded("forwarded_sms_latin1.form"), account)
    assert first.provider_message_id == again.provider_message_id != other.provider_message_id


def test_an_iso_8859_1_forward_is_read() -> None:
    [message] = adapter.parse_inbound(forwarded("forwarded_sms_latin1.form"), account)
    assert message.body == "Perchè è chiuso?"


def test_a_get_forward_is_read_from_the_query() -> None:
    query = {"sender": "393471234567", "receiver": "393409876543", "text": "ciao", "timestamp": "1734941702"}
    [message] = adapter.parse_inbound(webhook_request("GET", URL, b"", {}, query), account)
    assert (message.from_, message.body) == ("+393471234567", "ciao")


@pytest.mark.parametrize("body", [b"sender=393471234567&text=x", b"receiver=393409876543", b""])
def test_unparsable_forwards(body: bytes) -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_inbound(webhook_request("POST", URL, body, FORM), account)


def test_a_status_webhook_is_refused_as_undocumented() -> None:
    with pytest.raises(UnparsableWebhook, match="no delivery-receipt callback"):
        adapter.parse_status(webhook_request("POST", URL + "/status", b"order_id=1&status=DLVRD", FORM), account)
    assert adapter.simulate_status(account, url=URL, provider_message_id="p1", status="delivered") is None


@pytest.mark.parametrize(
    ("status", "expected", "error_code"),
    [
        ("WAITING", MessageStatus.QUEUED, None),
        ("SCHEDULED", MessageStatus.QUEUED, None),
        ("SENT", MessageStatus.SENT, None),
        ("WAIT4DLVR", MessageStatus.SENT, None),
        ("DLVRD", MessageStatus.DELIVERED, None),
        ("TIMEOUT", MessageStatus.UNDELIVERED, "TIMEOUT"),
        ("KO", MessageStatus.UNDELIVERED, "KO"),
        ("INVALIDDST", MessageStatus.FAILED, "INVALIDDST"),
        ("BLACKLISTED", MessageStatus.FAILED, "BLACKLISTED"),
        ("toom4num", MessageStatus.FAILED, "TOOM4NUM"),
    ],
)
def test_order_status_mapping(status: str, expected: MessageStatus, error_code: str | None) -> None:
    update = skebby.status_from_order("msg-1042", status)
    assert (update.provider_message_id, update.status, update.error_code) == ("msg-1042", expected, error_code)


def test_an_unknown_order_status_is_unparsable() -> None:
    with pytest.raises(UnparsableWebhook):
        skebby.status_from_order("msg-1042", "TELEPORTED")


def test_send_posts_a_classic_plus_sms_with_the_token_headers() -> None:
    session, transport = canned_session(Canned(201, fixture_json("skebby", "send_ok.json")))
    result = adapter.send(account, SMS, session)
    assert (result.provider_message_id, result.status) == ("msg-1042", "queued")
    [sent] = transport.sent
    assert sent.url == "https://api.skebby.it/API/v1.0/REST/sms"
    assert (sent.headers["user_key"], sent.headers["Access_token"]) == ("1234567", "AbCdEf0123456789")
    assert json.loads(sent.body or b"") == {
        "message_type": "GP",
        "message": "Il suo ordine è in consegna",
        "recipient": ["+393471234567"],
        "returnCredits": False,
        "encoding": "gsm",
        "sender": "+393409876543",
        "order_id": "msg-1042",
    }


def test_basic_sms_carry_no_sender_and_unicode_goes_as_ucs2() -> None:
    session, transport = canned_session(Canned(201, fixture_json("skebby", "send_ok.json")))
    sms = OutboundSms(to="+393471234567", from_="+393409876543", body="Grazie 👍", client_reference="msg:1042/ünï")
    adapter.send(with_type("si"), sms, session)
    sent = json.loads(transport.sent[0].body or b"")
    assert (sent["message_type"], sent["encoding"], sent["order_id"]) == ("SI", "ucs2", "msg1042n")
    assert "sender" not in sent


def test_an_unknown_message_type_is_a_permanent_error_before_any_call() -> None:
    session, transport = canned_session()
    with pytest.raises(SendError) as caught:
        adapter.send(with_type("XX"), SMS, session)
    assert (caught.value.retryable, caught.value.code, transport.sent) == (False, "config", [])


def test_send_errors() -> None:
    session, _ = canned_session(
        Canned(200, fixture_json("skebby", "send_none_sent.json")),
        Canned(200, {"result": "KO"}),
        Canned(400, "Invalid recipient"),
        Canned(401, ""),
        Canned(404, ""),
        Canned(429, "", {"Retry-After": "5"}),
        Canned(500, "upstream"),
        Canned(error=requests.ConnectionError("reset")),
        Canned(201, {"result": "OK", "total_sent": 1}),
    )
    expected = [
        (False, "NOT_SENT", None),
        (False, "KO", None),
        (False, "BAD_REQUEST", None),
        (False, "UNAUTHORIZED", None),
        (False, "NOT_FOUND", None),
        (True, "429", 5.0),
        (True, "500", None),
        (True, "connection", None),
        (True, None, None),
    ]
    for retryable, code, retry_after in expected:
        with pytest.raises(SendError) as caught:
            adapter.send(account, SMS, session)
        assert (caught.value.retryable, caught.value.code, caught.value.retry_after) == (retryable, code, retry_after)


def test_sandbox_understands_send() -> None:
    session, transport = canned_session(Canned(201, fixture_json("skebby", "send_ok.json")))
    adapter.send(account, SMS, session)
    status, answer, seen = adapter.sandbox_accept(as_webhook_request(transport.sent[0]), "m-1")
    assert status == 201 and answer == {
        "result": "OK",
        "order_id": "msg-1042",
        "total_sent": 1,
        "internal_order_id": "m-1",
    }
    assert (seen.to, seen.from_, seen.body, seen.client_reference) == (SMS.to, SMS.from_, SMS.body, "msg-1042")


def test_simulated_forward_authenticates_and_round_trips() -> None:
    webhook = adapter.simulate_inbound(
        account, url=URL, from_="+393471234567", body="Sì, grazie", media=[], message_id="m1"
    )
    request = webhook_request("POST", URL, webhook.body, webhook.headers, webhook.query)
    adapter.verify(request, account)
    [message] = adapter.parse_inbound(request, account)
    assert (message.from_, message.to, message.body) == ("+393471234567", "+393409876543", "Sì, grazie")
    assert urlencode({"secret": SECRET}) in urlencode(webhook.query)
