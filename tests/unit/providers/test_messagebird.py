"""MessageBird SMS adapter: `MessageBird-Signature-JWT` checked by the rules of MessageBird's SDK (which the tests
use to cross-check, `RequestValidator`), inbound and status reports as GET query or POST form, `POST /messages`."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import jwt
import jwt.api_jwt
import pytest
from messagebird.request_validator import RequestValidator

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import STATUS_RANK, MessageStatus
from smschannel.providers import messagebird
from smschannel.providers.base import OutboundSms, SendError, WebhookRequest
from smschannel.providers.messagebird import MessageBirdAdapter, sign_jwt

from .support import Canned, as_webhook_request, canned_session, fixture, fixture_json, make_account, webhook_request

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-messagebird"
SIGNING_KEY = "PlLrKaqvZNRR5zAjm42ZT6q1SQxgbbGd"
NOW = int(time.time()) - 3600  # an hour ago: only the frozen clocks make these tokens valid
# MessageBird's signing keys are 32 characters: below PyJWT's advice for HS384/HS512, but what MessageBird issues.
pytestmark = pytest.mark.filterwarnings("ignore:The HMAC key is")
adapter = MessageBirdAdapter()
account = make_account("messagebird", {"accessKey": "live_abc123", "signingKey": SIGNING_KEY}, phone="+31970102030")


class _FrozenDatetime(datetime):
    """PyJWT's clock (used by MessageBird's SDK validator), frozen at NOW like the adapter's."""

    @classmethod
    def now(cls, tz: Any = None) -> _FrozenDatetime:  # type: ignore[override]
        return cls.fromtimestamp(NOW, tz)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    # Both clocks frozen: the tokens' windows are relative to NOW however long the suite has been running.
    monkeypatch.setattr(messagebird, "_now", lambda: float(NOW))
    monkeypatch.setattr(jwt.api_jwt, "datetime", _FrozenDatetime)


def token(url: str, body: bytes, *, key: str = SIGNING_KEY, algorithm: str = "HS256", **overrides: Any) -> str:
    """A token made with PyJWT, independently of the adapter's own signer."""
    claims: dict[str, Any] = {
        "iss": "MessageBird",
        "nbf": NOW,
        "exp": NOW + 60,
        "jti": "3b1ce4e6-f8d7-4d2c-9f0f-3a1f1b0e8c1a",
        "url_hash": hashlib.sha256(url.encode()).hexdigest(),
    }
    if body:
        claims["payload_hash"] = hashlib.sha256(body).hexdigest()
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm=algorithm)


def post_form(body: bytes, signature: str | None = None) -> WebhookRequest:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["MessageBird-Signature-JWT"] = signature
    return webhook_request("POST", URL, body, headers)


def get_query(query_string: bytes, signature: str) -> WebhookRequest:
    url = f"{URL}?{query_string.decode()}"
    return webhook_request(
        "GET", url, b"", {"MessageBird-Signature-JWT": signature}, dict(parse_qsl(query_string.decode()))
    )


def test_signed_post_form_verifies_and_parses() -> None:
    body = fixture("messagebird", "inbound_sms.form")
    request = post_form(body, token(URL, body))
    assert RequestValidator(SIGNING_KEY).validate_signature(request.headers["messagebird-signature-jwt"], URL, body)
    adapter.verify(request, account)
    [message] = adapter.parse_inbound(request, account)
    assert (message.provider_message_id, message.from_, message.to, message.body) == (
        "e8077d803532c0b5937c639b60216938",
        "+31612345678",
        "+31970102030",
        "Hoi, mijn pakket is niet aangekomen",
    )


def test_signed_get_covers_the_query_string_and_keeps_unicode() -> None:
    query = fixture("messagebird", "inbound_unicode.query")
    request = get_query(query, token(f"{URL}?{query.decode()}", b""))
    adapter.verify(request, account)
    [message] = adapter.parse_inbound(request, account)
    assert message.body == "Grüße 📦 wo ist es?" and message.from_ == "+4915112345678"


