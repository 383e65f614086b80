"""The inbound function in-process under moto, with API Gateway HTTP API events and Twilio-signed payloads."""

from __future__ import annotations

import json
import threading
import time
from types import ModuleType
from typing import Any
from unittest import mock

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.component.harness import SID, TOKEN, post, twilio_form
from tests.conftest import admin, call, http_event, load_function


@pytest.fixture
def functions(aws: dict[str, str]) -> dict[str, ModuleType]:
    fns = {"admin": load_function("admin"), "inbound": load_function("inbound")}
    assert admin(fns["admin"], "PUT", "/admin/queues/support", {"name": "Support"})[0] == 201
    status, _ = admin(
        fns["admin"],
        "PUT",
        "/admin/accounts/acme",
        {
            "name": "Acme",
            "provider": "twilio",
            "phoneNumber": "+15005550006",
            "credentials": {"accountSid": SID, "authToken": TOKEN},
            "queueId": "support",
            "defaultRegion": "US",
        },
    )
    assert status == 201
    return fns


def interactions(fns: dict[str, ModuleType], **query: str) -> list[dict[str, Any]]:
    status, body = admin(fns["admin"], "GET", "/admin/interactions", query={"accountId": "acme", **query})
    assert status == 200, body
    return list(body["items"])


def test_first_sms_opens_an_interaction_in_the_accounts_queue_with_a_contact(functions: dict[str, ModuleType]) -> None:
    status, body, headers = post(functions["inbound"], twilio_form("(415) 555-2671", "Hi", "SM1"))
    assert status == 200 and body == '<?xml version="1.0" encoding="UTF-8"?><Response></Response>'
    assert headers["Content-Type"] == "text/xml"
    [interaction] = interactions(functions)
    assert interaction["phone"] == "+14155552671"  # national format normalized with the account's region
    assert (interaction["status"], interaction["queueId"], interaction["agentId"]) == ("open", "support", None)
    _, contacts = admin(
        functions["admin"], "GET", "/admin/contacts", query={"accountId": "acme", "phone": "4155552671"}
    )
    assert [contact["phone"] for contact in contacts["items"]] == ["+14155552671"]
    assert contacts["items"][0]["id"] == interaction["contactId"]


def test_base64_encoded_form_bodies_are_verified_and_parsed(functions: dict[str, ModuleType]) -> None:
    status, _, _ = post(functions["inbound"], twilio_form("+14155552671", "encoded", "SM2"), base64_body=True)
    assert status == 200
    assert len(interactions(functions)) == 1


def test_following_messages_join_the_open_interaction_in_order(functions: dict[str, ModuleType]) -> None:
    for index in range(5):
        assert post(functions["inbound"], twilio_form("+14155552671", f"m{index}", f"SM{index}"))[0] == 200
    [interaction] = interactions(functions)
    assert interaction["messageCount"] == 5
    _, detail = admin(functions["admin"], "GET", f"/admin/interactions/{interaction['id']}")
    assert [message["body"] for message in detail["messages"]] == [f"m{index}" for index in range(5)]


def test_a_retry_with_the_same_message_sid_is_stored_once(functions: dict[str, ModuleType]) -> None:
    for _ in range(3):
        assert post(functions["inbound"], twilio_form("+14155552671", "again", "SMdup"))[0] == 200
    [interaction] = interactions(functions)
    _, detail = admin(functions["admin"], "GET", f"/admin/interactions/{interaction['id']}")
    assert len(detail["messages"]) == 1
    assert detail["messageCount"] == 1


def test_a_new_container_joins_the_open_interaction_it_did_not_open(functions: dict[str, ModuleType]) -> None:
    assert post(functions["inbound"], twilio_form("+14155552671", "one", "SMa"))[0] == 200
    other_container = load_function("inbound")  # a cold container: empty session cache
    assert post(other_container, twilio_form("+14155552671", "two", "SMb"))[0] == 200
    [interaction] = interactions(functions)
    assert interaction["messageCount"] == 2


