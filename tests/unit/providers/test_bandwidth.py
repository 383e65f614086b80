"""Bandwidth Messaging v2 adapter: one callback URL for every event (JSON arrays), basic auth set on the
application, message-received as inbound, sending/delivered/failed as status on either route, and
`POST /users/{accountId}/messages`."""

from __future__ import annotations

import base64
import json

import pytest

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import STATUS_RANK, MessageStatus
from smschannel.providers.bandwidth import BandwidthAdapter
from smschannel.providers.base import OutboundSms, SendError, WebhookRequest

from .support import Canned, as_webhook_request, canned_session, fixture, fixture_json, make_account, webhook_request

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-bandwidth"
CREDENTIALS = {
    "accountId": "9900000",
    "applicationId": "93de2206-9669-4e07-948d-329f4b722ee2",
    "username": "api-user",
    "password": "api-password",
    "callbackUsername": "bw-callbacks",
    "callbackPassword": "callback-password-0123456789",
}
adapter = BandwidthAdapter()
account = make_account("bandwidth", CREDENTIALS, phone="+12345678902")


def authorized(
    body: bytes, user: str = "bw-callbacks", password: str = "callback-password-0123456789"
) -> WebhookRequest:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    headers = {"Content-Type": "application/json; charset=utf-8", "Authorization": f"Basic {token}"}
    return webhook_request("POST", URL, body, headers)


def test_callback_credentials_authenticate() -> None:
    adapter.verify(authorized(fixture("bandwidth", "message_received_sms.json")), account)


def test_missing_basic_auth_is_401_and_a_secret_query_is_not_enough() -> None:
    body = fixture("bandwidth", "message_received_sms.json")
    with pytest.raises(MissingSignature):
        adapter.verify(webhook_request("POST", URL, body), account)
    query = {"secret": CREDENTIALS["callbackPassword"]}
    with pytest.raises(MissingSignature):
        adapter.verify(webhook_request("POST", URL, body, query=query), account)


@pytest.mark.parametrize(
    ("user", "password"),
    [("bw-callbacks", "wrong"), ("someone-else", "callback-password-0123456789"), ("", "")],
)
def test_wrong_user_or_password_is_403(user: str, password: str) -> None:
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(authorized(fixture("bandwidth", "message_received_sms.json"), user, password), account)
    assert not isinstance(caught.value, MissingSignature)


def test_documented_message_received() -> None:
    request = authorized(fixture("bandwidth", "message_received_sms.json"))
    [message] = adapter.parse_inbound(request, account)
    assert (message.provider_message_id, message.from_, message.to, message.body, message.media) == (
        "14762070468292kw2fuqty55yp2b2",
        "+12345678901",
        "+12345678902",
        "Hey, check this out!",
        [],
    )
    assert adapter.parse_inbound_statuses(request, account) == []


def test_group_mms_unicode_keeps_media_with_inferred_content_types() -> None:
    [message] = adapter.parse_inbound(
        authorized(fixture("bandwidth", "message_received_mms_group_unicode.json")), account
    )
    assert message.to == "+12345678902" and message.body == "Voilà la photo 📷"
    assert [(item.url.rsplit("/", 1)[-1], item.content_type) for item in message.media] == [
        ("IMG_0001.jpg", "image/jpeg"),
        ("clip.mp4", "video/mp4"),
    ]


def test_status_events_on_the_inbound_url_are_status_updates() -> None:
    request = authorized(fixture("bandwidth", "mixed_events.json"))
    [message] = adapter.parse_inbound(request, account)
    assert message.provider_message_id == "1709287201000in0000000000001"
    sending, delivered = adapter.parse_inbound_statuses(request, account)
    assert (sending.provider_message_id, sending.status, sending.provider_status) == (
        "1709287200000out000000000001",
        MessageStatus.SENT,
        "message-sending",
    )
    assert delivered.status == MessageStatus.DELIVERED


def test_delivered_and_failed_on_the_status_route() -> None:
    [delivered] = adapter.parse_status(authorized(fixture("bandwidth", "message_delivered.json")), account)
    assert (delivered.provider_message_id, delivered.status, delivered.error_code) == (
        "14762070468292kw2fuqty55yp2b2",
        MessageStatus.DELIVERED,
        None,
    )
    [failed] = adapter.parse_status(authorized(fixture("bandwidth", "message_failed.json")), account)
    assert (failed.status, failed.error_code, failed.provider_status) == (
        MessageStatus.FAILED,
        "4432",
        "message-failed",
    )


