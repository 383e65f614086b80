"""What the component and the integration harnesses share: one polling helper, one signed-receiver server, the
wait past a half-hour boundary of the dashboard's tiles, and an SQS queue drained."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

from smschannel.triggers.signing import verify


def eventually[T](probe: Callable[[], T], timeout: float = 15.0, interval: float = 0.1, what: str = "") -> T:
    """Call `probe` until it answers something truthy and return that; AssertionError after `timeout` seconds,
    naming `what` was awaited and the last answer."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what or 'condition'} not met within {timeout} s; last answer: {value!r}")
        time.sleep(interval)


def clear_of_a_half_hour_boundary(margin: float = 20) -> None:
    """The dashboard's half-hour tile starts again at :00 and :30 UTC (smschannel.realtime.tiles): a test counting
    within one half hour waits out a boundary that would fall inside it."""
    left = 1800 - time.time() % 1800
    if left < margin:
        time.sleep(left + 0.5)


@dataclass(frozen=True)
class Received:
    """One POST the receiver got: whether its `X-Signature` verified, its headers and its body."""

    valid: bool
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class SignedReceiver:
    """A webhook receiver (a callUrl's CRM, a webhook bot) on a real local port that checks `X-Signature` as our
    callers sign it (HMAC-SHA256 of the body with `secret`): 401 on a bad signature, else the next scripted status
    of `statuses` (default 200; with the `Retry-After` that `retry_after` gives that status) with the JSON
    `answer(payload)` gives, if any."""

    def __init__(self, secret: str, path: str = "/hook", answer: Callable[[Any], dict[str, Any]] | None = None) -> None:
        self.secret = secret
        self.answer = answer
        self.statuses: list[int] = []
        self.retry_after: dict[int, str] = {}  # status -> the Retry-After header it is answered with
        self.posts: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                valid = verify(receiver.secret, body, self.headers.get("X-Signature"))
                receiver.posts.append(Received(valid, dict(self.headers), body))
                data = b""
                if not valid:
                    self.send_response(401)
                else:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    self.send_response(status)
                    if status in receiver.retry_after:
                        self.send_header("Retry-After", receiver.retry_after[status])
                    if receiver.answer is not None:
                        data = json.dumps(receiver.answer(json.loads(body))).encode()
                        self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def received(self) -> list[Received]:
        """The posts whose signature verified."""
        return [post for post in self.posts if post.valid]

    @property
    def refused(self) -> int:
        return sum(not post.valid for post in self.posts)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def drained(sqs: Any, url: str) -> list[dict[str, Any]]:
    """Every message waiting on the SQS queue at `url`, its JSON body each, deleted as read."""
    found: list[dict[str, Any]] = []
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
        found += [json.loads(message["Body"]) for message in messages]
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
    return found
