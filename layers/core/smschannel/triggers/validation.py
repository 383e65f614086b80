"""Refuse an invalid trigger with 422 naming the field: shape (pydantic), rules (regex, field, op, value), time
zone, templates, and the queues and agents its actions name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from smschannel.errors import InvalidConfiguration
from smschannel.models import AccountOptions
from smschannel.templates import TRIGGER_PLACEHOLDERS, check_template
from smschannel.triggers.conditions import RuleError, compile_conditions, time_zone
from smschannel.triggers.model import AutoReply, Bot, Route, TriggerIn

# A closed interaction takes no reply, no routing and no bot: those actions are refused on `interaction.closed`.
_OPEN_ONLY = {"autoReply", "route", "close", "bot"}


def parse_trigger(body: Any) -> TriggerIn:
    try:
        return TriggerIn.model_validate(body if body is not None else {})
    except ValidationError as exc:
        error = exc.errors()[0]
        path = field_path(error["loc"])
        if error.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            path += ".type"  # an unknown or missing action type
        raise InvalidConfiguration(_message(error), field=path) from exc


def validate_trigger(
    trigger: TriggerIn,
    *,
    queue_exists: Callable[[str], bool],
    agent_exists: Callable[[str], bool],
) -> None:
    if trigger.time_zone:
        try:
            time_zone(trigger.time_zone)
        except ValueError as exc:
            raise InvalidConfiguration(str(exc), field="timeZone") from exc
    try:
        compile_conditions(trigger.conditions)
    except RuleError as exc:
        raise InvalidConfiguration(exc.message, field=exc.field) from exc
    bots = 0
    for index, action in enumerate(trigger.actions):
        where = f"actions[{index}]"
        if trigger.event == "interaction.closed" and action.type in _OPEN_ONLY:
            raise InvalidConfiguration(
                f"{action.type} cannot act on a closed interaction (event interaction.closed)", field=f"{where}.type"
            )
        if isinstance(action, AutoReply):
            check_template(action.text, TRIGGER_PLACEHOLDERS, field=f"{where}.text")
        if isinstance(action, Route):
            if action.queue_id and not queue_exists(action.queue_id):
                raise InvalidConfiguration(f"queue {action.queue_id!r} does not exist", field=f"{where}.queueId")
            if action.agent_id and not agent_exists(action.agent_id):
                raise InvalidConfiguration(f"agent {action.agent_id!r} does not exist", field=f"{where}.agentId")
        if isinstance(action, Bot):
            bots += 1
            if action.queue_id and not queue_exists(action.queue_id):
                raise InvalidConfiguration(f"queue {action.queue_id!r} does not exist", field=f"{where}.queueId")
    if bots > 1:
        raise InvalidConfiguration("a trigger hands off to at most one bot", field="actions")


def validate_account_options(options: dict[str, Any]) -> AccountOptions:
    """`options` as the typed AccountOptions; InvalidConfiguration naming the first bad field otherwise."""
    try:
        return AccountOptions.model_validate(options)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InvalidConfiguration(_message(error), field=".".join(["options", *map(str, error["loc"])])) from exc


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """pydantic's error location as the body's path: ('actions', 0, 'autoReply', 'text') → actions[0].text."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in {"autoReply", "route", "close", "tag", "setAttributes", "callUrl", "optOut", "optIn", "bot"}:
            continue  # the discriminated union's branch name
        elif isinstance(part, str) and not part.startswith(("function-", "literal")):
            path += ("." if path else "") + part
    return path or "body"


def _message(error: Any) -> str:
    message = str(error.get("msg", "invalid value"))
    return message.removeprefix("Value error, ")
