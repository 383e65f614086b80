"""Sinch SMS REST API adapter: signed callbacks (checked with Sinch's own SDK, `SmsSinchEvent`), MO text/media,
delivery reports, and `POST /xms/v1/{servicePlanId}/batches`."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from sinch.domains.sms.sinch_events.v1.sms_sinch_event import SmsSinchEvent

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import MessageStatus
from smschannel.providers import sinch
from smschannel.providers.base import OutboundSms, SendError
from smschannel.providers.sinch import SinchAdapter

from .support import Canned, as_webhook_request, canned_session, fixture, fixture_json, make_account, webhook_request

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-sinch"
SECRET = "sinch-callback-secret-0123456789"
NOW = 1_709_287_200
adapter = SinchAdapter()
account = make_account(
    "sinch", {"servicePlanId": "plan123", "apiToken": "token-abc", "webhookSecret": SECRET}, phone="+12025550100"
)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sinch, "_now", lambda: float(NOW))


def signed(body: bytes, *, timestamp: int = NOW, algorithm: str = "HmacSHA256") -> Any:
    nonce = "01FJA8B4A7BM43YGWSG9GBV067"
    digest = hashlib.sha256 if algorithm == "HmacSHA256" else hashlib.sha512
    mac = hmac.new(SECRET.encode(), body + f".{nonce}.{timestamp}".encode(), digest).digest()
    headers = {
        "Content-Type": "application/json",
        "x-sinch-webhook-signature": base64.b64encode(mac).decode(),
        "x-sinch-webhook-signature-nonce": nonce,
        "x-sinch-webhook-signature-timestamp": str(timestamp),
        "x-sinch-webhook-signature-algorithm": algorithm,
    }
    request = webhook_request("POST", URL, body, headers)
    if algorithm == "HmacSHA256":  # the fixture's signature is the one Sinch's own SDK accepts
        assert SmsSinchEvent(SECRET).validate_authentication_header(headers, body)
    return request


def test_mo_text_is_verified_and_parsed() -> None:
    request = signed(fixture("sinch", "mo_text.json"))
    adapter.verify(request, account)
    [message] = adapter.parse_inbound(request, account)
    assert (message.from_, message.to, message.body) == (
        "+12025550134",
        "+12025550100",
        "Hi, my parcel never arrived 📦",
    )
    assert message.provider_message_id == "01FC66621VHDBN119Z8PMV1AHY"


def test_mo_media_keeps_mime_type() -> None:
    [message] = adapter.parse_inbound(signed(fixture("sinch", "mo_media.json")), account)
    assert message.body == "Here it is"
    assert [(media.url.rsplit("/", 1)[-1], media.content_type) for media in message.media] == [("0.jpg", "image/jpeg")]


def test_mo_binary_and_reports_store_no_inbound() -> None:
    assert adapter.parse_inbound(signed(fixture("sinch", "mo_binary.json")), account) == []
    assert adapter.parse_inbound(signed(fixture("sinch", "recipient_delivery_report_delivered.json")), account) == []


def test_hmac_sha512_is_accepted() -> None:
    adapter.verify(signed(fixture("sinch", "mo_text.json"), algorithm="HmacSHA512"), account)


def test_missing_signature_is_401() -> None:
    with pytest.raises(MissingSignature):
        adapter.verify(webhook_request("POST", URL, fixture("sinch", "mo_text.json")), account)


def test_tampered_body_is_403() -> None:
    good = signed(fixture("sinch", "mo_text.json"))
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(webhook_request("POST", URL, good.body.replace(b"parcel", b"wallet"), good.headers), account)
    assert not isinstance(caught.value, MissingSignature)


def test_replayed_callback_is_403() -> None:
    with pytest.raises(InvalidSignature, match="window"):
        adapter.verify(signed(fixture("sinch", "mo_text.json"), timestamp=NOW - 400), account)


def test_delivery_reports() -> None:
    [delivered] = adapter.parse_status(signed(fixture("sinch", "recipient_delivery_report_delivered.json")), account)
    assert (delivered.provider_message_id, delivered.status, delivered.error_code) == (
        "01FC66621XXXXX119Z8PMV1QPQ",
        MessageStatus.DELIVERED,
        None,
    )
    [failed] = adapter.parse_status(signed(fixture("sinch", "recipient_delivery_report_failed.json")), account)
    assert (failed.status, failed.provider_status, failed.error_code) == (MessageStatus.UNDELIVERED, "failed", "404")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("Queued", MessageStatus.QUEUED),
        ("Dispatched", MessageStatus.SENT),
        ("Delivered", MessageStatus.DELIVERED),
        ("Expired", MessageStatus.UNDELIVERED),
        ("Rejected", MessageStatus.FAILED),
        ("Aborted", MessageStatus.FAILED),
        ("Unknown", MessageStatus.SENT),
    ],
)
def test_status_mapping(raw: str, status: MessageStatus) -> None:
    document = {**fixture_json("sinch", "recipient_delivery_report_delivered.json"), "status": raw}
    assert (
        adapter.parse_status(webhook_request("POST", URL, json.dumps(document).encode()), account)[0].status == status
    )


def test_batch_summary_report_and_unknown_shapes() -> None:
    summary = {
        "type": "delivery_report_sms",
        "batch_id": "B1",
        "statuses": [{"code": 0, "count": 1, "recipients": ["+12025550134"], "status": "Delivered"}],
        "total_message_count": 1,
    }
    [update] = adapter.parse_status(webhook_request("POST", URL, json.dumps(summary).encode()), account)
    assert (update.provider_message_id, update.status) == ("B1", MessageStatus.DELIVERED)
    with pytest.raises(UnparsableWebhook):
        adapter.parse_status(webhook_request("POST", URL, b'{"type": "mo_text"}'), account)


def test_send_posts_a_batch_with_bearer_token() -> None:
    session, transport = canned_session(Canned(201, fixture_json("sinch", "send_ok.json")))
    sms = OutboundSms(
        to="+12025550134",
        from_="+12025550100",
        body="We are on it",
        client_reference="msg-1",
        status_callback_url=URL + "/status",
    )
    assert adapter.send(account, sms, session).provider_message_id == "01FC66621XXXXX119Z8PMV1QPQ"
    [sent] = transport.sent
    assert sent.url == "https://us.sms.api.sinch.com/xms/v1/plan123/batches"
    assert sent.headers["Authorization"] == "Bearer token-abc"
    assert json.loads(sent.body or b"") == {
        "from": "+12025550100",
        "to": ["+12025550134"],
        "body": "We are on it",
        "delivery_report": "per_recipient",
        "callback_url": URL + "/status",
        "client_reference": "msg-1",
    }


def test_send_errors_keep_sinch_codes() -> None:
    session, _ = canned_session(
        Canned(400, fixture_json("sinch", "send_error.json")),
        Canned(429, {"code": "too_many_requests", "text": "slow down"}, {"Retry-After": "1"}),
    )
    sms = OutboundSms(to="bad", from_="+12025550100", body="x")
    with pytest.raises(SendError) as caught:
        adapter.send(account, sms, session)
    assert (caught.value.retryable, caught.value.code) == (False, "syntax_invalid_parameter_format")
    with pytest.raises(SendError) as caught:
        adapter.send(account, sms, session)
    assert (caught.value.retryable, caught.value.code, caught.value.retry_after) == (True, "too_many_requests", 1.0)


def test_sandbox_accepts_what_send_posted() -> None:
    session, transport = canned_session(Canned(201, fixture_json("sinch", "send_ok.json")))
    sms = OutboundSms(to="+12025550134", from_="+12025550100", body="Hi ✓")
    adapter.send(account, sms, session)
    status, payload, seen = adapter.sandbox_accept(as_webhook_request(transport.sent[0]), "01fc66621xxxxx119z8pmv1qpq")
    assert status == 201 and payload["type"] == "mt_text"
    assert (seen.to, seen.from_, seen.body) == (sms.to, sms.from_, sms.body)


def test_simulated_webhooks_pass_sinch_sdk_validation() -> None:
    inbound = adapter.simulate_inbound(account, url=URL, from_="+12025550134", body="hi", media=[], message_id="abc")
    status = adapter.simulate_status(account, url=URL + "/status", provider_message_id="B1", status="delivered")
    assert status is not None
    for webhook in (inbound, status):
        assert SmsSinchEvent(SECRET).validate_authentication_header(webhook.headers, webhook.body)
