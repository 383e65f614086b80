"""The agents' floor content under moto: canned replies (CRUD, placeholders, render with the filled text's
segments), private notes (admin route and the addNote action: in the transcript, fanned out, mentions, never on the
outbound queue while a later real reply is), a contact's history newest first, and the search through gsi5."""

from __future__ import annotations

from typing import Any

import pytest

from tests.component.harness import Realtime, World, frames_of, make_world, phone
from tests.conftest import admin

ENDPOINT = "https://ws123.execute-api.us-east-1.amazonaws.com/dev"


@pytest.fixture
def floor(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Realtime:
    monkeypatch.setenv("CONNECTIONS_ENDPOINT", ENDPOINT)
    world = make_world(aws, monkeypatch)
    world.agent("agent-1", capacity=5)
    world.agent("agent-2", capacity=5)
    world.queue("support", agentIds=["agent-1"])
    world.use_queue("support")
    return Realtime(world)


def conversation(floor: Realtime, number: int, body: str = "hello") -> str:
    outcome = floor.world.sms(phone(number), body)
    floor.pump()
    return str(outcome.interaction_id)


def put(world: World, path: str, body: dict[str, Any]) -> tuple[int, Any]:
    return admin(world.admin, "PUT", path, body)


def test_canned_replies_fill_placeholders_with_fallbacks_and_count_the_filled_text(floor: Realtime) -> None:
    world = floor.world
    interaction_id = conversation(floor, 1)
    text = "Hi {{contact.name|there}}, {{agent.name}} of {{account.name}} here (ref {{interaction.id}})"
    status, saved = put(world, "/admin/responses/greet", {"shortcut": "greet", "title": "Greeting", "text": text})
    assert status == 201 and saved["id"] == "greet"
    status, rendered = admin(world.admin, "POST", "/admin/responses/greet/render", {"interactionId": interaction_id})
    assert status == 200, rendered
    expected = f"Hi there, agent-1 of Routing test here (ref {interaction_id})"
    assert rendered["text"] == expected and rendered["encoding"] == "GSM-7" and rendered["segments"] == 1
    contact_id = world.interaction(interaction_id)["contactId"]
    assert put(world, f"/admin/contacts/{contact_id}", {"name": "Grace Hopper", "tags": ["vip"]})[0] == 200
    _, rendered = admin(world.admin, "POST", "/admin/responses/greet/render", {"interactionId": interaction_id})
    assert rendered["text"].startswith("Hi Grace Hopper, agent-1")
    # Scopes: a reply of another account is not listed for this one, nor rendered on its interactions.
    other = {"shortcut": "bye", "title": "Bye", "text": "Bye {{contact.firstName}}", "queueId": "support"}
    assert put(world, "/admin/responses/bye", other)[0] == 201
    _, listed = admin(world.admin, "GET", "/admin/responses", query={"accountId": world.account.id, "queueId": "x"})
    assert [item["id"] for item in listed["items"]] == ["greet"]
    _, listed = admin(world.admin, "GET", "/admin/responses", query={"queueId": "support"})
    assert [item["id"] for item in listed["items"]] == ["bye", "greet"]
    _, rendered = admin(world.admin, "POST", "/admin/responses/bye/render", {"interactionId": interaction_id})
    assert rendered["text"] == "Bye Grace"
    # The desktop with a WebSocket token only: the same list and rendering as actions.
    floor.connect("desk-1", "agent", "agent-1")
    floor.act("desk-1", "agent", "agent-1", action="listResponses", interactionId=interaction_id)
    floor.act("desk-1", "agent", "agent-1", action="renderResponse", responseId="bye", interactionId=interaction_id)
    floor.connect("desk-2", "agent", "agent-2")
    floor.act("desk-2", "agent", "agent-2", action="listResponses", interactionId=interaction_id)
    frames = frames_of("desk-1")
    listed_frame = next(frame for frame in frames if frame["type"] == "responses.list")
    assert [item["id"] for item in listed_frame["items"]] == ["bye", "greet"]
    rendered_frame = next(frame for frame in frames if frame["type"] == "response.rendered")
    assert (rendered_frame["text"], rendered_frame["segments"]) == ("Bye Grace", 1)
    assert [frame["code"] for frame in frames_of("desk-2") if frame["type"] == "error"] == ["not_yours"]
    assert admin(world.admin, "DELETE", "/admin/responses/bye")[0] == 204
    assert admin(world.admin, "GET", "/admin/responses/bye")[0] == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"shortcut": "x", "title": "T", "text": "Hi {{contact.first_name}}"}, "text"),
        ({"shortcut": "x", "title": "T", "text": "Hi {{contact name}}"}, "text"),
        ({"shortcut": "has space", "title": "T", "text": "Hi"}, "shortcut"),
        ({"shortcut": "x", "title": "T", "text": "a" * 1601}, "text"),
        ({"shortcut": "x", "title": "T", "text": "Hi", "queueId": "nope"}, "queueId"),
        ({"shortcut": "x", "title": "T", "text": "Hi", "accountId": "nope"}, "accountId"),
        ({"shortcut": "greet", "title": "T", "text": "Hi"}, "shortcut"),  # taken in the same scope
    ],
)
def test_a_bad_canned_reply_is_a_422_naming_the_field(floor: Realtime, body: dict[str, Any], field: str) -> None:
    world = floor.world
    assert put(world, "/admin/responses/greet", {"shortcut": "greet", "title": "G", "text": "Hi"})[0] == 201
    status, answer = put(world, "/admin/responses/other", body)
    assert status == 422 and answer["field"] == field, answer
    assert admin(world.admin, "GET", "/admin/responses/other")[0] == 404  # nothing half-saved


