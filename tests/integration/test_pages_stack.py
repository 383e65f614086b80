"""The dashboard, the agent desktop and the reports page in a real headless Chromium (Debian's package, driven by
Playwright) against the deployed stack. Screenshots of the pages are saved under test-artifacts/."""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.integration.conftest import Stack
from tests.integration.harness import Team, interaction_item, make_team, new_phone, token
from tests.support import clear_of_a_half_hour_boundary, eventually

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
TIMEOUT_MS = 15_000


def chromium_path() -> str:
    found = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not found:
        pytest.fail("chromium is not installed: `make browser` installs Debian's package")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        # --no-sandbox: CI and this machine run the tests as root, where Chromium's sandbox cannot start.
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1600, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page raised: {errors}"


def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_pages_refuse_a_wrong_token_or_the_wrong_role(stack: Stack) -> None:
    assert requests.get(f"{stack.http}/dashboard", params={"token": "nope"}, timeout=30).status_code == 401
    agent_token = token(stack, agentId="agent-1")
    wrong_role = requests.get(f"{stack.http}/dashboard", params={"token": agent_token}, timeout=30)
    assert wrong_role.status_code == 403
    agent_page = requests.get(f"{stack.http}/agent", params={"token": agent_token}, timeout=30)
    assert agent_page.status_code == 200 and "text/html" in agent_page.headers["content-type"]
    assert agent_page.headers["referrer-policy"] == "no-referrer"


def test_every_page_carries_the_one_shared_module_in_one_request(stack: Stack) -> None:
    module = (ROOT / "functions" / "pages" / "assets" / "common.js").read_text(encoding="utf-8")
    style = (ROOT / "functions" / "pages" / "assets" / "common.css").read_text(encoding="utf-8")
    for name, claims in {"agent": {"agentId": "agent-1"}, "dashboard": {"role": "supervisor"}}.items():
        page = requests.get(f"{stack.http}/{name}", params={"token": token(stack, **claims)}, timeout=30).text
        assert page.count(module) == 1 and page.count(style) == 1, name
        assert 'src="assets/' not in page and 'href="assets/' not in page  # nothing left for the browser to fetch
    reports = requests.get(f"{stack.http}/reports", timeout=30).text
    assert reports.count(module) == 1
    # One copy in the repository: no page defines what the module does.
    for source in (ROOT / "functions" / "pages").glob("*.html"):
        text = source.read_text(encoding="utf-8")
        assert "const Session" not in text and "function measureSms" not in text, source.name


def test_the_dashboard_renders_the_snapshot_and_updates_when_an_sms_arrives(stack: Stack, page: Page) -> None:
    team = make_team(stack, ["ready", "paused", "offline"])
    page.goto(f"{stack.http}/dashboard?token={token(stack, role='supervisor')}")
    expect(page.locator("body")).to_have_attribute("data-snapshot", "1")
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    row = page.locator(f'tr[data-queue="{team.queue_id}"]')
    expect(row).to_be_visible()
    expect(row.locator(".chip.ready")).to_have_text("1")
    expect(row.locator(".chip.paused")).to_have_text("1")
    expect(row.locator(".chip.offline")).to_have_text("1")
    expect(row.locator(".queue-open")).to_have_text("0")
    expect(page.locator(f'tr[data-agent="{team.agent_ids[0]}"] .pill')).to_have_text("ready")

    body = "Hello from the dashboard test"
    customer = new_phone()
    assert stack.post_twilio(team.account, customer, body).status_code == 200
    entry = page.locator("#feed li", has_text=body)
    expect(entry).to_be_visible()
    expect(row.locator(".queue-open")).to_have_text("1")
    expect(page.locator(f'tr[data-agent="{team.agent_ids[0]}"] .agent-load')).to_have_text("1/3")
    expect(page.locator(f'[data-account="{team.account_id}"] .n')).to_have_text("1")

    entry.click()  # the conversation of any interaction, on click
    expect(page.locator("#thread .msg.in", has_text=body)).to_be_visible()
    # The open conversation's next message arrives as it happens (the connection watches it).
    assert stack.post_twilio(team.account, customer, "And a second one").status_code == 200
    expect(page.locator("#thread .msg.in", has_text="And a second one")).to_be_visible()
    screenshot(page, "dashboard")


