"""A fresh local stack's first burst, side by side with the same burst on the warm stack, `make run`'s time to
`ready` (each phase) and what the stack holds in memory.

Starts the stack as `make run` does (free ports, its own state directory), times it to `ready`, then sends 50
concurrent Twilio-signed webhooks (the first traffic the stack sees), then the same burst again (warm). Each burst
is run from one phone and from 50 phones. Memory is the resident set of the emulator and all its workers, read
from /proc (local/resources.py), at `ready` and after the bursts. Run after `sam build`:
`.venv/bin/python bench/first_burst.py [N]`; extra environment (SMS_WARM_WEBHOOKS=...) reaches the stack.
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

from local.resources import Resident, resident, running  # noqa: E402
from tests.integration.conftest import Stack, local_stack  # noqa: E402

BURST = int(sys.argv[1]) if len(sys.argv) > 1 else 50
TWILIO_WEBHOOK_TIMEOUT = 15.0


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


def percentile(seconds: list[float], fraction: float) -> float:
    return seconds[max(0, round(fraction * len(seconds)) - 1)]


def row(label: str, seconds: list[float]) -> str:
    cells = [statistics.median(seconds), percentile(seconds, 0.99), seconds[-1]]
    late = sum(1 for answered in seconds if answered >= TWILIO_WEBHOOK_TIMEOUT)
    return f"{label:38} " + " ".join(f"{cell * 1000:9.0f}" for cell in cells) + f" {late:9d}"


def emulator() -> int:
    """The emulator's process under this one (bench → local.stack → local/emulator.py → its workers)."""
    pid = running("/local/emulator.py")
    if pid is None:
        raise SystemExit("no emulator process under this one")
    return pid


def phases(stack: Stack) -> str:
    log = (stack.state_dir / "stack.log").read_text() if stack.state_dir else ""
    lines = [line for line in log.splitlines() if "started in" in line]
    return lines[-1].removeprefix("[local] ") if lines else "(no phases logged)"


def main() -> None:
    started = time.monotonic()
    memory: list[tuple[str, Resident]] = []
    with local_stack() as stack:
        ready = time.monotonic() - started
        ministack = emulator()
        memory.append(("at ready", resident(ministack)))
        alone = resident(ministack, with_descendants=False)
        one = phone()
        results = [("first burst (fresh stack), one phone", burst(stack, [one] * BURST))]
        memory.append(("after the first burst", resident(ministack)))
        results += [
            ("second burst, 50 phones", burst(stack, [phone() for _ in range(BURST)])),
            ("warm burst, one phone", burst(stack, [phone()] * BURST)),
            ("warm burst, 50 phones", burst(stack, [phone() for _ in range(BURST)])),
        ]
        memory.append(("after four bursts", resident(ministack)))
        startup = phases(stack)
    print(f"make run to ready (sam build done): {ready:.0f} s; {startup}")
    for label, taken in memory:
        print(f"resident, emulator and its workers, {label + ':':22} {taken.describe()}")
    at_ready = memory[0][1]
    workers = at_ready.processes - 1
    per_worker = (at_ready.rss_bytes - alone.rss_bytes) / max(1, workers) / 1024 / 1024
    print(f"of which the emulator alone {alone.rss_bytes / 1024 / 1024:.0f} MiB RSS, {per_worker:.0f} MiB per worker")
    header = f"{'burst of ' + str(BURST) + ' concurrent webhooks':38} {'p50 ms':>9} {'p99 ms':>9} {'max ms':>9}"
    print(f"{header} {'>= 15 s':>9}")
    for label, seconds in results:
        print(row(label, seconds))
    first, warm = results[0][1], results[2][1]
    print(f"first/warm p50 ratio (one phone): {statistics.median(first) / statistics.median(warm):.2f}")


if __name__ == "__main__":
    main()
