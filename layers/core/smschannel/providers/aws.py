"""AWS End User Messaging SMS (pinpoint-sms-voice-v2) two-way SMS: inbound messages and delivery events arrive
as Amazon SNS notifications POSTed to our webhook; sends are SigV4-signed `SendTextMessage` calls.

SNS signs each message (SignatureVersion 1: SHA1withRSA, 2: SHA256withRSA) over the canonical "Name\\nValue\\n"
string of its fields, with the certificate at `SigningCertURL`, which must be an https URL on
`sns.<region>.amazonaws.com` (as the AWS SDKs' validators require). The certificate is downloaded once per URL
and cached; `fetch_certificate` is the replaceable downloader. The notification's `TopicArn` must be the
account's `topicArn`. A verified `SubscriptionConfirmation` for that topic is confirmed by calling its
`SubscribeURL` (`confirm_subscription`, replaceable too).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.exceptions import InvalidSignature as CryptoInvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from smschannel.errors import InvalidConfiguration, InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import Account, InboundMessage, MessageStatus, StatusUpdate, utc_now
from smschannel.providers import base

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

SNS_HOST = re.compile(r"^sns\.[a-z0-9-]{3,}\.amazonaws\.com(\.cn)?$")
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
SIGNATURE_HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {"1": hashes.SHA1, "2": hashes.SHA256}
TARGET = "PinpointSMSVoiceV2.SendTextMessage"

# messageStatus of SMS delivery events (configuration set → SNS event destination).
STATUS_MAP: dict[str, MessageStatus] = {
    "QUEUED": MessageStatus.QUEUED,
    "PENDING": MessageStatus.QUEUED,
    "SUCCESSFUL": MessageStatus.SENT,  # accepted by the carrier
    "UNKNOWN": MessageStatus.SENT,  # no final carrier receipt after 72 h: not known to have failed
    "DELIVERED": MessageStatus.DELIVERED,
    "TTL_EXPIRED": MessageStatus.UNDELIVERED,
    "UNREACHABLE": MessageStatus.UNDELIVERED,
    "CARRIER_UNREACHABLE": MessageStatus.UNDELIVERED,
    "INVALID": MessageStatus.FAILED,
    "INVALID_MESSAGE": MessageStatus.FAILED,
    "BLOCKED": MessageStatus.FAILED,
    "CARRIER_BLOCKED": MessageStatus.FAILED,
    "SPAM": MessageStatus.FAILED,
    "OPTED_OUT": MessageStatus.FAILED,
    "MAX_PRICE_EXCEEDED": MessageStatus.FAILED,
}
RETRYABLE_ERRORS = {"ThrottlingException", "InternalServerException"}

_certificates: dict[str, x509.Certificate] = {}


def _download_certificate(url: str) -> bytes:
    import requests

    response = requests.get(url, timeout=base.HTTP_TIMEOUT)
    response.raise_for_status()
    return response.content


def _visit_subscribe_url(url: str) -> None:
    import requests

    requests.get(url, timeout=base.HTTP_TIMEOUT).raise_for_status()


# Replaceable (tests, or a runtime without internet access): PEM bytes for a SigningCertURL, and the call that
# confirms a subscription.
fetch_certificate: Callable[[str], bytes] = _download_certificate
confirm_subscription: Callable[[str], None] = _visit_subscribe_url


def check_sns_url(url: str, what: str) -> None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not SNS_HOST.match(parts.hostname or ""):
        raise InvalidSignature(f"{what} is not an https URL on sns.<region>.amazonaws.com")


def _certificate(url: str, account: Account) -> x509.Certificate:
    pinned = account.credentials.get("signingCertificate")
    if pinned:  # sandbox and tests (docs/providers.md): the certificate is given, not downloaded
        return x509.load_pem_x509_certificate(pinned.encode())
    if url not in _certificates:
        import requests  # a certificate is downloaded once per container: the import is paid then, if ever

        try:
            _certificates[url] = x509.load_pem_x509_certificate(fetch_certificate(url))
        except (requests.RequestException, ValueError) as exc:
            raise InvalidSignature(f"cannot load the SNS signing certificate: {exc}") from exc
    return _certificates[url]


def canonical_string(document: dict[str, Any]) -> bytes:
    """What SNS signs: each present signed field of the message type as "Name\\nValue\\n", in order."""
    fields = SIGNED_FIELDS.get(str(document.get("Type")))
    if fields is None:
        raise InvalidSignature(f"unknown SNS message Type {document.get('Type')!r}")
    return "".join(f"{name}\n{document[name]}\n" for name in fields if document.get(name) is not None).encode()


def sign_notification(document: dict[str, Any], private_key_pem: str) -> str:
    """The base64 Signature SNS would give `document` (its SignatureVersion), for the sandbox and tests."""
    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):
        raise InvalidConfiguration("signingKey must be an RSA private key", field="credentials.signingKey")
    algorithm = SIGNATURE_HASHES[str(document.get("SignatureVersion", "1"))]()
    return base64.b64encode(key.sign(canonical_string(document), padding.PKCS1v15(), algorithm)).decode()


def new_signing_pair(common_name: str = "sns.amazonaws.com") -> tuple[str, str]:
    """(certificate PEM, private key PEM): a self-signed stand-in for SNS's certificate, for the sandbox."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode(), key_pem.decode()


