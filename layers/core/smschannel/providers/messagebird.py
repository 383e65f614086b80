"""MessageBird (Bird) SMS API: inbound SMS and status reports as GET query or POST form, signed with the
`MessageBird-Signature-JWT` header; sends through `POST https://rest.messagebird.com/messages`.

The JWT is HS256/HS384/HS512 signed with the account's signing key (`signingKey`, not the access key) and must
carry `iss` = "MessageBird", `nbf`, `exp` (1 s leeway) and `url_hash` = hex SHA-256 of the full URL as posted
(scheme, host, path and query); `payload_hash` = hex SHA-256 of the raw body is required exactly when there is a
body. These are the rules of MessageBird's own SDK (`messagebird.request_validator.RequestValidator`).
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

import jwt

from smschannel.errors import InvalidSignature, UnparsableWebhook
from smschannel.models import Account, InboundMessage, MessageStatus, StatusUpdate, utc_now
from smschannel.providers import base

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

SIGNATURE_HEADER = "MessageBird-Signature-JWT"
ISSUER = "MessageBird"
LEEWAY_SECONDS = 1
TOKEN_LIFETIME_SECONDS = 300  # what the sandbox gives its tokens
ALGORITHMS = ["HS256", "HS384", "HS512"]

STATUS_MAP: dict[str, MessageStatus] = {
    "scheduled": MessageStatus.QUEUED,
    "sent": MessageStatus.SENT,
    "buffered": MessageStatus.SENT,  # held by the operator (handset off, etc.): not yet known to have failed
    "delivered": MessageStatus.DELIVERED,
    "expired": MessageStatus.UNDELIVERED,
    "delivery_failed": MessageStatus.UNDELIVERED,
}
# MessageBird API error codes (`errors[].code`): 99 is its internal error, worth retrying whatever the HTTP status.
RETRYABLE_ERRORS = {"99"}


def _now() -> float:
    return time.time()


def sign_jwt(signing_key: str, url: str, body: bytes, *, now: float | None = None, algorithm: str = "HS256") -> str:
    """The MessageBird-Signature-JWT MessageBird would send for a request to `url` carrying `body`."""
    issued = int(_now() if now is None else now)
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "nbf": issued,
        "exp": issued + TOKEN_LIFETIME_SECONDS,
        "jti": uuid.uuid4().hex,
        "url_hash": hashlib.sha256(url.encode()).hexdigest(),
    }
    if body:
        claims["payload_hash"] = hashlib.sha256(body).hexdigest()
    return jwt.encode(claims, signing_key, algorithm=algorithm)


def verified_claims(token: str, signing_key: str) -> dict[str, Any]:
    """The claims of a JWT signed with `signing_key` and valid now; InvalidSignature otherwise.

    PyJWT checks the signature, the algorithm, the issuer and that the claims are present; nbf/exp are checked
    here against `_now()` with MessageBird's leeway.
    """
    try:
        claims: dict[str, Any] = jwt.decode(
            token.strip(),
            signing_key,
            algorithms=ALGORITHMS,
            issuer=ISSUER,
            options={"require": ["iss", "nbf", "exp", "url_hash"], "verify_exp": False, "verify_nbf": False},
        )
    except jwt.InvalidSignatureError as exc:
        raise InvalidSignature("JWT signature does not match the signing key") from exc
    except jwt.InvalidAlgorithmError as exc:
        raise InvalidSignature(f"JWT algorithm is not one of {ALGORITHMS}") from exc
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidSignature(f"JWT lacks the {exc.claim!r} claim") from exc
    except jwt.InvalidIssuerError as exc:
        raise InvalidSignature("JWT issuer is not MessageBird") from exc
    except jwt.InvalidTokenError as exc:
        raise InvalidSignature(f"{SIGNATURE_HEADER} is not a valid JWT: {exc}") from exc
    try:
        not_before, expires = float(claims["nbf"]), float(claims["exp"])
    except (TypeError, ValueError) as exc:
        raise InvalidSignature("JWT nbf/exp are not unix times") from exc
    now = _now()
    if now + LEEWAY_SECONDS < not_before:
        raise InvalidSignature("JWT is not valid yet (nbf)")
    if now - LEEWAY_SECONDS >= expires:
        raise InvalidSignature("JWT has expired (replayed or stale)")
    return claims


def _rfc3339_now() -> str:
    """MessageBird's timestamps: seconds and an explicit offset, e.g. 2016-05-03T14:26:57+00:00."""
    return utc_now().split(".")[0] + "+00:00"


