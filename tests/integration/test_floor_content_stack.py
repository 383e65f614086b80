"""The agents' floor content on the deployed local stack: a canned reply rendered for a live conversation, a note
added over the WebSocket (its frames, its place in the transcript, and never in the provider's outbox, judged after
a later real reply is there), and the conversation found again by the search index."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.integration.conftest import Stack
from tests.integration.harness import connect, eventually, make_team, new_phone, outbox, token


def run[T](scenario: Any) -> T:
    return asyncio.run(scenario)  # type: ignore[no-any-return]


def test_a_canned_reply_a_note_and_the_search_on_a_live_conversation(stack: Stack) -> None:
    team = make_team(stack, ["ready", "ready"])
    mine, other = team.agent_ids
    phone = new_phone()
    word = "parcel" + uuid.uuid4().hex[:6]
    reply_id = "greet-" + uuid.uuid4().hex[:6]
    text = "Hi {{contact.name|there}}, {{agent.name}} of {{account.name}} here"
    body = {"shortcut": reply_id, "title": "Greeting", "text": text, "queueId": team.queue_id}
    assert stack.admin("PUT", f"/admin/responses/{reply_id}", json=body).status_code == 201
    bad = {**body, "text": "Hi {{contact.nickname}}"}
    refused = stack.admin("PUT", f"/admin/responses/{reply_id}-bad", json=bad)
    assert refused.status_code == 422 and refused.json()["field"] == "text"

    async def scenario() -> tuple[str, dict[str, Any], dict[str, Any]]:
        desk = await connect(stack, token(stack, agentId=mine))
        colleague = await connect(stack, token(stack, agentId=other))
        response = await asyncio.to_thread(stack.post_twilio, team.account, phone, f"Where is my {word}?")
        assert response.status_code == 200
        assigned = await desk.wait_type("interaction.assigned", timeout=30)
        interaction_id = str(assigned["interaction"]["id"])
        await desk.send(action="addNote", interactionId=interaction_id, body=f"@{other} knows this {word} case")
        added = await desk.wait_type("note.added", timeout=20)
        note = added["message"]
        await desk.wait_for(
            lambda f: f.get("type") == "message.created" and f["message"]["id"] == note["id"], timeout=20
        )
        mention = await colleague.wait_type("note.mention", timeout=20)
        await desk.send(action="addNote", interactionId=interaction_id, body="")
        error = await desk.wait_type("error", timeout=20)
        rendered = await asyncio.to_thread(
            stack.admin, "POST", f"/admin/responses/{reply_id}/render", json={"interactionId": interaction_id}
        )
        assert rendered.status_code == 200, rendered.text
        filled = rendered.json()
        # The rendered text sent as a real reply: it reaches the outbox; the note (written before it) never does.
        await desk.send(action="sendMessage", interactionId=interaction_id, body=filled["text"], clientMessageId="c1")
        await desk.wait_type("message.accepted", timeout=20)
        await desk.close()
        await colleague.close()
        return interaction_id, note, {"mention": mention, "error": error, "filled": filled}

    interaction_id, note, seen = run(scenario())
    assert note["direction"] == "note" and note["mentions"] == [other]
    assert seen["mention"]["interactionId"] == interaction_id and seen["mention"]["note"]["id"] == note["id"]
    assert seen["error"]["field"] == "body"
    filled = seen["filled"]
    assert filled["text"].startswith("Hi there, Agent ") and filled["encoding"] == "GSM-7"
    assert filled["segments"] == 1

    sent = eventually(lambda: outbox(stack, phone) or None, timeout=60)
    assert [item["body"] for item in sent] == [filled["text"]]
    detail = stack.interaction(interaction_id)
    directions = [message["direction"] for message in detail["messages"]]
    assert directions == ["in", "note", "out"], detail["messages"]
    assert detail["messages"][1]["id"] == note["id"]

    found = stack.admin("GET", "/admin/search", params={"accountId": team.account_id, "q": word})
    assert found.status_code == 200, found.text
    assert [item["id"] for item in found.json()["items"]] == [interaction_id]
    by_phone = stack.admin("GET", "/admin/search", params={"accountId": team.account_id, "q": phone[-6:]})
    assert [item["id"] for item in by_phone.json()["items"]] == [interaction_id]