def _region(account: Account) -> str:
    parts = account.credentials["topicArn"].split(":")
    if len(parts) < 6 or parts[0] != "arn" or parts[2] != "sns":
        raise InvalidConfiguration("topicArn is not an SNS topic ARN", field="credentials.topicArn")
    return parts[3]


def _document(request: base.WebhookRequest) -> dict[str, Any]:
    try:
        document = json.loads(request.body or b"null")
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise MissingSignature("not an SNS message (SNS posts a signed JSON document)")
    return document


def _classify_error(status: int, detail: Any) -> tuple[bool, str] | None:
    """AWS JSON-protocol errors: `{"__type": "...#ThrottlingException", "message": ...}`."""
    if isinstance(detail, dict) and detail.get("__type"):
        code = str(detail["__type"]).rsplit("#", 1)[-1]
        return status >= 500 or code in RETRYABLE_ERRORS, code
    return None


class AwsAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "aws"
    required_credentials: ClassVar[tuple[str, ...]] = ("topicArn",)
    supports_mms: ClassVar[bool] = False  # SendMediaMessage takes S3 objects; inbound MMS is not handled
    default_api_base_url: ClassVar[str] = ""  # https://sms-voice.{region}.amazonaws.com, from the topic's region
    status_url_per_message: ClassVar[bool] = False  # events go to the configuration set's SNS topic

    def api_base(self, account: Account) -> str:
        return (account.api_base_url or f"https://sms-voice.{_region(account)}.amazonaws.com").rstrip("/")

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        document = _document(request)
        signature_b64 = document.get("Signature")
        if not signature_b64 or not document.get("SigningCertURL"):
            raise MissingSignature("SNS message without Signature or SigningCertURL")
        algorithm = SIGNATURE_HASHES.get(str(document.get("SignatureVersion")))
        if algorithm is None:
            raise InvalidSignature(f"unsupported SNS SignatureVersion {document.get('SignatureVersion')!r}")
        url = str(document["SigningCertURL"])
        check_sns_url(url, "SigningCertURL")
        public_key = _certificate(url, account).public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise InvalidSignature("SNS signing certificate has no RSA key")
        try:
            signature = base64.b64decode(str(signature_b64), validate=True)
            public_key.verify(signature, canonical_string(document), padding.PKCS1v15(), algorithm())
        except (CryptoInvalidSignature, binascii.Error, ValueError) as exc:
            raise InvalidSignature("SNS Signature does not match the message") from exc
        if document.get("TopicArn") != account.credentials["topicArn"]:
            raise InvalidSignature("SNS TopicArn is not this account's topicArn")

    @staticmethod
    def _message(request: base.WebhookRequest) -> dict[str, Any] | None:
        """The JSON payload of a Notification; None for a subscription message (handled, nothing to store)."""
        document = _document(request)
        kind = document.get("Type")
        if kind == "SubscriptionConfirmation":
            subscribe_url = str(document.get("SubscribeURL") or "")
            check_sns_url(subscribe_url, "SubscribeURL")
            confirm_subscription(subscribe_url)
            return None
        if kind != "Notification":
            return None
        try:
            message = json.loads(str(document.get("Message") or ""))
        except ValueError as exc:
            raise UnparsableWebhook("SNS Message is not JSON") from exc
        if not isinstance(message, dict):
            raise UnparsableWebhook("SNS Message must be a JSON object")
        return message

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        message = self._message(request)
        if message is None or "eventType" in message:  # a delivery event on the inbound topic: not a message
            return []
        missing = [
            key for key in ("inboundMessageId", "originationNumber", "destinationNumber") if not message.get(key)
        ]
        if missing:
            raise UnparsableWebhook(f"AWS two-way SMS message lacks {missing[0]}")
        return [
            InboundMessage(
                provider=self.name,
                provider_message_id=str(message["inboundMessageId"]),
                **{"from": str(message["originationNumber"])},
                to=str(message["destinationNumber"]),
                body=str(message.get("messageBody") or ""),
            )
        ]

    def parse_inbound_statuses(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        # One topic may carry both two-way messages and the configuration set's events.
        message = self._message_without_side_effects(request)
        return self._status(message) if message is not None and "eventType" in message else []

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        message = self._message(request)
        if message is None:
            return []
        if "eventType" not in message:
            raise UnparsableWebhook("SNS notification on the status URL is not a delivery event")
        return self._status(message)

    def _message_without_side_effects(self, request: base.WebhookRequest) -> dict[str, Any] | None:
        document = _document(request)
        if document.get("Type") != "Notification":
            return None
        try:
            message = json.loads(str(document.get("Message") or ""))
        except ValueError:
            return None
        return message if isinstance(message, dict) else None

    def _status(self, event: dict[str, Any]) -> list[StatusUpdate]:
        event_type = str(event.get("eventType") or "")
        if not event_type.startswith("TEXT_"):
            return []  # voice, MMS and registration events
        raw = str(event.get("messageStatus") or "").upper()
        if not event.get("messageId") or not raw:
            raise UnparsableWebhook("AWS SMS event needs messageId and messageStatus")
        # A status AWS adds later: final ones count as undelivered, others as still on the way.
        status = STATUS_MAP.get(raw, MessageStatus.UNDELIVERED if event.get("isFinal") else MessageStatus.SENT)
        failed = status in {MessageStatus.FAILED, MessageStatus.UNDELIVERED}
        return [
            StatusUpdate(
                provider=self.name,
                provider_message_id=str(event["messageId"]),
                status=status,
                provider_status=raw,
                error_code=raw if failed else None,
            )
        ]

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        payload: dict[str, Any] = {
            "DestinationPhoneNumber": sms.to,
            "OriginationIdentity": account.options.origination_identity or sms.from_,
            "MessageBody": sms.body,
            "MessageType": "TRANSACTIONAL",
        }
        if account.options.configuration_set_name:  # where delivery events are published
            payload["ConfigurationSetName"] = account.options.configuration_set_name
        if sms.client_reference:
            payload["Context"] = {"clientReference": sms.client_reference}
        url = f"{self.api_base(account)}/"
        body = json.dumps(payload, ensure_ascii=False).encode()
        headers = self._signed_headers(account, url, body)
        response = base.post_to_provider(
            session, self.name, "POST", url, classify=_classify_error, data=body, headers=headers
        )
        data, message_id = base.read_answer(response, self.name, lambda data: str(data["MessageId"]))
        return base.SendResult(provider_message_id=message_id, status=MessageStatus.QUEUED, raw=data)

    def _signed_headers(self, account: Account, url: str, body: bytes) -> dict[str, str]:
        """SigV4 (botocore ships with the Lambda runtime): the account's access key, or the function's role."""
        import botocore.session
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        access_key = account.credentials.get("accessKeyId")
        if access_key:
            credentials: Any = Credentials(
                access_key, account.credentials.get("secretAccessKey", ""), account.credentials.get("sessionToken")
            )
        else:
            credentials = botocore.session.get_session().get_credentials()
        if credentials is None:
            raise base.SendError("no AWS credentials to sign SendTextMessage", retryable=False, code="no_credentials")
        request = AWSRequest(
            method="POST",
            url=url,
            data=body,
            headers={"Content-Type": "application/x-amz-json-1.0", "X-Amz-Target": TARGET},
        )
        SigV4Auth(credentials, "sms-voice", _region(account)).add_auth(request)
        return dict(request.headers.items())

    # --- AWS's side -------------------------------------------------------------------------------------------

    def sandbox_credentials(self) -> dict[str, str]:
        certificate, key = new_signing_pair()
        return {
            "topicArn": "arn:aws:sns:us-east-1:000000000000:sms-inbound",
            "accessKeyId": "AKIASANDBOX000000000",
            "secretAccessKey": "sandbox-secret-access-key-0123456789",
            "signingCertificate": certificate,
            "signingKey": key,
        }

    def _notification(self, account: Account, suffix: str, message: dict[str, Any]) -> base.SimulatedWebhook:
        key = account.credentials.get("signingKey")
        if not key:
            raise InvalidConfiguration(
                "simulating SNS needs the account's signingKey (sandbox/test accounts only)",
                field="credentials.signingKey",
            )
        topic = account.credentials["topicArn"]
        region = _region(account)
        message_id = str(uuid.uuid4())
        document: dict[str, Any] = {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": topic,
            "Message": json.dumps(message, ensure_ascii=False),
            "Timestamp": utc_now(),
            "SignatureVersion": "2",
            "SigningCertURL": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-sandbox.pem",
            "UnsubscribeURL": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={topic}:sub",
        }
        document["Signature"] = sign_notification(document, key)
        return base.SimulatedWebhook(
            method="POST",
            path_suffix=suffix,
            headers={
                "Content-Type": "text/plain; charset=UTF-8",
                "x-amz-sns-message-type": "Notification",
                "x-amz-sns-message-id": message_id,
                "x-amz-sns-topic-arn": topic,
                "User-Agent": "Amazon Simple Notification Service Agent",
            },
            body=json.dumps(document, ensure_ascii=False).encode(),
        )

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        keyword = body.split(" ", 1)[0].upper() if body else ""
        message = {
            "originationNumber": from_,
            "destinationNumber": account.phone_number,
            "messageKeyword": keyword,
            "messageBody": body,
            "inboundMessageId": str(uuid.UUID(hex=message_id)) if len(message_id) == 32 else message_id,
            "previousPublishedMessageId": None,
        }
        return self._notification(account, "", message)

    def simulate_status(
        self, account: Account, *, url: str, provider_message_id: str, status: str
    ) -> base.SimulatedWebhook | None:
        raw = {"delivered": "DELIVERED", "sent": "SUCCESSFUL", "failed": "BLOCKED", "undelivered": "UNREACHABLE"}.get(
            status.lower(), status.upper()
        )
        event = {
            "eventType": f"TEXT_{raw}",
            "eventVersion": "1.0",
            "eventTimestamp": 1686975103470,
            "isFinal": raw not in {"QUEUED", "PENDING"},
            "originationPhoneNumber": account.phone_number,
            "destinationPhoneNumber": "+14155550123",
            "isInternationalSend": False,
            "mcc": "310",
            "mnc": "800",
            "messageId": provider_message_id,
            "messageRequestTimestamp": 1686975103170,
            "messageEncoding": "GSM",
            "messageType": "TRANSACTIONAL",
            "messageStatus": raw,
            "messageStatusDescription": "Message has been accepted by phone",
            "totalMessageParts": 1,
            "totalMessagePrice": 0.00581,
            "totalCarrierFee": 0.0,
        }
        return self._notification(account, "/status", event)

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        data = request.json_object()
        context = data.get("Context") if isinstance(data.get("Context"), dict) else {}
        sms = base.OutboundSms(
            to=str(data.get("DestinationPhoneNumber") or ""),
            from_=str(data.get("OriginationIdentity") or ""),
            body=str(data.get("MessageBody") or ""),
            client_reference=(context or {}).get("clientReference"),
        )
        if not (request.header("authorization") or "").startswith("AWS4-HMAC-SHA256 "):
            return 403, {"__type": "AccessDeniedException", "message": "Missing Authentication Token"}, sms
        if request.header("x-amz-target") != TARGET:
            return 400, {"__type": "UnknownOperationException", "message": "unknown operation"}, sms
        if not sms.to or not sms.from_ or not sms.body:
            return 400, {"__type": "ValidationException", "message": "1 validation error detected"}, sms
        return 200, {"MessageId": str(uuid.UUID(hex=message_id)) if len(message_id) == 32 else message_id}, sms