def test_an_auto_reply_uses_the_same_engine_and_refuses_what_it_does_not_know(floor: Realtime) -> None:
    world = floor.world
    path = f"/admin/accounts/{world.account.id}/triggers/t1"
    bad = {"event": "interaction.created", "actions": [{"type": "autoReply", "text": "Hi {{agent.name}}"}]}
    status, answer = put(world, path, bad)
    assert status == 422 and answer["field"] == "actions[0].text"
    good = {"event": "interaction.created", "actions": [{"type": "autoReply", "text": "Hi {{contact.name|there}}"}]}
    assert put(world, path, good)[0] == 201


def test_notes_are_in_the_transcript_fanned_out_and_never_queued_for_a_provider(floor: Realtime) -> None:
    world = floor.world
    interaction_id = conversation(floor, 2, "my order is late")
    world.queued_replies()  # whatever routing queued so far (nothing: no auto-reply)
    floor.connect("desk-1", "agent", "agent-1")
    floor.connect("desk-2", "agent", "agent-2")
    floor.connect("sup", "supervisor")
    floor.act("sup", "supervisor", None, action="subscribe", topic="dashboard")
    floor.act(
        "desk-1", "agent", "agent-1", action="addNote", interactionId=interaction_id, body="ask @agent-2 about it"
    )
    floor.act("desk-2", "agent", "agent-2", action="addNote", interactionId=interaction_id, body="not mine")
    floor.act("desk-1", "agent", "agent-1", action="addNote", interactionId=interaction_id, body="x" * 2001)
    floor.pump()
    added = [frame for frame in frames_of("desk-1") if frame["type"] == "note.added"]
    assert len(added) == 1 and added[0]["message"]["direction"] == "note"
    note = added[0]["message"]
    assert note["sender"] == "agent:agent-1" and note["mentions"] == ["agent-2"]
    errors = [frame for frame in frames_of("desk-1") if frame["type"] == "error"]
    assert [error["field"] for error in errors] == ["body"]
    assert [frame["code"] for frame in frames_of("desk-2") if frame["type"] == "error"] == ["not_yours"]
    created = [frame for frame in frames_of("desk-1") if frame["type"] == "message.created"]
    assert any(frame["message"]["id"] == note["id"] for frame in created)
    assert any(f["type"] == "message.created" and f["message"]["id"] == note["id"] for f in frames_of("sup"))
    mentions = [frame for frame in frames_of("desk-2") if frame["type"] == "note.mention"]
    assert [(m["interactionId"], m["note"]["id"]) for m in mentions] == [(interaction_id, note["id"])]

    # A supervisor's note through the admin API, then a real reply: only the reply reaches the outbound queue.
    status, posted = admin(world.admin, "POST", f"/admin/interactions/{interaction_id}/notes", {"body": "noted"})
    assert status == 201 and posted["message"]["direction"] == "note"
    floor.act("desk-1", "agent", "agent-1", action="sendMessage", interactionId=interaction_id, body="On it",
              clientMessageId="c-1")  # fmt: skip
    floor.pump()
    reply = next(frame for frame in frames_of("desk-1") if frame["type"] == "message.accepted")["message"]
    queued = world.queued_replies()
    assert [entry.get("messageId") for entry in queued] == [reply["id"]], queued
    _, detail = admin(world.admin, "GET", f"/admin/interactions/{interaction_id}")
    directions = [(message["direction"], message["body"]) for message in detail["messages"]]
    assert directions == [("in", "my order is late"), ("note", "ask @agent-2 about it"), ("note", "noted"),
                          ("out", "On it")]  # fmt: skip
    # Closed, a supervisor may still annotate it.
    assert admin(world.admin, "POST", f"/admin/interactions/{interaction_id}/close", {})[0] == 200
    status, _ = admin(world.admin, "POST", f"/admin/interactions/{interaction_id}/notes", {"body": "after the fact"})
    assert status == 201
    for body, field in (({"body": ""}, "body"), ({"body": "hi", "mentions": ["ghost"]}, "mentions")):
        status, answer = admin(world.admin, "POST", f"/admin/interactions/{interaction_id}/notes", body)
        assert status == 422 and answer["field"] == field, answer


