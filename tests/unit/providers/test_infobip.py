"""Infobip adapter: webhooks authenticated by the account's webhookSecret (basic auth or `?secret=`), MO_JSON_2
inbound batches, delivery reports by status group, and `POST /sms/2/text/advanced`."""

from __future__ import annotations

import base64
import json

import pytest
import requests

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import MessageStatus
from smschannel.providers.base import OutboundSms, SendError, WebhookRequest
from smschannel.providers.infobip import InfobipAdapter

from .support import Canned, as_webhook_request, canned_session, fixture, fixture_json, make_account, webhook_request

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-infobip"
SECRET = "infobip-webhook-secret-0123456789"
adapter = InfobipAdapter()
account = make_account("infobip", {"apiKey": "ib-api-key", "webhookSecret": SECRET}, phone="+385921004026")


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Content-Type": "application/json", "Authorization": f"Basic {token}"}


def with_secret(body: bytes, secret: str = SECRET) -> WebhookRequest:
    return webhook_request(
        "POST", URL + f"?secret={secret}", body, {"Content-Type": "application/json"}, {"secret": secret}
    )


def test_secret_query_parameter_authenticates() -> None:
    adapter.verify(with_secret(fixture("infobip", "inbound_sms.json")), account)


def test_basic_auth_password_authenticates_whatever_the_user_name() -> None:
    request = webhook_request("POST", URL, fixture("infobip", "inbound_sms.json"), basic("infobip", SECRET))
    adapter.verify(request, account)


def test_missing_credentials_are_401() -> None:
    with pytest.raises(MissingSignature):
        adapter.verify(webhook_request("POST", URL, fixture("infobip", "inbound_sms.json")), account)


@pytest.mark.parametrize(
    "headers, query",
    [
        (basic("infobip", "wrong-secret"), {}),
        ({"Authorization": "Basic not-base64!"}, {}),
        ({"Authorization": "Basic " + base64.b64encode(b"no-colon").decode()}, {}),
        ({}, {"secret": SECRET[:-1]}),
        ({}, {"secret": ""}),
    ],
)
def test_wrong_credentials_are_403(headers: dict[str, str], query: dict[str, str]) -> None:
    request = webhook_request("POST", URL, fixture("infobip", "inbound_sms.json"), headers, query)
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(request, account)
    assert not isinstance(caught.value, MissingSignature)


def test_account_without_secret_refuses_everything() -> None:
    empty = account.model_copy(update={"credentials": {"apiKey": "k", "webhookSecret": ""}})
    with pytest.raises(InvalidSignature):
        adapter.verify(with_secret(fixture("infobip", "inbound_sms.json"), ""), empty)


def test_documented_inbound_keeps_the_full_text_and_e164_numbers() -> None:
    [message] = adapter.parse_inbound(webhook_request("POST", URL, fixture("infobip", "inbound_sms.json")), account)
    assert (message.provider_message_id, message.from_, message.to, message.body) == (
        "817790313235066447",
        "+385916242493",
        "+385921004026",
        "QUIZ Correct answer is Paris",
    )
    assert message.media == [] and message.part is None


def test_inbound_batch_unicode_gives_one_message_each() -> None:
    request = webhook_request("POST", URL, fixture("infobip", "inbound_batch_unicode.json"))
    first, second = adapter.parse_inbound(request, account)
    assert first.body == "Grüße, wo bleibt mein Paket? 📦" and first.from_ == "+4915112345678"
    assert (second.provider_message_id, second.body) == ("817790313235066449", "STOP")


@pytest.mark.parametrize("body", [b"[]", b'{"results": {}}', b'{"results": [{"messageId": "1"}]}', b"not json"])
def test_unparsable_inbound(body: bytes) -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_inbound(webhook_request("POST", URL, body), account)


def test_delivered_report() -> None:
    [update] = adapter.parse_status(webhook_request("POST", URL, fixture("infobip", "report_delivered.json")), account)
    assert (update.provider_message_id, update.status, update.provider_status, update.error_code) == (
        "MESSAGE-ID-123-xyz",
        MessageStatus.DELIVERED,
        "DELIVERED_TO_HANDSET",
        None,
    )


def test_report_batch_keeps_error_code_per_message() -> None:
    request = webhook_request("POST", URL, fixture("infobip", "report_undeliverable.json"))
    failed, pending = adapter.parse_status(request, account)
    assert (failed.status, failed.provider_status, failed.error_code) == (
        MessageStatus.UNDELIVERED,
        "UNDELIVERABLE_NOT_DELIVERED",
        "1",
    )
    assert (pending.status, pending.error_code) == (MessageStatus.SENT, None)


@pytest.mark.parametrize(
    ("group", "status"),
    [
        ("PENDING", MessageStatus.SENT),
        ("DELIVERED", MessageStatus.DELIVERED),
        ("UNDELIVERABLE", MessageStatus.UNDELIVERED),
        ("EXPIRED", MessageStatus.UNDELIVERED),
        ("REJECTED", MessageStatus.FAILED),
    ],
)
def test_status_group_mapping(group: str, status: MessageStatus) -> None:
    document = fixture_json("infobip", "report_delivered.json")
    document["results"][0]["status"]["groupName"] = group
    [update] = adapter.parse_status(webhook_request("POST", URL, json.dumps(document).encode()), account)
    assert update.status == status