@pytest.mark.parametrize("algorithm", ["HS384", "HS512"])
def test_other_hmac_algorithms_are_accepted(algorithm: str) -> None:
    body = fixture("messagebird", "inbound_sms.form")
    adapter.verify(post_form(body, token(URL, body, algorithm=algorithm)), account)


def test_missing_header_is_401() -> None:
    with pytest.raises(MissingSignature):
        adapter.verify(post_form(fixture("messagebird", "inbound_sms.form")), account)


def forged_cases() -> list[tuple[str, str, bytes]]:
    body = fixture("messagebird", "inbound_sms.form")
    tampered = body.replace(b"pakket", b"wallet")
    return [
        ("wrong key", token(URL, body, key="another-signing-key-0123456789ab"), body),
        ("tampered body", token(URL, body), tampered),
        ("other url", token(URL + "/other", body), body),
        ("expired", token(URL, body, nbf=NOW - 120, exp=NOW - 60), body),
        ("not yet valid", token(URL, body, nbf=NOW + 60, exp=NOW + 120), body),
        ("wrong issuer", token(URL, body, iss="Mallory"), body),
        ("no url_hash", token(URL, body, url_hash=None), body),
        ("no payload_hash with a body", token(URL, b""), body),
        ("payload_hash without a body", token(URL, body), b""),
        ("alg none", jwt.encode({"iss": "MessageBird"}, None, algorithm="none"), body),
        ("garbage", "not.a.jwt", body),
    ]


@pytest.mark.parametrize(("case", "signature", "body"), forged_cases(), ids=[case[0] for case in forged_cases()])
def test_forged_requests_are_403(case: str, signature: str, body: bytes) -> None:
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(post_form(body, signature), account)
    assert not isinstance(caught.value, MissingSignature)


def test_one_second_leeway_like_the_sdk() -> None:
    body = fixture("messagebird", "inbound_sms.form")
    adapter.verify(post_form(body, token(URL, body, nbf=NOW + 1, exp=NOW + 60)), account)
    adapter.verify(post_form(body, token(URL, body, nbf=NOW - 60, exp=NOW)), account)


def test_status_reports() -> None:
    query = fixture("messagebird", "status_delivered.query")
    [delivered] = adapter.parse_status(get_query(query, token(f"{URL}?{query.decode()}", b"")), account)
    assert (delivered.provider_message_id, delivered.status, delivered.error_code) == (
        "eef0ab57a9e049be946f3821568c2b2e",
        MessageStatus.DELIVERED,
        None,
    )
    [failed] = adapter.parse_status(post_form(fixture("messagebird", "status_failed.form")), account)
    assert (failed.status, failed.provider_status, failed.error_code) == (
        MessageStatus.UNDELIVERED,
        "delivery_failed",
        "1",
    )


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        ("scheduled", MessageStatus.QUEUED),
        ("sent", MessageStatus.SENT),
        ("buffered", MessageStatus.SENT),
        ("delivered", MessageStatus.DELIVERED),
        ("expired", MessageStatus.UNDELIVERED),
        ("delivery_failed", MessageStatus.UNDELIVERED),
    ],
)
def test_status_mapping(raw: str, status: MessageStatus) -> None:
    [update] = adapter.parse_status(post_form(f"id=m1&status={raw}".encode()), account)
    assert update.status == status


def test_late_buffered_report_ranks_below_delivered() -> None:
    [late] = adapter.parse_status(post_form(b"id=m1&status=buffered"), account)
    assert STATUS_RANK[late.status] < STATUS_RANK[MessageStatus.DELIVERED]


@pytest.mark.parametrize("body", [b"id=m1&status=teleported", b"status=delivered", b""])
def test_unparsable_status(body: bytes) -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_status(post_form(body), account)


def test_flow_builder_json_inbound() -> None:
    body = json.dumps({"id": "f1", "originator": "31612345678", "recipient": "31970102030", "body": "hi"}).encode()
    request = webhook_request("POST", URL, body, {"Content-Type": "application/json"})
    [message] = adapter.parse_inbound(request, account)
    assert (message.provider_message_id, message.body) == ("f1", "hi")


