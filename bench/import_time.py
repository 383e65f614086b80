"""Cold-start import time of each handler, as ratios to a bare Powertools handler and to the import floor of any
DynamoDB handler (Powertools plus one DynamoDB client), same interpreter, same run.

Each sample is a fresh `python -I -S` importing from the `sam build` artifacts (as Lambda does) with the runtime's
environment (LAMBDA_TASK_ROOT set, tracing on); median of N. IMPORT_CLOCK=wall measures wall time instead of CPU.
Run after `make build`: `.venv/bin/python bench/import_time.py`.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tests.lambda_runtime import BUILD, LAYER, link_runtime_packages, run_isolated  # noqa: E402

SAMPLES = int(os.environ.get("IMPORT_SAMPLES", "7"))
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
# The floor of an HTTP handler built as ours are: the floor plus Powertools' resolver and pydantic.
RESOLVER_FLOOR_HANDLER = (
    FLOOR_HANDLER
    + """
import pydantic
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
app = APIGatewayHttpResolver(enable_validation=True)
"""
)


def measure(paths: list[Path], module: str) -> float:
    """Median seconds to import `module`: CPU time of the importing process (what a cold start costs on a quiet
    machine, and steady on a busy one) unless IMPORT_CLOCK=wall."""
    clock = "perf_counter" if os.environ.get("IMPORT_CLOCK") == "wall" else "process_time"
    code = f"import time; t = time.{clock}(); import {module}; print(time.{clock}() - t)"
    times = []
    for _ in range(SAMPLES):
        result = run_isolated(paths, code)
        if result.returncode != 0:
            raise SystemExit(result.stderr)
        times.append(float(result.stdout.strip()))
    return statistics.median(times)


def layer_size() -> tuple[float, int]:
    files = [path for path in LAYER.parent.rglob("*") if path.is_file()]
    return sum(path.stat().st_size for path in files) / 1e6, len(files)


def main() -> None:
    if not (BUILD / "template.yaml").exists():
        raise SystemExit("run `make build` first")
    megabytes, files = layer_size()
    print(f"core layer: {megabytes:.1f} MB unzipped in {files} files (was 92 MB in 4,163 before the lean build)")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "runtime").mkdir()
        runtime = link_runtime_packages(Path(tmp) / "runtime")
        handlers = Path(tmp) / "handlers"
        handlers.mkdir()
        (handlers / "bare_handler.py").write_text(BARE_HANDLER)
        (handlers / "floor_handler.py").write_text(FLOOR_HANDLER)
        (handlers / "resolver_floor_handler.py").write_text(RESOLVER_FLOOR_HANDLER)
        baseline = measure([handlers, LAYER, runtime], "bare_handler")
        floor = measure([handlers, LAYER, runtime], "floor_handler")
        print(f"{'handler':26} {'import ms':>10} {'vs bare Powertools':>20} {'vs floor':>10}")

        def row(name: str, seconds: float) -> None:
            print(f"{name:26} {seconds * 1000:10.1f} {seconds / baseline:20.2f} {seconds / floor:10.2f}")

        row("bare Powertools", baseline)
        row("floor (+ DynamoDB client)", floor)
        row("floor + resolver, pydantic", measure([handlers, LAYER, runtime], "resolver_floor_handler"))
        for artifact in sorted(p for p in BUILD.iterdir() if (p / "app.py").exists()):
            row(artifact.name, measure([artifact, LAYER, runtime], "app"))


if __name__ == "__main__":
    main()