def test_the_agent_desktop_shows_an_sms_and_closes_it_and_recovers_a_dropped_connection(
    stack: Stack, page: Page
) -> None:
    team = make_team(stack, ["ready"])
    [agent_id] = team.agent_ids
    phone = new_phone()
    page.goto(f"{stack.http}/agent?token={token(stack, agentId=agent_id)}")
    expect(page.locator("body")).to_have_attribute("data-snapshot", "1")
    expect(page.locator("#list-empty")).to_be_visible()

    assert stack.post_twilio(team.account, phone, "My parcel never came").status_code == 200
    item = page.locator(".item", has_text=phone)
    expect(item).to_be_visible()  # appears without a reload
    expect(item.locator(".badge")).to_have_text("1")
    item.click()
    expect(page.locator("#thread .bubble.in", has_text="My parcel never came")).to_be_visible()
    expect(item.locator(".badge")).to_have_text("0")

    # The live counter: GSM-7 with an extension character counting two, then UCS-2 for an emoji.
    reply = page.locator("#reply")
    reply.fill("Sorry! The price is 5€ [tracking]")
    expect(page.locator("#counter")).to_have_attribute("data-encoding", "GSM-7")
    expect(page.locator("#counter")).to_have_text("GSM-7 · 1 segment · 124 left")
    reply.fill("Sorry 🙏")
    expect(page.locator("#counter")).to_have_text("UCS-2 · 1 segment · 62 left")
    reply.fill("")

    # A dropped connection reconnects and restores the state from a fresh snapshot.
    page.evaluate("window.dropConnection()")
    expect(page.locator("body")).to_have_attribute("data-snapshot", "2")
    expect(page.locator(".item", has_text=phone)).to_be_visible()
    assert stack.post_twilio(team.account, phone, "Hello again").status_code == 200
    expect(page.locator("#thread .bubble.in", has_text="Hello again")).to_be_visible()

    # The agent replies: the reply shows its delivery status and the provider's API (the sandbox) got it once.
    reply.fill("We are on it, sorry for the wait")
    page.locator("#send").click()
    outgoing = page.locator("#thread .bubble.out", has_text="We are on it, sorry for the wait")
    expect(outgoing.locator(".status")).to_have_text(re.compile("sent|delivered"))
    outbox = requests.get(f"{stack.sandbox}/outbox", timeout=30).json()["items"]
    assert [item["body"] for item in outbox if item.get("to") == phone] == ["We are on it, sorry for the wait"]

    page.locator("button[data-status='paused']").click()
    expect(page.locator("body")).to_have_attribute("data-status", "paused")
    screenshot(page, "agent")

    page.select_option("#disposition", "resolved")
    page.locator("#close").click()
    expect(page.locator(".item", has_text=phone)).to_have_count(0)
    [closed] = stack.interactions(team.account_id, phone=phone)
    assert closed["status"] == "closed" and closed["disposition"] == "resolved"
    assert stack.admin("GET", f"/admin/agents/{agent_id}").json()["status"] == "paused"


SEGMENT_SAMPLES = [
    "",
    "Hello",
    "a" * 160,
    "a" * 161,
    "€" * 80,
    "€" * 81,
    "a" * 152 + "€",
    "a" * 306 + "{",
    "Ünïcödé ✓",
    "ж" * 70,
    "ж" * 71,
    "🙏" * 35,
    "🙏" * 36,
    "x" * 66 + "🙏",
    "Line one\nLine two\r\n\f^{}\\[~]|",
]


def test_the_desktop_counts_segments_exactly_as_the_server_previews_them(stack: Stack, page: Page) -> None:
    [agent_id] = make_team(stack, ["paused"]).agent_ids
    page.goto(f"{stack.http}/agent?token={token(stack, agentId=agent_id)}")
    for body in SEGMENT_SAMPLES:
        server = stack.admin("POST", "/admin/messages/preview", json={"body": body})
        assert server.status_code == 200, server.text
        assert page.evaluate("(body) => window.measureSms(body)", body) == server.json(), repr(body)


