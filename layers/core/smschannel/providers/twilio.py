"""Twilio Programmable Messaging: form webhooks, X-Twilio-Signature, status callbacks, the Messages API."""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from smschannel.errors import InvalidSignature, UnparsableWebhook
from smschannel.models import Account, InboundMessage, Media, MessageStatus, StatusUpdate, utc_now
from smschannel.providers import base

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'

STATUS_MAP: dict[str, MessageStatus] = {
    "accepted": MessageStatus.QUEUED,
    "scheduled": MessageStatus.QUEUED,
    "queued": MessageStatus.QUEUED,
    "sending": MessageStatus.QUEUED,
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.READ,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}

# Twilio error codes that will never succeed on retry (unsubscribed, invalid or unreachable 'To', etc.).
PERMANENT_ERRORS = {"21211", "21408", "21610", "21612", "21614", "21617", "21635", "30003", "30004", "30005", "30006"}


def _classify_error(status: int, detail: Any) -> tuple[bool, str] | None:
    """Twilio's error body carries its own code: 20429 (too many requests) is retryable whatever the status."""
    code = str(detail.get("code")) if isinstance(detail, dict) and detail.get("code") is not None else None
    if code is None:
        return None
    if code == "20429":
        return True, code
    if code in PERMANENT_ERRORS:
        return False, code
    return status == 429 or status >= 500, code


