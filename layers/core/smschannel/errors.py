"""Domain exceptions; the handler edge (smschannel.http) maps each to one HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class UnknownAccount(NotFound):
    code = "unknown_account"


class InvalidSignature(DomainError):
    """The provider's signature is wrong: the request is refused and nothing is stored."""

    status_code = 403
    code = "invalid_signature"


class MissingSignature(InvalidSignature):
    status_code = 401
    code = "missing_signature"


class UnparsableWebhook(DomainError):
    """Authentic but not understood: archived for replay, answered 400."""

    status_code = 400
    code = "unparsable_webhook"


class InvalidConfiguration(DomainError):
    status_code = 422
    code = "invalid_configuration"


class InteractionClosed(DomainError):
    status_code = 409
    code = "interaction_closed"


class OptedOut(DomainError):
    """The customer opted out of this account's messages (STOP): nothing is sent until they opt back in."""

    status_code = 422
    code = "opted_out"


class InvalidMessage(DomainError):
    """A reply that cannot be sent as given (empty or too long body, a media URL that is not https...)."""

    status_code = 422
    code = "invalid_message"


class Conflict(DomainError):
    status_code = 409
    code = "conflict"


class StoreInProgress(DomainError):
    """A provider retry of a message another invocation is storing right now: answer 503 so the provider retries
    again, and finds it stored (or its writer dead, and takes over)."""

    status_code = 503
    code = "store_in_progress"


class Unauthorized(DomainError):
    status_code = 401
    code = "unauthorized"


class Forbidden(DomainError):
    """Signed in, but the caller's role (or a machine's scopes) does not allow this route."""

    status_code = 403
    code = "forbidden"


class IdentityUnavailable(DomainError):
    """The user pool's signing keys cannot be fetched: no token can be verified for now (nothing is let in)."""

    status_code = 503
    code = "identity_unavailable"


class Unavailable(DomainError):
    """A transfer's target that cannot take the interaction now; `code` says why (docs/api.md "Transfer")."""

    status_code = 422
    code = "target_unavailable"

    def __init__(self, message: str, *, code: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.code = code


class AiDisabled(DomainError):
    """An AI assist feature the account has not turned on (`options.ai.summaries`, `options.ai.suggestions`)."""

    status_code = 409
    code = "ai_disabled"
