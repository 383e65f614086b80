"""The one interface every SMS provider adapter implements, and the request/answer shapes it sees.

An adapter knows its provider's wire formats and nothing of our table: it verifies a webhook, turns it into
`InboundMessage`s or `StatusUpdate`s, says what the provider expects as the webhook's answer, and sends.
The `simulate_*` and `sandbox_*` methods are the provider's side of the same wire format, used by the
local stack's sandbox and by tests to produce payloads signed exactly as the provider signs them.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from smschannel.errors import InvalidSignature, MissingSignature, UnparsableWebhook
from smschannel.models import Account, InboundMessage, StatusUpdate

if TYPE_CHECKING:
    import requests

# (connect, read) seconds: a provider API that hangs must not hold the sender past its own timeout.
HTTP_TIMEOUT = (3.05, 10.0)


@dataclass(frozen=True)
class WebhookRequest:
    """An HTTP request as the provider sent it, independent of API Gateway's event shape."""

    method: str
    # Every URL the provider may have signed, most likely first (stage prefixes, custom domains, overrides).
    urls: tuple[str, ...]
    headers: dict[str, str]  # lower-case names
    query: dict[str, str]
    body: bytes
    source_ip: str | None = None
    raw_query: str = ""  # the query string as sent (a signature covers it in this order)

    def signed_at_first(self, url: str) -> WebhookRequest:
        """This request with `url` (and the query string as sent) as the most likely URL the provider signed."""
        first = f"{url}?{self.raw_query}" if self.raw_query else url
        return replace(self, urls=(first, *self.urls))

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def content_type(self) -> str:
        return (self.header("content-type") or "").split(";")[0].strip().lower()

    def form(self) -> dict[str, str]:
        """Form fields of a POST body, or the query string of a GET callback."""
        if self.method == "GET":
            return dict(self.query)
        try:
            text = self.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnparsableWebhook("body is not UTF-8") from exc
        return dict(parse_qsl(text, keep_blank_values=True))

    def form_pairs(self) -> list[tuple[str, str]]:
        if self.method == "GET":
            return list(self.query.items())
        return parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True)

    def json(self) -> Any:
        import json

        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise UnparsableWebhook(f"body is not JSON: {exc}") from exc

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object: {} when it is JSON but not an object (what a sandbox reads fields from)."""
        data = self.json()
        return data if isinstance(data, dict) else {}


@dataclass(frozen=True)
class WebhookAnswer:
    status_code: int = 200
    body: str = ""
    content_type: str = "text/plain"


@dataclass(frozen=True)
class OutboundSms:
    to: str
    from_: str
    body: str
    media: list[str] = field(default_factory=list)
    # Our id, sent where the provider accepts a client reference (for its own dedup and for status callbacks).
    client_reference: str | None = None
    status_callback_url: str | None = None


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str
    status: str = "sent"
    raw: dict[str, Any] = field(default_factory=dict)


class SendError(Exception):
    """A send the provider refused. `retryable` says whether the same send may succeed later."""

    def __init__(
        self, message: str, *, retryable: bool, code: str | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.code = code
        self.retry_after = retry_after


# What a sandbox answers for a send: status code, JSON body, the SMS as the provider understood it.
SandboxAnswer = tuple[int, dict[str, Any], OutboundSms]


@dataclass(frozen=True)
class SimulatedWebhook:
    """A provider-native webhook ready to post: the sandbox and tests send exactly this."""

    method: str
    path_suffix: str  # "" for inbound, "/status" for status callbacks
    headers: dict[str, str]
    body: bytes
    query: dict[str, str] = field(default_factory=dict)


class ProviderAdapter(ABC):
    name: ClassVar[str]
    # Credential fields the provider needs, in its own names (docs/api.md); the admin API refuses an account without.
    required_credentials: ClassVar[tuple[str, ...]]
    supports_mms: ClassVar[bool] = False
    default_api_base_url: ClassVar[str]
    # False where the webhook is authenticated by a shared secret (`verify_webhook_secret`) that does not cover
    # the body: a tampered body then verifies, and only a wrong or missing secret is refused.
    signs_body: ClassVar[bool] = True
    # False where the provider posts delivery events to the one callback URL configured on its side (e.g.
    # Bandwidth's application) rather than to a URL passed with each send.
    status_url_per_message: ClassVar[bool] = True
    # True where the provider posts no delivery receipt: the outbound poller asks `fetch_status` instead.
    polls_status: ClassVar[bool] = False

    @abstractmethod
    def verify(self, request: WebhookRequest, account: Account) -> None:
        """Raise MissingSignature / InvalidSignature unless the provider signed this request."""

    @abstractmethod
    def parse_inbound(self, request: WebhookRequest, account: Account) -> list[InboundMessage]:
        """The customer messages in an inbound webhook (an empty list for events we do not store)."""

    @abstractmethod
    def parse_status(self, request: WebhookRequest, account: Account) -> list[StatusUpdate]:
        """The delivery-status updates in a status callback."""

    def parse_inbound_statuses(self, request: WebhookRequest, account: Account) -> list[StatusUpdate]:
        """Status updates that arrive on the inbound URL, for providers that post every event to one callback
        URL (e.g. Bandwidth). The inbound route applies them; most providers have none."""
        return []

    def inbound_answer(self) -> WebhookAnswer:
        return WebhookAnswer()

    def status_answer(self) -> WebhookAnswer:
        return WebhookAnswer()

    @abstractmethod
    def send(self, account: Account, sms: OutboundSms, session: requests.Session) -> SendResult:
        """Send through the provider's REST API; raise SendError (retryable or not) on refusal."""

    def fetch_status(self, account: Account, provider_message_id: str, session: requests.Session) -> StatusUpdate:
        """The status the provider holds for a sent message (providers with `polls_status`)."""
        raise NotImplementedError(f"{self.name} posts delivery receipts; it is not polled")

    # --- the provider's side, for the sandbox and tests ---------------------------------------------------

    def sandbox_status_query(self, request: WebhookRequest) -> str | None:
        """The provider message id a status query to the provider's API asks about (None: not a status query)."""
        return None

    def sandbox_status_answer(self, provider_message_id: str, status: StatusUpdate | None) -> dict[str, Any]:
        """The provider API's answer to a status query, saying `status` (None: only accepted so far)."""
        raise NotImplementedError

    @abstractmethod
    def simulate_inbound(
        self, account: Account, *, url: str, from_: str, body: str, media: list[str], message_id: str
    ) -> SimulatedWebhook:
        """The webhook this provider would post for a customer's SMS, signed for `url`."""

    def simulate_status(
        self, account: Account, *, url: str, provider_message_id: str, status: str
    ) -> SimulatedWebhook | None:
        """The status callback this provider would post (None where the sandbox does not emit one)."""
        return None

    @abstractmethod
    def sandbox_accept(self, request: WebhookRequest, message_id: str) -> SandboxAnswer:
        """The provider API's side of `send`: read the request `send` made and answer as the provider does.

        Returns (status code, JSON body, the SMS as the provider understood it) so the sandbox can record it.
        """

    def sandbox_credentials(self) -> dict[str, str]:
        """Credentials for a demo account that talks to the sandbox (an adapter whose secrets have a format,
        such as a key pair, overrides this)."""
        return {name: f"sandbox-{name}-0123456789" for name in self.required_credentials}

    # --- helpers shared by adapters ----------------------------------------------------------------------

    def api_base(self, account: Account) -> str:
        return (account.api_base_url or self.default_api_base_url).rstrip("/")


