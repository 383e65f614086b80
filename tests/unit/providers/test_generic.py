"""Generic JSON + HMAC-SHA256 adapter: the contract in docs/providers.md, signed independently here with the
standard library (HMAC-SHA256 of "{timestamp}.{raw body}")."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import MessageStatus
from smschannel.providers import generic
from smschannel.providers.base import OutboundSms, SendError
from smschannel.providers.generic import GenericAdapter

from .support import Canned, as_webhook_request, canned_session, fixture, fixture_json, make_account, webhook_request

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-generic"
SECRET = "generic-shared-secret-0123456789"
NOW = 1_735_000_000
adapter = GenericAdapter()
account = make_account("generic", {"secret": SECRET}).model_copy(update={"api_base_url": "https://gateway.example/v1/"})


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(generic, "_now", lambda: float(NOW))


def signed(body: bytes, *, timestamp: int = NOW, secret: str = SECRET) -> Any:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {"Content-Type": "application/json", "X-Timestamp": str(timestamp), "X-Signature": f"sha256={digest}"}
    return webhook_request("POST", URL, body, headers)


def test_sms_inbound() -> None:
    request = signed(fixture("generic", "inbound_sms.json"))
    adapter.verify(request, account)
    [message] = adapter.parse_inbound(request, account)
    assert (message.from_, message.to, message.body, message.provider_message_id) == (
        "+14155551234",
        "+14155550100",
        "Hello, is anyone there?",
        "gw-msg-1001",
    )


def test_mms_unicode_inbound_keeps_content_types() -> None:
    request = signed(fixture("generic", "inbound_mms_unicode.json"))
    adapter.verify(request, account)
    [message] = adapter.parse_inbound(request, account)
    assert message.body == "Rechnung anbei 🧾 — danke!"
    assert [media.content_type for media in message.media] == ["application/pdf", "image/jpeg"]


def test_part_of_a_concatenated_sms() -> None:
    [message] = adapter.parse_inbound(signed(fixture("generic", "inbound_part.json")), account)
    assert message.part == ("ref-77", 2, 3)


def test_missing_headers_are_401() -> None:
    body = fixture("generic", "inbound_sms.json")
    with pytest.raises(MissingSignature):
        adapter.verify(webhook_request("POST", URL, body, {"X-Timestamp": str(NOW)}), account)
    with pytest.raises(MissingSignature):
        adapter.verify(webhook_request("POST", URL, body, {"X-Signature": "sha256=00"}), account)


def test_tampered_body_or_wrong_secret_is_403() -> None:
    good = signed(fixture("generic", "inbound_sms.json"))
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(webhook_request("POST", URL, good.body + b" ", good.headers), account)
    assert not isinstance(caught.value, MissingSignature)
    with pytest.raises(InvalidSignature):
        adapter.verify(signed(fixture("generic", "inbound_sms.json"), secret="other"), account)


def test_replayed_timestamp_is_403() -> None:
    with pytest.raises(InvalidSignature, match="window"):
        adapter.verify(signed(fixture("generic", "inbound_sms.json"), timestamp=NOW - 301), account)


def test_status_callbacks() -> None:
    [delivered] = adapter.parse_status(signed(fixture("generic", "status_delivered.json")), account)
    assert (delivered.status, delivered.error_code) == (MessageStatus.DELIVERED, None)
    [failed] = adapter.parse_status(signed(fixture("generic", "status_failed.json")), account)
    assert (failed.status, failed.provider_status, failed.error_code) == (
        MessageStatus.FAILED,
        "failed",
        "invalid_destination",
    )


@pytest.mark.parametrize("raw", ["queued", "sent", "delivered", "undelivered", "failed", "read"])
def test_every_status_of_ours_is_accepted(raw: str) -> None:
    request = signed(json.dumps({"id": "x", "status": raw}).encode())
    assert adapter.parse_status(request, account)[0].status.value == raw


def test_unknown_status_and_bad_shapes_are_unparsable() -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_status(signed(b'{"id": "x", "status": "received"}'), account)
    with pytest.raises(UnparsableWebhook):
        adapter.parse_inbound(signed(b"[]"), account)
    with pytest.raises(UnparsableWebhook):
        adapter.parse_inbound(signed(b'{"id": "1", "from": "+1", "to": "+2", "media": [{"no": "url"}]}'), account)


def test_send_signs_the_body_it_posts() -> None:
    session, transport = canned_session(Canned(202, fixture_json("generic", "send_ok.json")))
    sms = OutboundSms(
        to="+14155551234",
        from_="+14155550100",
        body="Bonjour 👋",
        media=["https://x.test/a.png"],
        client_reference="msg-9",
        status_callback_url=URL + "/status",
    )
    result = adapter.send(account, sms, session)
    assert result.provider_message_id == "gw-out-2001"
    [sent] = transport.sent
    assert sent.url == "https://gateway.example/v1/messages"
    body = sent.body if isinstance(sent.body, bytes) else str(sent.body).encode()
    timestamp = sent.headers["X-Timestamp"]
    expected = hmac.new(SECRET.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert sent.headers["X-Signature"] == f"sha256={expected}"
    assert json.loads(body) == {
        "from": "+14155550100",
        "to": "+14155551234",
        "text": "Bonjour 👋",
        "media": [{"url": "https://x.test/a.png"}],
        "clientReference": "msg-9",
        "statusCallbackUrl": URL + "/status",
    }


def test_send_errors_are_classified() -> None:
    session, _ = canned_session(
        Canned(400, fixture_json("generic", "send_error.json")),
        Canned(503, {"errorCode": "busy"}, {"Retry-After": "7"}),
        Canned(500, {"errorCode": "bad_config", "retryable": False}),
    )
    sms = OutboundSms(to="+1", from_="+1", body="x")
    outcomes = []
    for _ in range(3):
        with pytest.raises(SendError) as caught:
            adapter.send(account, sms, session)
        outcomes.append((caught.value.retryable, caught.value.code, caught.value.retry_after))
    assert outcomes == [(False, "invalid_destination", None), (True, "busy", 7.0), (False, "bad_config", None)]


def test_send_without_api_base_url_is_permanent() -> None:
    session, _ = canned_session()
    with pytest.raises(SendError) as caught:
        adapter.send(make_account("generic", {"secret": SECRET}), OutboundSms(to="+1", from_="+1", body="x"), session)
    assert not caught.value.retryable


def test_sandbox_accepts_what_send_posted() -> None:
    session, transport = canned_session(Canned(202, fixture_json("generic", "send_ok.json")))
    sms = OutboundSms(to="+14155551234", from_="+14155550100", body="Hi", media=["https://x.test/a.png"])
    adapter.send(account, sms, session)
    status, payload, seen = adapter.sandbox_accept(as_webhook_request(transport.sent[0]), "sandbox-id")
    assert (status, payload) == (202, {"id": "sandbox-id", "status": "queued"})
    assert (seen.to, seen.from_, seen.body, seen.media) == (sms.to, sms.from_, sms.body, sms.media)


def test_simulated_status_verifies_and_parses() -> None:
    webhook = adapter.simulate_status(account, url=URL + "/status", provider_message_id="gw-1", status="undelivered")
    assert webhook is not None
    request = webhook_request("POST", URL + "/status", webhook.body, webhook.headers)
    adapter.verify(request, account)
    [update] = adapter.parse_status(request, account)
    assert (update.status, update.error_code) == (MessageStatus.UNDELIVERED, "unreachable")
