"""The deployed local stack (ministack + sam deploy), started once per test session on free ports."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from twilio.request_validator import RequestValidator

from tests.support import eventually

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 600


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Stack:
    http: str
    ws: str | None
    sandbox: str
    admin_token: str
    endpoint: str
    session: requests.Session
    tests_served: int = 0
    # The started stack's own directory (its stack.log, ministack.log), None for a stack already up.
    state_dir: Path | None = None
    # endpoints.json `auth`: the user pool, the pages' client and the demo users (local/identity.py)
    auth: dict[str, Any] = field(default_factory=dict)
    alerts_topic_arn: str | None = None  # endpoints.json `alertsTopicArn`

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.admin_token}", **kwargs.pop("headers", {})}
        return self.session.request(method, f"{self.http}{path}", headers=headers, timeout=60, **kwargs)

    def twilio_account(self, account_id: str | None = None, **overrides: Any) -> dict[str, Any]:
        account_id = account_id or f"tw-{uuid.uuid4().hex[:8]}"
        body = {
            "name": "Integration Twilio",
            "provider": "twilio",
            "phoneNumber": "+15005550006",
            "credentials": {"accountSid": "AC" + uuid.uuid4().hex, "authToken": uuid.uuid4().hex},
            "queueId": None,
            "defaultRegion": "US",
            "apiBaseUrl": f"{self.sandbox}/api/twilio/{account_id}",
            **overrides,
        }
        response = self.admin("PUT", f"/admin/accounts/{account_id}", json=body)
        assert response.status_code in (200, 201), response.text
        return {"id": account_id, **body}

    def post_twilio(
        self,
        account: dict[str, Any],
        phone: str,
        body: str,
        *,
        sid: str | None = None,
        signature: str | None = None,
        timeout: float = 120,
    ) -> requests.Response:
        """An inbound SMS exactly as Twilio posts it, signed with Twilio's own SDK."""
        sid = sid or "SM" + uuid.uuid4().hex
        url = f"{self.http}/webhooks/{account['id']}"
        form = {
            "ToCountry": "US",
            "SmsMessageSid": sid,
            "NumMedia": "0",
            "SmsSid": sid,
            "SmsStatus": "received",
            "Body": body,
            "To": account["phoneNumber"],
            "NumSegments": "1",
            "MessageSid": sid,
            "AccountSid": account["credentials"]["accountSid"],
            "From": phone,
            "ApiVersion": "2010-04-01",
        }
        if signature is None:
            signature = RequestValidator(account["credentials"]["authToken"]).compute_signature(url, form)
        headers = {"X-Twilio-Signature": signature} if signature else {}
        return requests.post(url, data=form, headers=headers, timeout=timeout)

    def interactions(
        self, account_id: str, phone: str | None = None, status: str | None = None
    ) -> list[dict[str, Any]]:
        params = {
            "accountId": account_id,
            **({"phone": phone} if phone else {}),
            **({"status": status} if status else {}),
        }
        response = self.admin("GET", "/admin/interactions", params=params)
        assert response.status_code == 200, response.text
        return list(response.json()["items"])

    def interaction(self, interaction_id: str) -> dict[str, Any]:
        response = self.admin("GET", f"/admin/interactions/{interaction_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())


FIRST_ON_A_FRESH_STACK = "fresh_stack"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests marked `fresh_stack` run before every other test that uses the local stack: they prove what a
    freshly started stack takes (its first burst), which a stack warmed by earlier tests would hide."""
    items.sort(key=lambda item: item.get_closest_marker(FIRST_ON_A_FRESH_STACK) is None)


@pytest.fixture
def stack(started_stack: Stack) -> Stack:
    started_stack.tests_served += 1
    return started_stack


@pytest.fixture(scope="session")
def started_stack() -> Iterator[Stack]:
    with local_stack() as started:
        yield started


@contextmanager
def local_stack(**env_overrides: str) -> Iterator[Stack]:
    """`make run` on free ports in a state directory of its own, until the block ends (tests and bench/).

    SMS_TEST_ENDPOINTS=<endpoints.json of a stack already up> uses that stack instead, to iterate without a
    redeploy (it is then not a fresh stack: the `fresh_stack` tests prove less).
    """
    running = os.environ.get("SMS_TEST_ENDPOINTS")
    if running:
        endpoints = json.loads(Path(running).read_text())
        yield Stack(
            http=endpoints["http"],
            ws=endpoints["ws"],
            sandbox=endpoints["sandbox"],
            admin_token=endpoints["adminToken"],
            endpoint=endpoints["http"].split("/_aws/")[0],
            session=requests.Session(),
            auth=endpoints.get("auth") or {},
            alerts_topic_arn=endpoints.get("alertsTopicArn"),
        )
        return
    port, sandbox_port = free_port(), free_port()
    state_dir = Path(tempfile.mkdtemp(prefix="sms-stack-"))
    env = {
        **os.environ,
        "SMS_PORT": str(port),
        "SMS_SANDBOX_PORT": str(sandbox_port),
        "SMS_STATE_DIR": str(state_dir),
        "SMS_ADMIN_TOKEN": "it-" + uuid.uuid4().hex,
        # `make test` has just run `sam build`; a bare `pytest` builds on its own.
        "SMS_SKIP_BUILD": "1" if (ROOT / ".aws-sam" / "build" / "template.yaml").exists() else "0",
        **env_overrides,
    }
    log = (state_dir / "stack.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "local.stack"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    endpoints_file = state_dir / "endpoints.json"
    try:  # `ready` is the endpoints file; a stack that exits first will never write it
        eventually(lambda: endpoints_file.exists() or process.poll() is not None, STARTUP_SECONDS, 0.5, "the stack")
        assert endpoints_file.exists(), f"the stack exited with {process.returncode}"
    except AssertionError as exc:
        process.kill()
        pytest.fail(f"local stack did not start ({exc}):\n{(state_dir / 'stack.log').read_text()[-5000:]}")
    endpoints = json.loads(endpoints_file.read_text())
    session = requests.Session()
    try:
        yield Stack(
            http=endpoints["http"],
            ws=endpoints["ws"],
            sandbox=endpoints["sandbox"],
            admin_token=endpoints["adminToken"],
            endpoint=f"http://127.0.0.1:{port}",
            session=session,
            state_dir=state_dir,
            auth=endpoints.get("auth") or {},
            alerts_topic_arn=endpoints.get("alertsTopicArn"),
        )
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            # It stops the emulator and its warm workers and removes their directories: give it time, since a kill
            # would leave the emulator (its own session) running.
            process.wait(timeout=180)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(state_dir, ignore_errors=True)
