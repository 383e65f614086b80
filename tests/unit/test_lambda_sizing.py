"""template.yaml's sizing and logging of every function, as issue 15 and docs/capacity.md set them: arm64 in AWS and
x86_64 for the emulator (with a core layer built for each), a MemorySize chosen per function, JSON logs without the
platform's lines in a log group per function with a retention, debug log sampling, and an X-Ray sampling rule."""

from __future__ import annotations

import tomllib
from typing import Any

import pytest

from tests.conftest import ROOT, load_template

TEMPLATE = load_template()
RESOURCES = TEMPLATE["Resources"]
GLOBALS = TEMPLATE["Globals"]["Function"]
FUNCTIONS = sorted(name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function")


def local_overrides() -> dict[str, str]:
    config = tomllib.loads((ROOT / "samconfig.toml").read_text())
    pairs = config["local"]["deploy"]["parameters"]["parameter_overrides"].split()
    return dict(pair.split("=", 1) for pair in pairs)


def test_functions_run_on_arm64_in_aws_and_on_x86_64_in_the_local_emulator() -> None:
    assert GLOBALS["Architectures"] == [{"Ref": "Architecture"}]
    assert TEMPLATE["Parameters"]["Architecture"]["Default"] == "arm64"
    assert local_overrides()["Architecture"] == "x86_64"
    for name in FUNCTIONS:
        assert "Architectures" not in RESOURCES[name]["Properties"], f"{name} overrides the stack's architecture"


def test_each_architecture_has_its_own_core_layer_and_the_functions_take_the_one_they_run_on() -> None:
    conditions = TEMPLATE["Conditions"]
    layers = {"x86_64": RESOURCES["CoreLayer"], "arm64": RESOURCES["CoreLayerArm64"]}
    for architecture, layer in layers.items():
        assert layer["Properties"]["CompatibleArchitectures"] == [architecture]
        assert layer["Metadata"]["BuildArchitecture"] == architecture
        assert conditions[layer["Condition"]] == {"Equals": [{"Ref": "Architecture"}, architecture]}
    assert GLOBALS["Layers"] == [{"If": ["IsArm64", {"Ref": "CoreLayerArm64"}, {"Ref": "CoreLayer"}]}]
    assert conditions["IsArm64"] == {"Equals": [{"Ref": "Architecture"}, "arm64"]}
    for name in FUNCTIONS:
        assert "Layers" not in RESOURCES[name]["Properties"], f"{name} names its own layers"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_states_the_memory_chosen_for_it(name: str) -> None:
    """Chosen from its measured durations (docs/capacity.md "Lambda sizing"), not left to the global default."""
    memory = RESOURCES[name]["Properties"].get("MemorySize")
    assert isinstance(memory, int) and 128 <= memory <= 1769, f"{name}: MemorySize {memory!r}"


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function_logs_to_its_own_log_group_with_the_stack_s_retention(name: str) -> None:
    assert GLOBALS["LoggingConfig"] == {"LogFormat": "JSON", "SystemLogLevel": "WARN"}
    logging = RESOURCES[name]["Properties"]["LoggingConfig"]
    assert set(logging) == {"LogGroup"}
    group_name = logging["LogGroup"]["Ref"]
    group = RESOURCES[group_name]
    assert group["Type"] == "AWS::Logs::LogGroup"
    assert group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionInDays"}
    suffix = RESOURCES[name]["Properties"]["FunctionName"]["Sub"].removeprefix("${AWS::StackName}-")
    assert group["Properties"]["LogGroupName"] == {"Sub": f"/aws/lambda/${{AWS::StackName}}/{suffix}"}


def test_log_groups_are_one_per_function_and_keep_lines_a_bounded_time() -> None:
    groups = [name for name, r in RESOURCES.items() if r["Type"] == "AWS::Logs::LogGroup"]
    used = [RESOURCES[name]["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for name in FUNCTIONS]
    assert sorted(used) == sorted(groups)
    retention = TEMPLATE["Parameters"]["LogRetentionInDays"]
    assert retention["Default"] <= 90 and 3653 in retention["AllowedValues"]


def test_logs_are_at_info_with_a_sample_of_invocations_at_debug() -> None:
    variables: dict[str, Any] = GLOBALS["Environment"]["Variables"]
    assert variables["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    assert TEMPLATE["Parameters"]["LogLevel"]["Default"] == "INFO"
    assert variables["POWERTOOLS_LOGGER_SAMPLE_RATE"] == {"Ref": "DebugLogSampleRate"}
    assert 0 < float(TEMPLATE["Parameters"]["DebugLogSampleRate"]["Default"]) <= 0.05


def test_x_ray_traces_a_sample_of_requests_by_a_rule_deployed_in_aws_only() -> None:
    assert GLOBALS["Tracing"] == "Active"
    [rule] = [r for r in RESOURCES.values() if r["Type"] == "AWS::XRay::SamplingRule"]
    assert TEMPLATE["Conditions"][rule["Condition"]] == {"Not": [{"Equals": [{"Ref": "Stage"}, "local"]}]}
    sampling = rule["Properties"]["SamplingRule"]
    assert sampling["ReservoirSize"] <= 1 and sampling["FixedRate"] == {"Ref": "TraceSampleRate"}
    assert TEMPLATE["Parameters"]["TraceSampleRate"]["Default"] <= 0.05
    assert sampling["ServiceName"] == {"Sub": "${AWS::StackName}-*"}


def test_the_outbound_queue_runs_in_fifo_high_throughput_mode() -> None:
    """300 calls/s per action without it (docs/capacity.md): per message group, one conversation each."""
    queue = RESOURCES["OutboundQueue"]["Properties"]
    assert queue["FifoQueue"] is True
    assert (queue["DeduplicationScope"], queue["FifoThroughputLimit"]) == ("messageGroup", "perMessageGroupId")