def test_agent_1_signs_in_on_the_desktop_with_no_token_in_any_url_and_signs_out(stack: Stack, page: Page) -> None:
    """The hosted sign-in (code + PKCE) of the emulator's Cognito, then a ticket for the WebSocket."""
    user = stack.auth["users"]["agent-1"]
    urls: list[str] = []
    page.on("framenavigated", lambda frame: urls.append(frame.url))
    page.on("websocket", lambda socket: urls.append(socket.url))
    page.goto(f"{stack.http}/agent")
    page.locator("#username").fill(user["username"])
    page.locator("#password").fill(user["password"])
    page.locator("button[type=submit]").click()
    expect(page.locator("#conn")).to_have_attribute("data-state", "live")
    assert page.url == f"{stack.http}/agent"  # the code is gone from the address bar and the history
    assert not [url for url in urls if "token=" in url or "access_token" in url], urls
    assert any("ticket=" in url for url in urls)
    screenshot(page, "agent-signed-in")

    page.locator("#signout").click()
    expect(page.locator("#username")).to_be_visible()  # back on the sign-in page


def test_the_supervisor_signs_in_on_the_dashboard(stack: Stack, page: Page) -> None:
    user = stack.auth["users"]["supervisor"]
    page.goto(f"{stack.http}/dashboard")
    page.locator("#username").fill(user["username"])
    page.locator("#password").fill(user["password"])
    page.locator("button[type=submit]").click()
    expect(page.locator("body")).to_have_attribute("data-snapshot", "1")
    assert "token=" not in page.url and "code=" not in page.url


def wait_for_interactions(stack: Stack, account_id: str, phone: str) -> list[dict[str, Any]]:
    """The phone's interactions once the webhook's write is visible (the webhook answers after storing it)."""
    found = stack.interactions(account_id, phone=phone)
    assert found, "the webhook answered 200 before storing the message"
    return found