def first_item(document: Any, key: str) -> dict[str, Any]:
    """`document[key][0]` when it is a JSON object, else {}: the first message of a batch a sandbox was sent."""
    items = document.get(key) if isinstance(document, dict) else None
    return items[0] if isinstance(items, list) and items and isinstance(items[0], dict) else {}


def international_number(number: str) -> str:
    """A number written without its leading '+' (as many providers do) in E.164; short codes (up to six digits)
    and alphanumeric sender ids unchanged. The inbound path then validates it with `phonenumbers`."""
    number = number.strip()
    return "+" + number if number.isdigit() and len(number) > 6 else number


def constant_time_equals(expected: str, given: str | None) -> bool:
    if given is None:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())


def require_header(request: WebhookRequest, name: str) -> str:
    value = request.header(name)
    if not value:
        raise MissingSignature(f"missing {name} header")
    return value


def verify_webhook_secret(request: WebhookRequest, secret: str, *, username: str | None = None) -> None:
    """For providers that sign nothing: the account's shared secret must come back as the HTTP basic auth
    password (any user name, unless `username` is given) or as a `secret` query parameter on the webhook URL
    (basic auth only when `username` is given). Compared in constant time; absent → MissingSignature (401),
    wrong → InvalidSignature (403)."""
    if not secret:
        raise InvalidSignature("the account has no webhook secret configured")
    given_user: str | None = None
    given: str | None = None
    scheme, _, encoded = (request.header("authorization") or "").strip().partition(" ")
    if scheme.lower() == "basic" and encoded.strip():
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
        except (binascii.Error, ValueError) as exc:
            raise InvalidSignature("Authorization is not valid basic auth") from exc
        given_user, separator, given = decoded.partition(":")
        if not separator:
            raise InvalidSignature("basic auth carries no password")
    elif username is None and "secret" in request.query:
        given = request.query["secret"]
    if given is None:
        raise MissingSignature("missing basic auth" + ("" if username is not None else " or secret query parameter"))
    matches = constant_time_equals(secret, given)
    if username is not None:
        matches = constant_time_equals(username, given_user) & matches  # both compared, whatever the first gives
    if not matches:
        raise InvalidSignature("webhook credentials do not match the account's")


