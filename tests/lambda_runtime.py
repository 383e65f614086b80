"""What a handler sees on the python3.13 Lambda runtime: its artifact, the layer, boto3, and no site-packages.

Shared by the packaging test and bench/import_time.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / ".aws-sam" / "build"
LAYER = BUILD / "CoreLayer" / "python"
# What the Lambda runtime ships besides the standard library (taken from the emulator's venv, pinned there).
RUNTIME_PACKAGES = ("boto3", "botocore", "jmespath", "s3transfer", "dateutil", "six.py", "urllib3")
HANDLER_ENV = {
    "AWS_DEFAULT_REGION": "us-east-1",
    "TABLE_NAME": "t",
    "ARCHIVE_BUCKET": "b",
    "ADMIN_TOKEN": "x",
    # Set by the Lambda runtime; the X-Ray SDK then samples locally instead of creating X-Ray clients at import.
    "LAMBDA_TASK_ROOT": "/var/task",
    "AWS_LAMBDA_FUNCTION_NAME": "handler",
    "PATH": "/usr/bin:/bin",
}


def link_runtime_packages(target: Path) -> Path:
    """Symlink the runtime's packages into `target` (an empty directory) and return it."""
    site = next((ROOT / ".venv-ministack" / "lib").glob("python3*/site-packages"))
    for name in RUNTIME_PACKAGES:
        (target / name).symlink_to(site / name)
    return target


def run_isolated(paths: list[Path], code: str) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh `python -I -S` (the base 3.13 interpreter) with only `paths` importable."""
    prelude = f"import sys; sys.path[:0] = {[str(path) for path in paths]!r}; "
    interpreter = os.path.realpath(sys.executable)
    return subprocess.run(
        [interpreter, "-I", "-S", "-c", prelude + code], env=HANDLER_ENV, capture_output=True, text=True, check=False
    )
