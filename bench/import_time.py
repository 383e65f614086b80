"""Cold-start import time of each handler, as ratios to a bare Powertools handler and to the import floor of any
DynamoDB handler (Powertools plus one DynamoDB client), same interpreter, same run.

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
# What every handler of ours must pay at least: Powertools and a DynamoDB client.
FLOOR_HANDLER = """
import boto3
from aws_lambda_powertools import Logger
logger = Logger()
dynamodb = boto3.client("dynamodb")
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
        handlers = Path(tmp) / "handlers"
        handlers.mkdir()
        (handlers / "bare_handler.py").write_text(BARE_HANDLER)
        (handlers / "floor_handler.py").write_text(FLOOR_HANDLER)
        baseline = measure([handlers, LAYER, runtime], "bare_handler")
        floor = measure([handlers, LAYER, runtime], "floor_handler")
        print(f"{'handler':24} {'import ms':>10} {'vs bare Powertools':>20} {'vs floor':>10}")
        print(f"{'bare Powertools':24} {baseline * 1000:10.1f} {1.0:20.2f} {baseline / floor:10.2f}")
        print(f"{'floor (+ DynamoDB)':24} {floor * 1000:10.1f} {floor / baseline:20.2f} {1.0:10.2f}")
        for artifact in sorted(p for p in BUILD.iterdir() if (p / "app.py").exists()):
            seconds = measure([artifact, LAYER, runtime], "app")
            print(f"{artifact.name:24} {seconds * 1000:10.1f} {seconds / baseline:20.2f} {seconds / floor:10.2f}")


if __name__ == "__main__":
    main()
