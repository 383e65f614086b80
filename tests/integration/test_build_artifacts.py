"""Each function imports from its `sam build` artifact alone: its code, the core layer, and boto3 as Lambda has it.

Run with `python -I -S` (no site-packages, no user paths), so a dependency missing from the layer fails here
rather than in AWS; the local emulator cannot prove this, since it lends handlers its own packages.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import load_template

ROOT = Path(__file__).resolve().parents[2]
BUILD = ROOT / ".aws-sam" / "build"
# What the python3.13 Lambda runtime ships besides the standard library.
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "jmespath", "s3transfer", "dateutil", "six.py", "urllib3")


def functions() -> list[str]:
    resources = load_template()["Resources"]
    return sorted(name for name, resource in resources.items() if resource["Type"] == "AWS::Serverless::Function")


@pytest.fixture(scope="module")
def runtime_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (BUILD / "template.yaml").exists():
        env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
        env["PATH"] = os.pathsep.join([str(ROOT / ".venv" / "bin"), env.get("PATH", "")])
        subprocess.run([str(ROOT / ".venv" / "bin" / "sam"), "build", "--parallel"], cwd=ROOT, env=env, check=True)
    site = next((ROOT / ".venv-ministack" / "lib").glob("python3*/site-packages"))
    target = tmp_path_factory.mktemp("lambda-runtime")
    for name in LAMBDA_RUNTIME_PACKAGES:
        (target / name).symlink_to(site / name)
    return target


@pytest.mark.parametrize("function", functions())
def test_handler_imports_from_its_build_artifact_alone(function: str, runtime_packages: Path) -> None:
    artifact = BUILD / function
    layer = BUILD / "CoreLayer" / "python"
    assert (artifact / "app.py").exists(), f"{function} has no app.py in its artifact"
    code = (
        "import sys; "
        f"sys.path[:0] = [{str(artifact)!r}, {str(layer)!r}, {str(runtime_packages)!r}]; "
        "import app; assert callable(app.lambda_handler)"
    )
    interpreter = Path(os.path.realpath(sys.executable))
    env = {
        "AWS_DEFAULT_REGION": "us-east-1",
        "TABLE_NAME": "t",
        "ARCHIVE_BUCKET": "b",
        "ADMIN_TOKEN": "x",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "PATH": "/usr/bin:/bin",
    }
    result = subprocess.run(
        [str(interpreter), "-I", "-S", "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
