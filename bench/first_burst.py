"""A fresh local stack's first burst, side by side with the same burst on the warm stack, and `make run`'s time
to `ready`.

Starts the stack as `make run` does (free ports, its own state directory), times it to `ready`, then sends 50
concurrent Twilio-signed webhooks (the first traffic the stack sees), then the same burst again (warm). Each burst
is run from one phone and from 50 phones. Run after `make build`: `.venv/bin/python bench/first_burst.py [N]`.
"""

from __future__ import annotations

import statistics
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "core")]

from tests.integration.conftest import Stack, local_stack  # noqa: E402

BURST = int(sys.argv[1]) if len(sys.argv) > 1 else 50


def phone() -> str:
    return "+1628555" + str(uuid.uuid4().int % 10000).zfill(4)


def burst(stack: Stack, phones: list[str]) -> list[float]:
    account = stack.twilio_account()

    def post(index: int) -> float:
        started = time.monotonic()
        response = stack.post_twilio(account, phones[index], f"bench {index}", timeout=120)
        if response.status_code != 200:
            raise SystemExit(f"webhook answered {response.status_code}: {response.text[:200]}")
        return time.monotonic() - started

    with ThreadPoolExecutor(max_workers=BURST) as pool:
        return sorted(pool.map(post, range(BURST)))


def row(label: str, seconds: list[float]) -> str:
    p95 = seconds[max(0, round(0.95 * len(seconds)) - 1)]
    return f"{label:38} {statistics.median(seconds) * 1000:9.0f} {p95 * 1000:9.0f} {seconds[-1] * 1000:9.0f}"


def main() -> None:
    started = time.monotonic()
    with local_stack() as stack:
        ready = time.monotonic() - started
        one = phone()
        results = [
            ("first burst (fresh stack), one phone", burst(stack, [one] * BURST)),
            ("second burst, 50 phones", burst(stack, [phone() for _ in range(BURST)])),
            ("warm burst, one phone", burst(stack, [phone()] * BURST)),
            ("warm burst, 50 phones", burst(stack, [phone() for _ in range(BURST)])),
        ]
    print(f"make run to ready (deploy + warm-up, sam build done): {ready:.0f} s")
    print(f"{'burst of ' + str(BURST) + ' concurrent webhooks':38} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for label, seconds in results:
        print(row(label, seconds))
    first, warm = results[0][1], results[2][1]
    print(f"first/warm p50 ratio (one phone): {statistics.median(first) / statistics.median(warm):.2f}")


if __name__ == "__main__":
    main()
