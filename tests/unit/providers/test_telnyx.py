"""Telnyx adapter: Ed25519-signed JSON webhooks (signed here with PyNaCl and checked with Telnyx's own SDK
verifier, `telnyx.webhook.WebhookSignature`), message.received/sent/finalized, and `POST /v2/messages`."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
import telnyx
from nacl.signing import SigningKey
from telnyx.webhook import WebhookSignature

from smschannel.errors import InvalidConfiguration, InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import MessageStatus
from smschannel.providers import telnyx as telnyx_module
from smschannel.providers.base import OutboundSms, SendError
from smschannel.providers.telnyx import TelnyxAdapter, new_key_pair

from .support import Canned, as_webhook_request, canned_session, fixture, fixture_json, make_account, webhook_request

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-telnyx"
NOW = 1_705_350_000
SEED = bytes(range(32))
SIGNING_KEY = SigningKey(SEED)
PUBLIC_KEY = base64.b64encode(bytes(SIGNING_KEY.verify_key)).decode()
adapter = TelnyxAdapter()
account = make_account(
    "telnyx",
    {"apiKey": "KEY0123456789", "publicKey": PUBLIC_KEY, "privateKey": base64.b64encode(SEED).decode()},
    phone="+17735550002",
)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(telnyx_module, "_now", lambda: float(NOW))


def signed(body: bytes, *, timestamp: int = NOW, key: SigningKey = SIGNING_KEY) -> Any:
    """The request as Telnyx posts it: Ed25519 over `timestamp|body` (PyNaCl, as Telnyx's SDK uses)."""
    signature = key.sign(f"{timestamp}|".encode() + body).signature
    headers = {
        "Content-Type": "application/json",
        "telnyx-signature-ed25519": base64.b64encode(signature).decode(),
        "telnyx-timestamp": str(timestamp),
    }
    return webhook_request("POST", URL, body, headers)


def test_sms_received_is_verified_and_parsed() -> None:
    request = signed(fixture("telnyx", "message_received_sms.json"))
    adapter.verify(request, account)
    [message] = adapter.parse_inbound(request, account)
    assert (message.from_, message.to, message.body) == ("+13125550001", "+17735550002", "Hello there!")
    assert message.provider_message_id == "84cca175-9755-4859-b67f-4730d7f58aa3"
    assert message.media == [] and message.part is None


def test_mms_with_unicode_keeps_media_content_types() -> None:
    request = signed(fixture("telnyx", "message_received_mms_unicode.json"))
    adapter.verify(request, account)
    [message] = adapter.parse_inbound(request, account)
    assert message.body == "Schaden am Gerät 📷 — siehe Fotos"
    assert [(media.url.rsplit("/", 1)[-1], media.content_type) for media in message.media] == [
        ("photo.png", "image/png"),
        ("clip.mp4", "video/mp4"),
    ]


def test_status_events_store_no_inbound() -> None:
    assert adapter.parse_inbound(signed(fixture("telnyx", "message_sent.json")), account) == []


def test_missing_signature_headers_are_401() -> None:
    body = fixture("telnyx", "message_received_sms.json")
    with pytest.raises(MissingSignature):
        adapter.verify(webhook_request("POST", URL, body, {"telnyx-timestamp": str(NOW)}), account)
    with pytest.raises(MissingSignature):
        adapter.verify(webhook_request("POST", URL, body, {"telnyx-signature-ed25519": "AAAA"}), account)


def test_tampered_body_is_403() -> None:
    good = signed(fixture("telnyx", "message_received_sms.json"))
    forged = webhook_request("POST", URL, good.body.replace(b"Hello there!", b"Wire me $$$"), good.headers)
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(forged, account)
    assert not isinstance(caught.value, MissingSignature)


def test_signature_by_another_key_is_403() -> None:
    with pytest.raises(InvalidSignature):
        adapter.verify(signed(fixture("telnyx", "message_received_sms.json"), key=SigningKey(b"\x01" * 32)), account)


def test_timestamp_swapped_after_signing_is_403() -> None:
    good = signed(fixture("telnyx", "message_received_sms.json"))
    forged = webhook_request("POST", URL, good.body, {**good.headers, "telnyx-timestamp": str(NOW + 1)})
    with pytest.raises(InvalidSignature):
        adapter.verify(forged, account)


@pytest.mark.parametrize("skew", [-301, 301])
def test_replayed_or_future_timestamp_is_403(skew: int) -> None:
    with pytest.raises(InvalidSignature, match="tolerance"):
        adapter.verify(signed(fixture("telnyx", "message_received_sms.json"), timestamp=NOW + skew), account)


def test_message_sent_status() -> None:
    request = signed(fixture("telnyx", "message_sent.json"))
    adapter.verify(request, account)
    [update] = adapter.parse_status(request, account)
    assert update.provider_message_id == "40385f64-5717-4562-b3fc-2c963f66afa6"
    assert (update.status, update.provider_status, update.error_code) == (MessageStatus.SENT, "sent", None)


def test_finalized_delivered_and_failed_keep_error_code() -> None:
    [delivered] = adapter.parse_status(signed(fixture("telnyx", "message_finalized_delivered.json")), account)
    assert delivered.status == MessageStatus.DELIVERED
    [failed] = adapter.parse_status(signed(fixture("telnyx", "message_finalized_failed.json")), account)
    assert (failed.status, failed.provider_status, failed.error_code) == (
        MessageStatus.UNDELIVERED,
        "delivery_failed",
        "40008",
    )


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("queued", MessageStatus.QUEUED),
        ("sending", MessageStatus.QUEUED),
        ("sent", MessageStatus.SENT),
        ("delivered", MessageStatus.DELIVERED),
        ("sending_failed", MessageStatus.FAILED),
        ("delivery_failed", MessageStatus.UNDELIVERED),
        ("delivery_unconfirmed", MessageStatus.SENT),
    ],
)
def test_status_mapping(raw: str, status: MessageStatus) -> None:
    document = fixture_json("telnyx", "message_finalized_delivered.json")
    document["data"]["payload"]["to"][0]["status"] = raw
    request = webhook_request("POST", URL, json.dumps(document).encode())
    assert adapter.parse_status(request, account)[0].status == status