def test_the_desk_picks_a_canned_reply_notes_transfers_with_a_note_and_wraps_up(stack: Stack, browser: Browser) -> None:
    """agent-1 fills a canned reply with `/`, adds a private note, transfers to agent-2 with a note; agent-2 sees the
    conversation and the note at once, closes it and submits the wrap-up the queue asks for."""
    team = make_team(stack, ["ready", "paused"])
    first, second = team.agent_ids
    phone = new_phone()
    # The customer wrote before: that conversation is closed, and shows as the previous one.
    assert stack.post_twilio(team.account, phone, "Earlier: my card was charged twice").status_code == 200
    [earlier] = wait_for_interactions(stack, team.account_id, phone)
    assert stack.admin("POST", f"/admin/interactions/{earlier['id']}/close", json={"disposition": "resolved"}).ok
    queue = {
        "name": "Floor",
        "agentIds": team.agent_ids,
        "dispositions": ["resolved", "escalated"],
        "dispositionRequired": True,
        "wrapUpSeconds": 300,
    }
    assert stack.admin("PUT", f"/admin/queues/{team.queue_id}", json=queue).ok
    shortcut = f"greet{team.queue_id[-6:]}"
    canned = {"shortcut": shortcut, "title": "Greeting", "text": "Hi {{contact.name|there}}, this is {{agent.name}}"}
    assert stack.admin("PUT", f"/admin/responses/{shortcut}", json={**canned, "queueId": team.queue_id}).ok
    pages, errors = [], []
    for agent_id in (first, second):
        context = browser.new_context(viewport={"width": 1600, "height": 900})
        opened = context.new_page()
        opened.set_default_timeout(TIMEOUT_MS)
        opened.on("pageerror", lambda error, agent_id=agent_id: errors.append(f"{agent_id}: {error}"))
        opened.goto(f"{stack.http}/agent?token={token(stack, agentId=agent_id)}")
        expect(opened.locator("body")).to_have_attribute("data-snapshot", "1")
        pages.append(opened)
    one, two = pages
    team_id = f"team-{team.queue_id[-6:]}"
    assert stack.admin("PUT", f"/admin/teams/{team_id}", json={"name": f"Floor {team_id}", "agentIds": [second]}).ok
    board = browser.new_context(viewport={"width": 1600, "height": 900}).new_page()
    board.set_default_timeout(TIMEOUT_MS)
    board.on("pageerror", lambda error: errors.append(f"dashboard: {error}"))
    board.goto(f"{stack.http}/dashboard?token={token(stack, role='supervisor')}")
    expect(board.locator("body")).to_have_attribute("data-snapshot", "1")
    assert stack.post_twilio(team.account, phone, "Where is my refund?").status_code == 200
    one.locator(".item", has_text=phone).click()

    # "/" opens the picker, typing filters it, Enter fills the reply with the placeholders filled.
    reply = one.locator("#reply")
    reply.press_sequentially("/")
    expect(one.locator("#picker [data-response]", has_text=shortcut)).to_be_visible()
    # The demo's replies (/greet, /refund, /bye) are listed too: typing narrows the list to this one.
    assert one.locator("#picker [data-response]").count() > 1
    reply.press_sequentially(shortcut)
    expect(one.locator("#picker [data-response]")).to_have_count(1)
    reply.press("Enter")
    expect(reply).to_have_value(f"Hi there, this is Agent {team.queue_id[-6:]} 0")
    expect(one.locator("#counter")).to_have_attribute("data-segments", "1")
    reply.press("Enter")
    expect(one.locator("#thread .bubble.out", has_text="Hi there, this is")).to_be_visible()

    # A private note (Alt+N): in the transcript, never at the provider.
    reply.press("Alt+n")
    reply.fill("Customer sounds upset")
    reply.press("Enter")
    expect(one.locator("#thread .bubble.note", has_text="Customer sounds upset")).to_be_visible()

    # Transfer to agent-2 (ready now) with a note: it arrives on agent-2's desk at once.
    assert stack.admin("PUT", f"/admin/agents/{second}", json={"name": "Second", "capacity": 3, "status": "ready"}).ok
    one.keyboard.press("Alt+t")
    expect(one.locator("#transfer-dialog")).to_be_visible()
    expect(one.locator(f"#transfer-target option[value='agent:{second}']")).to_be_enabled()
    one.select_option("#transfer-target", f"agent:{second}")
    one.fill("#transfer-note", "VIP, refund approved by billing")
    one.locator("#transfer-send").click()
    expect(one.locator(".item", has_text=phone)).to_have_count(0)
    item = two.locator(".item", has_text=phone)
    expect(item).to_be_visible()
    item.click()
    assert not errors, errors
    expect(two.locator("#thread .bubble.in", has_text="Where is my refund?")).to_be_visible()
    expect(two.locator("#thread .bubble.note", has_text="VIP, refund approved by billing")).to_be_visible()
    screenshot(two, "agent-transferred")

    # The customer's previous conversation, opened read-only.
    expect(two.locator("#history-count")).to_have_text("1")
    two.keyboard.press("Alt+h")
    two.locator("#history-list [data-previous]").click()
    expect(two.locator("#history-thread .bubble.in", has_text="my card was charged twice")).to_be_visible()
    two.locator("#history-dialog button[type='submit']").click()

    # agent-2 names the customer (Alt+E, Enter): the tab and the header show it, the contact keeps it.
    two.keyboard.press("Alt+e")
    two.locator("#who-edit").fill("Ada Lovelace")
    two.locator("#who-edit").press("Enter")
    expect(two.locator("#who")).to_have_text("Ada Lovelace")
    expect(two.locator(".item", has_text="Ada Lovelace")).to_be_visible()
    [contact] = stack.admin("GET", "/admin/contacts", params={"accountId": team.account_id, "phone": phone}).json()[
        "items"
    ]
    assert contact["name"] == "Ada Lovelace"

    # agent-2 closes; the queue's wrap-up holds the slot until the form is submitted.
    two.locator("#close").click()
    expect(two.locator("#wrapup")).to_be_visible()
    expect(two.locator(".item.wrapup", has_text="Ada Lovelace")).to_be_visible()
    # The supervisor's dashboard shows agent-2 in wrap-up, and filters by team.
    board.select_option("#team-filter", team_id)
    expect(board.locator(f"#agents tr[data-agent='{second}'] .pill")).to_contain_text("wrap-up")
    expect(board.locator(f"#agents tr[data-agent='{first}']")).to_have_count(0)
    screenshot(board, "dashboard-wrap-up")
    two.select_option("#wrapup-disposition", "escalated")
    two.fill("#wrapup-notes", "refund issued")
    screenshot(two, "agent-wrap-up")
    two.locator("#wrapup-submit").click()
    expect(two.locator(".item", has_text="Ada Lovelace")).to_have_count(0)
    [done] = [each for each in stack.interactions(team.account_id, phone=phone) if each["id"] != earlier["id"]]
    assert (done["disposition"], done["wrapUpNotes"], done["transfers"]) == ("escalated", "refund issued", 1)
    assert done["handleSeconds"] >= 0 and done["wrapUpSeconds"] >= 0
    outbox = requests.get(f"{stack.sandbox}/outbox", timeout=30).json()["items"]
    sent = [each["body"] for each in outbox if each.get("to") == phone]
    assert sent == [f"Hi there, this is Agent {team.queue_id[-6:]} 0"]  # the notes never reached the provider
    for opened in [*pages, board]:
        opened.context.close()
    assert not errors, f"the pages raised: {errors}"


