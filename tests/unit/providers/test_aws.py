"""AWS End User Messaging SMS adapter: SNS-signed notifications (SignatureVersion 1 and 2) verified with a
certificate from sns.<region>.amazonaws.com (here a self-made CA's leaf, served by a replaced fetcher), the
account's TopicArn, two-way inbound messages, SMS delivery events, and a SigV4-signed SendTextMessage."""

from __future__ import annotations

import base64
import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import STATUS_RANK, AccountOptions, MessageStatus
from smschannel.providers import aws
from smschannel.providers.aws import AwsAdapter
from smschannel.providers.base import OutboundSms, SendError, WebhookRequest

from .support import Canned, as_webhook_request, canned_session, fixture, fixture_json, make_account, webhook_request

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/webhooks/acct-aws"
TOPIC = "arn:aws:sns:us-west-2:123456789012:MyTopic"
CERT_URL = "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem"
adapter = AwsAdapter()
account = make_account(
    "aws",
    {"topicArn": TOPIC, "accessKeyId": "AKIDEXAMPLE", "secretAccessKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"},
    phone="+12125550101",
)


def _issue(
    subject: str, issuer_key: rsa.RSAPrivateKey, issuer: x509.Name | None, key: rsa.RSAPrivateKey
) -> x509.Certificate:
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, subject)])
    now = datetime.datetime.now(datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(issuer_key, hashes.SHA256())
    )


CA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CA = _issue("Test Root CA", CA_KEY, None, CA_KEY)
SNS_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
SNS_CERT = _issue("sns.amazonaws.com", CA_KEY, CA.subject, SNS_KEY)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(autouse=True)
def certificate_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return SNS_CERT.public_bytes(serialization.Encoding.PEM)

    monkeypatch.setattr(aws, "fetch_certificate", fetch)
    monkeypatch.setattr(aws, "_certificates", {})
    yield fetched


def sns(
    message: dict[str, Any] | str, *, version: str = "1", key: rsa.RSAPrivateKey = SNS_KEY, **fields: Any
) -> dict[str, Any]:
    """A Notification signed as SNS signs it (computed here independently of the adapter's signer)."""
    document: dict[str, Any] = {
        "Type": "Notification",
        "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324",
        "TopicArn": TOPIC,
        "Message": message if isinstance(message, str) else json.dumps(message),
        "Timestamp": "2024-03-01T10:00:00.000Z",
        "SignatureVersion": version,
        "SigningCertURL": CERT_URL,
        "UnsubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
    }
    document.update(fields)
    names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    if document["Type"] != "Notification":
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    canonical = "".join(f"{name}\n{document[name]}\n" for name in names if name in document).encode()
    digest = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303 - SNS SignatureVersion 1 is SHA1
    document["Signature"] = base64.b64encode(key.sign(canonical, padding.PKCS1v15(), digest)).decode()
    return document


def post(document: dict[str, Any]) -> WebhookRequest:
    headers = {"Content-Type": "text/plain; charset=UTF-8", "x-amz-sns-message-type": str(document["Type"])}
    return webhook_request("POST", URL, json.dumps(document).encode(), headers)


@pytest.mark.parametrize("version", ["1", "2"])
def test_signed_inbound_notification(version: str, certificate_server: list[str]) -> None:
    request = post(sns(fixture_json("aws", "inbound_message.json"), version=version))
    adapter.verify(request, account)
    adapter.verify(request, account)
    assert certificate_server == [CERT_URL]  # downloaded once, then cached
    [message] = adapter.parse_inbound(request, account)
    assert (message.provider_message_id, message.from_, message.to, message.body) == (
        "cae173d2-66b9-564c-8309-21f858e9fb84",
        "+14255550182",
        "+12125550101",
        "EXAMPLE",
    )
    assert adapter.parse_inbound_statuses(request, account) == []


def test_subject_is_part_of_the_signed_string() -> None:
    adapter.verify(post(sns(fixture_json("aws", "inbound_message.json"), Subject="hello")), account)


def test_unicode_body() -> None:
    message = fixture_json("aws", "inbound_message.json") | {"messageBody": "Grüße 📦"}
    [parsed] = adapter.parse_inbound(post(sns(message)), account)
    assert parsed.body == "Grüße 📦"


@pytest.mark.parametrize("body", [b"", b"{}", b'{"Type": "Notification", "Message": "x"}', b"not json"])
def test_unsigned_is_401(body: bytes) -> None:
    with pytest.raises(MissingSignature):
        adapter.verify(webhook_request("POST", URL, body, {"Content-Type": "text/plain"}), account)