def test_a_stale_cached_session_opens_the_next_interaction_after_close(functions: dict[str, ModuleType]) -> None:
    assert post(functions["inbound"], twilio_form("+14155552671", "one", "SMa"))[0] == 200
    [first] = interactions(functions)
    # Closed through another container: this inbound container still remembers the old interaction.
    closer = load_function("admin")
    status, closed = admin(closer, "POST", f"/admin/interactions/{first['id']}/close", {"disposition": "done"})
    assert status == 200 and closed["status"] == "closed" and closed["closedAt"]
    assert post(functions["inbound"], twilio_form("+14155552671", "two", "SMb"))[0] == 200
    found = interactions(functions)
    assert [item["status"] for item in found] == ["closed", "open"]
    assert interactions(functions, status="open")[0]["messageCount"] == 1


def test_forged_and_missing_signatures_store_nothing(functions: dict[str, ModuleType]) -> None:
    status, body, _ = post(functions["inbound"], twilio_form("+14155552671", "x", "SMf"), signature="bad")
    assert status == 403 and body["error"] == "invalid_signature"
    status, body, _ = post(functions["inbound"], twilio_form("+14155552671", "x", "SMf"), signature="")
    assert status == 401 and body["error"] == "missing_signature"
    assert interactions(functions) == []


def test_unknown_account_is_404(functions: dict[str, ModuleType]) -> None:
    status, body, _ = post(functions["inbound"], twilio_form("+14155552671", "x", "SMu"), path="/webhooks/nobody")
    assert status == 404 and body["error"] == "unknown_account"


def test_signed_but_unparsable_webhook_is_archived_with_the_reason(
    functions: dict[str, ModuleType], aws: dict[str, str]
) -> None:
    status, body, _ = post(functions["inbound"], {"AccountSid": SID, "Body": "no sender"})
    assert status == 400 and body["error"] == "unparsable_webhook"
    [obj] = boto3.client("s3").list_objects_v2(Bucket=aws["bucket"])["Contents"]
    record = json.loads(boto3.client("s3").get_object(Bucket=aws["bucket"], Key=obj["Key"])["Body"].read())
    assert record["reason"] == "Twilio inbound needs MessageSid, From and To"
    assert obj["Key"] in body["message"]
    assert interactions(functions) == []


def test_a_garbage_sender_number_is_archived_not_lost(functions: dict[str, ModuleType], aws: dict[str, str]) -> None:
    status, body, _ = post(functions["inbound"], twilio_form("not a phone!", "x", "SMg"))
    assert status == 400
    assert len(boto3.client("s3").list_objects_v2(Bucket=aws["bucket"])["Contents"]) == 1


def test_status_callbacks_never_move_a_message_backwards(functions: dict[str, ModuleType], aws: dict[str, str]) -> None:
    # An outbound message as the outbound function will record it: known to the table by its provider id.
    from smschannel import keys
    from smschannel.dynamo import to_item

    client = boto3.client("dynamodb")
    assert post(functions["inbound"], twilio_form("+14155552671", "hi", "SMin"))[0] == 200
    [interaction] = interactions(functions)
    sk = f"{keys.MESSAGE_PREFIX}2026-01-01T00:00:00.000Z#out-1"
    client.put_item(
        TableName=aws["table"],
        Item=to_item(
            {
                "pk": keys.interaction(interaction["id"])["pk"],
                "sk": sk,
                "id": "out-1",
                "interactionId": interaction["id"],
                "accountId": "acme",
                "direction": "out",
                "body": "reply",
                "status": "sent",
                "statusRank": 2,
                "from": "+15005550006",
                "to": "+14155552671",
                "providerMessageId": "SMout",
                "createdAt": "2026-01-01T00:00:00.000Z",
            }
        ),
    )
    client.put_item(
        TableName=aws["table"],
        Item=to_item(
            {
                **keys.provider_message("acme", "SMout"),
                "interactionId": interaction["id"],
                "messageId": "out-1",
                "messageSk": sk,
            }
        ),
    )
    for raw in ("delivered", "sent", "queued"):
        form = {"MessageSid": "SMout", "MessageStatus": raw, "AccountSid": SID}
        assert post(functions["inbound"], form, path="/webhooks/acme/status")[0] == 200
    _, detail = admin(functions["admin"], "GET", f"/admin/interactions/{interaction['id']}")
    [reply] = [message for message in detail["messages"] if message["direction"] == "out"]
    assert reply["status"] == "delivered"


