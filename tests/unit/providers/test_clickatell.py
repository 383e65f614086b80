"""Clickatell adapter: callbacks authenticated by the account's webhookSecret (basic auth or `?secret=`), One API
`moText` / `messageStatusUpdate` events, the older Platform reply and status callbacks (with UDH parts), and
One API `POST /v1/message` with message-level rejects as send errors."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import STATUS_RANK, MessageStatus
from smschannel.providers.base import OutboundSms, SendError, WebhookRequest
from smschannel.providers.clickatell import ClickatellAdapter

from .support import Canned, as_webhook_request, canned_session, fixture, fixture_json, make_account, webhook_request

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-clickatell"
SECRET = "clickatell-webhook-secret-0123456789"
JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
adapter = ClickatellAdapter()
account = make_account("clickatell", {"apiKey": "CA-API-KEY==", "webhookSecret": SECRET}, phone="+2799900002")


def posted(name: str, headers: dict[str, str] | None = None, query: dict[str, str] | None = None) -> WebhookRequest:
    content_type = FORM if name.endswith(".form") else JSON
    return webhook_request("POST", URL, fixture("clickatell", name), {**content_type, **(headers or {})}, query)


def status_with(name: str, code: int | str) -> WebhookRequest:
    document = fixture_json("clickatell", "status_update.json")
    document["event"]["messageStatusUpdate"] = [{**document["event"]["messageStatusUpdate"][0], "status": name,
                                                 "statusCode": code}]  # fmt: skip
    return webhook_request("POST", URL, json.dumps(document).encode(), JSON)


def test_secret_query_parameter_authenticates() -> None:
    adapter.verify(posted("mo_text.json", query={"secret": SECRET}), account)


def test_basic_auth_password_authenticates() -> None:
    token = base64.b64encode(f"clickatell:{SECRET}".encode()).decode()
    adapter.verify(posted("mo_text.json", {"Authorization": f"Basic {token}"}), account)


def test_missing_secret_is_401() -> None:
    with pytest.raises(MissingSignature):
        adapter.verify(posted("mo_text.json"), account)


@pytest.mark.parametrize("query", [{"secret": SECRET[:-1]}, {"secret": ""}, {"secret": SECRET + "x"}])
def test_wrong_secret_is_403(query: dict[str, str]) -> None:
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(posted("mo_text.json", query=query), account)
    assert not isinstance(caught.value, MissingSignature)


def test_documented_one_api_mo_text() -> None:
    [message] = adapter.parse_inbound(posted("mo_text.json"), account)
    assert (message.provider_message_id, message.from_, message.to, message.body) == (
        "3a89680503414383af44dcd0e4e5f184",
        "+2799900001",
        "+2799900002",
        "Text Content of the reply message",
    )
    assert message.media == [] and message.part is None


def test_mo_text_batch_keeps_sms_with_unicode_and_skips_other_channels() -> None:
    first, second = adapter.parse_inbound(posted("mo_text_batch_unicode.json"), account)
    assert (first.body, first.from_) == ("Ngiyabonga! Ça marche 👍", "+27821234567")
    assert (second.provider_message_id, second.body) == ("9d3e2b4c6e8f0a1b3c5d7e9f1a2b3c4d", "STOP")


def test_platform_reply_callback_uses_the_reply_id_and_udh_part() -> None:
    [message] = adapter.parse_inbound(posted("reply_platform.json"), account)
    assert (message.provider_message_id, message.from_, message.to) == (
        "e7a1c9b3d5f74e2a8c6b0d4f2a8e6c1b",
        "+447911123456",
        "+447860024227",
    )
    assert message.part == ("cc", 1, 2)


@pytest.mark.parametrize(("udh", "part"), [("0608040A0B0302", ("0a0b", 2, 3)), ("", None), ("zz", None), ("00", None)])
def test_udh_concatenation_headers(udh: str, part: tuple[str, int, int] | None) -> None:
    document = fixture_json("clickatell", "reply_platform.json")
    document["udh"] = udh
    [message] = adapter.parse_inbound(webhook_request("POST", URL, json.dumps(document).encode(), JSON), account)
    assert message.part == part


def test_platform_reply_as_form_post_and_get() -> None:
    [posted_form] = adapter.parse_inbound(posted("reply_platform.form"), account)
    assert (posted_form.provider_message_id, posted_form.body) == ("f1b2c3d4e5f60718293a4b5c6d7e8f90", "Yes please")
    query = {"fromNumber": "447911123456", "toNumber": "447860024227", "replyMessageId": "r-1", "text": "via GET"}
    [got] = adapter.parse_inbound(webhook_request("GET", URL, query=query), account)
    assert (got.provider_message_id, got.body, got.from_) == ("r-1", "via GET", "+447911123456")


@pytest.mark.parametrize(
    "body",
    [b"[]", b'{"event": {"moText": {}}}', b'{"event": {"moText": [{"messageId": "1"}]}}', b'{"text": "x"}', b"{bad"],
)
def test_unparsable_inbound(body: bytes) -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_inbound(webhook_request("POST", URL, body, JSON), account)


def test_one_api_status_batch_keeps_the_failure_code() -> None:
    delivered, failed = adapter.parse_status(posted("status_update.json"), account)
    assert (delivered.provider_message_id, delivered.status, delivered.provider_status, delivered.error_code) == (
        "77fb29998253415fa5d66971d519d362",
        MessageStatus.DELIVERED,
        "DEVICE_ACK",
        None,
    )
    assert (failed.status, failed.provider_status, failed.error_code) == (
        MessageStatus.UNDELIVERED,
        "DELIVERY_FAILURE",
        "23",
    )


def test_status_events_on_the_inbound_url_are_status_updates_not_messages() -> None:
    request = posted("status_update.json")
    assert adapter.parse_inbound(request, account) == []
    assert [update.status for update in adapter.parse_inbound_statuses(request, account)] == [
        MessageStatus.DELIVERED,
        MessageStatus.UNDELIVERED,
    ]
    assert adapter.parse_inbound_statuses(posted("mo_text.json"), account) == []


def test_platform_status_callback() -> None:
    [update] = adapter.parse_status(posted("status_platform.json"), account)
    assert (update.provider_message_id, update.status, update.provider_status) == (
        "77fb29998253415fa5d66971d519d362",
        MessageStatus.DELIVERED,
        "RECEIVED_BY_RECIPIENT",
    )


@pytest.mark.parametrize(
    ("name", "code", "expected"),
    [
        ("QUEUED", 2, MessageStatus.QUEUED),
        ("SCHEDULED", 3, MessageStatus.QUEUED),
        ("SENT_TO_SUPPLIER", 4, MessageStatus.SENT),
        ("DEVICE_ACK", 5, MessageStatus.DELIVERED),
        ("READ", 6, MessageStatus.READ),
        ("EXPIRED", 20, MessageStatus.UNDELIVERED),
        ("ROUTING_ERROR", 100, MessageStatus.UNDELIVERED),
        ("STOPPED_BY_ADMIN", 22, MessageStatus.FAILED),
        ("INSUFFICIENT_ACCOUNT_BALANCE", 25, MessageStatus.FAILED),
        ("DELIVERED_TO_GATEWAY", 3, MessageStatus.SENT),
        ("ROUTING_ERROR_RETRYING", 2, MessageStatus.SENT),
        ("RECEIVED_BY_RECIPIENT", 4, MessageStatus.DELIVERED),
        ("ERROR_DELIVERING", 7, MessageStatus.UNDELIVERED),
        ("OUT_OF_CREDIT", 12, MessageStatus.FAILED),
    ],
)
def test_status_mapping(name: str, code: int, expected: MessageStatus) -> None:
    [update] = adapter.parse_status(status_with(name, code), account)
    assert (update.status, update.provider_status) == (expected, name)


def test_a_late_sent_to_supplier_ranks_below_delivered() -> None:
    [late] = adapter.parse_status(status_with("SENT_TO_SUPPLIER", 4), account)
    assert STATUS_RANK[late.status] < STATUS_RANK[MessageStatus.DELIVERED]


def test_unknown_status_is_unparsable() -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_status(status_with("SOMETHING_NEW", 999), account)


def test_send_posts_one_api_message_with_the_api_key() -> None:
    session, transport = canned_session(Canned(202, fixture_json("clickatell", "send_ok.json")))
    sms = OutboundSms(
        to="+2799900001", from_="+2799900002", body="Sawubona ✓", client_reference="msg-77",
        status_callback_url=URL + "/status",
    )  # fmt: skip
    result = adapter.send(account, sms, session)
    assert (result.provider_message_id, result.status) == ("77fb29998253415fa5d66971d519d362", MessageStatus.QUEUED)
    [sent] = transport.sent
    assert sent.url == "https://platform.clickatell.com/v1/message"
    assert sent.headers["Authorization"] == "CA-API-KEY=="
    assert json.loads(sent.body or b"") == {
        "messages": [
            {"channel": "sms", "to": "2799900001", "content": "Sawubona ✓", "from": "2799900002",
             "clientMessageId": "msg-77"}
        ]
    }  # fmt: skip


def test_send_errors_keep_clickatell_codes() -> None:
    session, _ = canned_session(
        Canned(400, fixture_json("clickatell", "send_rejected.json")),
        Canned(202, fixture_json("clickatell", "send_rejected.json")),
        Canned(401, fixture_json("clickatell", "send_unauthorized.json")),
        Canned(503, {"messages": [], "error": {"code": 301, "description": "Service unavailable"}},
               {"Retry-After": "5"}),
        Canned(429, "slow down"),
        Canned(error=requests.Timeout()),
    )  # fmt: skip
    sms = OutboundSms(to="+2799", from_="+2799900002", body="x")
    expected = [
        (False, "400", None),  # message-level error: the global error object is null
        (False, "105", None),
        (False, "1", None),
        (True, "301", 5.0),
        (True, "429", None),
        (True, "timeout", None),
    ]
    for retryable, code, retry_after in expected:
        with pytest.raises(SendError) as caught:
            adapter.send(account, sms, session)
        assert (caught.value.retryable, caught.value.code, caught.value.retry_after) == (retryable, code, retry_after)


def test_webhook_answers_are_plain_200() -> None:
    assert adapter.inbound_answer().status_code == 200 and adapter.status_answer().status_code == 200


def test_sandbox_understands_send() -> None:
    session, transport = canned_session(Canned(202, fixture_json("clickatell", "send_ok.json")))
    sms = OutboundSms(to="+2799900001", from_="+2799900002", body="Hi ✓", client_reference="msg-7")
    adapter.send(account, sms, session)
    status, answer, seen = adapter.sandbox_accept(as_webhook_request(transport.sent[0]), "m-1")
    assert status == 202 and answer["messages"][0]["apiMessageId"] == "m-1"
    assert (seen.to, seen.from_, seen.body, seen.client_reference) == (sms.to, sms.from_, sms.body, "msg-7")


def test_simulated_callbacks_authenticate_and_round_trip() -> None:
    inbound = adapter.simulate_inbound(account, url=URL, from_="+2799900001", body="Hi", media=[], message_id="m1")
    report = adapter.simulate_status(account, url=URL + "/status", provider_message_id="p1", status="undelivered")
    assert report is not None
    for webhook in (inbound, report):
        adapter.verify(webhook_request("POST", URL, webhook.body, webhook.headers, webhook.query), account)
    [update] = adapter.parse_status(webhook_request("POST", URL, report.body, report.headers), account)
    assert (update.provider_message_id, update.status, update.error_code) == ("p1", MessageStatus.UNDELIVERED, "23")