def _classify_error(status: int, detail: Any) -> tuple[bool, str] | None:
    """MessageBird errors are `{"errors": [{"code": 9, "description": ..., "parameter": "recipients"}]}`."""
    if isinstance(detail, dict):
        errors = detail.get("errors")
        if isinstance(errors, list) and errors and isinstance(errors[0], dict) and errors[0].get("code") is not None:
            code = str(errors[0]["code"])
            return status == 429 or status >= 500 or code in RETRYABLE_ERRORS, code
    return None


def _fields(request: base.WebhookRequest) -> dict[str, str]:
    """MessageBird calls back with a GET query, a POST form or (from Flow Builder) a POST JSON object."""
    if request.method != "GET" and request.content_type == "application/json":
        data = request.json()
        if not isinstance(data, dict):
            raise UnparsableWebhook("MessageBird JSON callback must be an object")
        return {key: "" if value is None else str(value) for key, value in data.items()}
    fields = request.form()
    if request.method != "GET" and not fields:
        fields = dict(request.query)  # a POST whose parameters came in the query string
    return fields


class MessageBirdAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "messagebird"
    required_credentials: ClassVar[tuple[str, ...]] = ("accessKey", "signingKey")
    supports_mms: ClassVar[bool] = False  # MMS is a separate, US/CA-only MessageBird API
    default_api_base_url: ClassVar[str] = "https://rest.messagebird.com"

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        token = base.require_header(request, SIGNATURE_HEADER)
        claims = verified_claims(token, account.credentials["signingKey"])
        if not any(
            hmac.compare_digest(hashlib.sha256(url.encode()).hexdigest(), str(claims["url_hash"]))
            for url in request.urls
        ):
            raise InvalidSignature("JWT url_hash does not match the webhook URL")
        payload_hash = claims.get("payload_hash")
        if request.body and not payload_hash:
            raise InvalidSignature("JWT has no payload_hash but the request has a body")
        if not request.body and payload_hash:
            raise InvalidSignature("JWT has a payload_hash but the request has no body")
        if request.body and not hmac.compare_digest(hashlib.sha256(request.body).hexdigest(), str(payload_hash)):
            raise InvalidSignature("JWT payload_hash does not match the body")

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        fields = _fields(request)
        message_id = fields.get("id") or fields.get("message_id") or fields.get("mid")
        if not message_id or not fields.get("originator") or not fields.get("recipient"):
            raise UnparsableWebhook("MessageBird inbound needs id, originator and recipient")
        return [
            InboundMessage(
                provider=self.name,
                provider_message_id=message_id,
                **{"from": base.international_number(fields["originator"])},
                to=base.international_number(fields["recipient"]),
                body=fields.get("body") or fields.get("message") or "",
            )
        ]

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        fields = _fields(request)
        raw = (fields.get("status") or "").lower()
        if not fields.get("id") or raw not in STATUS_MAP:
            raise UnparsableWebhook(f"MessageBird status report needs id and a known status, got {raw!r}")
        error_code = fields.get("statusErrorCode")
        return [
            StatusUpdate(
                provider=self.name,
                provider_message_id=fields["id"],
                status=STATUS_MAP[raw],
                provider_status=raw,
                error_code=error_code if error_code not in (None, "", "0") else None,
            )
        ]

    def inbound_answer(self) -> base.WebhookAnswer:
        return base.WebhookAnswer(200, "OK")

    def status_answer(self) -> base.WebhookAnswer:
        return base.WebhookAnswer(200, "OK")

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        payload: dict[str, Any] = {"originator": sms.from_, "recipients": [sms.to], "body": sms.body}
        # MessageBird sends a status report only for messages with a reference.
        if sms.client_reference or sms.status_callback_url:
            payload["reference"] = sms.client_reference or "smschannel"
        if sms.status_callback_url:
            payload["reportUrl"] = sms.status_callback_url
        response = base.post_to_provider(
            session,
            self.name,
            "POST",
            f"{self.api_base(account)}/messages",
            classify=_classify_error,
            json=payload,
            headers={"Authorization": f"AccessKey {account.credentials['accessKey']}", "Accept": "application/json"},
        )
        data, message_id = base.read_answer(response, self.name, lambda data: str(data["id"]))
        return base.SendResult(provider_message_id=message_id, status=MessageStatus.SENT, raw=data)

    # --- MessageBird's side -----------------------------------------------------------------------------------

    @staticmethod
    def _signed_form(account: Account, url: str, suffix: str, fields: dict[str, str]) -> base.SimulatedWebhook:
        body = urlencode(fields).encode()
        return base.SimulatedWebhook(
            method="POST",
            path_suffix=suffix,
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                SIGNATURE_HEADER: sign_jwt(account.credentials["signingKey"], url, body),
                "User-Agent": "MessageBird/ApiHooks",
            },
            body=body,
        )

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        fields = {
            "id": message_id,
            "message_id": message_id,
            "originator": from_.lstrip("+"),
            "recipient": account.phone_number.lstrip("+"),
            "reference": "",
            "body": body,
            "createdDatetime": _rfc3339_now(),
        }
        return self._signed_form(account, url, "", fields)

    def simulate_status(
        self, account: Account, *, url: str, provider_message_id: str, status: str
    ) -> base.SimulatedWebhook | None:
        raw = {"failed": "delivery_failed", "undelivered": "delivery_failed", "queued": "scheduled"}.get(
            status.lower(), status.lower()
        )
        stamp = _rfc3339_now()
        fields = {
            "id": provider_message_id,
            "reference": "smschannel",
            "recipient": "14155550123",
            "status": raw,
            "statusDatetime": stamp,
            "mccmnc": "310260",
            "ported": "0",
        }
        if raw in {"delivery_failed", "expired"}:
            fields["statusReason"] = "unknown subscriber"
            fields["statusErrorCode"] = "1"
        return self._signed_form(account, url, "/status", fields)

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        data = request.json_object()
        recipients = data.get("recipients") or [""]
        if isinstance(recipients, str):
            recipients = recipients.split(",")
        sms = base.OutboundSms(
            to=base.international_number(str(recipients[0])),
            from_=base.international_number(str(data.get("originator") or "")),
            body=str(data.get("body") or ""),
            client_reference=data.get("reference"),
            status_callback_url=data.get("reportUrl"),
        )
        if not (request.header("authorization") or "").startswith("AccessKey "):
            error = {"code": 2, "description": "Request not allowed (incorrect access_key)", "parameter": "access_key"}
            return 401, {"errors": [error]}, sms
        missing = [name for name in ("originator", "recipients", "body") if not data.get(name)]
        if missing:
            error = {"code": 9, "description": f"no ({missing[0]}) given", "parameter": missing[0]}
            return 422, {"errors": [error]}, sms
        now = _rfc3339_now()
        answer = {
            "id": message_id,
            "href": f"https://rest.messagebird.com/messages/{message_id}",
            "direction": "mt",
            "type": "sms",
            "originator": data["originator"],
            "body": sms.body,
            "reference": sms.client_reference,
            "validity": None,
            "gateway": 10,
            "typeDetails": {},
            "datacoding": "plain" if sms.body.isascii() else "unicode",
            "mclass": 1,
            "scheduledDatetime": None,
            "createdDatetime": now,
            "recipients": {
                "totalCount": 1,
                "totalSentCount": 1,
                "totalDeliveredCount": 0,
                "totalDeliveryFailedCount": 0,
                "items": [{"recipient": sms.to.lstrip("+"), "status": "sent", "statusDatetime": now}],
            },
        }
        return 201, answer, sms
