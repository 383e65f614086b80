"""The WebSocket's frames (docs/api.md "WebSocket"): client actions as pydantic models, server frames as dicts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, ValidationError

from smschannel.errors import DomainError
from smschannel.models import CamelModel, NoteIn


class SendMessage(CamelModel):
    action: Literal["sendMessage"]
    interaction_id: str = Field(min_length=1)
    body: str = ""
    client_message_id: str = Field(min_length=1, max_length=200)
    media: list[str] | None = None


class CloseInteraction(CamelModel):
    action: Literal["closeInteraction"]
    interaction_id: str = Field(min_length=1)
    disposition: str | None = Field(default=None, max_length=200)


class SetStatus(CamelModel):
    action: Literal["setStatus"]
    status: Literal["ready", "paused"]
    reason: str | None = Field(default=None, max_length=200)


class Subscribe(CamelModel):
    """`dashboard` (supervisors) or `agent` (an agent's own desk: its snapshot)."""

    action: Literal["subscribe"]
    topic: Literal["dashboard", "agent"]


class MarkRead(CamelModel):
    action: Literal["markRead"]
    interaction_id: str = Field(min_length=1)


class GetInteraction(CamelModel):
    """The conversation of one interaction (an agent: only its own; a supervisor: any)."""

    action: Literal["getInteraction"]
    interaction_id: str = Field(min_length=1)


class Transfer(CamelModel):
    """To another agent or back to a queue (one of them), with an optional note for the receiver."""

    action: Literal["transfer"]
    interaction_id: str = Field(min_length=1)
    agent_id: str | None = Field(default=None, min_length=1)
    queue_id: str | None = Field(default=None, min_length=1)
    note: str | None = Field(default=None, max_length=1000)


class SubmitWrapUp(CamelModel):
    action: Literal["submitWrapUp"]
    interaction_id: str = Field(min_length=1)
    disposition: str | None = Field(default=None, max_length=100)
    notes: str | None = Field(default=None, max_length=2000)


class GetHistory(CamelModel):
    """The customer of one interaction: the contact and its previous interactions of the account (read-only)."""

    action: Literal["getHistory"]
    interaction_id: str = Field(min_length=1)


class GetTargets(CamelModel):
    """Who and where a transfer can go now: agents (status, load, capacity) and queues."""

    action: Literal["getTargets"]


class AddNote(NoteIn):
    """A private note on an interaction (an agent: its own; a supervisor: any), open or closed; never sent.
    A retry with the same `clientMessageId` stores it once."""

    action: Literal["addNote"]
    interaction_id: str = Field(min_length=1)
    client_message_id: str | None = Field(default=None, min_length=1, max_length=200)


class UpdateContact(CamelModel):
    """The agent names (or tags) the contact of an interaction it holds (a supervisor: any); only the fields given
    change."""

    action: Literal["updateContact"]
    interaction_id: str = Field(min_length=1)
    name: str | None = Field(default=None, max_length=200)
    tags: list[Annotated[str, Field(min_length=1, max_length=50)]] | None = Field(default=None, max_length=50)


class BlockNumber(CamelModel):
    """A supervisor blocks the number of an interaction on its account (docs/floor.md "Block list"): its open
    interaction closes with disposition `blocked`."""

    action: Literal["blockNumber"]
    interaction_id: str = Field(min_length=1)
    reason: str | None = Field(default=None, max_length=500)


class ListResponses(CamelModel):
    """The canned replies usable on one interaction (its account's and queue's, and the unscoped ones)."""

    action: Literal["listResponses"]
    interaction_id: str = Field(min_length=1)


class RenderResponse(CamelModel):
    """A canned reply filled for one interaction, with the filled text's encoding and segments (nothing is sent)."""

    action: Literal["renderResponse"]
    response_id: str = Field(min_length=1)
    interaction_id: str = Field(min_length=1)


class SuggestReplies(CamelModel):
    """AI assist: up to three replies the model drafts for the agent (`replies.suggested` to this connection only;
    nothing is sent). The interaction's agent, or a supervisor; the account's `options.ai.suggestions` on."""

    action: Literal["suggestReplies"]
    interaction_id: str = Field(min_length=1)


Action = Annotated[
    SendMessage
    | CloseInteraction
    | SetStatus
    | Subscribe
    | MarkRead
    | GetInteraction
    | Transfer
    | SubmitWrapUp
    | GetTargets
    | UpdateContact
    | BlockNumber
    | GetHistory
    | AddNote
    | ListResponses
    | RenderResponse
    | SuggestReplies,
    Field(discriminator="action"),
]
_actions: TypeAdapter[Action] = TypeAdapter(Action)
ACTIONS = (
    "sendMessage",
    "closeInteraction",
    "setStatus",
    "subscribe",
    "markRead",
    "getInteraction",
    "transfer",
    "submitWrapUp",
    "getTargets",
    "getHistory",
    "addNote",
    "listResponses",
    "renderResponse",
    "suggestReplies",
)


class InvalidFrame(DomainError):
    status_code = 400
    code = "invalid_frame"


class NotYours(DomainError):
    """An agent acting on an interaction assigned to someone else (or to no one)."""

    status_code = 403
    code = "not_yours"


class Forbidden(DomainError):
    status_code = 403
    code = "forbidden"


def parse_action(body: str | None) -> Action:
    """The client's frame as its action model; InvalidFrame naming the field at fault."""
    try:
        return _actions.validate_json(body or "")
    except ValidationError as exc:
        error = exc.errors()[0]
        location = ".".join(str(part) for part in error.get("loc", ()) if not str(part).startswith("function-"))
        if error.get("type") == "union_tag_invalid" or location in ("", "action"):
            raise InvalidFrame(f"action must be one of {list(ACTIONS)}", field="action") from exc
        field = location.split(".", 1)[1] if location.split(".")[0] in ACTIONS else location
        raise InvalidFrame(f"{field}: {error.get('msg')}", field=field) from exc


def error_frame(error: DomainError, request: dict[str, Any] | None = None) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": error.code, "message": error.message}
    if error.field:
        frame["field"] = error.field
    for name in ("action", "interactionId", "clientMessageId"):
        if request and isinstance(request.get(name), str):
            frame[name] = request[name]
    return frame


def interaction_frame(kind: str, interaction: dict[str, Any]) -> dict[str, Any]:
    return {"type": kind, "interaction": interaction}


def transferred(interaction: dict[str, Any], transfer: dict[str, Any]) -> dict[str, Any]:
    """`interaction.transferred {interaction, from, to, note}` (and who did it, and when)."""
    return {
        "type": "interaction.transferred",
        "interaction": interaction,
        "from": transfer.get("from"),
        "to": transfer.get("to"),
        "note": transfer.get("note"),
        "by": transfer.get("by"),
        "at": transfer.get("at"),
        # AI assist: the summary known at the transfer (an earlier one); this transfer's follows in
        # `interaction.summary` once the assist function has written it.
        "summary": interaction.get("summary"),
    }


def summarized(interaction: dict[str, Any], summary: dict[str, Any]) -> dict[str, Any]:
    """`interaction.summary {interactionId, summary}`: AI assist wrote (or could not write) the summary."""
    return {"type": "interaction.summary", "interactionId": interaction.get("id"), "summary": summary}


def message_created(message: dict[str, Any]) -> dict[str, Any]:
    return {"type": "message.created", "interactionId": message.get("interactionId"), "message": message}


def note_mention(message: dict[str, Any]) -> dict[str, Any]:
    """To an agent a note names (`@agent-2` or `mentions`)."""
    return {"type": "note.mention", "interactionId": message.get("interactionId"), "note": message}


def message_status(message: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "message.status",
        "interactionId": message.get("interactionId"),
        "messageId": message.get("id"),
        "status": message.get("status"),
        "errorCode": message.get("errorCode"),
    }
