"""ClickSend REST v3: inbound SMS pushed by an inbound-SMS rule (action `URL`), delivery receipts pushed to the
account's delivery-report URL, `POST /v3/sms/send` with basic auth (username, API key).

ClickSend signs nothing, so the account's `webhookSecret` authenticates both pushes (`verify_webhook_secret`):
the URLs entered in the ClickSend dashboard carry `?secret=`. A rule posts form fields by default, or JSON when
its `webhook_type` is `json`; both are read. ClickSend takes no per-message callback URL: receipts go to the one
delivery-report URL of the account, so the sender passes none and `custom_string` carries our message id.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlencode

from smschannel.errors import UnparsableWebhook
from smschannel.models import Account, InboundMessage, MessageStatus, StatusUpdate
from smschannel.providers import base

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

# A receipt's `status_code` (ClickSend's "SMS error codes" table): 200 on its way (Queued, Scheduled, Sent,
# WaitApproval), 201 delivered to the handset, 300 temporary network error (ClickSend retries), 301 final failure.
STATUS_CODES: dict[str, MessageStatus] = {
    "200": MessageStatus.SENT,
    "201": MessageStatus.DELIVERED,
    "300": MessageStatus.SENT,
    "301": MessageStatus.UNDELIVERED,
}
# `status` names that refine a 200/301: still with ClickSend, or refused before reaching the network.
NOT_YET_SENT = {"QUEUED", "SCHEDULED", "WAITAPPROVAL"}
REFUSED = {"CANCELLED", "CANCELLEDAFTERREVIEW"}
# Per-message `status` in a 200 send answer (ClickSend's application status codes) that the same send may pass
# later; every other status but SUCCESS is permanent (INVALID_RECIPIENT, INSUFFICIENT_CREDIT, ...).
RETRYABLE_CODES = {"THROTTLED", "TOO_MANY_REQUESTS", "INTERNAL_ERROR", "INTERNAL_SERVER_ERROR", "SOMETHING_IS_WRONG"}
# What the sandbox reports for each of our statuses: (status, status_code, error_code, error_text).
SIMULATED = {
    "sent": ("Sent", "200", "3", "Message sent to the network for delivery"),
    "delivered": ("Delivered", "201", "4", "Message delivered to the handset"),
    "undelivered": ("Failed", "301", "8", "Unknown subscriber. Number is inactive or invalid"),
    "failed": ("Cancelled", "301", "5", "Message is cancelled"),
}


def _fields(request: base.WebhookRequest) -> dict[str, str]:
    """A push's fields: form-encoded (the default, or a GET rule's query) or a JSON object."""
    if request.content_type == "application/json" or request.body.lstrip()[:1] == b"{":
        document = request.json()
        if not isinstance(document, dict):
            raise UnparsableWebhook("ClickSend JSON push must be an object")
        return {key: "" if value is None else str(value) for key, value in document.items()}
    return request.form()


def _classify_error(status: int, detail: Any) -> tuple[bool, str] | None:
    """ClickSend errors: `{"http_code": 401, "response_code": "UNAUTHORIZED", "response_msg": ..., "data": ...}`."""
    if not isinstance(detail, dict) or not detail.get("response_code"):
        return None
    code = str(detail["response_code"])
    return status == 429 or status >= 500 or code in RETRYABLE_CODES, code


class ClickSendAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "clicksend"
    required_credentials: ClassVar[tuple[str, ...]] = ("username", "apiKey", "webhookSecret")
    supports_mms: ClassVar[bool] = False  # MMS is a separate ClickSend endpoint (/v3/mms/send)
    default_api_base_url: ClassVar[str] = "https://rest.clicksend.com"
    signs_body: ClassVar[bool] = False
    status_url_per_message: ClassVar[bool] = False

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        base.verify_webhook_secret(request, account.credentials["webhookSecret"])

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        fields = _fields(request)
        # `message`, `sms` and `originalmessageid`-style names are ClickSend's legacy aliases of the same fields.
        sender = fields.get("from") or fields.get("sms")
        if not fields.get("message_id") or not sender or not fields.get("to"):
            raise UnparsableWebhook("ClickSend inbound needs message_id, from and to")
        return [
            InboundMessage(
                provider=self.name,
                provider_message_id=fields["message_id"],
                **{"from": base.international_number(sender)},
                to=base.international_number(fields["to"]),
                body=fields.get("body", fields.get("message", "")),
            )
        ]

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        fields = _fields(request)
        code = fields.get("status_code", "").strip()
        if not fields.get("message_id") or code not in STATUS_CODES:
            raise UnparsableWebhook(f"ClickSend receipt needs message_id and a known status_code, got {code!r}")
        name = fields.get("status", "").strip()
        status = STATUS_CODES[code]
        if code == "200" and name.upper() in NOT_YET_SENT:
            status = MessageStatus.QUEUED
        elif code == "301" and name.upper() in REFUSED:
            status = MessageStatus.FAILED
        error_code = fields.get("error_code", "").strip()
        return [
            StatusUpdate(
                provider=self.name,
                provider_message_id=fields["message_id"],
                status=status,
                provider_status=name or code,
                error_code=error_code if status in {MessageStatus.UNDELIVERED, MessageStatus.FAILED} else None,
            )
        ]

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        message: dict[str, Any] = {"source": "sdk", "from": sms.from_, "to": sms.to, "body": sms.body}
        if sms.client_reference:
            message["custom_string"] = sms.client_reference  # passed back with every receipt and reply
        credentials = account.credentials
        response = base.post_to_provider(
            session,
            self.name,
            "POST",
            f"{self.api_base(account)}/v3/sms/send",
            classify=_classify_error,
            json={"messages": [message]},
            headers={
                "Authorization": base.basic_auth_header(credentials["username"], credentials["apiKey"]),
                "Accept": "application/json",
            },
        )
        data, sent = base.read_answer(response, self.name, lambda data: dict(data["data"]["messages"][0]))
        outcome = str(sent.get("status") or "")
        if outcome != "SUCCESS":  # HTTP 200, but this recipient was refused (e.g. INVALID_RECIPIENT)
            raise base.SendError(
                f"clicksend refused the message: {outcome}", retryable=outcome in RETRYABLE_CODES, code=outcome
            )
        if not sent.get("message_id"):
            raise base.SendError(f"clicksend answered no message_id: {response.text[:200]}", retryable=True)
        return base.SendResult(provider_message_id=str(sent["message_id"]), status=MessageStatus.QUEUED, raw=data)

    # --- ClickSend's side -------------------------------------------------------------------------------------

    @staticmethod
    def _pushed(account: Account, suffix: str, fields: dict[str, str]) -> base.SimulatedWebhook:
        return base.SimulatedWebhook(
            method="POST",
            path_suffix=suffix,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            body=urlencode(fields).encode(),
            query={"secret": account.credentials["webhookSecret"]},
        )

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        fields = {
            "timestamp": "1735000000",
            "from": from_,
            "body": body,
            "original_body": "",
            "original_message_id": "",
            "to": account.phone_number,
            "custom_string": "",
            "user_id": "1",
            "subaccount_id": "1",
            "message_id": message_id,
        }
        return self._pushed(account, "", fields)

    def simulate_status(
        self, account: Account, *, url: str, provider_message_id: str, status: str
    ) -> base.SimulatedWebhook | None:
        name, code, error_code, error_text = SIMULATED.get(status.lower(), SIMULATED["delivered"])
        fields = {
            "timestamp_send": "1735000000",
            "timestamp": "1735000004",
            "message_id": provider_message_id,
            "status": name,
            "status_code": code,
            "status_text": error_text,
            "error_code": error_code,
            "error_text": error_text,
            "custom_string": "",
            "user_id": "1",
            "subaccount_id": "1",
            "message_type": "sms",
        }
        return self._pushed(account, "/status", fields)

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        message = base.first_item(request.json(), "messages")
        sms = base.OutboundSms(
            to=str(message.get("to") or ""),
            from_=str(message.get("from") or ""),
            body=str(message.get("body") or ""),
            client_reference=message.get("custom_string"),
        )
        if not (request.header("authorization") or "").startswith("Basic "):
            return 401, {"http_code": 401, "response_code": "UNAUTHORIZED", "response_msg": "", "data": None}, sms
        if not sms.body:
            error = {"http_code": 400, "response_code": "BAD_REQUEST", "response_msg": "body is required", "data": None}
            return 400, error, sms
        status = "SUCCESS" if sms.to else "INVALID_RECIPIENT"
        answer = {
            "http_code": 200,
            "response_code": "SUCCESS",
            "response_msg": "Messages queued for delivery.",
            "data": {
                "total_price": 0.07 if sms.to else 0,
                "total_count": 1,
                "queued_count": 1 if sms.to else 0,
                "messages": [
                    {
                        "direction": "out",
                        "date": 1735000000,
                        "to": sms.to,
                        "body": sms.body,
                        "from": sms.from_,
                        "schedule": "",
                        "message_id": message_id,
                        "message_parts": 1,
                        "message_price": "0.0700",
                        "custom_string": sms.client_reference or "",
                        "user_id": 1,
                        "subaccount_id": 1,
                        "country": "US",
                        "carrier": "",
                        "status": status,
                    }
                ],
                "_currency": {"currency_name_short": "USD", "currency_prefix_d": "$"},
            },
        }
        return 200, answer, sms