def test_the_supervisor_transfers_from_the_dashboard_and_blocks_the_number(stack: Stack, page: Page) -> None:
    team = make_team(stack, ["ready", "ready"])
    phone = new_phone()
    page.goto(f"{stack.http}/dashboard?token={token(stack, role='supervisor')}")
    expect(page.locator("body")).to_have_attribute("data-snapshot", "1")
    assert stack.post_twilio(team.account, phone, "Can a manager look at this?").status_code == 200
    [interaction] = wait_for_interactions(stack, team.account_id, phone)
    holder = eventually(lambda: interaction_item(stack, interaction["id"]).get("agentId"))
    [other] = [agent_id for agent_id in team.agent_ids if agent_id != holder]
    page.locator(f'#feed li[data-interaction="{interaction["id"]}"]').click()
    expect(page.locator("#thread .msg.in", has_text="Can a manager look at this?")).to_be_visible()
    page.keyboard.press("Alt+t")
    expect(page.locator(f"#transfer-target option[value='agent:{other}']")).to_be_enabled()
    expect(page.locator(f"#transfer-target option[value='agent:{holder}']")).to_have_count(0)
    page.select_option("#transfer-target", f"agent:{other}")
    page.fill("#transfer-note", "Manager approved, please call back")
    page.locator("#transfer-send").click()
    expect(page.locator("#thread .msg.note", has_text="Manager approved, please call back")).to_be_visible()
    expect(page.locator("#conv-sub")).to_contain_text(other)
    assert interaction_item(stack, interaction["id"])["agentId"] == other

    page.locator("#conv-block").click()
    expect(page.locator("#block-phone")).to_have_text(phone)
    page.fill("#block-reason", "abusive messages")
    page.locator("#block-send").click()
    expect(page.locator("#conv-sub")).to_contain_text("closed")
    screenshot(page, "dashboard-transfer-and-block")
    blocked = stack.admin("GET", f"/admin/accounts/{team.account_id}/blocked/{phone}")
    assert blocked.status_code == 200 and blocked.json()["reason"] == "abusive messages", blocked.text
    assert interaction_item(stack, interaction["id"])["disposition"] == "blocked"


# --- the dashboard's queue tiles and alerts, and the reports page (docs/reports.md) ------------------------------


def tile_queue(stack: Stack, **queue: Any) -> Team:
    """A queue of one agent with room for one conversation (the next one waits), and its account."""
    team = make_team(stack, ["ready"])
    body = {"name": f"Tiles {team.queue_id[-6:]}", "agentIds": team.agent_ids, **queue}
    assert stack.admin(
        "PUT", f"/admin/agents/{team.agent_ids[0]}", json={"name": "T", "capacity": 1, "status": "ready"}
    ).ok
    assert stack.admin("PUT", f"/admin/queues/{team.queue_id}", json=body).ok
    return team