def test_a_join_is_three_single_item_writes_and_a_refused_retry_one(functions: dict[str, ModuleType]) -> None:
    """No join is a transaction (billed twice): pointer, counter, message; a provider retry is refused by the
    pointer's own condition and costs that one write (the bench prints the write units)."""
    from bench.figures import write_units
    from smschannel.models import InboundMessage
    from smschannel.stores.inbound_messages import InboundMessageStore
    from smschannel.stores.interactions import InteractionStore

    inbound = functions["inbound"]
    inbound_messages = inbound.service.inbound_messages
    table = inbound_messages.table
    account = inbound.service.accounts.get("acme")
    calls: list[str] = []
    units: list[float] = []

    def count(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append(model.name)
        units.append(write_units(model.name, params))

    table.client.meta.events.register("before-parameter-build.dynamodb.*", count)

    def store(sid: str, repo: InboundMessageStore = inbound_messages) -> Any:
        message = InboundMessage(provider="twilio", provider_message_id=sid, **{"from": "+14155552671"}, to="+1500")
        outcome = repo.record_inbound(account, message, "+14155552671", "+15005550006")
        seen, spent = list(calls), sum(units)
        calls.clear()
        units.clear()
        return outcome, seen, spent

    _, seen, spent = store("SMr1")  # opening: read the session, the pointer, then one transaction
    assert (seen, spent) == (["GetItem", "PutItem", "TransactWriteItems"], 9)
    _, seen, spent = store("SMr2")  # joining, known to this container
    assert (seen, spent) == (["PutItem", "UpdateItem", "PutItem"], 3)
    cold = InboundMessageStore(table, InteractionStore(table))
    _, seen, spent = store("SMr3", cold)  # joining from a container that never saw the phone
    assert (seen, spent) == (["GetItem", "PutItem", "UpdateItem", "PutItem"], 3)
    outcome, seen, spent = store("SMr2")  # the provider's retry: refused by the pointer, the message read back
    assert outcome.duplicate and (seen, spent) == (["PutItem", "GetItem"], 1)
    [interaction] = interactions(functions)
    assert interaction["messageCount"] == 3


def test_a_close_waits_for_the_message_of_a_join_it_raced(functions: dict[str, ModuleType]) -> None:
    """A join counted before the close but whose message is not written yet holds the close back: the message
    never lands in an interaction after it closed."""
    assert post(functions["inbound"], twilio_form("+14155552671", "one", "SMa"))[0] == 200
    [interaction] = interactions(functions)
    table = functions["inbound"].service.inbound_messages.table
    counted, release = threading.Event(), threading.Event()

    def pause_before_the_message(model: Any, params: dict[str, Any], **_: Any) -> None:
        if model.name == "PutItem" and params["Item"].get("entity", {}).get("S") == "message":
            counted.set()  # the interaction's counter is written, the message is not
            assert release.wait(30)

    table.client.meta.events.register("before-parameter-build.dynamodb.PutItem", pause_before_the_message)
    joining = threading.Thread(target=post, args=(functions["inbound"], twilio_form("+14155552671", "two", "SMb")))
    joining.start()
    assert counted.wait(30)
    from smschannel import keys
    from smschannel.stores.interactions import InteractionStore

    counts: list[tuple[int, int]] = []
    retried = threading.Event()
    count_messages = InteractionStore.count_messages

    def counting(store: InteractionStore, interaction_id: str) -> tuple[int, int]:
        counts.append(count_messages(store, interaction_id))
        if len(counts) >= 3:
            retried.set()
        return counts[-1]

    closer = load_function("admin")
    closing: dict[str, Any] = {}
    path = f"/admin/interactions/{interaction['id']}/close"
    with mock.patch.object(InteractionStore, "count_messages", counting):
        close = threading.Thread(target=lambda: closing.update(answer=admin(closer, "POST", path, {})))
        close.start()
        # The close counts one message stored of two counted, again and again, and writes nothing meanwhile.
        assert retried.wait(30)
        assert counts[:3] == [(1, 0), (1, 0), (1, 0)]
        item = table.get(keys.interaction(interaction["id"]))
        assert item is not None and item["status"] == "open"
        release.set()
        joining.join(30)
        close.join(60)
    status_code, closed = closing["answer"]
    assert status_code == 200 and closed["status"] == "closed"
    _, detail = admin(functions["admin"], "GET", f"/admin/interactions/{interaction['id']}")
    assert [message["body"] for message in detail["messages"]] == ["one", "two"]
    assert detail["messageCount"] == 2
    assert all(message["createdAt"] <= detail["closedAt"] for message in detail["messages"])


def test_a_close_waits_for_a_reply_counted_but_not_yet_stored(functions: dict[str, ModuleType]) -> None:
    """A reply counts itself into the open interaction before its message is written: a close in between waits,
    so the reply is the last message before the close, never one after it."""
    from botocore.client import BaseClient

    assert post(functions["inbound"], twilio_form("+14155552671", "one", "SMa"))[0] == 200
    [interaction] = interactions(functions)
    counted, release = threading.Event(), threading.Event()
    original = BaseClient._make_api_call

    def pausing(client: BaseClient, operation: str, params: dict[str, Any]) -> Any:
        item = params.get("Item", {})
        if operation == "PutItem" and item.get("direction", {}).get("S") == "out" and not counted.is_set():
            counted.set()  # the reply counter is written, the message is not
            assert release.wait(30)
        return original(client, operation, params)

    from smschannel import keys
    from smschannel.stores.interactions import InteractionStore

    table = functions["inbound"].service.inbound_messages.table
    counts: list[tuple[int, int]] = []
    recounted = threading.Event()
    count_messages = InteractionStore.count_messages

    def counting(store: InteractionStore, interaction_id: str) -> tuple[int, int]:
        counts.append(count_messages(store, interaction_id))
        if len(counts) >= 3:
            recounted.set()
        return counts[-1]

    path = f"/admin/interactions/{interaction['id']}"
    answers: dict[str, Any] = {}
    with (
        mock.patch.object(BaseClient, "_make_api_call", pausing),
        mock.patch.object(InteractionStore, "count_messages", counting),
    ):
        replying = threading.Thread(
            target=lambda: answers.update(
                reply=admin(load_function("admin"), "POST", f"{path}/messages", {"body": "hi", "clientMessageId": "c"})
            )
        )
        replying.start()
        assert counted.wait(30)
        closing = threading.Thread(
            target=lambda: answers.update(close=admin(load_function("admin"), "POST", f"{path}/close", {}))
        )
        closing.start()
        # The close counts no reply stored of one counted, again and again, and writes nothing meanwhile.
        assert recounted.wait(30)
        assert counts[:3] == [(1, 0), (1, 0), (1, 0)]
        stored = table.get(keys.interaction(interaction["id"]))
        assert stored is not None and stored["status"] == "open" and stored["replyCount"] == 1
        release.set()
        replying.join(30)
        closing.join(60)
    assert answers["reply"][0] == 202 and answers["close"][0] == 200
    _, detail = admin(functions["admin"], "GET", path)
    assert detail["status"] == "closed" and [m["body"] for m in detail["messages"]] == ["one", "hi"]
    assert all(message["createdAt"] <= detail["closedAt"] for message in detail["messages"])


def dead_writer(functions: dict[str, ModuleType], sid: str, *, seconds_ago: int, counted: bool) -> str:
    """What a webhook that died after writing the pointer (and the counter, when `counted`) leaves behind."""
    from smschannel import keys
    from smschannel.dynamo import to_item

    assert post(functions["inbound"], twilio_form("+14155552671", "one", "SMa"))[0] == 200
    [interaction] = interactions(functions)
    table = functions["inbound"].service.inbound_messages.table
    claimed = int(time.time()) - seconds_ago
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(claimed))
    message_id = keys.inbound_message_id("acme", sid)
    table.client.put_item(
        TableName=table.name,
        Item=to_item(
            {
                **keys.provider_message("acme", sid),
                "entity": "providerMessage",
                "interactionId": interaction["id"],
                "messageId": message_id,
                "messageSk": keys.message(interaction["id"], stamp, message_id)["sk"],
                "claimToken": "dead",
                "claimedEpoch": claimed,
            }
        ),
    )
    if counted:
        assert table.update_if(
            keys.interaction(interaction["id"]),
            "SET lastInboundAt = :at ADD messageCount :one",
            "attribute_exists(pk)",
            {":at": stamp, ":one": 1},
        )
    return str(interaction["id"])


