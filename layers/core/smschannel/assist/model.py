"""The one way AI assist calls a model: Bedrock's Converse, bounded in time, with every failure turned into a reason.

Bounded: connect 2 s + read 8 s and a single attempt (botocore retries nothing), so one call takes at most ~10 s
whatever the model does; retrying is the caller's choice (the summary queue's, with delays; never the desk's).
A throttle, a timeout, the service's 5xx or an unreachable endpoint is retryable; a request the service refuses
(validation, access, an unknown model) or a guardrail's intervention is not. Neither the request nor the answer is
ever logged: only the reason, the model id, token counts and the latency (tests/unit/test_assist_model.py).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)

from smschannel.observability import logger

CONNECT_SECONDS = 2
READ_SECONDS = 8
CLIENT_CONFIG = Config(
    connect_timeout=CONNECT_SECONDS,
    read_timeout=READ_SECONDS,
    retries={"total_max_attempts": 1, "mode": "standard"},
)
RETRYABLE_CODES = {
    "ThrottlingException": "throttled",
    "ServiceQuotaExceededException": "throttled",
    "TooManyRequestsException": "throttled",
    "ServiceUnavailableException": "model_unavailable",
    "InternalServerException": "model_unavailable",
    "ModelNotReadyException": "model_unavailable",
    "ModelErrorException": "model_error",
    "ModelTimeoutException": "timeout",
}
PERMANENT_CODES = {
    "ValidationException": "invalid_request",
    "AccessDeniedException": "access_denied",
    "ResourceNotFoundException": "unknown_model",
}
# botocore logs every request's and response's body at DEBUG (botocore.endpoint, botocore.parsers): a transcript
# must not reach the logs even where someone turns the root logger to DEBUG.
QUIET_LOGGERS = ("botocore.endpoint", "botocore.parsers")


class ModelUnavailable(Exception):
    """No usable answer: `reason` is stored or shown (`throttled`, `timeout`, `guardrail`, ...)."""

    def __init__(self, reason: str, *, retryable: bool) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable


@dataclass(frozen=True)
class ModelAnswer:
    text: str
    model_id: str
    input_tokens: int
    output_tokens: int
    stop_reason: str
    latency_ms: int


def quiet_request_logs() -> None:
    for name in QUIET_LOGGERS:
        quiet = logging.getLogger(name)
        if quiet.getEffectiveLevel() < logging.INFO:
            quiet.setLevel(logging.INFO)


class ConverseModel:
    """Converse through `client()` (a bedrock-runtime client, built on the first call by whoever wires it)."""

    def __init__(self, client: Callable[[], Any]) -> None:
        self._client = client

    def converse(self, request: dict[str, Any], purpose: str) -> ModelAnswer:
        """The model's text answer to `request` (prompts.summary_request, prompts.suggestions_request); raises
        ModelUnavailable. `purpose` names the call in the one log line it writes."""
        model_id = str(request["modelId"])
        started = time.monotonic()
        try:
            response = self._client().converse(**request)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            raise self._unavailable(purpose, model_id, started, code) from error
        except (ReadTimeoutError, ConnectTimeoutError) as error:
            raise self._unavailable(purpose, model_id, started, "timeout") from error
        except ParamValidationError as error:
            raise self._unavailable(purpose, model_id, started, "ValidationException") from error
        except (EndpointConnectionError, ConnectionClosedError, BotoCoreError) as error:
            raise self._unavailable(purpose, model_id, started, "unreachable") from error
        latency_ms = int((time.monotonic() - started) * 1000)
        usage = response.get("usage") or {}
        stop_reason = str(response.get("stopReason") or "")
        blocks = ((response.get("output") or {}).get("message") or {}).get("content") or []
        text = "".join(str(block["text"]) for block in blocks if isinstance(block, dict) and "text" in block).strip()
        answer = ModelAnswer(
            text=text,
            model_id=model_id,
            input_tokens=int(usage.get("inputTokens") or 0),
            output_tokens=int(usage.get("outputTokens") or 0),
            stop_reason=stop_reason,
            latency_ms=latency_ms,
        )
        logger.info(
            "model answered",
            extra={
                "purpose": purpose,
                "modelId": model_id,
                "inputTokens": answer.input_tokens,
                "outputTokens": answer.output_tokens,
                "stopReason": stop_reason,
                "latencyMs": latency_ms,
            },
        )
        if stop_reason == "guardrail_intervened":
            raise ModelUnavailable("guardrail", retryable=False)
        if not text:
            raise ModelUnavailable("empty_answer", retryable=False)
        return answer

    @staticmethod
    def _unavailable(purpose: str, model_id: str, started: float, code: str) -> ModelUnavailable:
        if code in RETRYABLE_CODES:
            unavailable = ModelUnavailable(RETRYABLE_CODES[code], retryable=True)
        elif code in ("timeout", "unreachable"):
            unavailable = ModelUnavailable(code, retryable=True)
        else:
            unavailable = ModelUnavailable(PERMANENT_CODES.get(code, "model_refused"), retryable=False)
        logger.warning(
            "model unavailable",
            extra={
                "purpose": purpose,
                "modelId": model_id,
                "reason": unavailable.reason,
                "code": code,
                "latencyMs": int((time.monotonic() - started) * 1000),
            },
        )
        return unavailable