def forged() -> list[tuple[str, dict[str, Any]]]:
    good = sns(fixture_json("aws", "inbound_message.json"))
    tampered = dict(good, Message=good["Message"].replace("EXAMPLE", "EXAMPL3"))
    return [
        ("tampered message", tampered),
        ("other key", sns(fixture_json("aws", "inbound_message.json"), key=OTHER_KEY)),
        ("foreign cert host", dict(good, SigningCertURL="https://evil.example/sns.us-west-2.amazonaws.com.pem")),
        ("lookalike host", dict(good, SigningCertURL="https://sns.us-west-2.amazonaws.com.evil.example/x.pem")),
        ("plain http", dict(good, SigningCertURL=CERT_URL.replace("https", "http"))),
        ("other topic", sns(fixture_json("aws", "inbound_message.json"), TopicArn=TOPIC + "-other")),
        ("unknown version", dict(good, SignatureVersion="3")),
        ("bad base64", dict(good, Signature="***")),
    ]


@pytest.mark.parametrize(("case", "document"), forged(), ids=[case for case, _ in forged()])
def test_forged_is_403(case: str, document: dict[str, Any]) -> None:
    with pytest.raises(InvalidSignature) as caught:
        adapter.verify(post(document), account)
    assert not isinstance(caught.value, MissingSignature)


def test_unreachable_certificate_is_403(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(url: str) -> bytes:
        raise requests.ConnectionError("no route")

    monkeypatch.setattr(aws, "fetch_certificate", fail)
    with pytest.raises(InvalidSignature, match="certificate"):
        adapter.verify(post(sns(fixture_json("aws", "inbound_message.json"))), account)


def test_subscription_confirmation_is_verified_and_confirmed(monkeypatch: pytest.MonkeyPatch) -> None:
    confirmed: list[str] = []
    monkeypatch.setattr(aws, "confirm_subscription", confirmed.append)
    documented = fixture_json("aws", "subscription_confirmation.json")
    fields = {key: documented[key] for key in ("Token", "SubscribeURL", "MessageId", "Timestamp")}
    document = sns(documented["Message"], Type="SubscriptionConfirmation", **fields)
    request = post(document)
    adapter.verify(request, account)
    assert adapter.parse_inbound(request, account) == []
    assert confirmed == [documented["SubscribeURL"]]


def test_subscribe_url_off_sns_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aws, "confirm_subscription", lambda url: pytest.fail("must not be called"))
    document = sns("confirm", Type="SubscriptionConfirmation", Token="t", SubscribeURL="https://evil.example/?x")
    with pytest.raises(InvalidSignature):
        adapter.parse_inbound(post(document), account)


def test_delivery_events_on_either_route() -> None:
    request = post(sns(fixture_json("aws", "event_text_successful.json")))
    [update] = adapter.parse_status(request, account)
    assert (update.provider_message_id, update.status, update.provider_status, update.error_code) == (
        "862a8790-60c0-4430-9b2b-658bdexample",
        MessageStatus.SENT,
        "SUCCESSFUL",
        None,
    )
    assert adapter.parse_inbound(request, account) == []
    [same] = adapter.parse_inbound_statuses(request, account)
    assert (same.provider_message_id, same.status) == (update.provider_message_id, update.status)


@pytest.mark.parametrize(
    ("raw", "final", "status"),
    [
        ("PENDING", False, MessageStatus.QUEUED),
        ("SUCCESSFUL", True, MessageStatus.SENT),
        ("DELIVERED", True, MessageStatus.DELIVERED),
        ("UNREACHABLE", True, MessageStatus.UNDELIVERED),
        ("TTL_EXPIRED", True, MessageStatus.UNDELIVERED),
        ("BLOCKED", True, MessageStatus.FAILED),
        ("OPTED_OUT", True, MessageStatus.FAILED),
        ("UNKNOWN", True, MessageStatus.SENT),
        ("SOMETHING_NEW", True, MessageStatus.UNDELIVERED),
        ("SOMETHING_NEW", False, MessageStatus.SENT),
    ],
)
def test_status_mapping(raw: str, final: bool, status: MessageStatus) -> None:
    event = fixture_json("aws", "event_text_successful.json") | {"messageStatus": raw, "isFinal": final}
    [update] = adapter.parse_status(post(sns(event)), account)
    assert update.status == status
    assert update.error_code == (raw if status in {MessageStatus.FAILED, MessageStatus.UNDELIVERED} else None)


def test_late_successful_event_ranks_below_delivered() -> None:
    [late] = adapter.parse_status(post(sns(fixture_json("aws", "event_text_successful.json"))), account)
    assert STATUS_RANK[late.status] < STATUS_RANK[MessageStatus.DELIVERED]


