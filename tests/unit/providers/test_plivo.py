"""Plivo adapter: form webhooks signed with X-Plivo-Signature-V3 (checked against Plivo's own SDK,
`plivo.utils.validate_v3_signature`), SMS/MMS/unicode inbound, status callbacks, and the Message API."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from plivo.utils import validate_v3_signature
from plivo.utils.signature_v3 import construct_get_url, construct_post_url, get_signature_v3

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import MessageStatus
from smschannel.providers.base import OutboundSms, SendError
from smschannel.providers.plivo import PlivoAdapter

from .support import Canned, as_webhook_request, canned_session, fixture, fixture_json, make_account, webhook_request

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-plivo"
TOKEN = "plivo-auth-token-0123456789abcdef"
NONCE = "05429567804466091622"
adapter = PlivoAdapter()
account = make_account("plivo", {"authId": "MAXXXXXXXXXXXXXXXXXX", "authToken": TOKEN})


def sdk_signature(method: str, url: str, params: dict[str, str], token: str = TOKEN) -> str:
    """X-Plivo-Signature-V3 as Plivo's SDK computes it."""
    if method == "GET":
        base = construct_get_url(url, dict(params)).decode()
    else:
        base = construct_post_url(url, dict(params)).decode()
    return get_signature_v3(token.encode(), base, NONCE.encode()).decode()


def signed_post(name: str, url: str = URL, *, signature: str | None = None) -> Any:
    body = fixture("plivo", name)
    params = dict(parse_qsl(body.decode(), keep_blank_values=True))
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Plivo-Signature-V3": signature or sdk_signature("POST", url, params),
        "X-Plivo-Signature-V3-Nonce": NONCE,
    }
    return webhook_request("POST", url, body, headers)


def test_sms_inbound_is_verified_and_parsed() -> None:
    request = signed_post("inbound_sms.form")
    adapter.verify(request, account)
    [message] = adapter.parse_inbound(request, account)
    assert (message.from_, message.to) == ("+14155551234", "+14155550100")
    assert message.body == "Hello, I need help with my order"
    assert message.provider_message_id == "16e7b4a4-4c2e-11ee-9f4a-0242ac110003"
    assert message.media == [] and message.part is None


def test_unicode_inbound() -> None:
    request = signed_post("inbound_unicode.form")
    adapter.verify(request, account)
    assert adapter.parse_inbound(request, account)[0].body == "Привет 👋 你好"


def test_mms_inbound_has_its_media() -> None:
    request = signed_post("inbound_mms.form")
    adapter.verify(request, account)
    [message] = adapter.parse_inbound(request, account)
    assert message.body == "Photo of the damage"
    assert [media.url.rsplit("/", 1)[-1] for media in message.media] == ["me-1", "me-2"]


def test_url_with_query_is_signed_as_plivo_does() -> None:
    url = URL + "?tenant=b&alpha=a"
    request = signed_post("inbound_sms.form", url)
    adapter.verify(request, account)


def test_several_comma_separated_signatures_accept_any_match() -> None:
    params = dict(parse_qsl(fixture("plivo", "inbound_sms.form").decode(), keep_blank_values=True))
    both = sdk_signature("POST", URL, params, "old-token-rotated-away") + "," + sdk_signature("POST", URL, params)
    adapter.verify(signed_post("inbound_sms.form", signature=both), account)


def test_get_callback_is_signed_over_the_query() -> None:
    params = dict(parse_qsl(fixture("plivo", "status_delivered.form").decode(), keep_blank_values=True))
    url = URL + "/status?" + urlencode(params)
    headers = {"X-Plivo-Signature-V3": sdk_signature("GET", url, {}), "X-Plivo-Signature-V3-Nonce": NONCE}
    request = webhook_request("GET", url, headers=headers, query=params)
    adapter.verify(request, account)
    assert adapter.parse_status(request, account)[0].status == MessageStatus.DELIVERED


def test_missing_signature_is_401() -> None:
    request = webhook_request("POST", URL, fixture("plivo", "inbound_sms.form"), {"X-Plivo-Signature-V3-Nonce": NONCE})
    with pytest.raises(MissingSignature):
        adapter.verify(request, account)


def test_missing_nonce_is_401() -> None:
    request = webhook_request("POST", URL, fixture("plivo", "inbound_sms.form"), {"X-Plivo-Signature-V3": "abc="})
    with pytest.raises(MissingSignature):
        adapter.verify(request, account)


def test_tampered_body_is_403() -> None:
    good = signed_post("inbound_sms.form")
    forged = webhook_request("POST", URL, good.body.replace(b"Hello", b"Hallo"), good.headers)
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(forged, account)
    assert not isinstance(caught.value, MissingSignature)


def test_signature_for_another_url_is_403() -> None:
    request = signed_post("inbound_sms.form", "https://attacker.example/webhooks/acct-plivo")
    moved = webhook_request("POST", URL, request.body, request.headers)
    with pytest.raises(InvalidSignature):
        adapter.verify(moved, account)


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("queued", MessageStatus.QUEUED),
        ("sent", MessageStatus.SENT),
        ("delivered", MessageStatus.DELIVERED),
        ("undelivered", MessageStatus.UNDELIVERED),
        ("failed", MessageStatus.FAILED),
        ("rejected", MessageStatus.FAILED),
        ("read", MessageStatus.READ),
    ],
)
def test_status_mapping(raw: str, status: MessageStatus) -> None:
    body = fixture("plivo", "status_delivered.form").replace(b"Status=delivered", f"Status={raw}".encode())
    [update] = adapter.parse_status(webhook_request("POST", URL, body), account)
    assert (update.status, update.provider_status) == (status, raw)


