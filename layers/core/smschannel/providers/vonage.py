"""Vonage (ex-Nexmo): SMS API webhooks signed with `sig` (or Messages API webhooks signed with a JWT),
delivery receipts, and sending through `POST /sms/json`.

SMS API signature (Vonage's "Signing Messages" guide, as its SDKs implement it): every parameter but `sig`,
sorted by name, each appended as `&name=value` with `&` and `=` inside values replaced by `_`; then
`md5hash` (the dashboard's default) is the MD5 of that string followed by the signature secret, and `md5`,
`sha1`, `sha256`, `sha512` are the HMAC of that string keyed by the signature secret (hex, any case).
The signed `timestamp` must be within `REPLAY_WINDOW_SECONDS` of now, so a captured webhook cannot be replayed.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import TYPE_CHECKING, Any, ClassVar

import jwt

from smschannel.errors import InvalidConfiguration, InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import Account, InboundMessage, MessageStatus, StatusUpdate
from smschannel.providers import base

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

REPLAY_WINDOW_SECONDS = 300
SIGNATURE_METHODS = ("md5hash", "md5", "sha1", "sha256", "sha512")

# SMS API delivery receipts (`status`), and Messages API message events (`status`).
STATUS_MAP: dict[str, MessageStatus] = {
    "accepted": MessageStatus.SENT,
    "buffered": MessageStatus.SENT,
    "unknown": MessageStatus.SENT,  # no receipt from the carrier: delivery is not known to have failed
    "delivered": MessageStatus.DELIVERED,
    "expired": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "rejected": MessageStatus.FAILED,
    # Messages API
    "submitted": MessageStatus.SENT,
    "undeliverable": MessageStatus.UNDELIVERED,
    "read": MessageStatus.READ,
}

# Per-message `status` codes of `POST /sms/json` (answered with HTTP 200): the documented resolution of
# 1 (Throttled) and 10 (Too Many Existing Binds) is to back off and retry, and 5 (Internal Error) is the
# platform's transient failure; every other code needs a change of request or account.
RETRYABLE_SEND_CODES = {"1", "5", "10"}

GSM7_CHARS = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
    "^{}\\[~]|€\f"
)


def _signed_string(params: dict[str, Any]) -> str:
    return "".join(f"&{key}={_signed_value(params[key])}" for key in sorted(params) if key != "sig")


def _signed_value(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif value is None:
        text = ""
    else:
        text = str(value)
    return text.replace("&", "_").replace("=", "_")


def compute_signature(params: dict[str, Any], secret: str, method: str = "md5hash") -> str:
    """The `sig` Vonage computes over a webhook's (or a signed request's) parameters, lower-case hex."""
    signed = _signed_string(params).encode("utf-8")
    if method == "md5hash":
        return hashlib.md5(signed + secret.encode("utf-8")).hexdigest()  # noqa: S324 - Vonage's scheme
    if method not in SIGNATURE_METHODS:
        raise InvalidConfiguration(
            f"signatureMethod must be one of {list(SIGNATURE_METHODS)}", field="credentials.signatureMethod"
        )
    return hmac.new(secret.encode("utf-8"), signed, getattr(hashlib, method)).hexdigest()


def sign_jwt(claims: dict[str, Any], secret: str) -> str:
    """An HS256 JWT, as Vonage signs Messages API webhooks with the account's signature secret."""
    return jwt.encode(claims, secret, algorithm="HS256")


def verify_jwt(token: str, secret: str) -> dict[str, Any]:
    """The claims of an HS256 JWT signed with `secret`; InvalidSignature otherwise (only HS256 is accepted).

    Freshness is Vonage's `iat` window, checked by the caller; PyJWT checks the signature and the algorithm.
    """
    try:
        claims: dict[str, Any] = jwt.decode(
            token, secret, algorithms=["HS256"], options={"verify_exp": False, "verify_nbf": False, "verify_iat": False}
        )
    except jwt.InvalidSignatureError as exc:
        raise InvalidSignature("JWT signature does not match the signature secret") from exc
    except jwt.InvalidAlgorithmError as exc:
        raise InvalidSignature("Vonage webhook JWTs are HS256") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidSignature(f"Authorization bearer token is not a valid JWT: {exc}") from exc
    return claims


def _now() -> float:
    return time.time()


def _check_fresh(timestamp: Any, what: str) -> None:
    try:
        age = abs(_now() - float(timestamp))
    except (TypeError, ValueError) as exc:
        raise InvalidSignature(f"{what} is not a unix time") from exc
    if age > REPLAY_WINDOW_SECONDS:
        raise InvalidSignature(f"{what} is outside the {REPLAY_WINDOW_SECONDS} s window (replayed or stale)")


def _national(number: str) -> str:
    return number.lstrip("+")


def is_gsm7(text: str) -> bool:
    return all(char in GSM7_CHARS for char in text)