def test_history_newest_first_and_search_by_phone_name_and_text(floor: Realtime) -> None:
    world = floor.world
    first = conversation(floor, 3, "where is my parcel")
    assert admin(world.admin, "POST", f"/admin/interactions/{first}/close", {})[0] == 200
    second = conversation(floor, 3, "thanks, found it")
    other = conversation(floor, 4, "unrelated question")
    contact_id = world.interaction(first)["contactId"]
    _, history = admin(world.admin, "GET", "/admin/interactions", query={"contactId": contact_id})
    assert [item["id"] for item in history["items"]] == [second, first]
    assert put(world, f"/admin/contacts/{contact_id}", {"name": "Ada Lovelace"})[0] == 200

    def search(**query: str) -> Any:
        status, answer = admin(world.admin, "GET", "/admin/search", query={"accountId": world.account.id, **query})
        assert status == 200, answer
        return answer

    assert [item["id"] for item in search(q="parcel")["items"]] == [first]
    assert search(q="PARCEL")["items"][0]["match"]["field"] == "message"
    assert [item["id"] for item in search(q="lovelace")["items"]] == [second, first]
    assert [item["id"] for item in search(q=phone(4)[-7:])["items"]] == [other]
    assert search(q="nothing like it")["items"] == []
    page = search(limit="1")
    assert len(page["items"]) == 1 and page["nextToken"]
    rest = search(limit="5", nextToken=page["nextToken"])
    assert [item["id"] for item in page["items"] + rest["items"]] == [other, second, first]
    assert search(to="2020-01-01", **{"from": "2019-12-01"})["items"] == []
    for query, field in (({"from": "yesterday"}, "from"), ({"nextToken": "garbage"}, "nextToken"),
                         ({"from": "2026-05-01", "to": "2026-04-01"}, "from"), ({"limit": "0"}, "limit")):  # fmt: skip
        status, answer = admin(world.admin, "GET", "/admin/search", query={"accountId": world.account.id, **query})
        assert status == 422 and answer["field"] == field, (query, answer)
    assert admin(world.admin, "GET", "/admin/search", query={"accountId": "nope"})[0] == 404


