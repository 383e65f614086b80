"""Cold-start import time of each handler, as ratios to a bare Powertools handler and to the import floor of any
DynamoDB handler (Powertools plus one DynamoDB client), same interpreter, same run.

Each sample is a fresh `python -I -S` importing from the `sam build` artifacts (as Lambda does) with the runtime's
environment (LAMBDA_TASK_ROOT set, tracing on). The floor is measured again beside every handler sample and each
ratio is the median of the per-sample ratios, so a machine whose load changes during the run (2 cores shared by
several jobs) still gives steady ratios; median of N (IMPORT_SAMPLES).

IMPORT_CLOCK picks what is measured: `cpu` (default: the importing process's CPU time), `wall`, or `instructions`
(valgrind's count of instructions executed: deterministic, the same on a busy machine as on a quiet one; one
sample; needs `valgrind`). IMPORT_BUILD measures another build directory (e.g. a build of the previous commit).
Run after `make build`: `.venv/bin/python bench/import_time.py`.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT)]

from tests.lambda_runtime import BUILD, HANDLER_ENV, link_runtime_packages, run_isolated  # noqa: E402

CLOCK = os.environ.get("IMPORT_CLOCK", "cpu")
SAMPLES = 1 if CLOCK == "instructions" else int(os.environ.get("IMPORT_SAMPLES", "7"))
BUILD_DIR = Path(os.environ.get("IMPORT_BUILD", BUILD))
LAYER_DIR = BUILD_DIR / "CoreLayer" / "python"
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
# The floor of an HTTP handler built as the admin API is: the floor plus Powertools' resolver and pydantic.
RESOLVER_FLOOR_HANDLER = (
    FLOOR_HANDLER
    + """
import pydantic
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
app = APIGatewayHttpResolver(enable_validation=True)
"""
)
# The floor of any handler of ours that reads a model (every one but the pages and the authorizer): the floor plus
# Tracer and Metrics as smschannel.observability creates them, and one pydantic model, validated once.
MODEL_FLOOR_HANDLER = (
    FLOOR_HANDLER
    + """
from aws_lambda_powertools import Metrics, Tracer
from pydantic import BaseModel
tracer = Tracer(patch_modules=("botocore",))
metrics = Metrics(namespace="SmsChannel")
class Item(BaseModel):
    id: str
Item.model_validate({"id": "x"})
"""
)


def timed(paths: list[Path], module: str) -> float:
    """Seconds to import `module` once in a fresh interpreter: CPU time unless IMPORT_CLOCK=wall."""
    clock = "perf_counter" if CLOCK == "wall" else "process_time"
    result = run_isolated(paths, f"import time; t = time.{clock}(); import {module}; print(time.{clock}() - t)")
    if result.returncode != 0:
        raise SystemExit(result.stderr)
    return float(result.stdout.strip())


def _instructions_of(paths: list[Path], code: str) -> int:
    prelude = f"import sys; sys.path[:0] = {[str(path) for path in paths]!r}; "
    with tempfile.TemporaryDirectory() as tmp:
        command = ["valgrind", "--tool=cachegrind", "--cache-sim=no", f"--cachegrind-out-file={tmp}/out"]
        interpreter = os.path.realpath(sys.executable)
        result = subprocess.run(
            [*command, interpreter, "-I", "-S", "-c", prelude + code],
            env=HANDLER_ENV,
            capture_output=True,
            text=True,
            check=False,
        )
    found = re.search(r"I\s+refs:\s+([\d,]+)", result.stderr)
    if result.returncode != 0 or not found:
        raise SystemExit(result.stderr[-3000:])
    return int(found.group(1).replace(",", ""))


def instructions(paths: list[Path], module: str) -> float:
    """Instructions executed to import `module` (the interpreter's own start-up subtracted), in millions."""
    return (_instructions_of(paths, f"import {module}") - _instructions_of(paths, "pass")) / 1e6


def references(measure: Callable[[list[Path], str], float], paths: list[Path]) -> tuple[float, float]:
    """The bare handler's and the floor's import, measured again beside each sample of a handler."""
    return measure(paths, "bare_handler"), measure(paths, "floor_handler")


def layer_size() -> tuple[float, int]:
    files = [path for path in LAYER_DIR.parent.rglob("*") if path.is_file()]
    return sum(path.stat().st_size for path in files) / 1e6, len(files)


def main() -> None:
    if not (BUILD_DIR / "template.yaml").exists():
        raise SystemExit("run `make build` first")
    if CLOCK == "instructions" and not shutil.which("valgrind"):
        raise SystemExit("IMPORT_CLOCK=instructions needs valgrind")
    measure: Callable[[list[Path], str], float] = instructions if CLOCK == "instructions" else timed
    unit = "M instr" if CLOCK == "instructions" else "import ms"
    scale = 1.0 if CLOCK == "instructions" else 1000.0
    megabytes, files = layer_size()
    print(f"core layer: {megabytes:.1f} MB unzipped in {files} files (was 92 MB in 4,163 before the lean build)")
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "runtime").mkdir()
        runtime = link_runtime_packages(Path(tmp) / "runtime")
        handlers = Path(tmp) / "handlers"
        handlers.mkdir()
        for name, source in (
            ("bare_handler", BARE_HANDLER),
            ("floor_handler", FLOOR_HANDLER),
            ("resolver_floor_handler", RESOLVER_FLOOR_HANDLER),
            ("model_floor_handler", MODEL_FLOOR_HANDLER),
        ):
            (handlers / f"{name}.py").write_text(source)
        reference = [handlers, LAYER_DIR, runtime]
        rows: list[tuple[str, list[Path], str]] = [
            ("bare Powertools", reference, "bare_handler"),
            ("floor (+ DynamoDB client)", reference, "floor_handler"),
            ("floor + resolver, pydantic", reference, "resolver_floor_handler"),
            ("floor + Tracer, Metrics, a model", reference, "model_floor_handler"),
        ]
        rows += [
            (artifact.name, [artifact, LAYER_DIR, runtime], "app")
            for artifact in sorted(p for p in BUILD_DIR.iterdir() if (p / "app.py").exists())
        ]
        for _, paths, module in rows:  # compile every module once, before anything is measured
            run_isolated(paths, f"import {module}")
        print(f"{'handler':32} {unit:>10} {'vs bare Powertools':>20} {'vs floor':>10}")
        # Instruction counts do not vary from run to run: the references are counted once.
        counted_once = references(measure, reference) if CLOCK == "instructions" else None
        for name, paths, module in rows:
            values, to_bare, to_floor = [], [], []
            for _ in range(SAMPLES):
                bare, floor = counted_once or references(measure, reference)
                value = measure(paths, module)
                values.append(value)
                to_bare.append(value / bare)
                to_floor.append(value / floor)
            median = statistics.median(values) * scale
            print(f"{name:32} {median:10.1f} {statistics.median(to_bare):20.2f} {statistics.median(to_floor):10.2f}")


if __name__ == "__main__":
    main()