def _classify_error(status: int, detail: Any) -> tuple[bool, str] | None:
    """An HTTP-level error body of the SMS API (rare: it answers 200 with per-message codes)."""
    if isinstance(detail, dict):
        messages = detail.get("messages")
        if isinstance(messages, list) and messages and isinstance(messages[0], dict):
            code = str(messages[0].get("status", ""))
            if code:
                return code in RETRYABLE_SEND_CODES or status >= 500, code
    return None


class VonageAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "vonage"
    required_credentials: ClassVar[tuple[str, ...]] = ("apiKey", "apiSecret", "signatureSecret")
    supports_mms: ClassVar[bool] = False
    default_api_base_url: ClassVar[str] = "https://rest.nexmo.com"

    # --- webhooks ---------------------------------------------------------------------------------------------

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        secret = account.credentials["signatureSecret"]
        authorization = request.header("authorization") or ""
        if authorization.lower().startswith("bearer "):
            self._verify_messages_api(request, authorization[7:].strip(), secret)
            return
        params = self._params(request)
        signature = params.get("sig")
        if not signature or not isinstance(signature, str):
            raise MissingSignature("missing sig parameter (enable signed webhooks for this Vonage account)")
        method = (account.credentials.get("signatureMethod") or "md5hash").lower()
        if not hmac.compare_digest(compute_signature(params, secret, method), signature.lower()):
            raise InvalidSignature("sig does not match the request")
        _check_fresh(params.get("timestamp"), "timestamp")
        api_key = params.get("api-key")
        if api_key and api_key != account.credentials["apiKey"]:
            raise InvalidSignature("api-key is not this account's")

    @staticmethod
    def _verify_messages_api(request: base.WebhookRequest, token: str, secret: str) -> None:
        claims = verify_jwt(token, secret)
        payload_hash = claims.get("payload_hash")
        if payload_hash is not None and not hmac.compare_digest(
            hashlib.sha256(request.body).hexdigest(), str(payload_hash).lower()
        ):
            raise InvalidSignature("payload_hash does not match the body")
        _check_fresh(claims.get("iat"), "JWT iat")

    @staticmethod
    def _params(request: base.WebhookRequest) -> dict[str, Any]:
        """Vonage posts the same fields as a GET query, a POST form, or a POST JSON object."""
        if request.method != "GET" and request.content_type == "application/json":
            data = request.json()
            if not isinstance(data, dict):
                raise UnparsableWebhook("Vonage webhook body is not a JSON object")
            return data
        return dict(request.form())

    @staticmethod
    def _is_messages_api(data: dict[str, Any]) -> bool:
        return "message_uuid" in data

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        data = self._params(request)
        if self._is_messages_api(data):
            return self._parse_messages_api_inbound(data)
        message_id, sender, to = data.get("messageId"), data.get("msisdn"), data.get("to")
        if not message_id or not sender or not to:
            raise UnparsableWebhook("Vonage inbound needs messageId, msisdn and to")
        if data.get("type") == "binary":
            return []  # binary payloads (data + udh) carry no text for an agent
        part = None
        if str(data.get("concat", "")).lower() == "true":
            try:
                part = (str(data["concat-ref"]), int(data["concat-part"]), int(data["concat-total"]))
            except (KeyError, ValueError) as exc:
                raise UnparsableWebhook("concat needs concat-ref, concat-part and concat-total") from exc
        return [
            InboundMessage(
                provider=self.name,
                provider_message_id=str(message_id),
                **{"from": base.international_number(str(sender))},
                to=base.international_number(str(to)),
                body=str(data.get("text") or ""),
                part=part,
            )
        ]

    def _parse_messages_api_inbound(self, data: dict[str, Any]) -> list[InboundMessage]:
        if data.get("channel", "sms") != "sms" or "status" in data:
            return []
        sender, to = data.get("from"), data.get("to")
        if not isinstance(sender, str) or not isinstance(to, str) or not data.get("message_uuid"):
            raise UnparsableWebhook("Vonage Messages API inbound needs message_uuid, from and to")
        return [
            InboundMessage(
                provider=self.name,
                provider_message_id=str(data["message_uuid"]),
                **{"from": base.international_number(sender)},
                to=base.international_number(to),
                body=str(data.get("text") or ""),
            )
        ]

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        data = self._params(request)
        if self._is_messages_api(data):
            message_id = str(data.get("message_uuid"))
            raw = str(data.get("status") or "").lower()
            error = data.get("error")
            error_code = None
            if isinstance(error, dict):
                # {"type": "https://developer.vonage.com/api-errors/messages#1320", "title": 1320, ...}
                title = str(error.get("title") or "")
                error_code = title if title.isdigit() else str(error.get("type") or "").rsplit("#", 1)[-1] or None
        else:
            message_id = str(data.get("messageId") or "")
            raw = str(data.get("status") or "").lower()
            error_code = str(data["err-code"]) if data.get("err-code") not in (None, "", "0") else None
        if not message_id or raw not in STATUS_MAP:
            raise UnparsableWebhook(f"Vonage receipt needs messageId and a known status, got {raw!r}")
        return [
            StatusUpdate(
                provider=self.name,
                provider_message_id=message_id,
                status=STATUS_MAP[raw],
                provider_status=raw,
                error_code=error_code,
            )
        ]

    # inbound_answer / status_answer: Vonage needs 200 (or 204), else it resends for 24 hours; the defaults do.

    # --- sending ----------------------------------------------------------------------------------------------

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        form: dict[str, str] = {
            "api_key": account.credentials["apiKey"],
            "api_secret": account.credentials["apiSecret"],
            "from": _national(sms.from_),
            "to": _national(sms.to),
            "text": sms.body,
        }
        if not is_gsm7(sms.body):
            form["type"] = "unicode"
        if sms.client_reference:
            form["client-ref"] = sms.client_reference[:100]
        if sms.status_callback_url:
            form["callback"] = sms.status_callback_url
        response = base.post_to_provider(
            session, self.name, "POST", f"{self.api_base(account)}/sms/json", classify=_classify_error, data=form
        )
        data, first = base.read_answer(response, self.name, lambda data: data["messages"][0])
        code = str(first.get("status", ""))
        if code != "0":
            raise base.SendError(
                f"vonage refused the message: status {code} {first.get('error-text', '')}".strip(),
                retryable=code in RETRYABLE_SEND_CODES,
                code=code,
            )
        return base.SendResult(provider_message_id=str(first["message-id"]), status="queued", raw=data)

    # --- Vonage's side ----------------------------------------------------------------------------------------

    def _signed(self, account: Account, fields: dict[str, str]) -> dict[str, str]:
        fields = {**fields, "timestamp": str(int(_now())), "nonce": str(uuid.uuid4())}
        method = (account.credentials.get("signatureMethod") or "md5hash").lower()
        fields["sig"] = compute_signature(fields, account.credentials["signatureSecret"], method)
        return fields

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        now = time.gmtime()
        fields = {
            "msisdn": _national(from_),
            "to": _national(account.phone_number),
            "messageId": message_id[:18].upper(),
            "text": body,
            "type": "text" if is_gsm7(body) else "unicode",
            "keyword": (body.split() or [""])[0].upper(),
            "api-key": account.credentials["apiKey"],
            "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", now),
        }
        return base.SimulatedWebhook(
            method="POST",
            path_suffix="",
            headers={"Content-Type": "application/json", "User-Agent": "Nexmo/MessagingHUB/v1.0"},
            body=json.dumps(self._signed(account, fields)).encode(),
        )

    def simulate_status(
        self, account: Account, *, url: str, provider_message_id: str, status: str
    ) -> base.SimulatedWebhook | None:
        fields = {
            "msisdn": "447700900000",
            "to": _national(account.phone_number),
            "network-code": "23410",
            "messageId": provider_message_id,
            "price": "0.03330000",
            "status": status,
            "scts": time.strftime("%y%m%d%H%M", time.gmtime()),
            "err-code": "0" if status in {"delivered", "accepted", "buffered"} else "1",
            "api-key": account.credentials["apiKey"],
            "message-timestamp": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()),
        }
        return base.SimulatedWebhook(
            method="POST",
            path_suffix="/status",
            headers={"Content-Type": "application/json", "User-Agent": "Nexmo/MessagingHUB/v1.0"},
            body=json.dumps(self._signed(account, fields)).encode(),
        )

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        form = request.json() if request.content_type == "application/json" else request.form()
        sms = base.OutboundSms(
            to=base.international_number(str(form.get("to", ""))),
            from_=base.international_number(str(form.get("from", ""))),
            body=str(form.get("text", "")),
            client_reference=form.get("client-ref"),
            status_callback_url=form.get("callback"),
        )
        if not form.get("api_key") or not (form.get("api_secret") or form.get("sig")):
            error = {"status": "4", "error-text": "Bad Credentials"}
            return 200, {"message-count": "1", "messages": [error]}, sms
        missing = [name for name in ("from", "to", "text") if not form.get(name)]
        if missing:
            error = {"status": "2", "error-text": f"Missing {missing[0]}"}
            return 200, {"message-count": "1", "messages": [error]}, sms
        accepted = {
            "to": str(form["to"]),
            "message-id": message_id[:16].upper(),
            "status": "0",
            "remaining-balance": "15.53590000",
            "message-price": "0.03330000",
            "network": "23410",
        }
        if form.get("client-ref"):
            accepted["client-ref"] = str(form["client-ref"])
        return 200, {"message-count": "1", "messages": [accepted]}, sms