def compute_signature(auth_token: str, url: str, params: list[tuple[str, str]] | dict[str, str]) -> str:
    """Twilio's algorithm: HMAC-SHA1 over the URL followed by each POST field name+value, sorted by name."""
    pairs = sorted(params.items() if isinstance(params, dict) else params)
    payload = url + "".join(f"{key}{value}" for key, value in pairs)
    digest = hmac.new(auth_token.encode(), payload.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _with_and_without_port(url: str) -> list[str]:
    """Twilio signs the URL as configured; its own validator accepts it with or without the default port."""
    parts = urlsplit(url)
    default_port = {"https": 443, "http": 80}.get(parts.scheme)
    host = parts.hostname or ""
    candidates = [url]
    if parts.port is None and default_port:
        candidates.append(urlunsplit(parts._replace(netloc=f"{host}:{default_port}")))
    elif parts.port == default_port:
        candidates.append(urlunsplit(parts._replace(netloc=host)))
    return candidates


class TwilioAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "twilio"
    required_credentials: ClassVar[tuple[str, ...]] = ("accountSid", "authToken")
    supports_mms: ClassVar[bool] = True
    default_api_base_url: ClassVar[str] = "https://api.twilio.com"

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        signature = base.require_header(request, "X-Twilio-Signature")
        token = account.credentials["authToken"]
        if request.method == "GET" or request.content_type == "application/json":
            params: list[tuple[str, str]] = []
        else:
            params = request.form_pairs()
        for base_url in request.urls:
            for url in _with_and_without_port(base_url):
                if base.constant_time_equals(compute_signature(token, url, params), signature):
                    self._verify_body_hash(request, url)
                    self._verify_account_sid(request, account)
                    return
        raise InvalidSignature("X-Twilio-Signature does not match the request")

    @staticmethod
    def _verify_body_hash(request: base.WebhookRequest, url: str) -> None:
        # JSON webhooks carry the body's SHA-256 in the signed URL's `bodySHA256` query parameter.
        if request.content_type != "application/json":
            return
        expected = dict(parse_qsl(urlsplit(url).query)).get("bodySHA256")
        if expected is None or not base.constant_time_equals(hashlib.sha256(request.body).hexdigest(), expected):
            raise InvalidSignature("bodySHA256 does not match the JSON body")

    @staticmethod
    def _verify_account_sid(request: base.WebhookRequest, account: Account) -> None:
        if request.content_type == "application/json":
            return
        sid = request.form().get("AccountSid")
        if sid and sid != account.credentials["accountSid"]:
            raise InvalidSignature("AccountSid is not this account's")

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        form = request.form()
        sid = form.get("MessageSid") or form.get("SmsMessageSid") or form.get("SmsSid")
        if not sid or not form.get("From") or not form.get("To"):
            raise UnparsableWebhook("Twilio inbound needs MessageSid, From and To")
        try:
            count = int(form.get("NumMedia") or 0)
        except ValueError as exc:
            raise UnparsableWebhook("NumMedia is not a number") from exc
        media = [
            Media(url=form[f"MediaUrl{index}"], content_type=form.get(f"MediaContentType{index}"))
            for index in range(count)
            if form.get(f"MediaUrl{index}")
        ]
        return [
            InboundMessage(
                provider=self.name,
                provider_message_id=sid,
                **{"from": form["From"]},
                to=form["To"],
                body=form.get("Body", ""),
                media=media,
            )
        ]

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        form = request.form()
        sid = form.get("MessageSid") or form.get("SmsSid")
        raw = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
        if not sid or raw not in STATUS_MAP:
            raise UnparsableWebhook(f"Twilio status callback needs MessageSid and a known MessageStatus, got {raw!r}")
        return [
            StatusUpdate(
                provider=self.name,
                provider_message_id=sid,
                status=STATUS_MAP[raw],
                provider_status=raw,
                error_code=form.get("ErrorCode") or None,
            )
        ]

    def inbound_answer(self) -> base.WebhookAnswer:
        return base.WebhookAnswer(200, EMPTY_TWIML, "text/xml")

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        sid = account.credentials["accountSid"]
        url = f"{self.api_base(account)}/2010-04-01/Accounts/{sid}/Messages.json"
        form: list[tuple[str, str]] = [("To", sms.to), ("From", sms.from_), ("Body", sms.body)]
        form += [("MediaUrl", media_url) for media_url in sms.media]
        if sms.status_callback_url:
            form.append(("StatusCallback", sms.status_callback_url))
        response = base.post_to_provider(
            session,
            self.name,
            "POST",
            url,
            classify=_classify_error,
            data=form,
            auth=(sid, account.credentials["authToken"]),
        )
        data = response.json()
        return base.SendResult(provider_message_id=data["sid"], status=data.get("status", "queued"), raw=data)

    # --- Twilio's side --------------------------------------------------------------------------------------

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        sid = "MM" + message_id if media else "SM" + message_id
        form: dict[str, str] = {
            "ToCountry": "US",
            "ToState": "",
            "SmsMessageSid": sid,
            "NumMedia": str(len(media)),
            "ToCity": "",
            "FromZip": "",
            "SmsSid": sid,
            "FromState": "",
            "SmsStatus": "received",
            "FromCity": "",
            "Body": body,
            "FromCountry": "US",
            "To": account.phone_number,
            "ToZip": "",
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": account.credentials["accountSid"],
            "From": from_,
            "ApiVersion": "2010-04-01",
        }
        for index, media_url in enumerate(media):
            form[f"MediaUrl{index}"] = media_url
            form[f"MediaContentType{index}"] = "image/jpeg"
        return base.SimulatedWebhook(
            method="POST",
            path_suffix="",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": compute_signature(account.credentials["authToken"], url, form),
                "I-Twilio-Idempotency-Token": str(uuid.uuid4()),
                "User-Agent": "TwilioProxy/1.1",
            },
            body=urlencode(form).encode(),
        )

    def simulate_status(
        self, account: Account, *, url: str, provider_message_id: str, status: str
    ) -> base.SimulatedWebhook | None:
        form = {
            "MessageSid": provider_message_id,
            "SmsSid": provider_message_id,
            "MessageStatus": status,
            "SmsStatus": status,
            "AccountSid": account.credentials["accountSid"],
            "ApiVersion": "2010-04-01",
        }
        return base.SimulatedWebhook(
            method="POST",
            path_suffix="/status",
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "X-Twilio-Signature": compute_signature(account.credentials["authToken"], url, form),
            },
            body=urlencode(form).encode(),
        )

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        pairs = request.form_pairs()
        form = dict(pairs)
        sms = base.OutboundSms(
            to=form.get("To", ""),
            from_=form.get("From", ""),
            body=form.get("Body", ""),
            media=[value for key, value in pairs if key == "MediaUrl"],
            status_callback_url=form.get("StatusCallback"),
        )
        if not sms.to or not (sms.body or sms.media):
            return 400, {"code": 21602, "message": "Message body is required.", "status": 400}, sms
        sid = ("MM" if sms.media else "SM") + message_id
        now = utc_now()
        return (
            201,
            {
                "sid": sid,
                "status": "queued",
                "to": sms.to,
                "from": sms.from_,
                "body": sms.body,
                "num_media": str(len(sms.media)),
                "num_segments": "1",
                "direction": "outbound-api",
                "date_created": now,
                "api_version": "2010-04-01",
                "error_code": None,
                "error_message": None,
            },
            sms,
        )
