"""ClickSend adapter: pushes authenticated by the account's webhookSecret (basic auth or `?secret=`), inbound SMS
rule pushes as form or JSON, delivery receipts by `status_code`, and `POST /v3/sms/send` with per-message status."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qsl, urlencode

import pytest
import requests

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import STATUS_RANK, MessageStatus
from smschannel.providers.base import OutboundSms, SendError, WebhookRequest
from smschannel.providers.clicksend import ClickSendAdapter

from .support import Canned, as_webhook_request, canned_session, fixture, fixture_json, make_account, webhook_request

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-clicksend"
SECRET = "clicksend-webhook-secret-0123456789"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
JSON = {"Content-Type": "application/json"}
adapter = ClickSendAdapter()
account = make_account(
    "clicksend", {"username": "api-user", "apiKey": "CS-API-KEY-1", "webhookSecret": SECRET}, phone="+61298441484"
)


def form(name: str, headers: dict[str, str] | None = None, query: dict[str, str] | None = None) -> WebhookRequest:
    return webhook_request("POST", URL, fixture("clicksend", name), {**FORM, **(headers or {})}, query)


def receipt(**changes: str) -> WebhookRequest:
    fields = dict(parse_qsl(fixture("clicksend", "receipt_delivered.form").decode()))
    return webhook_request("POST", URL + "/status", urlencode({**fields, **changes}).encode(), FORM)


def test_secret_query_parameter_authenticates() -> None:
    adapter.verify(form("inbound_sms.form", query={"secret": SECRET}), account)


def test_basic_auth_password_authenticates() -> None:
    token = base64.b64encode(f"clicksend:{SECRET}".encode()).decode()
    adapter.verify(form("inbound_sms.form", {"Authorization": f"Basic {token}"}), account)


def test_missing_secret_is_401() -> None:
    with pytest.raises(MissingSignature):
        adapter.verify(form("inbound_sms.form"), account)


@pytest.mark.parametrize("query", [{"secret": SECRET[:-1]}, {"secret": ""}, {"secret": SECRET.upper()}])
def test_wrong_secret_is_403(query: dict[str, str]) -> None:
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(form("inbound_sms.form", query=query), account)
    assert not isinstance(caught.value, MissingSignature)


def test_form_push_of_an_inbound_rule() -> None:
    [message] = adapter.parse_inbound(form("inbound_sms.form"), account)
    assert (message.provider_message_id, message.from_, message.to, message.body) == (
        "4A8C56C1-3F1E-4D4B-9A9E-6D8C3B9F0A11",
        "+61411111111",
        "+61298441484",
        "Is my order on its way?",
    )
    assert message.media == [] and message.part is None


def test_json_push_with_unicode_and_numbers_without_plus() -> None:
    request = webhook_request("POST", URL, fixture("clicksend", "inbound_unicode.json"), JSON)
    [message] = adapter.parse_inbound(request, account)
    assert message.body == "Grüße aus Köln 👋 — wann kommt das Paket?"
    assert (message.from_, message.to) == ("+61422222222", "+61298441484")


def test_legacy_field_names_are_understood() -> None:
    legacy = urlencode({"message_id": "m-9", "sms": "+61433333333", "to": "+61298441484", "message": "old style"})
    [message] = adapter.parse_inbound(webhook_request("POST", URL, legacy.encode(), FORM), account)
    assert (message.from_, message.body) == ("+61433333333", "old style")


@pytest.mark.parametrize(
    ("body", "headers"),
    [(b"from=%2B614&to=%2B612", FORM), (b"[1, 2]", JSON), (b"{not json", JSON), (b"", FORM)],
)
def test_unparsable_inbound(body: bytes, headers: dict[str, str]) -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_inbound(webhook_request("POST", URL, body, headers), account)


def test_delivered_receipt() -> None:
    [update] = adapter.parse_status(form("receipt_delivered.form"), account)
    assert (update.provider_message_id, update.status, update.provider_status, update.error_code) == (
        "BF7AD270-0DE2-418B-B606-71D527D9C1AE",
        MessageStatus.DELIVERED,
        "Delivered",
        None,
    )


def test_failed_json_receipt_keeps_the_error_code() -> None:
    request = webhook_request("POST", URL, fixture("clicksend", "receipt_failed.json"), JSON)
    [update] = adapter.parse_status(request, account)
    assert (update.status, update.provider_status, update.error_code) == (MessageStatus.UNDELIVERED, "Failed", "12")


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        ("Queued", "200", MessageStatus.QUEUED),
        ("Scheduled", "200", MessageStatus.QUEUED),
        ("WaitApproval", "200", MessageStatus.QUEUED),
        ("Sent", "200", MessageStatus.SENT),
        ("Failed", "300", MessageStatus.SENT),  # temporary network error: ClickSend retries
        ("Delivered", "201", MessageStatus.DELIVERED),
        ("Failed", "301", MessageStatus.UNDELIVERED),
        ("Cancelled", "301", MessageStatus.FAILED),
        ("CancelledAfterReview", "301", MessageStatus.FAILED),
    ],
)
def test_status_code_mapping(status: str, code: str, expected: MessageStatus) -> None:
    [update] = adapter.parse_status(receipt(status=status, status_code=code), account)
    assert (update.status, update.provider_status) == (expected, status)


def test_a_late_sent_receipt_ranks_below_delivered() -> None:
    [late] = adapter.parse_status(receipt(status="Sent", status_code="200"), account)
    assert STATUS_RANK[late.status] < STATUS_RANK[MessageStatus.DELIVERED]


@pytest.mark.parametrize("changes", [{"status_code": "999"}, {"status_code": ""}, {"message_id": ""}])
def test_unparsable_receipts(changes: dict[str, str]) -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_status(receipt(**changes), account)


def test_send_posts_one_message_with_basic_auth_and_custom_string() -> None:
    session, transport = canned_session(Canned(200, fixture_json("clicksend", "send_ok.json")))
    sms = OutboundSms(
        to="+61411111111",
        from_="+61298441484",
        body="Your order 1042 has shipped ✓",
        client_reference="msg-1042",
        status_callback_url=URL + "/status",
    )
    result = adapter.send(account, sms, session)
    assert (result.provider_message_id, result.status) == ("BF7AD270-0DE2-418B-B606-71D527D9C1AE", "queued")
    [sent] = transport.sent
    assert sent.url == "https://rest.clicksend.com/v3/sms/send"
    expected_auth = "Basic " + base64.b64encode(b"api-user:CS-API-KEY-1").decode()
    assert sent.headers["Authorization"] == expected_auth
    assert json.loads(sent.body or b"") == {
        "messages": [
            {
                "source": "sdk",
                "from": "+61298441484",
                "to": "+61411111111",
                "body": "Your order 1042 has shipped ✓",
                "custom_string": "msg-1042",
            }
        ]
    }


def test_send_errors_keep_clicksend_codes() -> None:
    session, _ = canned_session(
        Canned(200, fixture_json("clicksend", "send_invalid_recipient.json")),
        Canned(401, fixture_json("clicksend", "send_unauthorized.json")),
        Canned(429, {"http_code": 429, "response_code": "TOO_MANY_REQUESTS", "response_msg": "", "data": None},
               {"Retry-After": "3"}),
        Canned(500, "upstream"),
        Canned(error=requests.ConnectionError("reset")),
        Canned(200, {"http_code": 200, "response_code": "SUCCESS", "data": {"messages": []}}),
    )  # fmt: skip
    sms = OutboundSms(to="+6141", from_="+61298441484", body="x")
    expected = [
        (False, "INVALID_RECIPIENT", None),
        (False, "UNAUTHORIZED", None),
        (True, "TOO_MANY_REQUESTS", 3.0),
        (True, "500", None),
        (True, "connection", None),
        (True, None, None),
    ]
    for retryable, code, retry_after in expected:
        with pytest.raises(SendError) as caught:
            adapter.send(account, sms, session)
        assert (caught.value.retryable, caught.value.code, caught.value.retry_after) == (retryable, code, retry_after)


def test_throttled_message_status_in_a_200_is_retryable() -> None:
    answer = fixture_json("clicksend", "send_ok.json")
    answer["data"]["messages"][0]["status"] = "THROTTLED"
    session, _ = canned_session(Canned(200, answer))
    with pytest.raises(SendError) as caught:
        adapter.send(account, OutboundSms(to="+61411111111", from_="+61298441484", body="x"), session)
    assert (caught.value.retryable, caught.value.code) == (True, "THROTTLED")


def test_webhook_answers_are_plain_200() -> None:
    assert adapter.inbound_answer().status_code == 200 and adapter.status_answer().status_code == 200


def test_sandbox_understands_send() -> None:
    session, transport = canned_session(Canned(200, fixture_json("clicksend", "send_ok.json")))
    sms = OutboundSms(to="+61411111111", from_="+61298441484", body="Hi ✓", client_reference="msg-7")
    adapter.send(account, sms, session)
    status, answer, seen = adapter.sandbox_accept(as_webhook_request(transport.sent[0]), "m-1")
    assert status == 200 and answer["data"]["messages"][0] == {**answer["data"]["messages"][0], "message_id": "m-1"}
    assert (seen.to, seen.from_, seen.body, seen.client_reference) == (sms.to, sms.from_, sms.body, "msg-7")


def test_simulated_pushes_authenticate_and_round_trip() -> None:
    inbound = adapter.simulate_inbound(account, url=URL, from_="+61411111111", body="Hi", media=[], message_id="m1")
    report = adapter.simulate_status(account, url=URL + "/status", provider_message_id="p1", status="undelivered")
    assert report is not None
    for webhook in (inbound, report):
        adapter.verify(webhook_request("POST", URL, webhook.body, webhook.headers, webhook.query), account)
    [update] = adapter.parse_status(webhook_request("POST", URL, report.body, report.headers), account)
    assert (update.provider_message_id, update.status, update.error_code) == ("p1", MessageStatus.UNDELIVERED, "8")