def test_a_retry_of_a_message_whose_writer_died_is_stored_not_taken_for_a_duplicate(
    functions: dict[str, ModuleType],
) -> None:
    interaction_id = dead_writer(functions, "SMdead", seconds_ago=120, counted=False)
    assert post(functions["inbound"], twilio_form("+14155552671", "two", "SMdead"))[0] == 200
    assert post(functions["inbound"], twilio_form("+14155552671", "two", "SMdead"))[0] == 200  # then a duplicate
    _, detail = admin(functions["admin"], "GET", f"/admin/interactions/{interaction_id}")
    assert [message["body"] for message in detail["messages"]] == ["one", "two"]
    assert detail["messageCount"] == 2


def test_a_retry_while_its_first_delivery_is_being_stored_is_answered_503(functions: dict[str, ModuleType]) -> None:
    interaction_id = dead_writer(functions, "SMbusy", seconds_ago=1, counted=False)
    status, body, _ = post(functions["inbound"], twilio_form("+14155552671", "two", "SMbusy"))
    assert status == 503 and body["error"] == "store_in_progress"
    _, detail = admin(functions["admin"], "GET", f"/admin/interactions/{interaction_id}")
    assert [message["body"] for message in detail["messages"]] == ["one"]


def test_a_close_after_a_writer_died_between_counter_and_message_sets_the_count_to_what_is_stored(
    functions: dict[str, ModuleType],
) -> None:
    interaction_id = dead_writer(functions, "SMgone", seconds_ago=300, counted=True)
    status, closed = admin(functions["admin"], "POST", f"/admin/interactions/{interaction_id}/close", {})
    assert status == 200 and closed["messageCount"] == 1
    # The provider's retry of the lost message opens the next interaction: nothing lost, nothing in the closed one.
    assert post(functions["inbound"], twilio_form("+14155552671", "two", "SMgone"))[0] == 200
    [reopened] = interactions(functions, status="open")
    _, detail = admin(functions["admin"], "GET", f"/admin/interactions/{reopened['id']}")
    assert [message["body"] for message in detail["messages"]] == ["two"] and detail["messageCount"] == 1