def test_the_agent_names_its_contact_and_a_supervisor_blocks_the_number_from_the_desk(floor: Realtime) -> None:
    world = floor.world
    interaction_id = conversation(floor, 7)
    contact_id = world.interaction(interaction_id)["contactId"]
    assert put(world, f"/admin/contacts/{contact_id}", {"notes": "prefers mornings"})[0] == 200
    floor.connect("desk-1", "agent", "agent-1")
    floor.connect("desk-2", "agent", "agent-2")
    floor.connect("board", "supervisor")
    floor.act("desk-1", "agent", "agent-1", action="updateContact", interactionId=interaction_id, name="Ada Lovelace")
    floor.act("desk-2", "agent", "agent-2", action="updateContact", interactionId=interaction_id, name="Mallory")
    floor.act("desk-1", "agent", "agent-1", action="updateContact", interactionId=interaction_id, name="x" * 201)
    floor.act("desk-1", "agent", "agent-1", action="updateContact", interactionId=interaction_id)
    [updated] = [frame for frame in frames_of("desk-1") if frame["type"] == "contact.updated"]
    assert updated["interactionId"] == interaction_id and updated["contact"]["name"] == "Ada Lovelace"
    # Too long (the frame's field, as every invalid frame names it), or nothing to change.
    errors = [frame.get("field") for frame in frames_of("desk-1") if frame["type"] == "error"]
    assert errors == ["updateContact.name", "name"]
    assert [frame["code"] for frame in frames_of("desk-2") if frame["type"] == "error"] == ["not_yours"]
    _, contact = admin(world.admin, "GET", f"/admin/contacts/{contact_id}")
    # Only the name changed: the admin's notes (and routing's lastAgentId) are kept.
    assert (contact["name"], contact["notes"], contact["lastAgentId"]) == (
        "Ada Lovelace",
        "prefers mornings",
        "agent-1",
    )
    _, trail = admin(world.admin, "GET", "/admin/audit", query={"resource": f"contact/{contact_id}"})
    assert [(item["actor"], item["action"]) for item in trail["items"]][:1] == [("agent:agent-1", "contact.updated")]

    # Blocking is a supervisor's action: an agent is refused; the supervisor's closes the open interaction.
    floor.act("desk-1", "agent", "agent-1", action="blockNumber", interactionId=interaction_id)
    assert [frame["code"] for frame in frames_of("desk-1") if frame["type"] == "error"][-1] == "forbidden"
    assert world.interaction(interaction_id)["status"] == "open"
    floor.act("board", "supervisor", None, action="blockNumber", interactionId=interaction_id, reason="abusive")
    [blocked] = [frame for frame in frames_of("board") if frame["type"] == "number.blocked"]
    assert blocked["blocked"]["phone"] == phone(7) and blocked["blocked"]["blockedBy"] == "supervisor"
    assert (world.interaction(interaction_id)["status"], world.interaction(interaction_id)["disposition"]) == (
        "closed",
        "blocked",
    )
    status, listed = admin(world.admin, "GET", f"/admin/accounts/{world.account.id}/blocked")
    assert status == 200 and [item["reason"] for item in listed["items"]] == ["abusive"]


def test_the_sticky_agent_is_the_last_who_answered_not_the_last_handed_to(floor: Realtime) -> None:
    world = floor.world
    world.agent("agent-2", capacity=5, status="paused")  # the first conversation goes to agent-1
    world.queue("support", agentIds=["agent-1", "agent-2"], stickyAgent=True, strategy="round-robin")
    first = conversation(floor, 9, "my parcel")
    assert world.interaction(first)["agentId"] == "agent-1"
    floor.connect("desk-1", "agent", "agent-1")
    floor.connect("desk-2", "agent", "agent-2")
    floor.act(
        "desk-1", "agent", "agent-1", action="sendMessage", interactionId=first, body="On it", clientMessageId="r1"
    )
    world.agent("agent-2", capacity=5, status="ready")
    floor.act("desk-1", "agent", "agent-1", action="transfer", interactionId=first, agentId="agent-2")
    floor.pump()
    # agent-2 closes without answering: the customer's agent is still the one who answered.
    floor.act("desk-2", "agent", "agent-2", action="closeInteraction", interactionId=first, disposition="resolved")
    floor.pump()
    assert world.interaction(first)["lastRepliedBy"] == "agent-1"
    again = conversation(floor, 9, "me again")
    assert again != first and world.interaction(again)["agentId"] == "agent-1"