def test_unknown_status_is_unparsable() -> None:
    document = fixture_json("telnyx", "message_finalized_delivered.json")
    document["data"]["payload"]["to"][0]["status"] = "lost_in_space"
    with pytest.raises(UnparsableWebhook):
        adapter.parse_status(webhook_request("POST", URL, json.dumps(document).encode()), account)


def test_not_a_telnyx_event_is_unparsable() -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_inbound(webhook_request("POST", URL, b'{"hello": "world"}'), account)


# --- sending -------------------------------------------------------------------------------------------------


def test_send_posts_v2_messages_with_bearer_key() -> None:
    session, transport = canned_session(Canned(200, fixture_json("telnyx", "send_ok.json")))
    sms = OutboundSms(
        to="+13125550001",
        from_="+17735550002",
        body="Thanks, an agent will reply shortly.",
        media=["https://x.test/a.png"],
        status_callback_url=URL + "/status",
    )
    result = adapter.send(account, sms, session)
    assert (result.provider_message_id, result.status) == ("40385f64-5717-4562-b3fc-2c963f66afa6", "queued")
    [sent] = transport.sent
    assert sent.url == "https://api.telnyx.com/v2/messages"
    assert sent.headers["Authorization"] == "Bearer KEY0123456789"
    assert json.loads(sent.body or b"") == {
        "from": "+17735550002",
        "to": "+13125550001",
        "text": "Thanks, an agent will reply shortly.",
        "media_urls": ["https://x.test/a.png"],
        "webhook_url": URL + "/status",
    }


def test_invalid_destination_is_permanent_with_telnyx_code() -> None:
    session, _ = canned_session(Canned(400, fixture_json("telnyx", "send_error_invalid_to.json")))
    with pytest.raises(SendError) as caught:
        adapter.send(account, OutboundSms(to="12", from_="+17735550002", body="x"), session)
    assert not caught.value.retryable and caught.value.code == "40310"


def test_rate_limited_is_retryable_after_retry_after() -> None:
    session, _ = canned_session(
        Canned(429, fixture_json("telnyx", "send_error_rate_limited.json"), {"Retry-After": "5"})
    )
    with pytest.raises(SendError) as caught:
        adapter.send(account, OutboundSms(to="+13125550001", from_="+17735550002", body="x"), session)
    assert caught.value.retryable and caught.value.code == "10011" and caught.value.retry_after == 5.0


def test_server_error_is_retryable() -> None:
    session, _ = canned_session(Canned(503, "upstream unavailable"))
    with pytest.raises(SendError) as caught:
        adapter.send(account, OutboundSms(to="+13125550001", from_="+17735550002", body="x"), session)
    assert caught.value.retryable and caught.value.code == "503"


def test_sandbox_accepts_what_send_posted() -> None:
    session, transport = canned_session(Canned(200, fixture_json("telnyx", "send_ok.json")))
    sms = OutboundSms(to="+13125550001", from_="+17735550002", body="Hi ✓", media=["https://x.test/a.png"])
    adapter.send(account, sms, session)
    status, payload, seen = adapter.sandbox_accept(as_webhook_request(transport.sent[0]), "0" * 32)
    assert status == 200 and payload["data"]["to"][0]["status"] == "queued"
    assert (seen.to, seen.from_, seen.body, seen.media) == (sms.to, sms.from_, sms.body, sms.media)


# --- Telnyx's side, checked with Telnyx's SDK ------------------------------------------------------------------


def test_simulated_webhooks_pass_telnyx_sdk_verification(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(telnyx, "public_key", PUBLIC_KEY)
    inbound = adapter.simulate_inbound(account, url=URL, from_="+13125550001", body="hi", media=[], message_id="x")
    status = adapter.simulate_status(account, url=URL + "/status", provider_message_id="id-1", status="delivered")
    assert status is not None
    for webhook in (inbound, status):
        headers = webhook.headers
        assert WebhookSignature.verify(webhook.body, headers["telnyx-signature-ed25519"], headers["telnyx-timestamp"])


def test_simulating_without_private_key_is_a_configuration_error() -> None:
    public_only = make_account("telnyx", {"apiKey": "k", "publicKey": PUBLIC_KEY})
    with pytest.raises(InvalidConfiguration, match="privateKey"):
        adapter.simulate_inbound(public_only, url=URL, from_="+1", body="x", media=[], message_id="m")


def test_sandbox_credentials_are_a_working_key_pair() -> None:
    credentials = adapter.sandbox_credentials()
    sandbox_account = make_account("telnyx", credentials)
    webhook = adapter.simulate_inbound(
        sandbox_account, url=URL, from_="+13125550001", body="x", media=[], message_id="m"
    )
    adapter.verify(webhook_request("POST", URL, webhook.body, webhook.headers), sandbox_account)
    assert len(new_key_pair()) == 2