def test_inbound_message_on_status_route_and_bad_messages_are_unparsable() -> None:
    with pytest.raises(UnparsableWebhook):
        adapter.parse_status(post(sns(fixture_json("aws", "inbound_message.json"))), account)
    with pytest.raises(UnparsableWebhook):
        adapter.parse_inbound(post(sns("not json")), account)
    with pytest.raises(UnparsableWebhook):
        adapter.parse_inbound(post(sns({"originationNumber": "+14255550182"})), account)


def test_send_is_a_sigv4_signed_send_text_message() -> None:
    session, transport = canned_session(Canned(200, {"MessageId": "e5f6a7b8-0000-4000-8000-000000000001"}))
    configured = account.model_copy(update={"options": AccountOptions(configuration_set_name="sms-events")})
    sms = OutboundSms(to="+14255550182", from_="+12125550101", body="Merci ✓", client_reference="msg-1")
    assert adapter.send(configured, sms, session).provider_message_id == "e5f6a7b8-0000-4000-8000-000000000001"
    [sent] = transport.sent
    assert sent.url == "https://sms-voice.us-west-2.amazonaws.com/"
    assert sent.headers["X-Amz-Target"] == "PinpointSMSVoiceV2.SendTextMessage"
    assert sent.headers["Content-Type"] == "application/x-amz-json-1.0"
    authorization = sent.headers["Authorization"]
    assert authorization.startswith("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/")
    assert "/us-west-2/sms-voice/aws4_request" in authorization and "x-amz-target" in authorization
    assert json.loads(sent.body or b"") == {
        "DestinationPhoneNumber": "+14255550182",
        "OriginationIdentity": "+12125550101",
        "MessageBody": "Merci ✓",
        "MessageType": "TRANSACTIONAL",
        "ConfigurationSetName": "sms-events",
        "Context": {"clientReference": "msg-1"},
    }


def test_send_signature_matches_botocore_for_the_same_request() -> None:
    """The same body signed by botocore's own SigV4 signer at the same instant gives the same signature."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    session, transport = canned_session(Canned(200, {"MessageId": "m"}))
    adapter.send(account, OutboundSms(to="+14255550182", from_="+12125550101", body="x"), session)
    [sent] = transport.sent
    request = AWSRequest(
        method="POST",
        url=sent.url,
        data=sent.body,
        headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": "PinpointSMSVoiceV2.SendTextMessage"},
    )
    request.context["timestamp"] = sent.headers["X-Amz-Date"]
    SigV4Auth(
        Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"), "sms-voice", "us-west-2"
    ).add_auth(request)
    assert request.headers["Authorization"] == sent.headers["Authorization"]


def test_send_errors_keep_the_aws_error_type() -> None:
    session, _ = canned_session(
        Canned(400, fixture_json("aws", "send_throttled.json")),
        Canned(400, fixture_json("aws", "send_validation.json")),
        Canned(403, {"__type": "AccessDeniedException", "message": "denied"}),
        Canned(500, {"__type": "InternalServerException", "message": "oops"}),
    )
    sms = OutboundSms(to="+14255550182", from_="+12125550101", body="x")
    expected = [(True, "ThrottlingException"), (False, "ValidationException"), (False, "AccessDeniedException"),
                (True, "InternalServerException")]  # fmt: skip
    for retryable, code in expected:
        with pytest.raises(SendError) as caught:
            adapter.send(account, sms, session)
        assert (caught.value.retryable, caught.value.code) == (retryable, code)


def test_webhook_answers_are_2xx() -> None:
    assert adapter.inbound_answer().status_code == 200 and adapter.status_answer().status_code == 200


def test_sandbox_side_round_trips() -> None:
    sandbox = make_account("aws", adapter.sandbox_credentials(), phone="+12125550101")
    inbound = adapter.simulate_inbound(sandbox, url=URL, from_="+14255550182", body="hi", media=[], message_id="m-1")
    request = webhook_request("POST", URL, inbound.body, inbound.headers)
    adapter.verify(request, sandbox)
    assert adapter.parse_inbound(request, sandbox)[0].body == "hi"
    with pytest.raises(InvalidSignature):  # the pinned sandbox certificate does not verify real SNS's messages
        adapter.verify(
            post(sns(fixture_json("aws", "inbound_message.json"), TopicArn=sandbox.credentials["topicArn"])), sandbox
        )
    session, transport = canned_session(Canned(200, {"MessageId": "m"}))
    adapter.send(sandbox, OutboundSms(to="+14255550182", from_="+12125550101", body="x"), session)
    status, answer, seen = adapter.sandbox_accept(
        as_webhook_request(transport.sent[0]), "0123456789abcdef0123456789abcdef"
    )
    assert status == 200 and answer["MessageId"] == "01234567-89ab-cdef-0123-456789abcdef" and seen.body == "x"


def test_fixture_is_the_documented_payload() -> None:
    assert json.loads(fixture("aws", "inbound_message.json"))["messageKeyword"] == "JOIN"
