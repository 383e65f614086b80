"""Twilio's adapter against Twilio's own SDK (the test-only `twilio` package) and documented payloads."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from twilio.request_validator import RequestValidator

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import Account, MessageStatus
from smschannel.providers.base import OutboundSms, SendError, WebhookRequest
from smschannel.providers.twilio import EMPTY_TWIML, TwilioAdapter, compute_signature

URL = "https://sms.example.com/webhooks/acme"
ACCOUNT = Account(
    id="acme",
    name="Acme",
    provider="twilio",
    phone_number="+15005550006",
    credentials={"accountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "authToken": "12345"},
)
# Twilio's documented inbound MMS webhook (https://www.twilio.com/docs/messaging/guides/webhook-request).
MMS_FORM = {
    "ToCountry": "US",
    "MediaContentType0": "image/jpeg",
    "ToState": "CA",
    "SmsMessageSid": "MM1b1f8f6d2e6b4a3c9a1e0c6b6f4b2a10",
    "NumMedia": "2",
    "ToCity": "SAN FRANCISCO",
    "FromZip": "94105",
    "SmsSid": "MM1b1f8f6d2e6b4a3c9a1e0c6b6f4b2a10",
    "FromState": "CA",
    "SmsStatus": "received",
    "FromCity": "SAN FRANCISCO",
    "Body": "Here's my receipt 🧾",
    "FromCountry": "US",
    "To": "+15005550006",
    "MediaUrl0": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1",
    "MediaContentType1": "application/pdf",
    "MediaUrl1": "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME2",
    "ToZip": "94105",
    "NumSegments": "1",
    "MessageSid": "MM1b1f8f6d2e6b4a3c9a1e0c6b6f4b2a10",
    "AccountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
    "From": "+14155552671",
    "ApiVersion": "2010-04-01",
}
adapter = TwilioAdapter()


def signed(form: dict[str, str], url: str = URL, token: str = "12345", signature: str | None = None) -> WebhookRequest:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    sig = signature if signature is not None else RequestValidator(token).compute_signature(url, form)
    if sig:
        headers["x-twilio-signature"] = sig
    return WebhookRequest("POST", (url,), headers, {}, urlencode(form).encode())


def test_our_signature_matches_twilios_sdk() -> None:
    assert compute_signature("12345", URL, MMS_FORM) == RequestValidator("12345").compute_signature(URL, MMS_FORM)


def test_sdk_signed_request_verifies_and_parses_mms_with_content_types() -> None:
    request = signed(MMS_FORM)
    adapter.verify(request, ACCOUNT)
    [message] = adapter.parse_inbound(request, ACCOUNT)
    assert message.provider_message_id == MMS_FORM["MessageSid"]
    assert (message.from_, message.to, message.body) == ("+14155552671", "+15005550006", "Here's my receipt 🧾")
    assert [(m.url, m.content_type) for m in message.media] == [
        (MMS_FORM["MediaUrl0"], "image/jpeg"),
        (MMS_FORM["MediaUrl1"], "application/pdf"),
    ]


def test_signature_with_default_port_is_accepted_as_twilio_does() -> None:
    request = signed(MMS_FORM, url="https://sms.example.com:443/webhooks/acme")
    adapter.verify(WebhookRequest(request.method, (URL,), request.headers, {}, request.body), ACCOUNT)


def test_forged_signature_is_invalid_and_missing_is_missing() -> None:
    with pytest.raises(InvalidSignature):
        adapter.verify(signed(MMS_FORM, token="wrong"), ACCOUNT)
    with pytest.raises(MissingSignature):
        adapter.verify(signed(MMS_FORM, signature=""), ACCOUNT)
    tampered = signed(MMS_FORM)
    body = tampered.body.replace(b"receipt", b"invoice")
    with pytest.raises(InvalidSignature):
        adapter.verify(WebhookRequest("POST", (URL,), tampered.headers, {}, body), ACCOUNT)


def test_another_accounts_sid_is_refused_even_when_signed() -> None:
    form = dict(MMS_FORM, AccountSid="ACYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY")
    with pytest.raises(InvalidSignature):
        adapter.verify(signed(form), ACCOUNT)


def test_json_webhooks_check_body_sha256() -> None:
    import hashlib

    body = b'{"hello":"world"}'
    url = f"{URL}?bodySHA256={hashlib.sha256(body).hexdigest()}"
    sig = RequestValidator("12345").compute_signature(url, {})
    ok = WebhookRequest("POST", (url,), {"content-type": "application/json", "x-twilio-signature": sig}, {}, body)
    adapter.verify(ok, ACCOUNT)
    with pytest.raises(InvalidSignature):
        adapter.verify(WebhookRequest("POST", (url,), ok.headers, {}, b'{"hello":"there"}'), ACCOUNT)


def test_missing_fields_are_unparsable() -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_inbound(signed({"Body": "x"}), ACCOUNT)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("queued", MessageStatus.QUEUED),
        ("sent", MessageStatus.SENT),
        ("delivered", MessageStatus.DELIVERED),
        ("undelivered", MessageStatus.UNDELIVERED),
        ("failed", MessageStatus.FAILED),
        ("read", MessageStatus.READ),
    ],
)
def test_status_callbacks_map_onto_our_status_set(raw: str, expected: MessageStatus) -> None:
    form = {"MessageSid": "SM1", "MessageStatus": raw, "AccountSid": ACCOUNT.credentials["accountSid"]}
    if raw == "undelivered":
        form["ErrorCode"] = "30003"
    [update] = adapter.parse_status(signed(form), ACCOUNT)
    assert update.status == expected
    assert update.error_code == ("30003" if raw == "undelivered" else None)


def test_inbound_answer_is_empty_twiml() -> None:
    answer = adapter.inbound_answer()
    assert (answer.status_code, answer.body, answer.content_type) == (200, EMPTY_TWIML, "text/xml")


class CannedTransport(requests.adapters.HTTPAdapter):
    """A requests transport that records the request and answers with a canned response."""

    def __init__(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__()
        self.status, self.payload, self.headers = status, payload, headers or {}
        self.requests: list[requests.PreparedRequest] = []

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        import json

        self.requests.append(request)
        response = requests.Response()
        response.status_code = self.status
        response._content = json.dumps(self.payload).encode()
        response.headers.update({"Content-Type": "application/json", **self.headers})
        response.request = request
        return response


def session_with(transport: CannedTransport) -> requests.Session:
    session = requests.Session()
    session.mount("https://", transport)
    return session


def test_send_posts_the_messages_api_form_with_basic_auth() -> None:
    transport = CannedTransport(201, {"sid": "SM123", "status": "queued"})
    sms = OutboundSms(to="+14155552671", from_="+15005550006", body="Hi", media=["https://x/y.jpg"])
    result = adapter.send(ACCOUNT, sms, session_with(transport))
    assert result.provider_message_id == "SM123"
    [request] = transport.requests
    assert (
        request.url == f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT.credentials['accountSid']}/Messages.json"
    )
    assert request.headers["Authorization"].startswith("Basic ")
    assert request.body == "To=%2B14155552671&From=%2B15005550006&Body=Hi&MediaUrl=https%3A%2F%2Fx%2Fy.jpg"


@pytest.mark.parametrize(
    ("status", "payload", "headers", "retryable", "retry_after"),
    [
        (429, {"code": 20429, "message": "Too Many Requests"}, {"Retry-After": "3"}, True, 3.0),
        (503, {"message": "Service Unavailable"}, {}, True, None),
        (400, {"code": 21610, "message": "Attempt to send to unsubscribed recipient"}, {}, False, None),
        (400, {"code": 21211, "message": "Invalid 'To' Phone Number"}, {}, False, None),
        (401, {"code": 20003, "message": "Authenticate"}, {}, False, None),
    ],
)
def test_send_errors_are_retryable_or_permanent(
    status: int, payload: dict[str, Any], headers: dict[str, str], retryable: bool, retry_after: float | None
) -> None:
    sms = OutboundSms(to="+14155552671", from_="+15005550006", body="Hi")
    with pytest.raises(SendError) as caught:
        adapter.send(ACCOUNT, sms, session_with(CannedTransport(status, payload, headers)))
    assert caught.value.retryable is retryable
    assert caught.value.retry_after == retry_after
