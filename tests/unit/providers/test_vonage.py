"""Vonage adapter: SMS API webhooks (GET query, POST form, POST JSON) signed with `sig`, Messages API webhooks
signed with a JWT, delivery receipts, and `POST /sms/json` with its per-message status codes.

Signatures come from Vonage's own Python SDK (vonage-http-client's `Auth.sign_params` for the HMAC methods),
the SDK's published md5hash test vector, and PyJWT for the Messages API's HS256 tokens."""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

import jwt
import pytest
import requests
from vonage_http_client.auth import Auth

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import MessageStatus
from smschannel.providers import vonage
from smschannel.providers.base import OutboundSms, SendError
from smschannel.providers.vonage import VonageAdapter, compute_signature

from .support import (
    Canned,
    as_webhook_request,
    canned_session,
    fixture,
    fixture_json,
    from_simulated,
    make_account,
    webhook_request,
)

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-vonage"
SECRET = "vonage-signature-secret-0123456789"
NOW = 1_735_000_000
adapter = VonageAdapter()


def account(method: str | None = None) -> Any:
    credentials = {"apiKey": "abcd1234", "apiSecret": "api-secret-1234", "signatureSecret": SECRET}
    if method:
        credentials["signatureMethod"] = method
    return make_account("vonage", credentials, phone="+447700900000")


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(vonage, "_now", lambda: float(NOW))


