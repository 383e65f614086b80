"""Each function imports from its `sam build` artifact alone: its code, the core layer, and boto3 as Lambda has it.

Run with `python -I -S` (no site-packages, no user paths), so a dependency missing from the layer fails here
rather than in AWS; the local emulator cannot prove this, since it lends handlers its own packages.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from tests.conftest import load_template
from tests.lambda_runtime import BUILD, LAYER, ROOT, link_runtime_packages, run_isolated


def functions() -> list[str]:
    """Every function of template.yaml: a new one is checked without being listed here."""
    resources = load_template()["Resources"]
    return sorted(name for name, resource in resources.items() if resource["Type"] == "AWS::Serverless::Function")


@pytest.fixture(scope="module")
def runtime_packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (BUILD / "template.yaml").exists():
        env = {**os.environ, "SAM_CLI_TELEMETRY": "0"}
        env["PATH"] = os.pathsep.join([str(ROOT / ".venv" / "bin"), env.get("PATH", "")])
        subprocess.run([str(ROOT / ".venv" / "bin" / "sam"), "build", "--parallel"], cwd=ROOT, env=env, check=True)
    return link_runtime_packages(tmp_path_factory.mktemp("lambda-runtime"))


@pytest.mark.parametrize("function", functions())
def test_handler_imports_from_its_build_artifact_alone(function: str, runtime_packages: Path) -> None:
    artifact = BUILD / function
    assert (artifact / "app.py").exists(), f"{function} has no app.py in its artifact"
    # Importable, and it answers the warm-up event at once (the local stack warms every function with it).
    code = (
        "import app; from smschannel.warmup import WARMUP_EVENT; "
        "assert app.lambda_handler(WARMUP_EVENT, None) == {'warm': True}"
    )
    result = run_isolated([artifact, LAYER, runtime_packages], code)
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_layer_ships_nothing_the_lambda_runtime_already_has(runtime_packages: Path) -> None:
    shipped = {path.name for path in LAYER.iterdir()}
    assert not shipped & {"boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six.py"}
    files = [path for path in LAYER.parent.rglob("*") if path.is_file()]
    assert sum(path.stat().st_size for path in files) < 40_000_000, "the core layer grew past 40 MB unzipped"


ELF_MACHINE = {"x86_64": 0x3E, "arm64": 0xB7}  # e_machine: EM_X86_64, EM_AARCH64


@pytest.mark.parametrize("layer", ["CoreLayer", "CoreLayerArm64"])
def test_each_core_layer_ships_the_native_code_of_its_own_architecture(layer: str, runtime_packages: Path) -> None:
    """pydantic-core, cryptography, google-re2...: an arm64 function given x86_64 wheels would not import."""
    [architecture] = load_template()["Resources"][layer]["Properties"]["CompatibleArchitectures"]
    libraries = sorted((BUILD / layer / "python").rglob("*.so"))
    assert len(libraries) >= 5, libraries
    for library in libraries:
        header = library.read_bytes()[:20]
        assert header[:4] == b"\x7fELF", library
        assert int.from_bytes(header[18:20], "little") == ELF_MACHINE[architecture], f"{library} is not {architecture}"
