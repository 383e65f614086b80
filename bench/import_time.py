"""Cold-start import time of each handler, as a ratio to a bare Powertools handler (same interpreter, same run).

Each sample is a fresh `python -I -S` importing from the `sam build` artifacts (as Lambda does); median of N.
Run after `make build`: `.venv/bin/python bench/import_time.py`.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".aws-sam" / "build"
SAMPLES = 7
BARE_HANDLER = """
from aws_lambda_powertools import Logger
logger = Logger()
def lambda_handler(event, context):
    return {"statusCode": 200}
"""
RUNTIME = ("boto3", "botocore", "jmespath", "s3transfer", "dateutil", "six.py", "urllib3")


def measure(paths: list[str], module: str) -> float:
    code = (
        f"import sys, time; sys.path[:0] = {paths!r}; t = time.perf_counter(); import {module}; "
        "print(time.perf_counter() - t)"
    )
    env = {
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "t",
        "ARCHIVE_BUCKET": "b",
        "ADMIN_TOKEN": "x",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PATH": "/usr/bin:/bin",
    }
    interpreter = os.path.realpath(sys.executable)
    times = []
    for _ in range(SAMPLES):
        out = subprocess.run([interpreter, "-I", "-S", "-c", code], env=env, capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip()))
    return statistics.median(times)


def main() -> None:
    if not (BUILD / "template.yaml").exists():
        raise SystemExit("run `make build` first")
    layer = str(BUILD / "CoreLayer" / "python")
    site = next((ROOT / ".venv-ministack" / "lib").glob("python3*/site-packages"))
    with tempfile.TemporaryDirectory() as tmp:
        runtime = Path(tmp) / "runtime"
        runtime.mkdir()
        for name in RUNTIME:
            (runtime / name).symlink_to(site / name)
        bare = Path(tmp) / "bare"
        bare.mkdir()
        (bare / "bare_handler.py").write_text(BARE_HANDLER)
        baseline = measure([str(bare), layer, str(runtime)], "bare_handler")
        print(f"{'handler':24} {'import ms':>10} {'vs bare Powertools':>20}")
        print(f"{'bare Powertools':24} {baseline * 1000:10.1f} {1.0:20.2f}")
        for artifact in sorted(p for p in BUILD.iterdir() if (p / "app.py").exists()):
            seconds = measure([str(artifact), layer, str(runtime)], "app")
            print(f"{artifact.name:24} {seconds * 1000:10.1f} {seconds / baseline:20.2f}")


if __name__ == "__main__":
    main()