def test_late_pending_report_ranks_below_delivered() -> None:
    """Reports may arrive out of order; the repository keeps the higher rank, so a late PENDING is irrelevant."""
    from smschannel.models import STATUS_RANK

    document = fixture_json("infobip", "report_delivered.json")
    document["results"][0]["status"]["groupName"] = "PENDING"
    [late] = adapter.parse_status(webhook_request("POST", URL, json.dumps(document).encode()), account)
    assert STATUS_RANK[late.status] < STATUS_RANK[MessageStatus.DELIVERED]


def test_unknown_status_group_is_unparsable() -> None:
    document = fixture_json("infobip", "report_delivered.json")
    document["results"][0]["status"]["groupName"] = "SOMETHING_NEW"
    with pytest.raises(UnparsableWebhook):
        adapter.parse_status(webhook_request("POST", URL, json.dumps(document).encode()), account)


def test_send_posts_advanced_text_with_app_key_and_authenticated_notify_url() -> None:
    session, transport = canned_session(Canned(200, fixture_json("infobip", "send_ok.json")))
    sms = OutboundSms(
        to="+41793026727",
        from_="+385921004026",
        body="Merci ✓",
        client_reference="msg-1",
        status_callback_url=URL + "/status",
    )
    result = adapter.send(account, sms, session)
    assert result.provider_message_id == "2250be2d4219-3af1-78856-aabe-1362af1edfd2"
    assert result.status == MessageStatus.SENT
    [sent] = transport.sent
    assert sent.url == "https://api.infobip.com/sms/2/text/advanced"
    assert sent.headers["Authorization"] == "App ib-api-key"
    assert json.loads(sent.body or b"") == {
        "messages": [
            {
                "destinations": [{"to": "41793026727"}],
                "from": "385921004026",
                "text": "Merci ✓",
                "notifyUrl": f"{URL}/status?secret={SECRET}",
                "notifyContentType": "application/json",
                "callbackData": "msg-1",
            }
        ]
    }


def test_alphanumeric_sender_and_account_base_url() -> None:
    personal = account.model_copy(update={"api_base_url": "https://xyz12.api.infobip.com/"})
    session, transport = canned_session(Canned(200, fixture_json("infobip", "send_ok.json")))
    adapter.send(personal, OutboundSms(to="+41793026727", from_="InfoSMS", body="hi"), session)
    [sent] = transport.sent
    assert sent.url == "https://xyz12.api.infobip.com/sms/2/text/advanced"
    assert json.loads(sent.body or b"")["messages"][0]["from"] == "InfoSMS"
    assert "notifyUrl" not in json.loads(sent.body or b"")["messages"][0]


def test_send_errors_keep_infobip_codes() -> None:
    session, _ = canned_session(
        Canned(400, fixture_json("infobip", "send_error.json")),
        Canned(429, {"requestError": {"serviceException": {"messageId": "TOO_MANY_REQUESTS", "text": "x"}}},
               {"Retry-After": "2"}),
        Canned(500, "upstream"),
        Canned(200, fixture_json("infobip", "send_rejected.json")),
        Canned(error=requests.Timeout()),
    )  # fmt: skip
    sms = OutboundSms(to="+41793026727", from_="InfoSMS", body="x")
    expected = [
        (False, "BAD_REQUEST", None),
        (True, "TOO_MANY_REQUESTS", 2.0),
        (True, "500", None),
        (False, "REJECTED_NOT_ENOUGH_CREDITS", None),
        (True, "timeout", None),
    ]
    for retryable, code, retry_after in expected:
        with pytest.raises(SendError) as caught:
            adapter.send(account, sms, session)
        assert (caught.value.retryable, caught.value.code, caught.value.retry_after) == (retryable, code, retry_after)


def test_unauthorized_send_is_permanent() -> None:
    unauthorized = {
        "requestError": {"serviceException": {"messageId": "UNAUTHORIZED", "text": "Invalid login details"}}
    }
    session, _ = canned_session(Canned(401, unauthorized))
    with pytest.raises(SendError) as caught:
        adapter.send(account, OutboundSms(to="+41793026727", from_="InfoSMS", body="x"), session)
    assert (caught.value.retryable, caught.value.code) == (False, "UNAUTHORIZED")


def test_webhook_answers_are_plain_200() -> None:
    assert adapter.inbound_answer().status_code == 200 and adapter.status_answer().status_code == 200


def test_sandbox_understands_send_and_never_records_the_secret() -> None:
    session, transport = canned_session(Canned(200, fixture_json("infobip", "send_ok.json")))
    sms = OutboundSms(to="+41793026727", from_="+385921004026", body="Hi ✓", status_callback_url=URL + "/status?x=1")
    adapter.send(account, sms, session)
    status, answer, seen = adapter.sandbox_accept(as_webhook_request(transport.sent[0]), "m-1")
    assert status == 200 and answer["messages"][0]["messageId"] == "m-1"
    assert (seen.to, seen.from_, seen.body, seen.status_callback_url) == (
        sms.to,
        sms.from_,
        sms.body,
        URL + "/status?x=1",
    )


def test_simulated_webhooks_authenticate_with_the_secret_query() -> None:
    inbound = adapter.simulate_inbound(account, url=URL, from_="+41793026727", body="Hi", media=[], message_id="m1")
    report = adapter.simulate_status(account, url=URL + "/status", provider_message_id="p1", status="undeliverable")
    assert report is not None
    for webhook in (inbound, report):
        adapter.verify(webhook_request("POST", URL, webhook.body, webhook.headers, webhook.query), account)
    [update] = adapter.parse_status(webhook_request("POST", URL, report.body), account)
    assert (update.status, update.error_code) == (MessageStatus.UNDELIVERED, "1")
