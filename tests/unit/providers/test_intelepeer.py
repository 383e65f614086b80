"""IntelePeer adapter: inbound posts authenticated by their `signature` shared code (or the webhookSecret as basic
auth / `?secret=`), no receipt webhook, `/_rest/v4/app/sms/send` with a bearer token from the authenticate API
(cached, renewed once on 401), and status from the message detail record."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
import requests

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import MessageStatus
from smschannel.providers import intelepeer
from smschannel.providers.base import OutboundSms, SendError, WebhookRequest
from smschannel.providers.intelepeer import IntelePeerAdapter

from .support import Canned, as_webhook_request, canned_session, fixture, fixture_json, make_account, webhook_request

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-intelepeer"
SECRET = "intelepeer-shared-code-0123456789"
JSON = {"Content-Type": "application/json"}
adapter = IntelePeerAdapter()
account = make_account(
    "intelepeer", {"username": "api-user", "password": "api-pass", "webhookSecret": SECRET}, phone="+12191112222"
)
with_token = account.model_copy(update={"credentials": {**account.credentials, "apiToken": "portal-token-1"}})
SMS = OutboundSms(
    to="+13038675309", from_="+12191112222", body="Your appointment is confirmed ✓", client_reference="msg-1042"
)


@pytest.fixture(autouse=True)
def no_cached_tokens() -> Iterator[None]:
    intelepeer._tokens.clear()
    yield
    intelepeer._tokens.clear()


def inbound(name: str = "inbound_sms.json", **changes: str) -> WebhookRequest:
    document = {**fixture_json("intelepeer", name), **changes}
    return webhook_request("POST", URL, json.dumps(document).encode(), JSON)


def test_the_signature_field_authenticates() -> None:
    adapter.verify(inbound(), account)


def test_a_wrong_signature_field_is_403() -> None:
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(inbound(signature=SECRET[:-1]), account)
    assert not isinstance(caught.value, MissingSignature)


def test_without_a_signature_field_the_url_secret_or_basic_auth_authenticates() -> None:
    document = fixture_json("intelepeer", "inbound_sms.json")
    del document["signature"]
    body = json.dumps(document).encode()
    adapter.verify(webhook_request("POST", URL, body, JSON, {"secret": SECRET}), account)
    token = base64.b64encode(f"intelepeer:{SECRET}".encode()).decode()
    adapter.verify(webhook_request("POST", URL, body, {**JSON, "Authorization": f"Basic {token}"}), account)
    with pytest.raises(MissingSignature):
        adapter.verify(webhook_request("POST", URL, body, JSON), account)


def test_inbound_sms() -> None:
    [message] = adapter.parse_inbound(inbound(), account)
    assert (message.provider_message_id, message.from_, message.to, message.body) == (
        "SM5AC09A610001006568100005C32E9D",
        "+13038675309",
        "+12191112222",
        "Hello, is my appointment still at 3pm?",
    )
    assert message.media == [] and message.part is None


def test_short_code_sender_and_unicode_are_kept() -> None:
    request = webhook_request("POST", URL, fixture("intelepeer", "inbound_shortcode_unicode.json"), JSON)
    [message] = adapter.parse_inbound(request, account)
    assert (message.from_, message.body) == ("1-12345", "Grüße 👋 — rappel demain?")


@pytest.mark.parametrize("body", [b"[1]", b"{not json", b'{"from": "+1303", "to": "+1219"}', b""])
def test_unparsable_inbound(body: bytes) -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_inbound(webhook_request("POST", URL, body, JSON), account)


def test_a_status_webhook_is_refused_as_undocumented() -> None:
    with pytest.raises(UnparsableWebhook, match="no delivery receipts"):
        adapter.parse_status(webhook_request("POST", URL + "/status", b"{}", JSON), account)
    assert adapter.simulate_status(account, url=URL, provider_message_id="p1", status="delivered") is None


def test_send_with_a_portal_token_posts_once() -> None:
    session, transport = canned_session(Canned(202, fixture_json("intelepeer", "send_ok.json")))
    result = adapter.send(with_token, SMS, session)
    assert (result.provider_message_id, result.status) == ("SM5AC09A610001006568100005C32E9F", "queued")
    [sent] = transport.sent
    assert sent.url == "https://api.intelepeer.com/_rest/v4/app/sms/send"
    assert sent.headers["Authorization"] == "Bearer portal-token-1"
    assert json.loads(sent.body or b"") == {
        "from": "+12191112222",
        "to": "+13038675309",
        "text": "Your appointment is confirmed ✓",
        "guid": "msg-1042",
    }


def test_send_authenticates_once_and_reuses_the_token() -> None:
    session, transport = canned_session(
        Canned(200, fixture_json("intelepeer", "authenticate_ok.json")),
        Canned(202, fixture_json("intelepeer", "send_ok.json")),
        Canned(202, fixture_json("intelepeer", "send_ok.json")),
    )
    adapter.send(account, SMS, session)
    adapter.send(account, SMS, session)
    auth, first, second = transport.sent
    assert auth.url == intelepeer.AUTH_URL
    assert json.loads(auth.body or b"") == {"username": "api-user", "password": "api-pass"}
    assert (
        first.headers["Authorization"] == second.headers["Authorization"] == "Bearer fFkqE7xv0s9kZ2Qm4hY1Jc8tLw3RbN6p"
    )


def test_an_expired_token_is_renewed_once() -> None:
    session, transport = canned_session(
        Canned(401, fixture_json("intelepeer", "token_expired.json")),
        Canned(200, fixture_json("intelepeer", "authenticate_ok.json")),
        Canned(202, fixture_json("intelepeer", "send_ok.json")),
    )
    assert adapter.send(with_token, SMS, session).provider_message_id == "SM5AC09A610001006568100005C32E9F"
    assert [request.url for request in transport.sent] == [
        "https://api.intelepeer.com/_rest/v4/app/sms/send",
        intelepeer.AUTH_URL,
        "https://api.intelepeer.com/_rest/v4/app/sms/send",
    ]


def test_wrong_credentials_are_a_permanent_error() -> None:
    session, transport = canned_session(
        Canned(401, {"detail": "unauthorized"}),
        Canned(401, {"code": 401, "error": "Unauthorized"}),
    )
    with pytest.raises(SendError) as caught:
        adapter.send(with_token, SMS, session)
    assert (caught.value.retryable, caught.value.code) == (False, "unauthorized")
    assert len(transport.sent) == 2


def test_send_errors() -> None:
    session, _ = canned_session(
        Canned(400, {"code": 400, "error": "The telephone number is not in the proper E.164 format"}),
        Canned(429, {"error": "too many requests"}, {"Retry-After": "2"}),
        Canned(503, "unavailable"),
        Canned(error=requests.Timeout("slow")),
        Canned(202, {"from": "+12191112222"}),
    )
    expected = [
        (False, "400", None),
        (True, "429", 2.0),
        (True, "503", None),
        (True, "timeout", None),
        (True, None, None),
    ]
    for retryable, code, retry_after in expected:
        with pytest.raises(SendError) as caught:
            adapter.send(with_token, SMS, session)
        assert (caught.value.retryable, caught.value.code, caught.value.retry_after) == (retryable, code, retry_after)


@pytest.mark.parametrize(
    ("name", "rcc", "expected", "error_code"),
    [
        ("Queued", 0, MessageStatus.QUEUED, None),
        ("Processing", 2031, MessageStatus.QUEUED, None),
        ("Sent", 10000, MessageStatus.SENT, None),
        ("DLR:Accepted", 10000, MessageStatus.SENT, None),
        ("DLR:Delivered", 210000, MessageStatus.DELIVERED, None),
        ("DLR:Expired", 6001, MessageStatus.UNDELIVERED, "6001"),
        ("DLR:Undeliverable", 6002, MessageStatus.UNDELIVERED, "6002"),
        ("DLR:Rejected", 6003, MessageStatus.UNDELIVERED, "6003"),
        ("Failed", 6009, MessageStatus.FAILED, "6009"),
        ("DELIVERED", 0, MessageStatus.DELIVERED, None),  # the older upper-case values
    ],
)
def test_message_detail_record_mapping(name: str, rcc: int, expected: MessageStatus, error_code: str | None) -> None:
    update = intelepeer.status_from_mdr("SM1", {"code": 200, "RCC_en": name, "RCC": rcc})
    assert (update.status, update.provider_status, update.error_code) == (expected, name, error_code)


def test_fetch_status_posts_the_refid() -> None:
    session, transport = canned_session(Canned(200, fixture_json("intelepeer", "mdr_failed.json")))
    update = adapter.fetch_status(with_token, "SM5AC09A610001006568100005C32E9F", session)
    assert (update.status, update.error_code) == (MessageStatus.FAILED, "6009")
    [sent] = transport.sent
    assert sent.url == "https://api.intelepeer.com/_rest/v4/app/sms/mdr"
    assert json.loads(sent.body or b"") == {"refid": "SM5AC09A610001006568100005C32E9F"}


@pytest.mark.parametrize("record", [[], {"RCC_en": "Teleported"}, {"RCC": 0}])
def test_unreadable_message_detail_records(record: object) -> None:
    with pytest.raises(UnparsableWebhook):
        intelepeer.status_from_mdr("SM1", record)


def test_sandbox_understands_send() -> None:
    session, transport = canned_session(Canned(202, fixture_json("intelepeer", "send_ok.json")))
    adapter.send(with_token, SMS, session)
    status, answer, seen = adapter.sandbox_accept(as_webhook_request(transport.sent[0]), "0123456789abcdef")
    assert status == 202 and answer["refid"] == "0123456789ABCDEF"
    assert (seen.to, seen.from_, seen.body, seen.client_reference) == (SMS.to, SMS.from_, SMS.body, "msg-1042")


def test_simulated_inbound_carries_the_shared_code() -> None:
    webhook = adapter.simulate_inbound(account, url=URL, from_="+13038675309", body="Hi", media=[], message_id="m1")
    request = webhook_request("POST", URL, webhook.body, webhook.headers)
    adapter.verify(request, account)
    assert json.loads(webhook.body)["signature"] == SECRET
    [message] = adapter.parse_inbound(request, account)
    assert (message.provider_message_id, message.body) == ("M1", "Hi")
