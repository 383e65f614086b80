"""Client frames: each action parsed into its model, a bad one refused naming the field."""

from __future__ import annotations

import json

import pytest

from smschannel.errors import NotFound
from smschannel.realtime.frames import InvalidFrame, SendMessage, SetStatus, error_frame, parse_action


def test_send_message_is_parsed() -> None:
    action = parse_action(
        json.dumps({"action": "sendMessage", "interactionId": "i", "body": "hi", "clientMessageId": "c"})
    )
    assert isinstance(action, SendMessage)
    assert (action.interaction_id, action.body, action.client_message_id) == ("i", "hi", "c")


def test_set_status_accepts_only_ready_or_paused() -> None:
    assert isinstance(parse_action('{"action": "setStatus", "status": "paused"}'), SetStatus)
    with pytest.raises(InvalidFrame) as refused:
        parse_action('{"action": "setStatus", "status": "offline"}')
    assert refused.value.field == "status"


@pytest.mark.parametrize("body", ["", "not json", "[]", '{"action": "dance"}', "{}"])
def test_unknown_or_unreadable_frames_name_the_action(body: str) -> None:
    with pytest.raises(InvalidFrame) as refused:
        parse_action(body)
    assert refused.value.field == "action"


def test_a_missing_field_is_named() -> None:
    with pytest.raises(InvalidFrame) as refused:
        parse_action('{"action": "sendMessage", "interactionId": "i", "body": "x"}')
    assert refused.value.field == "clientMessageId"


def test_error_frame_carries_code_and_echoes_the_request_ids() -> None:
    frame = error_frame(NotFound("gone", field="interactionId"), {"action": "markRead", "interactionId": "i"})
    assert frame == {
        "type": "error",
        "code": "not_found",
        "message": "gone",
        "field": "interactionId",
        "action": "markRead",
        "interactionId": "i",
    }