def test_close_of_an_unknown_interaction_is_404(functions: dict[str, ModuleType]) -> None:
    status, body = admin(functions["admin"], "POST", "/admin/interactions/int-missing/close", {})
    assert status == 404


def test_client_error_other_than_cancellation_is_raised(functions: dict[str, ModuleType]) -> None:
    from smschannel.dynamo import Table
    from smschannel.models import InboundMessage
    from smschannel.stores.inbound_messages import InboundMessageStore
    from smschannel.stores.interactions import InteractionStore

    table = Table("no-such-table")
    broken = InboundMessageStore(table, InteractionStore(table))
    account = functions["inbound"].service.accounts.get("acme")
    message = InboundMessage(provider="twilio", provider_message_id="SMx", **{"from": "+14155552671"}, to="+1500")
    with pytest.raises(ClientError):
        broken.record_inbound(account, message, "+14155552671", "+15005550006")


BINARY = bytes(range(256))


def test_a_binary_body_is_a_clear_400_not_a_crash(functions: dict[str, ModuleType], aws: dict[str, str]) -> None:
    """Twilio signs form fields: bytes that are not a form cannot carry its signature, so nothing is stored."""
    headers = {"content-type": "application/octet-stream", "x-twilio-signature": "x" * 28}
    event = http_event(
        "POST", "/webhooks/acme", body=BINARY, headers=headers, base64_body=True, route_key="POST /webhooks/{accountId}"
    )
    status, body, _ = call(functions["inbound"], event)
    assert status == 403, body
    assert body["error"] == "invalid_signature" and set(body) == {"error", "message", "field"}
    assert interactions(functions) == []
    assert "Contents" not in boto3.client("s3").list_objects_v2(Bucket=aws["bucket"])


