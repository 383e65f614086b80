"""Infobip SMS API: inbound `MO_JSON_2` webhooks, delivery reports, `POST /sms/2/text/advanced`.

Infobip signs no SMS webhook, so the account's `webhookSecret` authenticates them (`verify_webhook_secret`):
configure the inbound URL with basic auth or `?secret=` in the Infobip portal; every send passes a `notifyUrl`
that carries the secret, so delivery reports come back authenticated too. Infobip writes numbers without '+'.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, ClassVar

from smschannel.errors import UnparsableWebhook
from smschannel.models import Account, InboundMessage, MessageStatus, StatusUpdate, utc_now
from smschannel.providers import base

if TYPE_CHECKING:
    import requests  # sends only: what receives webhooks does not import it

# Delivery reports are mapped by status.groupName; status.name (e.g. DELIVERED_TO_HANDSET) is kept as raw status.
STATUS_MAP: dict[str, MessageStatus] = {
    "ACCEPTED": MessageStatus.QUEUED,
    "PENDING": MessageStatus.SENT,  # PENDING_ENROUTE / PENDING_ACCEPTED: with the operator, no receipt yet
    "DELIVERED": MessageStatus.DELIVERED,
    "UNDELIVERABLE": MessageStatus.UNDELIVERED,
    "EXPIRED": MessageStatus.UNDELIVERED,
    "REJECTED": MessageStatus.FAILED,
}
# The ids Infobip documents for each status group (status.groupId), used by the sandbox's reports.
GROUP_IDS = {"ACCEPTED": 0, "PENDING": 1, "UNDELIVERABLE": 2, "DELIVERED": 3, "EXPIRED": 4, "REJECTED": 5}
STATUS_NAMES = {
    "ACCEPTED": (0, "MESSAGE_ACCEPTED", "Message accepted"),
    "PENDING": (7, "PENDING_ENROUTE", "Message sent to next instance"),
    "DELIVERED": (5, "DELIVERED_TO_HANDSET", "Message delivered to handset"),
    "UNDELIVERABLE": (9, "UNDELIVERABLE_NOT_DELIVERED", "Message sent not delivered"),
    "EXPIRED": (15, "EXPIRED_EXPIRED", "Message expired"),
    "REJECTED": (6, "REJECTED_NETWORK", "Network is forbidden"),
}


def _infobip_number(number: str) -> str:
    """Infobip wants international numbers without '+'; alphanumeric sender ids pass unchanged."""
    digits = number.strip()
    return digits[1:] if digits.startswith("+") and digits[1:].isdigit() else digits


def _classify_error(status: int, detail: Any) -> tuple[bool, str] | None:
    """Infobip errors: `{"requestError": {"serviceException": {"messageId": "BAD_REQUEST", "text": ...}}}`
    (API v2) or `{"errorCode": "E400", "description": ...}` (newer APIs): keep its code."""
    if not isinstance(detail, dict):
        return None
    exception = (detail.get("requestError") or {}).get("serviceException") if "requestError" in detail else None
    code = exception.get("messageId") if isinstance(exception, dict) else detail.get("errorCode")
    if not code:
        return None
    return status == 429 or status >= 500 or code == "TOO_MANY_REQUESTS", str(code)


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _results(request: base.WebhookRequest) -> list[dict[str, Any]]:
    document = request.json()
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list) or not all(isinstance(item, dict) for item in results):
        raise UnparsableWebhook("Infobip webhook needs a results array of objects")
    return results


class InfobipAdapter(base.ProviderAdapter):
    name: ClassVar[str] = "infobip"
    required_credentials: ClassVar[tuple[str, ...]] = ("apiKey", "webhookSecret")
    supports_mms: ClassVar[bool] = False  # MMS is a separate Infobip API
    default_api_base_url: ClassVar[str] = "https://api.infobip.com"
    signs_body: ClassVar[bool] = False

    def verify(self, request: base.WebhookRequest, account: Account) -> None:
        base.verify_webhook_secret(request, account.credentials["webhookSecret"])

    def parse_inbound(self, request: base.WebhookRequest, account: Account) -> list[InboundMessage]:
        messages = []
        for result in _results(request):
            if not result.get("messageId") or not result.get("from") or not result.get("to"):
                raise UnparsableWebhook("Infobip inbound needs messageId, from and to")
            # `text` is what the customer wrote; `cleanText` drops a matched keyword, which an agent needs to see.
            messages.append(
                InboundMessage(
                    provider=self.name,
                    provider_message_id=str(result["messageId"]),
                    **{"from": base.international_number(str(result["from"]))},
                    to=base.international_number(str(result["to"])),
                    body=str(result.get("text") or ""),
                )
            )
        return messages

    def parse_status(self, request: base.WebhookRequest, account: Account) -> list[StatusUpdate]:
        updates = []
        for result in _results(request):
            status = _object(result.get("status"))
            group = str(status.get("groupName") or "").upper()
            if not result.get("messageId") or group not in STATUS_MAP:
                raise UnparsableWebhook(f"Infobip report needs messageId and a known status.groupName, got {group!r}")
            error = _object(result.get("error"))
            error_id = error.get("id")
            updates.append(
                StatusUpdate(
                    provider=self.name,
                    provider_message_id=str(result["messageId"]),
                    status=STATUS_MAP[group],
                    provider_status=str(status.get("name") or group),
                    # error.id 0 (NO_ERROR, group OK) accompanies every successful report
                    error_code=str(error_id) if error_id not in (None, 0, "0") else None,
                )
            )
        return updates

    def send(self, account: Account, sms: base.OutboundSms, session: requests.Session) -> base.SendResult:
        message: dict[str, Any] = {
            "destinations": [{"to": _infobip_number(sms.to)}],
            "from": _infobip_number(sms.from_),
            "text": sms.body,
        }
        if sms.status_callback_url:
            message["notifyUrl"] = base.with_secret_query(sms.status_callback_url, account.credentials["webhookSecret"])
            message["notifyContentType"] = "application/json"
        if sms.client_reference:
            message["callbackData"] = sms.client_reference
        response = base.post_to_provider(
            session,
            self.name,
            "POST",
            f"{self.api_base(account)}/sms/2/text/advanced",
            classify=_classify_error,
            json={"messages": [message]},
            headers={"Authorization": f"App {account.credentials['apiKey']}", "Accept": "application/json"},
        )
        data, (sent, message_id) = base.read_answer(
            response, self.name, lambda data: ((sent := dict(data["messages"][0])), str(sent["messageId"]))
        )
        group = str((sent.get("status") or {}).get("groupName") or "PENDING").upper()
        if group == "REJECTED":  # accepted by the API but refused for this destination (e.g. REJECTED_DESTINATION)
            name = str((sent.get("status") or {}).get("name") or "REJECTED")
            raise base.SendError(f"infobip rejected the message: {name}", retryable=False, code=name)
        return base.SendResult(
            provider_message_id=message_id, status=STATUS_MAP.get(group, MessageStatus.QUEUED), raw=data
        )

    # --- Infobip's side ---------------------------------------------------------------------------------------

    @staticmethod
    def _authenticated(account: Account, suffix: str, document: dict[str, Any]) -> base.SimulatedWebhook:
        return base.SimulatedWebhook(
            method="POST",
            path_suffix=suffix,
            headers={"Content-Type": "application/json", "User-Agent": "Infobip"},
            body=json.dumps(document, ensure_ascii=False).encode(),
            query={"secret": account.credentials["webhookSecret"]},
        )

    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> base.SimulatedWebhook:
        keyword, _, rest = body.partition(" ")
        document = {
            "results": [
                {
                    "messageId": message_id,
                    "from": _infobip_number(from_),
                    "to": _infobip_number(account.phone_number),
                    "text": body,
                    "cleanText": rest,
                    "keyword": keyword.upper(),
                    "receivedAt": utc_now().replace("Z", "+0000"),
                    "smsCount": 1,
                    "price": {"pricePerMessage": 0, "currency": "EUR"},
                    "callbackData": None,
                }
            ],
            "messageCount": 1,
            "pendingMessageCount": 0,
        }
        return self._authenticated(account, "", document)

    def simulate_status(
        self, account: Account, *, url: str, provider_message_id: str, status: str
    ) -> base.SimulatedWebhook | None:
        group = status.upper() if status.upper() in STATUS_NAMES else "DELIVERED"
        status_id, name, description = STATUS_NAMES[group]
        failed = STATUS_MAP[group] in {MessageStatus.UNDELIVERED, MessageStatus.FAILED}
        error = (
            {"groupId": 1, "groupName": "HANDSET_ERRORS", "id": 1, "name": "EC_UNKNOWN_SUBSCRIBER",
             "description": "Unknown Subscriber", "permanent": True}
            if failed
            else {"groupId": 0, "groupName": "OK", "id": 0, "name": "NO_ERROR", "description": "No Error",
                  "permanent": False}
        )  # fmt: skip
        now = utc_now().replace("Z", "+0000")
        document = {
            "results": [
                {
                    "bulkId": None,
                    "price": {"pricePerMessage": 0.01, "currency": "EUR"},
                    "status": {
                        "groupId": GROUP_IDS[group],
                        "groupName": group,
                        "id": status_id,
                        "name": name,
                        "description": description,
                    },
                    "error": error,
                    "messageId": provider_message_id,
                    "doneAt": now,
                    "smsCount": 1,
                    "sentAt": now,
                    "to": "14155550123",
                }
            ]
        }
        return self._authenticated(account, "/status", document)

    def sandbox_accept(self, request: base.WebhookRequest, message_id: str) -> base.SandboxAnswer:
        message = base.first_item(request.json(), "messages")
        destinations = message.get("destinations") or [{}]
        to = str(destinations[0].get("to") or "") if isinstance(destinations[0], dict) else ""
        notify_url = message.get("notifyUrl")
        sms = base.OutboundSms(
            to=base.international_number(to),
            from_=base.international_number(str(message.get("from") or "")),
            body=str(message.get("text") or ""),
            client_reference=message.get("callbackData"),
            status_callback_url=base.without_secret_query(notify_url) if notify_url else None,
        )
        if not (request.header("authorization") or "").startswith("App "):
            error = {"messageId": "UNAUTHORIZED", "text": "Invalid login details"}
            return 401, {"requestError": {"serviceException": error}}, sms
        if not to or not sms.body:
            error = {"messageId": "BAD_REQUEST", "text": "Bad request"}
            return 400, {"requestError": {"serviceException": error}}, sms
        answer = {
            "bulkId": f"bulk-{message_id}",
            "messages": [
                {
                    "messageId": message_id,
                    "status": {
                        "groupId": 1,
                        "groupName": "PENDING",
                        "id": 26,
                        "name": "PENDING_ACCEPTED",
                        "description": "Message sent to next instance",
                    },
                    "to": to,
                }
            ],
        }
        return 200, answer, sms