def answered_and_abandoned(stack: Stack, team: Team) -> tuple[dict[str, Any], dict[str, Any]]:
    """One conversation assigned to the queue's agent, one waiting behind it and closed unanswered (abandoned),
    then the answered one closed."""
    answered_phone, waiting_phone = new_phone(), new_phone()
    assert stack.post_twilio(team.account, answered_phone, "help").status_code == 200
    [answered] = wait_for_interactions(stack, team.account_id, answered_phone)
    eventually(lambda: stack.interaction(answered["id"]).get("agentId"), timeout=20, what="assigned")
    assert stack.post_twilio(team.account, waiting_phone, "anyone?").status_code == 200
    [waiting] = wait_for_interactions(stack, team.account_id, waiting_phone)
    for interaction in (waiting, answered):
        assert stack.admin("POST", f"/admin/interactions/{interaction['id']}/close", json={}).ok
    return answered, waiting


def test_the_dashboard_shows_each_queues_tiles_and_its_alert(stack: Stack, page: Page) -> None:
    clear_of_a_half_hour_boundary(90)
    team = tile_queue(stack, alerts={"serviceLevelBelow": 0.8})
    page.goto(f"{stack.http}/dashboard?token={token(stack, role='supervisor')}")
    expect(page.locator("body")).to_have_attribute("data-snapshot", "1")
    tiles = page.locator(f'#tiles tr[data-tile-queue="{team.queue_id}"]')
    expect(tiles.locator('[data-window="today"][data-tile="handled"]')).to_have_text("0")
    answered_and_abandoned(stack, team)
    # The abandon crossed the threshold (0 of 1 within 60 s): the queue's row says so; then the answered close.
    expect(page.locator(f'#queues tr[data-queue="{team.queue_id}"] .alert-badge')).to_have_text("⚠ SL < 80%")
    for window in ("today", "halfHour"):
        expect(tiles.locator(f'[data-window="{window}"][data-tile="handled"]')).to_have_text("1")
        expect(tiles.locator(f'[data-window="{window}"][data-tile="abandoned"]')).to_have_text("1")
        expect(tiles.locator(f'[data-window="{window}"][data-tile="serviceLevel"]')).to_have_text("50%")
    expect(tiles.locator('[data-window="today"][data-tile="averageHandleTime"]')).to_have_text(
        re.compile(r"^\d+:\d\d$")
    )
    screenshot(page, "dashboard-tiles")