def basic_auth_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def with_secret_query(url: str, secret: str) -> str:
    """A callback URL passed with a send, carrying the `secret` query parameter `verify_webhook_secret` reads."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "secret"]
    return urlunsplit(parts._replace(query=urlencode([*query, ("secret", secret)])))


def without_secret_query(url: str) -> str:
    """The same URL with no `secret` parameter: what the sandbox records (its outbox is readable)."""
    parts = urlsplit(url)
    query = [(key, value) for key, value in parse_qsl(parts.query, keep_blank_values=True) if key != "secret"]
    return urlunsplit(parts._replace(query=urlencode(query)))


# Given the HTTP status and the decoded error body, an adapter may override the default classification.
ErrorClassifier = Callable[[int, Any], tuple[bool, str] | None]


def raise_for_send_response(
    response: requests.Response, provider: str, classify: ErrorClassifier | None = None
) -> None:
    """Map a provider API's HTTP error onto retryable (429, 5xx) or permanent (other 4xx)."""
    if response.status_code < 400:
        return
    retry_after: float | None = None
    header = response.headers.get("Retry-After")
    if header:
        try:
            retry_after = float(header)
        except ValueError:
            retry_after = None
    retryable = response.status_code == 429 or response.status_code >= 500
    code = str(response.status_code)
    try:
        detail = response.json()
    except ValueError:
        detail = response.text[:500]
    if classify is not None and (override := classify(response.status_code, detail)) is not None:
        retryable, code = override
    raise SendError(
        f"{provider} answered {response.status_code}: {detail}",
        retryable=retryable,
        code=code,
        retry_after=retry_after,
    )


def read_answer[T](response: requests.Response, provider: str, pick: Callable[[Any], T]) -> tuple[Any, T]:
    """The provider's decoded 2xx answer and what `pick` takes out of it (its message id, its first recipient...).
    An answer that cannot be read is a retryable send error: the claim before the call keeps a retry from sending
    twice."""
    try:
        data = response.json()
        return data, pick(data)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise SendError(f"{provider} answered an unreadable body: {response.text[:200]}", retryable=True) from exc


def post_to_provider(
    session: requests.Session,
    provider: str,
    method: str,
    url: str,
    classify: ErrorClassifier | None = None,
    **kwargs: Any,
) -> requests.Response:
    """One call to a provider API: connection failures are retryable send errors, a read timeout is an unknown
    outcome."""
    import requests  # what receives webhooks never sends: it does not pay for requests at import

    from smschannel.observability import trace_requests

    trace_requests()
    try:
        response = session.request(method, url, timeout=HTTP_TIMEOUT, **kwargs)
    except requests.ConnectTimeout as exc:
        raise SendError(f"{provider} did not accept the connection", retryable=True, code="timeout") from exc
    except requests.ReadTimeout as exc:
        # The request went out and no answer came: the provider may have sent the SMS. Not retried, since a
        # second attempt could send it twice (the sender fails the message as unknown-outcome).
        raise SendError(f"{provider} did not answer in time", retryable=False, code="unknown-outcome") from exc
    except requests.Timeout as exc:
        raise SendError(f"{provider} timed out", retryable=True, code="timeout") from exc
    except requests.ConnectionError as exc:
        raise SendError(f"{provider} unreachable: {exc}", retryable=True, code="connection") from exc
    raise_for_send_response(response, provider, classify)
    return response
