"""Every way a Converse call fails becomes a reason, retryable or not, within the client's bound (~10 s: connect 2 s,
read 8 s, one attempt); a timeout is proven against a real socket that never answers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from smschannel import aws_clients
from smschannel.assist import model as assist_model
from smschannel.assist.model import CLIENT_CONFIG, ConverseModel, ModelUnavailable
from smschannel.assist.prompts import summary_request
from tests.unit.test_assist_requests import CONVERSATION, MODEL

REQUEST, _ = summary_request(MODEL, CONVERSATION)


def failing(code: str, status: int) -> ConverseModel:
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    stub.add_client_error("converse", service_error_code=code, http_status_code=status)
    stub.activate()
    return ConverseModel(lambda: client)


@pytest.mark.parametrize(
    ("code", "status", "reason", "retryable"),
    [
        ("ThrottlingException", 429, "throttled", True),
        ("ServiceUnavailableException", 503, "model_unavailable", True),
        ("ModelTimeoutException", 408, "timeout", True),
        ("InternalServerException", 500, "model_unavailable", True),
        ("ValidationException", 400, "invalid_request", False),
        ("AccessDeniedException", 403, "access_denied", False),
        ("ResourceNotFoundException", 404, "unknown_model", False),
    ],
)
def test_each_service_error_is_a_reason(code: str, status: int, reason: str, retryable: bool) -> None:
    with pytest.raises(ModelUnavailable) as raised:
        failing(code, status).converse(REQUEST, "summary")
    assert (raised.value.reason, raised.value.retryable) == (reason, retryable)


def test_a_guardrail_intervention_or_an_empty_answer_is_unavailable_for_good() -> None:
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(client)
    blocked = {
        "output": {"message": {"role": "assistant", "content": [{"text": "Sorry, I cannot help."}]}},
        "stopReason": "guardrail_intervened",
        "usage": {"inputTokens": 10, "outputTokens": 5, "totalTokens": 15},
        "metrics": {"latencyMs": 1},
    }
    empty = {**blocked, "stopReason": "end_turn", "output": {"message": {"role": "assistant", "content": []}}}
    stub.add_response("converse", blocked)
    stub.add_response("converse", empty)
    with stub:
        for reason in ("guardrail", "empty_answer"):
            with pytest.raises(ModelUnavailable) as raised:
                ConverseModel(lambda: client).converse(REQUEST, "summary")
            assert (raised.value.reason, raised.value.retryable) == (reason, False)


@pytest.fixture
def silent_server() -> Iterator[tuple[str, list[float]]]:
    """A TCP server that accepts connections and never answers; records when each one came."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[float] = []
    held: list[socket.socket] = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            accepted.append(time.monotonic())
            held.append(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    server.close()


def test_a_model_that_never_answers_is_a_timeout_after_one_attempt(silent_server: tuple[str, list[float]]) -> None:
    endpoint, accepted = silent_server
    # The production configuration with a shorter read bound, so the test takes a second, not eight.
    config = CLIENT_CONFIG.merge(assist_model.Config(read_timeout=1))
    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=endpoint,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=config,
    )
    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as raised:
        ConverseModel(lambda: client).converse(REQUEST, "summary")
    assert (raised.value.reason, raised.value.retryable) == ("timeout", True)
    assert time.monotonic() - started < 3
    assert len(accepted) == 1  # botocore retried nothing


def test_an_unreachable_endpoint_is_retryable() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed when the block ends: nothing listens there
    client = boto3.client(
        "bedrock-runtime",
        region_name="us-east-1",
        endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=CLIENT_CONFIG,
    )
    with pytest.raises(ModelUnavailable) as raised:
        ConverseModel(lambda: client).converse(REQUEST, "summary")
    assert (raised.value.reason, raised.value.retryable) == ("unreachable", True)


def test_the_deployed_client_is_bounded_to_ten_seconds_and_keeps_bodies_out_of_debug_logs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import logging

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    aws_clients.bedrock_runtime_client.cache_clear()
    logging.getLogger("botocore.endpoint").setLevel(logging.DEBUG)
    client: Any = aws_clients.bedrock_runtime_client()
    aws_clients.bedrock_runtime_client.cache_clear()
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (2, 8)
    assert config.retries["total_max_attempts"] == 1
    assert config.connect_timeout + config.read_timeout <= 10
    for name in ("botocore.endpoint", "botocore.parsers"):
        assert logging.getLogger(name).getEffectiveLevel() >= logging.INFO
