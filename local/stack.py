"""`make run`: the real template.yaml deployed into ministack on this machine, plus the provider sandbox.

Starts ministack on 127.0.0.1:$SMS_PORT, runs `sam build` and `sam deploy --config-env local` against it (the
same commands ops run against AWS), starts the sandbox, loads the demo configuration, writes
`$SMS_STATE_DIR/endpoints.json` and prints `ready`; SIGINT/SIGTERM stops everything it started.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import botocore.config
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "layers" / "core"))

from local import identity  # noqa: E402
from local.demo_config import load_demo_configuration  # noqa: E402
from local.resources import cpu_seconds, resident  # noqa: E402
from local.sandbox import SandboxState, start_sandbox  # noqa: E402
from smschannel.dynamo import Table  # noqa: E402
from smschannel.stores.configuration import ConfigurationStore  # noqa: E402
from smschannel.warmup import WARMUP_EVENT  # noqa: E402

STACK_NAME = "sms-channel"
HTTP_API_ID = "5c5c0001"  # template.yaml's ms-custom-id tags
WS_API_ID = "5c5c0002"
REGION = "us-east-1"
ARTIFACT_BUCKET = "sms-channel-sam-artifacts"
# Workers per function (by the name after `sms-channel-`), each started before `ready` as provisioned concurrency
# starts execution environments in AWS, and the most the emulator runs of it (local/emulator.py: an invocation that
# finds them all busy waits for one). On 2 cores a burst is bound by CPU, not by workers, and each worker keeps
# ~66 MB: measured with bench/first_burst.py, 2 webhook workers answer a first burst of 50 within 1.5-2.3 s, 4
# within 1.5 s, 8 within 1.3 s, where 56 took 12 s (each worker's first message costs more than the next ones).
# So the webhook function has 4 (SMS_WARM_WEBHOOKS), the admin API enough for the browsers and tests that call
# it at once, and every other function one per concurrent caller it has (a stream or queue poller, a socket).
DEFAULT_WARM = 1
WARM_WORKERS = {"inbound": 4, "admin": 3, "realtime": 2}
# The code and layer zips of the deployed functions, unpacked and compiled once per build (local/emulator.py).
UNPACKED = ROOT / ".aws-sam" / "emulator"


@dataclass(frozen=True)
class LocalConfig:
    port: int
    sandbox_port: int
    state_dir: Path
    admin_token: str
    load_demo: bool
    build: bool
    warm_webhooks: int

    @classmethod
    def from_env(cls) -> LocalConfig:
        port = int(os.environ.get("SMS_PORT", "4566"))
        return cls(
            port=port,
            sandbox_port=int(os.environ.get("SMS_SANDBOX_PORT", str(port + 1))),
            state_dir=Path(os.environ.get("SMS_STATE_DIR", str(ROOT / ".local"))),
            admin_token=os.environ.get("SMS_ADMIN_TOKEN", "local-admin-token"),
            load_demo=os.environ.get("SMS_NO_DEMO", "") not in {"1", "true", "yes"},
            build=os.environ.get("SMS_SKIP_BUILD", "") not in {"1", "true", "yes"},
            warm_webhooks=int(os.environ.get("SMS_WARM_WEBHOOKS", str(WARM_WORKERS["inbound"]))),
        )

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def http_base(self) -> str:
        return f"{self.endpoint}/_aws/execute-api/{HTTP_API_ID}/$default"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/_aws/execute-api/{WS_API_ID}/local"

    @property
    def connections_endpoint(self) -> str:
        """The emulator's @connections endpoint of the WebSocket API, as the functions reach it."""
        return f"{self.endpoint}/_aws/execute-api/{WS_API_ID}/local"

    @property
    def sandbox_base(self) -> str:
        return f"http://127.0.0.1:{self.sandbox_port}/sandbox"