def test_the_reports_page_signs_in_runs_the_report_charts_it_and_downloads_the_csv(stack: Stack, page: Page) -> None:
    team = tile_queue(stack)
    answered, waiting = answered_and_abandoned(stack, team)
    today = datetime.now(UTC).date().isoformat()

    def report(**params: str) -> list[dict[str, Any]]:
        response = stack.admin("GET", "/admin/reports/queues", params={"from": today, **params})
        while response.status_code == 202:
            response = stack.admin("GET", f"/admin/reports/jobs/{response.json()['jobId']}")
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    # The facts reached the emulator's S3 and Athena (the report counts both conversations).
    eventually(lambda: [row for row in report(queueId=team.queue_id) if row["offered"] == 2], 60, 0.5, "the facts")
    # A link token opens the WebSocket, not the admin API the page reads: it says to sign in instead.
    page.goto(f"{stack.http}/reports?token={token(stack, role='supervisor')}")
    expect(page.locator("#status")).to_contain_text("need a sign-in")

    user = stack.auth["users"]["supervisor"]
    page.goto(f"{stack.http}/reports")
    page.locator("#username").fill(user["username"])
    page.locator("#password").fill(user["password"])
    page.locator("button[type=submit]").click()
    expect(page.locator("body")).to_have_attribute("data-report", "done", timeout=60_000)
    assert "code=" not in page.url and "token=" not in page.url
    [expected] = report(queueId=team.queue_id)
    row = page.locator(f'#report-table tr[data-group="{team.queue_id}"]')
    expect(row.locator('[data-column="offered"]')).to_have_text(str(expected["offered"]))
    expect(row.locator('[data-column="handled"]')).to_have_text("1")
    expect(row.locator('[data-column="abandoned"]')).to_have_text("1")
    expect(row.locator('[data-column="serviceLevel"]')).to_have_text("50.0%")
    # The charts: arrivals by hour (every queue's today) and today's service level.
    by_hour = {item["hour"]: item["offered"] for item in report(groupBy="hour")}
    bars = page.locator("#chart-hour rect.bar")
    drawn = {
        int(bars.nth(n).get_attribute("data-label") or -1): float(bars.nth(n).get_attribute("data-value") or 0)
        for n in range(bars.count())
    }
    assert {hour: value for hour, value in drawn.items() if value} == {h: float(v) for h, v in by_hour.items() if v}
    [day] = report(groupBy="day")
    [today_bar] = [
        page.locator("#chart-day rect.bar").nth(n) for n in range(page.locator("#chart-day rect.bar").count())
    ]
    assert float(today_bar.get_attribute("data-value") or -1) == day["serviceLevel"]
    screenshot(page, "reports")

    # The CSV: an export of the range, downloaded straight from S3 (a presigned URL to Athena's own file).
    with page.expect_download(timeout=60_000) as download:
        page.locator("#csv").click()
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text())))
    assert {answered["id"], waiting["id"]} <= {row["interaction_id"] for row in rows}
    assert download.value.suggested_filename == "interactions.csv"

    # Bad input: the refusal's message, and the field it names marked.
    page.locator("#from").fill("2026-03-02")
    page.locator("#to").fill("2026-03-01")
    page.locator("#run").click()
    expect(page.locator("body")).to_have_attribute("data-report", "failed")
    expect(page.locator("#from")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#status")).to_contain_text("after to")


# --- AI assist (docs/ai.md) -------------------------------------------------------------------------------------


def test_the_desk_shows_the_ai_summary_in_the_history_and_a_suggestion_only_fills_the_box(
    stack: Stack, page: Page
) -> None:
    """An account with `options.ai` on: the customer's previous conversation shows its summary (written by the
    emulator's Converse after the close); Suggest (Alt+S) shows a spinner then chips, and a chip fills the reply box
    with the live segment counter, sending nothing (the agent's own reply is the only send)."""
    team = make_team(stack, ["ready"])
    body = {key: value for key, value in team.account.items() if key != "id"}
    body["options"] = {"ai": {"summaries": True, "suggestions": True}}
    assert stack.admin("PUT", f"/admin/accounts/{team.account_id}", json=body).ok
    phone = new_phone()
    assert stack.post_twilio(team.account, phone, "Earlier: my parcel 7781 never came").status_code == 200
    [earlier] = wait_for_interactions(stack, team.account_id, phone)
    assert stack.admin("POST", f"/admin/interactions/{earlier['id']}/close", json={}).ok
    summary = eventually(lambda: stack.interaction(earlier["id"]).get("summary"), 30, 0.2, "the summary")
    assert summary["status"] == "ready", summary

    page.goto(f"{stack.http}/agent?token={token(stack, agentId=team.agent_ids[0])}")
    expect(page.locator("body")).to_have_attribute("data-snapshot", "1")
    assert stack.post_twilio(team.account, phone, "It still has not arrived").status_code == 200
    page.locator(".item", has_text=phone).click()
    expect(page.locator("#history-count")).to_have_text("1")
    page.keyboard.press("Alt+h")
    card = page.locator("#history-list .summary-card[data-summary='ready']")
    expect(card).to_contain_text("AI summary at the close")
    expect(card).to_contain_text(summary["text"])
    screenshot(page, "agent-ai-summary")
    page.locator("#history-dialog button[type='submit']").click()

    page.keyboard.press("Alt+s")
    chip = page.locator("#suggestions .chip")
    expect(chip).to_have_count(1)  # the emulator answers one line
    suggestion = chip.text_content() or ""
    assert suggestion.startswith("[ministack mock"), suggestion
    chip.click()
    reply = page.locator("#reply")
    expect(reply).to_have_value(suggestion)
    expect(page.locator("#counter")).to_have_attribute("data-segments", "1")
    expect(page.locator("#send")).to_be_enabled()
    screenshot(page, "agent-ai-suggestion")
    expect(page.locator("#thread .bubble.out")).to_have_count(0)  # filled, not sent
    reply.fill("My own words")
    reply.press("Enter")
    expect(page.locator("#thread .bubble.out .status", has_text=re.compile("sent|delivered"))).to_be_visible()
    sent = requests.get(f"{stack.sandbox}/outbox", timeout=30).json()["items"]
    assert [item["body"] for item in sent if item.get("to") == phone] == ["My own words"]