def test_send_posts_messages_with_access_key_and_report_url() -> None:
    session, transport = canned_session(Canned(201, fixture_json("messagebird", "send_ok.json")))
    sms = OutboundSms(
        to="+31612345678",
        from_="+31970102030",
        body="We zijn ermee bezig",
        client_reference="msg-1",
        status_callback_url=URL + "/status",
    )
    assert adapter.send(account, sms, session).provider_message_id == "e8077d803532c0b5937c639b60216938"
    [sent] = transport.sent
    assert sent.url == "https://rest.messagebird.com/messages"
    assert sent.headers["Authorization"] == "AccessKey live_abc123"
    assert json.loads(sent.body or b"") == {
        "originator": "+31970102030",
        "recipients": ["+31612345678"],
        "body": "We zijn ermee bezig",
        "reference": "msg-1",
        "reportUrl": URL + "/status",
    }


def test_report_url_always_comes_with_a_reference() -> None:
    session, transport = canned_session(Canned(201, fixture_json("messagebird", "send_ok.json")))
    adapter.send(account, OutboundSms(to="+31612345678", from_="Acme", body="x", status_callback_url=URL), session)
    assert json.loads(transport.sent[0].body or b"")["reference"] == "smschannel"


def test_send_errors_keep_messagebird_codes() -> None:
    session, _ = canned_session(
        Canned(422, fixture_json("messagebird", "send_error.json")),
        Canned(401, {"errors": [{"code": 2, "description": "Request not allowed", "parameter": "access_key"}]}),
        Canned(500, {"errors": [{"code": 99, "description": "Internal error", "parameter": None}]}),
        Canned(429, "slow down", {"Retry-After": "5"}),
    )
    sms = OutboundSms(to="+31612345678", from_="Acme", body="x")
    expected = [(False, "9", None), (False, "2", None), (True, "99", None), (True, "429", 5.0)]
    for retryable, code, retry_after in expected:
        with pytest.raises(SendError) as caught:
            adapter.send(account, sms, session)
        assert (caught.value.retryable, caught.value.code, caught.value.retry_after) == (retryable, code, retry_after)


def test_webhook_answers_are_200_ok() -> None:
    assert (adapter.inbound_answer().status_code, adapter.inbound_answer().body) == (200, "OK")
    assert adapter.status_answer().status_code == 200


def test_sandbox_understands_what_send_posted() -> None:
    session, transport = canned_session(Canned(201, fixture_json("messagebird", "send_ok.json")))
    sms = OutboundSms(to="+31612345678", from_="+31970102030", body="Hé ✓", status_callback_url=URL + "/status")
    adapter.send(account, sms, session)
    status, answer, seen = adapter.sandbox_accept(as_webhook_request(transport.sent[0]), "m-1")
    assert status == 201 and answer["id"] == "m-1" and answer["datacoding"] == "unicode"
    assert (seen.to, seen.from_, seen.body, seen.status_callback_url) == (sms.to, sms.from_, sms.body, URL + "/status")


def test_simulated_webhooks_pass_messagebird_sdk_validation() -> None:
    inbound = adapter.simulate_inbound(account, url=URL, from_="+31612345678", body="hoi", media=[], message_id="m1")
    report = adapter.simulate_status(account, url=URL + "/status", provider_message_id="p1", status="failed")
    assert report is not None
    for webhook, url in ((inbound, URL), (report, URL + "/status")):
        RequestValidator(SIGNING_KEY).validate_signature(
            webhook.headers["MessageBird-Signature-JWT"], url, webhook.body
        )
        adapter.verify(webhook_request("POST", url, webhook.body, webhook.headers), account)
    [update] = adapter.parse_status(webhook_request("POST", URL, report.body, report.headers), account)
    assert (update.status, update.error_code) == (MessageStatus.UNDELIVERED, "1")


def test_our_signer_matches_the_sdk_for_every_algorithm() -> None:
    for algorithm in ("HS256", "HS384", "HS512"):
        signature = sign_jwt(SIGNING_KEY, URL, b"a=1", now=NOW, algorithm=algorithm)
        assert RequestValidator(SIGNING_KEY).validate_signature(signature, URL, b"a=1")["iss"] == "MessageBird"