def aws_env(config: LocalConfig) -> dict[str, str]:
    """What botocore and sam see: the emulator's endpoint and dummy credentials, never real ones."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(
        {
            "AWS_ENDPOINT_URL": config.endpoint,
            "AWS_ACCESS_KEY_ID": "000000000000",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_REGION": REGION,
            "SAM_CLI_TELEMETRY": "0",
        }
    )
    return env


def log(message: str) -> None:
    print(f"[local] {message}", flush=True)


@dataclass
class Phases:
    """Where the time to `ready` goes: each phase's wall-clock seconds and the CPU seconds this process and every
    process under it (sam, the emulator and its workers) spent in it, printed once at `ready`. The CPU figure is
    what the phase costs on an idle machine (at most 2 of those seconds per wall second on 2 cores); the wall
    figure also holds whatever else the machine was doing."""

    seconds: dict[str, tuple[float, float]] = field(default_factory=dict)

    @contextmanager
    def timed(self, name: str) -> Iterator[None]:
        started, cpu = time.monotonic(), cpu_seconds()
        try:
            yield
        finally:
            self.seconds[name] = (time.monotonic() - started, cpu_seconds() - cpu)

    def describe(self) -> str:
        return ", ".join(f"{name} {wall:.1f} s (CPU {cpu:.1f} s)" for name, (wall, cpu) in self.seconds.items())


def start_ministack(config: LocalConfig) -> subprocess.Popen[bytes]:
    python = ROOT / ".venv-ministack" / "bin" / "python"
    if not (ROOT / ".venv-ministack" / "bin" / "ministack").exists():
        raise SystemExit("ministack is not installed: run `make run` (it installs .venv-ministack)")
    config.state_dir.mkdir(parents=True, exist_ok=True)
    env = {
        key: value
        for key, value in os.environ.items()
        # The emulator's environment leaks into every function it runs: keep secrets and our venv out of it.
        if not key.startswith(("AWS_", "SMS_", "VIRTUAL_ENV")) and key != "PYTHONPATH"
    }
    # Every worker has a temporary directory (its code and layer are symlinks into UNPACKED) that the emulator
    # does not remove when it stops: keep them under the state directory, which `main` removes.
    worker_tmp = config.state_dir / "tmp"
    shutil.rmtree(worker_tmp, ignore_errors=True)  # what a killed run left behind
    worker_tmp.mkdir(parents=True)
    env.update(
        {
            "TMPDIR": str(worker_tmp),
            "BIND_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(config.port),
            "MINISTACK_REGION": REGION,
            "LAMBDA_EXECUTOR": "local",
            "PERSIST_STATE": "0",
            # Warm workers stay for the life of the stack (the emulator reaps idle extra ones after 300 s by
            # default), as provisioned concurrency would: a burst at any time finds the pool `ready` promised.
            "LAMBDA_WARM_TTL_SECONDS": str(7 * 24 * 3600),
        }
    )
    log_file = (config.state_dir / "ministack.log").open("wb")
    process = subprocess.Popen(
        [str(python), str(ROOT / "local" / "emulator.py"), json.dumps(worker_ceilings(config)), str(UNPACKED)],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"ministack exited early; see {config.state_dir / 'ministack.log'}")
        try:
            if requests.get(f"{config.endpoint}/_ministack/health", timeout=1).ok:
                return process
        except requests.RequestException:
            pass
        time.sleep(0.2)
    process.terminate()
    raise SystemExit("ministack did not become healthy within 60 s")


def sam(args: list[str], config: LocalConfig) -> None:
    env = aws_env(config)
    # sam build looks for the runtime's python3.13 on PATH: the project venv's interpreter is one.
    base_python = Path(os.path.realpath(sys.executable)).parent
    env["PATH"] = os.pathsep.join([str(ROOT / ".venv" / "bin"), str(base_python), env.get("PATH", "")])
    command = [str(ROOT / ".venv" / "bin" / "sam"), *args]
    log(" ".join(["sam", *args]))
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    (config.state_dir / f"sam-{args[0]}.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:] + result.stderr[-4000:])
        raise SystemExit(f"sam {args[0]} failed (exit {result.returncode})")


def deploy(config: LocalConfig, phases: Phases) -> dict[str, str]:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=ARTIFACT_BUCKET)
    if config.build or not (ROOT / ".aws-sam" / "build" / "template.yaml").exists():
        with phases.timed("sam build"):
            sam(["build", "--parallel", "--cached"], config)
    overrides = [
        "Stage=local",
        "LogLevel=INFO",
        "Architecture=x86_64",  # the emulator runs handlers on its own x86 interpreter: the x86_64 core layer
        f"AdminToken={config.admin_token}",
        f"PublicBaseUrl={config.http_base}",
        f"ConnectionsEndpoint={config.connections_endpoint}",
        f"WebSocketPublicUrl={config.ws_url}",
        *identity.deploy_overrides(config.endpoint),
    ]
    with phases.timed("sam deploy"):
        sam(["deploy", "--config-env", "local", "--no-progressbar", "--parameter-overrides", *overrides], config)
    cloudformation = boto3.client("cloudformation")
    stack = cloudformation.describe_stacks(StackName=STACK_NAME)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def warm_widths(config: LocalConfig) -> dict[str, int]:
    return {**WARM_WORKERS, "inbound": config.warm_webhooks}


def worker_ceilings(config: LocalConfig) -> dict[str, int]:
    """The emulator's ceiling of workers per function name: the warm width, so that none starts after `ready`."""
    return {f"{STACK_NAME}-{name}": width for name, width in warm_widths(config).items()} | {"*": DEFAULT_WARM}


