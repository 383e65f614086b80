"""Cold-start import time of each handler, as a ratio to a bare Powertools handler (same interpreter, same run).

Each sample is a fresh `python -I -S` importing from the `sam build` artifacts (as Lambda does); median of N.
Run after `make build`: `.venv/bin/python bench/import_time.py`.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tests.lambda_runtime import BUILD, LAYER, link_runtime_packages, run_isolated  # noqa: E402

SAMPLES = 7
BARE_HANDLER = """
from aws_lambda_powertools import Logger
logger = Logger()
def lambda_handler(event, context):
    return {"statusCode": 200}
"""


def measure(paths: list[Path], module: str) -> float:
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    times = []
    for _ in range(SAMPLES):
        result = run_isolated(paths, code)
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        times.append(float(result.stdout.strip()))
    return statistics.median(times)


def main() -> None:
    if not (BUILD / "template.yaml").exists():
        raise SystemExit("run `make build` first")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "runtime").mkdir()
        runtime = link_runtime_packages(Path(tmp) / "runtime")
        bare = Path(tmp) / "bare"
        bare.mkdir()
        (bare / "bare_handler.py").write_text(BARE_HANDLER)
        baseline = measure([bare, LAYER, runtime], "bare_handler")
        print(f"{'handler':24} {'import ms':>10} {'vs bare Powertools':>20}")
        print(f"{'bare Powertools':24} {baseline * 1000:10.1f} {1.0:20.2f}")
        for artifact in sorted(p for p in BUILD.iterdir() if (p / "app.py").exists()):
            seconds = measure([artifact, LAYER, runtime], "app")
            print(f"{artifact.name:24} {seconds * 1000:10.1f} {seconds / baseline:20.2f}")


if __name__ == "__main__":
    main()