def sdk_signed(params: dict[str, str], method: str = "md5hash", *, timestamp: int = NOW) -> dict[str, str]:
    """Adds timestamp, nonce and sig as Vonage does; HMAC methods are signed by Vonage's own SDK."""
    params = {**params, "timestamp": str(timestamp), "nonce": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"}
    if method == "md5hash":
        sig = compute_signature(params, SECRET)
    else:
        sig = Auth(api_key="abcd1234", signature_secret=SECRET, signature_method=method).sign_params(dict(params))
        sig = sig.upper()  # Vonage sends the HMAC in upper case
    return {**params, "sig": sig}


def json_request(data: dict[str, Any], suffix: str = "") -> Any:
    return webhook_request("POST", URL + suffix, json.dumps(data).encode(), {"Content-Type": "application/json"})


# --- the algorithm ------------------------------------------------------------------------------------------


def test_md5hash_matches_the_sdk_published_vector() -> None:
    params = {"a": "1", "b": "2", "timestamp": "1461605396"}
    assert compute_signature(params, "secret") == "6af838ef94998832dbfc29020b564830"


@pytest.mark.parametrize("method", ["md5", "sha1", "sha256", "sha512"])
def test_hmac_methods_match_vonage_sdk(method: str) -> None:
    params = {"msisdn": "447700900001", "text": "a&b=c", "timestamp": "1461605396"}
    expected = Auth(api_key="k", signature_secret="secret", signature_method=method).sign_params(dict(params))
    assert compute_signature(params, "secret", method) == expected


# --- inbound ------------------------------------------------------------------------------------------------


def test_post_json_inbound_is_verified_and_parsed() -> None:
    request = json_request(sdk_signed(fixture_json("vonage", "inbound_text.json")))
    adapter.verify(request, account())
    [message] = adapter.parse_inbound(request, account())
    assert (message.from_, message.to, message.body) == ("+447700900001", "+447700900000", "Hello world")
    assert message.provider_message_id == "0A0000000123ABCD1"
    assert message.part is None and message.media == []


@pytest.mark.parametrize("method", ["md5", "sha1", "sha256", "sha512"])
def test_get_inbound_with_unicode_is_verified_with_each_hmac_method(method: str) -> None:
    params = sdk_signed(dict(parse_qsl(fixture("vonage", "inbound_unicode.query").decode())), method)
    request = webhook_request("GET", URL + "?" + urlencode(params), query=params)
    adapter.verify(request, account(method))
    [message] = adapter.parse_inbound(request, account(method))
    assert message.body == "Grüße 😀 café"


def test_post_form_concatenated_part_fills_part_and_value_ampersands_are_signed_as_underscores() -> None:
    params = sdk_signed(dict(parse_qsl(fixture("vonage", "inbound_concat.form").decode())), "sha256")
    request = webhook_request(
        "POST", URL, urlencode(params).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    adapter.verify(request, account("sha256"))
    [message] = adapter.parse_inbound(request, account("sha256"))
    assert message.part == ("108", 2, 3)
    assert message.body == "part two of a long message & more"


def test_binary_inbound_stores_nothing() -> None:
    request = json_request(sdk_signed(fixture_json("vonage", "inbound_binary.json")))
    adapter.verify(request, account())
    assert adapter.parse_inbound(request, account()) == []


def test_missing_sig_is_401() -> None:
    with pytest.raises(MissingSignature):
        adapter.verify(json_request(fixture_json("vonage", "inbound_text.json")), account())


def test_forged_body_is_403() -> None:
    params = sdk_signed(fixture_json("vonage", "inbound_text.json"))
    params["text"] = "send me the money"
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(json_request(params), account())
    assert not isinstance(caught.value, MissingSignature)


def test_wrong_signature_method_is_403() -> None:
    params = sdk_signed(fixture_json("vonage", "inbound_text.json"), "sha1")
    with pytest.raises(InvalidSignature):
        adapter.verify(json_request(params), account("sha256"))


def test_replayed_webhook_outside_the_window_is_403() -> None:
    params = sdk_signed(fixture_json("vonage", "inbound_text.json"), timestamp=NOW - 301)
    with pytest.raises(InvalidSignature, match="window"):
        adapter.verify(json_request(params), account())


def test_other_accounts_api_key_is_refused() -> None:
    params = sdk_signed({**fixture_json("vonage", "inbound_text.json"), "api-key": "someone-else"})
    with pytest.raises(InvalidSignature, match="api-key"):
        adapter.verify(json_request(params), account())


# --- Messages API (JWT) --------------------------------------------------------------------------------------


def messages_api_request(
    data: dict[str, Any], *, secret: str = SECRET, iat: int = NOW, body: bytes | None = None
) -> Any:
    raw = json.dumps(data).encode()
    claims = {
        "iat": iat,
        "jti": "c5ba8f24-1a14-4c10-bfdf-3fbe8ce511b5",
        "iss": "Vonage",
        "payload_hash": hashlib.sha256(raw).hexdigest(),
        "api_key": "abcd1234",
        "application_id": "aaaaaaaa-bbbb-cccc-dddd-0123456789ab",
    }
    token = jwt.encode(claims, secret, algorithm="HS256")
    return webhook_request(
        "POST",
        URL,
        body if body is not None else raw,
        {"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
    )


def test_messages_api_inbound_with_valid_jwt() -> None:
    request = messages_api_request(fixture_json("vonage", "messages_inbound_sms.json"))
    adapter.verify(request, account())
    [message] = adapter.parse_inbound(request, account())
    assert (message.from_, message.to, message.body) == ("+447700900001", "+447700900000", "Hello From Vonage!")
    assert message.provider_message_id == "aaaaaaaa-bbbb-4ccc-8ddd-0123456789ab"


def test_messages_api_jwt_with_other_secret_is_403() -> None:
    with pytest.raises(InvalidSignature):
        adapter.verify(
            messages_api_request(fixture_json("vonage", "messages_inbound_sms.json"), secret="x" * 32), account()
        )


def test_messages_api_tampered_body_fails_payload_hash() -> None:
    data = fixture_json("vonage", "messages_inbound_sms.json")
    tampered = json.dumps({**data, "text": "tampered"}).encode()
    with pytest.raises(InvalidSignature, match="payload_hash"):
        adapter.verify(messages_api_request(data, body=tampered), account())


def test_messages_api_stale_jwt_is_403() -> None:
    with pytest.raises(InvalidSignature, match="window"):
        adapter.verify(
            messages_api_request(fixture_json("vonage", "messages_inbound_sms.json"), iat=NOW - 600), account()
        )


def test_messages_api_status_keeps_error_code() -> None:
    request = messages_api_request(fixture_json("vonage", "messages_status_rejected.json"))
    adapter.verify(request, account())
    [update] = adapter.parse_status(request, account())
    assert (update.status, update.provider_status, update.error_code) == (MessageStatus.FAILED, "rejected", "1250")


# --- delivery receipts ---------------------------------------------------------------------------------------


def test_json_delivery_receipt() -> None:
    request = json_request(sdk_signed(fixture_json("vonage", "dlr_delivered.json")), "/status")
    adapter.verify(request, account())
    [update] = adapter.parse_status(request, account())
    assert update.provider_message_id == "0A0000001234567B"
    assert (update.status, update.provider_status, update.error_code) == (MessageStatus.DELIVERED, "delivered", None)


def test_form_delivery_receipt_keeps_err_code() -> None:
    params = sdk_signed(dict(parse_qsl(fixture("vonage", "dlr_failed.form").decode())))
    request = webhook_request(
        "POST", URL + "/status", urlencode(params).encode(), {"Content-Type": "application/x-www-form-urlencoded"}
    )
    adapter.verify(request, account())
    [update] = adapter.parse_status(request, account())
    assert (update.status, update.error_code) == (MessageStatus.FAILED, "6")


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("delivered", MessageStatus.DELIVERED),
        ("accepted", MessageStatus.SENT),
        ("buffered", MessageStatus.SENT),
        ("unknown", MessageStatus.SENT),
        ("expired", MessageStatus.UNDELIVERED),
        ("failed", MessageStatus.FAILED),
        ("rejected", MessageStatus.FAILED),
    ],
)
def test_receipt_status_mapping(raw: str, status: MessageStatus) -> None:
    request = json_request({**fixture_json("vonage", "dlr_delivered.json"), "status": raw})
    assert adapter.parse_status(request, account())[0].status == status


def test_unknown_receipt_status_is_unparsable() -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_status(
            json_request({**fixture_json("vonage", "dlr_delivered.json"), "status": "weird"}), account()
        )


def test_webhook_answers_are_plain_200() -> None:
    assert adapter.inbound_answer().status_code == 200
    assert adapter.status_answer().status_code == 200


# --- sending ---------------------------------------------------------------------------------------------------

SMS = OutboundSms(
    to="+447700900001",
    from_="+447700900000",
    body="Hello ünïcode ✓",
    client_reference="msg-1",
    status_callback_url=URL + "/status",
)


def test_send_posts_the_documented_form() -> None:
    session, transport = canned_session(Canned(200, fixture_json("vonage", "send_ok.json")))
    result = adapter.send(account(), SMS, session)
    assert result.provider_message_id == "0C000000217B7F02"
    [sent] = transport.sent
    assert sent.method == "POST" and sent.url == "https://rest.nexmo.com/sms/json"
    form = dict(parse_qsl(str(sent.body)))
    assert form == {
        "api_key": "abcd1234",
        "api_secret": "api-secret-1234",
        "from": "447700900000",
        "to": "447700900001",
        "text": "Hello ünïcode ✓",
        "type": "unicode",
        "client-ref": "msg-1",
        "callback": URL + "/status",
    }


def test_gsm_text_is_sent_without_unicode_type() -> None:
    session, transport = canned_session(Canned(200, fixture_json("vonage", "send_ok.json")))
    adapter.send(account(), OutboundSms(to="+447700900001", from_="AcmeInc", body="Hi £5 @ home"), session)
    assert "type" not in dict(parse_qsl(str(transport.sent[0].body)))


def test_throttled_status_code_is_retryable() -> None:
    session, _ = canned_session(Canned(200, fixture_json("vonage", "send_throttled.json")))
    with pytest.raises(SendError) as caught:
        adapter.send(account(), SMS, session)
    assert caught.value.retryable and caught.value.code == "1"


def test_invalid_parameters_status_code_is_permanent() -> None:
    session, _ = canned_session(Canned(200, fixture_json("vonage", "send_invalid.json")))
    with pytest.raises(SendError) as caught:
        adapter.send(account(), SMS, session)
    assert not caught.value.retryable and caught.value.code == "3"


def test_http_429_with_retry_after_is_retryable() -> None:
    session, _ = canned_session(Canned(429, "Too Many Requests", {"Retry-After": "2"}))
    with pytest.raises(SendError) as caught:
        adapter.send(account(), SMS, session)
    assert caught.value.retryable and caught.value.retry_after == 2.0


def test_timeout_is_retryable() -> None:
    session, _ = canned_session(Canned(error=requests.Timeout("slow")))
    with pytest.raises(SendError) as caught:
        adapter.send(account(), SMS, session)
    assert caught.value.retryable


def test_sandbox_accepts_what_send_posted_and_answers_like_vonage() -> None:
    session, transport = canned_session(Canned(200, fixture_json("vonage", "send_ok.json")))
    adapter.send(account(), SMS, session)
    status, payload, sms = adapter.sandbox_accept(as_webhook_request(transport.sent[0]), "0123456789abcdef0123")
    assert status == 200 and payload["messages"][0]["status"] == "0"
    assert (sms.to, sms.from_, sms.body, sms.client_reference) == (SMS.to, SMS.from_, SMS.body, "msg-1")


def test_simulated_webhooks_verify() -> None:
    inbound = adapter.simulate_inbound(account(), url=URL, from_="+447700900001", body="hi", media=[], message_id="abc")
    adapter.verify(from_simulated(inbound, URL), account())
    status = adapter.simulate_status(account(), url=URL + "/status", provider_message_id="0A01", status="delivered")
    assert status is not None
    request = from_simulated(status, URL + "/status")
    adapter.verify(request, account())
    assert adapter.parse_status(request, account())[0].status == MessageStatus.DELIVERED


def test_real_clock_is_used_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.undo()
    assert abs(vonage._now() - time.time()) < 5