def test_undelivered_status_keeps_error_code() -> None:
    request = signed_post("status_undelivered.form", URL + "/status")
    adapter.verify(request, account)
    [update] = adapter.parse_status(request, account)
    assert (update.status, update.error_code) == (MessageStatus.UNDELIVERED, "50")
    assert update.provider_message_id == "db3ce55a-7f1d-11e1-8ea7-1231380bc197"


def test_unknown_status_is_unparsable() -> None:
    body = fixture("plivo", "status_delivered.form").replace(b"Status=delivered", b"Status=teleported")
    with pytest.raises(UnparsableWebhook):
        adapter.parse_status(webhook_request("POST", URL, body), account)


def test_inbound_answer_is_an_empty_xml_response() -> None:
    answer = adapter.inbound_answer()
    assert answer.status_code == 200 and "<Response>" in answer.body and answer.content_type == "application/xml"


# --- sending -------------------------------------------------------------------------------------------------


def test_send_sms_posts_json_with_basic_auth() -> None:
    session, transport = canned_session(Canned(202, fixture_json("plivo", "send_ok.json")))
    sms = OutboundSms(to="+14155551234", from_="+14155550100", body="Hi there", status_callback_url=URL + "/status")
    result = adapter.send(account, sms, session)
    assert result.provider_message_id == "db3ce55a-7f1d-11e1-8ea7-1231380bc196"
    [sent] = transport.sent
    assert sent.url == "https://api.plivo.com/v1/Account/MAXXXXXXXXXXXXXXXXXX/Message/"
    assert sent.headers["Authorization"].startswith("Basic ")
    assert json.loads(sent.body or b"") == {
        "src": "14155550100",
        "dst": "14155551234",
        "text": "Hi there",
        "url": URL + "/status",
        "method": "POST",
    }


def test_send_mms_sets_type_and_media_urls() -> None:
    session, transport = canned_session(Canned(202, fixture_json("plivo", "send_ok.json")))
    sms = OutboundSms(to="+14155551234", from_="+14155550100", body="See", media=["https://x.test/a.png"])
    adapter.send(account, sms, session)
    payload = json.loads(transport.sent[0].body or b"")
    assert payload["type"] == "mms" and payload["media_urls"] == ["https://x.test/a.png"]


def test_bad_request_is_permanent() -> None:
    session, _ = canned_session(Canned(400, fixture_json("plivo", "send_error.json")))
    with pytest.raises(SendError) as caught:
        adapter.send(account, OutboundSms(to="+1", from_="+1", body="x"), session)
    assert not caught.value.retryable and caught.value.code == "400"


@pytest.mark.parametrize("status", [429, 500, 503])
def test_rate_limit_and_server_errors_are_retryable(status: int) -> None:
    session, _ = canned_session(Canned(status, {"error": "try later"}, {"Retry-After": "3"}))
    with pytest.raises(SendError) as caught:
        adapter.send(account, OutboundSms(to="+1", from_="+1", body="x"), session)
    assert caught.value.retryable and caught.value.retry_after == 3.0


def test_connection_error_is_retryable() -> None:
    session, _ = canned_session(Canned(error=requests.ConnectionError("reset")))
    with pytest.raises(SendError) as caught:
        adapter.send(account, OutboundSms(to="+1", from_="+1", body="x"), session)
    assert caught.value.retryable and caught.value.code == "connection"


def test_sandbox_accepts_what_send_posted() -> None:
    session, transport = canned_session(Canned(202, fixture_json("plivo", "send_ok.json")))
    sms = OutboundSms(to="+14155551234", from_="+14155550100", body="Hi", media=["https://x.test/a.png"])
    adapter.send(account, sms, session)
    status, payload, seen = adapter.sandbox_accept(as_webhook_request(transport.sent[0]), "0" * 31 + "1")
    assert status == 202 and payload["message_uuid"] == ["00000000-0000-0000-0000-000000000001"]
    assert (seen.to, seen.from_, seen.body, seen.media) == (sms.to, sms.from_, sms.body, sms.media)


# --- Plivo's side, checked with Plivo's SDK -------------------------------------------------------------------------


@pytest.mark.parametrize("media", [[], ["https://x.test/a.png", "https://x.test/b.png"]])
def test_simulated_inbound_validates_with_plivo_sdk(media: list[str]) -> None:
    webhook = adapter.simulate_inbound(account, url=URL, from_="+14155551234", body="Hé", media=media, message_id="m-1")
    params = dict(parse_qsl(webhook.body.decode(), keep_blank_values=True))
    headers = webhook.headers
    assert validate_v3_signature(
        "POST", URL, headers["X-Plivo-Signature-V3-Nonce"], TOKEN, headers["X-Plivo-Signature-V3"], params
    )


def test_simulated_status_validates_with_plivo_sdk() -> None:
    webhook = adapter.simulate_status(account, url=URL + "/status", provider_message_id="u-1", status="delivered")
    assert webhook is not None
    params = dict(parse_qsl(webhook.body.decode(), keep_blank_values=True))
    assert validate_v3_signature(
        "POST",
        URL + "/status",
        webhook.headers["X-Plivo-Signature-V3-Nonce"],
        TOKEN,
        webhook.headers["X-Plivo-Signature-V3"],
        params,
    )
