"""The foundation through the deployed local stack: real HTTP, Twilio payloads signed with Twilio's SDK."""

from __future__ import annotations

import base64
import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs

import requests

from tests.integration.conftest import Stack
from tests.integration.harness import stack_client


def new_phone() -> str:
    return "+1415555" + str(uuid.uuid4().int % 10000).zfill(4)


def test_health_answers_ok(stack: Stack) -> None:
    response = requests.get(f"{stack.http}/health", timeout=30)
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_admin_api_refuses_requests_without_the_bearer_token(stack: Stack) -> None:
    assert requests.get(f"{stack.http}/admin/accounts", timeout=30).status_code == 401
    wrong = requests.get(f"{stack.http}/admin/accounts", headers={"Authorization": "Bearer nope"}, timeout=30)
    assert wrong.status_code == 401


def test_inbound_sms_answers_empty_twiml_and_opens_an_interaction(stack: Stack) -> None:
    account = stack.twilio_account()
    phone = new_phone()
    response = stack.post_twilio(account, phone, "Hello, I need help")
    assert response.status_code == 200
    assert "<Response></Response>" in response.text
    assert response.headers["Content-Type"].startswith("text/xml")
    [interaction] = stack.interactions(account["id"], phone=phone)
    assert interaction["status"] == "open"
    assert interaction["phone"] == phone
    detail = stack.interaction(interaction["id"])
    assert [message["body"] for message in detail["messages"]] == ["Hello, I need help"]
    assert detail["messages"][0]["direction"] == "in"
    assert detail["messages"][0]["status"] == "received"


def test_provider_retries_are_stored_once_and_answered_2xx(stack: Stack) -> None:
    account = stack.twilio_account()
    phone = new_phone()
    sid = "SM" + uuid.uuid4().hex
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda _: stack.post_twilio(account, phone, "once", sid=sid).status_code, range(8)))
    assert statuses == [200] * 8
    [interaction] = stack.interactions(account["id"], phone=phone)
    messages = stack.interaction(interaction["id"])["messages"]
    assert [message["providerMessageId"] for message in messages] == [sid]


def test_forged_or_missing_signature_is_refused_and_nothing_is_stored(stack: Stack) -> None:
    account = stack.twilio_account()
    phone = new_phone()
    assert stack.post_twilio(account, phone, "forged", signature="AAAAAAAAAAAAAAAAAAAAAAAAAAA=").status_code == 403
    assert stack.post_twilio(account, phone, "unsigned", signature="").status_code == 401
    other = stack.twilio_account()  # a valid signature, but with another account's token
    signed_for_other = dict(account, credentials=other["credentials"])
    assert stack.post_twilio(signed_for_other, phone, "wrong token").status_code == 403
    assert stack.interactions(account["id"], phone=phone) == []


def test_unknown_account_is_404(stack: Stack) -> None:
    account = stack.twilio_account()
    response = stack.post_twilio(dict(account, id="no-such-account"), new_phone(), "hi")
    assert response.status_code == 404


def test_signed_but_unparsable_webhook_is_400_and_archived_for_replay(stack: Stack) -> None:
    from twilio.request_validator import RequestValidator

    account = stack.twilio_account()
    url = f"{stack.http}/webhooks/{account['id']}"
    form = {"AccountSid": account["credentials"]["accountSid"], "Body": "no sender"}
    signature = RequestValidator(account["credentials"]["authToken"]).compute_signature(url, form)
    response = requests.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=60)
    assert response.status_code == 400
    reason = response.json()["message"]
    assert "MessageSid" in reason and "archived as" in reason
    key = reason.split("archived as ")[1].rstrip(")")
    s3 = stack_client(stack, "s3")
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "-archive-" in b["Name"])
    archived = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    assert archived["reason"] == "Twilio inbound needs MessageSid, From and To"
    assert parse_qs(base64.b64decode(archived["bodyBase64"]).decode())["Body"] == ["no sender"]
    assert archived["headers"]["x-twilio-signature"] == signature


def test_after_close_the_next_sms_opens_a_new_interaction(stack: Stack) -> None:
    account = stack.twilio_account()
    phone = new_phone()
    assert stack.post_twilio(account, phone, "first").status_code == 200
    [first] = stack.interactions(account["id"], phone=phone)
    closed = stack.admin("POST", f"/admin/interactions/{first['id']}/close", json={"disposition": "resolved"})
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed"
    assert closed.json()["disposition"] == "resolved"
    assert stack.admin("POST", f"/admin/interactions/{first['id']}/close", json={}).status_code == 409
    assert stack.post_twilio(account, phone, "second").status_code == 200
    interactions = stack.interactions(account["id"], phone=phone)
    assert [item["status"] for item in interactions] == ["closed", "open"]
    second = stack.interaction(interactions[1]["id"])
    assert [message["body"] for message in second["messages"]] == ["second"]


def test_close_racing_inbound_loses_nothing_and_never_leaves_two_open(stack: Stack) -> None:
    account = stack.twilio_account()
    phone = new_phone()
    assert stack.post_twilio(account, phone, "opening").status_code == 200
    [first] = stack.interactions(account["id"], phone=phone)
    bodies = [f"race {index}" for index in range(30)]

    def close() -> int:
        return stack.admin("POST", f"/admin/interactions/{first['id']}/close", json={}).status_code

    with ThreadPoolExecutor(max_workers=31) as pool:
        sends = [pool.submit(stack.post_twilio, account, phone, body) for body in bodies[:15]]
        closing = pool.submit(close)
        sends += [pool.submit(stack.post_twilio, account, phone, body) for body in bodies[15:]]
        assert all(future.result().status_code == 200 for future in sends)
        assert closing.result() == 200
    interactions = stack.interactions(account["id"], phone=phone)
    assert sum(1 for item in interactions if item["status"] == "open") <= 1
    stored: list[str] = []
    for item in interactions:
        detail = stack.interaction(item["id"])
        stored += [message["body"] for message in detail["messages"]]
        if detail["status"] == "closed":
            # Nothing joined the interaction after it closed.
            assert all(message["createdAt"] <= detail["closedAt"] for message in detail["messages"])
    assert sorted(stored) == sorted(["opening", *bodies])


def test_sandbox_posts_signed_provider_webhooks_for_the_demo_account(stack: Stack) -> None:
    phone = new_phone()
    response = requests.post(
        f"{stack.sandbox}/inbound", json={"accountId": "demo-twilio", "from": phone, "body": "via sandbox"}, timeout=60
    )
    assert response.status_code == 200
    assert response.json()["status"] == 200
    [interaction] = stack.interactions("demo-twilio", phone=phone)
    assert interaction["queueId"] == "support"
    assert stack.admin("POST", f"/admin/interactions/{interaction['id']}/close", json={}).status_code == 200