def warm_functions(config: LocalConfig) -> None:
    """Initialise each function's pool of execution environments: N warm-up invocations in flight at once get N
    separate workers (a free one is reused, so they must overlap), each answered once the handler is imported.
    Every function at once: the first worker unpacks and compiles the layer and the others wait for it, then
    they import side by side."""
    cloudformation = boto3.client("cloudformation")
    names = [
        resource["PhysicalResourceId"]
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=STACK_NAME)
        for resource in page["StackResourceSummaries"]
        if resource["ResourceType"] == "AWS::Lambda::Function"
    ]
    widths = warm_widths(config)
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        list(
            pool.map(
                lambda name: warm_function(name, widths.get(name.removeprefix(f"{STACK_NAME}-"), DEFAULT_WARM)),
                names,
            )
        )


def warm_function(name: str, width: int) -> None:
    started = time.monotonic()
    retries: Any = {"max_attempts": 1, "mode": "standard"}
    client = boto3.client(
        "lambda", config=botocore.config.Config(max_pool_connections=width, read_timeout=600, retries=retries)
    )
    payload = json.dumps(WARMUP_EVENT).encode()
    with ThreadPoolExecutor(max_workers=width) as pool:
        answers = list(pool.map(lambda _: client.invoke(FunctionName=name, Payload=payload), range(width)))
    failed = [answer for answer in answers if answer.get("FunctionError") or answer.get("StatusCode") != 200]
    if failed:
        detail = failed[0]["Payload"].read().decode(errors="replace")[:2000]
        raise SystemExit(
            f"warming {name} failed ({len(failed)} of {width}): {detail}\n"
            "Every handler answers the warm-up event: decorate its lambda_handler with "
            "@answers_warmup (smschannel.warmup), outermost."
        )
    log(f"warmed {name}: {width} environments in {time.monotonic() - started:.1f} s")


def wait_for_health(config: LocalConfig) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            response = requests.get(f"{config.http_base}/health", timeout=30)
            if response.status_code == 200 and response.json().get("status") == "ok":
                return
        except (requests.RequestException, ValueError):
            pass
        time.sleep(0.5)
    raise SystemExit(f"{config.http_base}/health did not answer 200")


def write_endpoints(config: LocalConfig, outputs: dict[str, str], auth: dict[str, Any]) -> dict[str, Any]:
    endpoints = {
        "http": config.http_base,
        "ws": config.ws_url if "WebSocketUrl" in outputs else None,
        "sandbox": config.sandbox_base,
        "adminToken": config.admin_token,
        "auth": auth,
        # Queue threshold alerts (docs/reports.md "Alerts"): subscribe an SQS queue of the emulator to watch them.
        "alertsTopicArn": outputs.get("AlertsTopicArn"),
    }
    path = config.state_dir / "endpoints.json"
    path.write_text(json.dumps(endpoints, indent=2) + "\n")
    return endpoints


def main() -> None:
    started = time.monotonic()
    phases = Phases()
    config = LocalConfig.from_env()
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    (config.state_dir / "endpoints.json").unlink(missing_ok=True)
    # Every boto3 client of this process (deploy, sandbox) talks to the emulator with dummy credentials.
    os.environ.update({key: value for key, value in aws_env(config).items() if key.startswith("AWS_")})
    log(f"starting ministack on {config.endpoint}")
    with phases.timed("ministack start"):
        ministack = start_ministack(config)
    sandbox = None
    try:
        outputs = deploy(config, phases)
        configuration = ConfigurationStore(Table(outputs["TableName"]))
        state = SandboxState(http_base=config.http_base, configuration=configuration)
        sandbox = start_sandbox(state, config.sandbox_port)
        with phases.timed("warm-up"):
            warm_functions(config)
        with phases.timed("health"):
            wait_for_health(config)
        if config.load_demo:
            with phases.timed("demo configuration"):
                load_demo_configuration(config.http_base, config.admin_token, config.sandbox_base)
        endpoints = write_endpoints(config, outputs, identity.create_demo_users(config.endpoint, outputs))
        log(f"HTTP API:    {endpoints['http']}")
        log(f"WebSocket:   {endpoints['ws']}")
        log(f"Sandbox:     {endpoints['sandbox']}")
        log(f"Admin token: {endpoints['adminToken']}")
        for line in identity.sign_in_lines(endpoints["http"], endpoints["auth"]):
            log(line)
        log(f"endpoints written to {config.state_dir / 'endpoints.json'}")
        log(f"started in {time.monotonic() - started:.0f} s: {phases.describe()}")
        log(f"resident: {resident(ministack.pid).describe()} (the emulator and its workers)")
        print("ready", flush=True)
        while not stop.wait(0.5):
            if ministack.poll() is not None:
                raise SystemExit("ministack stopped unexpectedly")
    finally:
        log("stopping")
        if sandbox is not None:
            sandbox.shutdown()
        if ministack.poll() is None:
            os.killpg(ministack.pid, signal.SIGTERM)
            try:
                ministack.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(ministack.pid, signal.SIGKILL)
        (config.state_dir / "endpoints.json").unlink(missing_ok=True)
        shutil.rmtree(config.state_dir / "tmp", ignore_errors=True)


if __name__ == "__main__":
    main()