def test_a_late_sending_event_ranks_below_delivered() -> None:
    """Events may arrive out of order (each is its own POST); the repository keeps the higher rank."""
    events = fixture_json("bandwidth", "mixed_events.json")
    late_first = json.dumps([events[2], events[0]]).encode()
    delivered, sending = adapter.parse_status(authorized(late_first), account)
    assert STATUS_RANK[sending.status] < STATUS_RANK[delivered.status]


def test_unknown_event_on_status_route_is_unparsable_but_ignored_inbound() -> None:
    event = fixture_json("bandwidth", "message_delivered.json")[0] | {"type": "message-teleported"}
    request = authorized(json.dumps([event]).encode())
    with pytest.raises(UnparsableWebhook):
        adapter.parse_status(request, account)
    assert adapter.parse_inbound(request, account) == [] and adapter.parse_inbound_statuses(request, account) == []


@pytest.mark.parametrize("body", [b'"x"', b"[1]", b'[{"type": "message-received", "message": {}}]', b"{"])
def test_unparsable_callbacks(body: bytes) -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_inbound(authorized(body), account)


def test_send_posts_to_the_account_with_basic_auth() -> None:
    session, transport = canned_session(Canned(202, fixture_json("bandwidth", "send_ok.json")))
    sms = OutboundSms(
        to="+19195551234",
        from_="+19195554321",
        body="Hello world",
        media=["https://media.example/a.png"],
        client_reference="msg-1",
        status_callback_url=URL + "/status",
    )
    result = adapter.send(account, sms, session)
    assert result.provider_message_id == "1589228074636lm4k2je7j7jklbn2"
    [sent] = transport.sent
    assert sent.url == "https://messaging.bandwidth.com/api/v2/users/9900000/messages"
    assert sent.headers["Authorization"] == "Basic " + base64.b64encode(b"api-user:api-password").decode()
    assert json.loads(sent.body or b"") == {
        "applicationId": "93de2206-9669-4e07-948d-329f4b722ee2",
        "to": ["+19195551234"],
        "from": "+19195554321",
        "text": "Hello world",
        "media": ["https://media.example/a.png"],
        "tag": "msg-1",
    }


def test_send_errors_keep_the_bandwidth_type() -> None:
    session, _ = canned_session(
        Canned(400, fixture_json("bandwidth", "send_error.json")),
        Canned(401, {"type": "unauthorized", "description": "Authentication Failed"}),
        Canned(429, {"type": "too-many-requests", "description": "Too many requests"}, {"Retry-After": "3"}),
        Canned(503, "unavailable"),
    )
    sms = OutboundSms(to="+1invalid", from_="+19195554321", body="x")
    expected = [
        (False, "request-validation", None),
        (False, "unauthorized", None),
        (True, "too-many-requests", 3.0),
        (True, "503", None),
    ]
    for retryable, code, retry_after in expected:
        with pytest.raises(SendError) as caught:
            adapter.send(account, sms, session)
        assert (caught.value.retryable, caught.value.code, caught.value.retry_after) == (retryable, code, retry_after)


def test_webhook_answers_are_2xx() -> None:
    assert adapter.inbound_answer().status_code == 200 and adapter.status_answer().status_code == 200


def test_sandbox_understands_what_send_posted() -> None:
    session, transport = canned_session(Canned(202, fixture_json("bandwidth", "send_ok.json")))
    sms = OutboundSms(to="+19195551234", from_="+19195554321", body="Hi ✓", media=["https://m.example/x.gif"])
    adapter.send(account, sms, session)
    status, answer, seen = adapter.sandbox_accept(as_webhook_request(transport.sent[0]), "m-1")
    assert status == 202 and answer["id"] == "m-1" and answer["direction"] == "out"
    assert (seen.to, seen.from_, seen.body, seen.media) == (sms.to, sms.from_, sms.body, sms.media)


def test_simulated_events_authenticate_and_round_trip() -> None:
    inbound = adapter.simulate_inbound(
        account, url=URL, from_="+12345678901", body="hi", media=["https://m.example/p.png"], message_id="in-1"
    )
    failed = adapter.simulate_status(account, url=URL, provider_message_id="out-1", status="failed")
    assert failed is not None and failed.path_suffix == ""
    for webhook in (inbound, failed):
        adapter.verify(webhook_request("POST", URL, webhook.body, webhook.headers), account)
    [message] = adapter.parse_inbound(webhook_request("POST", URL, inbound.body), account)
    assert message.media[0].content_type == "image/png"
    [update] = adapter.parse_inbound_statuses(webhook_request("POST", URL, failed.body), account)
    assert (update.provider_message_id, update.status, update.error_code) == ("out-1", MessageStatus.FAILED, "4432")