def test_a_signed_binary_body_is_archived_for_replay(functions: dict[str, ModuleType], aws: dict[str, str]) -> None:
    """A gateway that signs the raw bytes (the generic adapter) proves the body authentic: it is kept whole."""
    from smschannel.providers.generic import signed_headers

    account = {"name": "Gateway", "provider": "generic", "phoneNumber": "+15005550007", "queueId": "support"}
    account["credentials"] = {"secret": "s" * 32}
    assert admin(functions["admin"], "PUT", "/admin/accounts/gw", account)[0] == 201
    headers = {"content-type": "application/octet-stream", **signed_headers("s" * 32, BINARY)}
    event = http_event(
        "POST", "/webhooks/gw", body=BINARY, headers=headers, base64_body=True, route_key="POST /webhooks/{accountId}"
    )
    status, body, _ = call(functions["inbound"], event)
    assert status == 400 and body["error"] == "unparsable_webhook", body
    [obj] = boto3.client("s3").list_objects_v2(Bucket=aws["bucket"])["Contents"]
    assert obj["Key"] in body["message"]
    record = json.loads(boto3.client("s3").get_object(Bucket=aws["bucket"], Key=obj["Key"])["Body"].read())
    assert record["reason"].startswith("body is not JSON")


def test_concurrent_messages_retries_and_a_close_never_make_two_open_a_duplicate_or_a_loss(
    functions: dict[str, ModuleType],
) -> None:
    """Twenty customer messages of one phone, each delivered twice, from ten containers at once while the
    interaction they open is closed: at most one open interaction, every message stored once, none after a close,
    and each interaction's counter equal to what it holds."""
    from concurrent.futures import ThreadPoolExecutor

    from smschannel.models import InboundMessage
    from smschannel.stores.inbound_messages import InboundMessageStore
    from smschannel.stores.interactions import InteractionStore
    from tests.component.test_outbound import requests_applied_atomically

    inbound = functions["inbound"]
    table = inbound.service.inbound_messages.table
    account = inbound.service.accounts.get("acme")
    phone = "+14155552671"
    containers = [InboundMessageStore(table, InteractionStore(table)) for _ in range(10)]
    first_stored, closed = threading.Event(), threading.Event()

    def deliver(n: int) -> None:
        message = InboundMessage(
            provider="twilio", provider_message_id=f"SMc{n}", **{"from": phone}, to="+1500", body=f"m{n}"
        )
        if n >= 10:
            assert closed.wait(60)  # the second half after the close: it opens the next interaction
        for attempt in range(2):  # the provider's retry comes from another container (half of them after the close)
            containers[(n + attempt) % len(containers)].record_inbound(account, message, phone, "+15005550006")
            first_stored.set()
            if n < 10 and attempt == 0 and n % 2:
                assert closed.wait(60)

    def close_the_open_one() -> None:
        assert first_stored.wait(30)
        closer = InteractionStore(table)
        open_id = closer.open_session_interaction("acme", phone)
        assert open_id is not None
        closer.close_interaction(open_id, "raced")
        closed.set()

    with requests_applied_atomically(), ThreadPoolExecutor(max_workers=21) as pool:
        futures = [pool.submit(deliver, n) for n in range(10)]
        futures.append(pool.submit(close_the_open_one))
        futures += [pool.submit(deliver, n) for n in range(10, 20)]
        for future in futures:
            future.result()
    found = interactions(functions)
    assert [item["status"] for item in found] == ["closed", "open"]
    stored: list[str] = []
    for item in found:
        _, detail = admin(functions["admin"], "GET", f"/admin/interactions/{item['id']}")
        bodies = [message["body"] for message in detail["messages"] if message["direction"] == "in"]
        stored += bodies
        assert detail["messageCount"] == len(bodies)
        if detail["status"] == "closed":
            assert all(message["createdAt"] <= detail["closedAt"] for message in detail["messages"])
    assert sorted(stored) == sorted(f"m{n}" for n in range(20))
