"""Inbound throughput and latency through the deployed local stack, as a ratio to a no-op route.

Starts the local stack (ministack + sam deploy) on free ports, then drives, in the same run and with the same
client concurrency, (a) `GET /health` — the admin function doing no I/O, our no-op baseline behind the same
API — and (b) Twilio-signed inbound webhooks spread over many phones. Reports requests/s and p50/p95 latency
for both and their ratios. Run after `make build`: `.venv/bin/python bench/local_throughput.py [N] [CONCURRENCY]`.
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]

from tests.integration.conftest import local_stack  # noqa: E402

REQUESTS = int(sys.argv[1]) if len(sys.argv) > 1 else 400
CONCURRENCY = int(sys.argv[2]) if len(sys.argv) > 2 else 16


def run(label: str, call: object, count: int) -> tuple[float, float, float]:
    latencies: list[float] = []

    def one(index: int) -> None:
        started = time.perf_counter()
        response = call(index)  # type: ignore[operator]
        assert response.status_code == 200, response.text
        latencies.append(time.perf_counter() - started)

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one, range(CONCURRENCY * 2)))  # warm the workers
    latencies.clear()
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(one, range(count)))
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    p50, p95 = statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]
    print(f"{label:28} {count / elapsed:8.1f} req/s   p50 {p50 * 1000:7.1f} ms   p95 {p95 * 1000:7.1f} ms")
    return count / elapsed, p50, p95


def main() -> None:
    with local_stack() as stack:
        account = stack.twilio_account()
        session = requests.Session()
        validator = RequestValidator(account["credentials"]["authToken"])
        url = f"{stack.http}/webhooks/{account['id']}"

        def webhook(index: int) -> requests.Response:
            sid = "SM" + uuid.uuid4().hex
            form = {
                "MessageSid": sid,
                "AccountSid": account["credentials"]["accountSid"],
                "Body": f"hello {index}",
                "From": f"+1415555{index % 500:04d}",
                "To": account["phoneNumber"],
                "NumMedia": "0",
            }
            headers = {"X-Twilio-Signature": validator.compute_signature(url, form)}
            return session.post(url, data=form, headers=headers, timeout=120)

        def health(_: int) -> requests.Response:
            return session.get(f"{stack.http}/health", timeout=120)

        print(f"{REQUESTS} requests, {CONCURRENCY} concurrent clients, 2 cores")
        base = run("no-op (GET /health)", health, REQUESTS)
        inbound = run("inbound webhook (Twilio)", webhook, REQUESTS)
        print(f"\nthroughput ratio inbound/no-op: {inbound[0] / base[0]:.2f}")
        print(f"p50 latency ratio inbound/no-op: {inbound[1] / base[1]:.2f}")
        print(f"p95 latency ratio inbound/no-op: {inbound[2] / base[2]:.2f}")


if __name__ == "__main__":
    main()
