"""What each function's cold start does not import: modules only some of its requests need, or none.

Each is a measured share of the import floor (`bench/import_time.py`), paid at every cold start of the function
if a module-level import brings it back.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT
from tests.lambda_runtime import HANDLER_ENV

RESOLVER = "aws_lambda_powertools.event_handler"
# function -> (code run after `import app`, {module: why the function must not have imported it by then}).
NOT_IMPORTED: dict[str, tuple[str, dict[str, str]]] = {
    "inbound": (
        "from smschannel.providers import get_adapter; get_adapter('twilio')",  # a webhook's adapter, as it loads
        {
            RESOLVER: "the resolver: smschannel.edge routes the two webhook routes",
            "aws_lambda_powertools.utilities.data_classes": "the event data classes: the edge reads the event dict",
            "requests": "only what sends to a provider needs it (the outbound function)",
            "smschannel.outbound.service": "built on the first opt-out keyword answered",
            "phonenumbers": "imported by the first number normalised: a status callback never normalises one",
        },
    ),
    # PyJWT (and the `cryptography` it loads, which this venv's botocore loads anyway: not checked here).
    "fanout": ("pass", {"jwt": "it names principals, never verifies a token"}),
    # $connect consumes sign-in tickets (smschannel.realtime.tickets), which imports jwt
    "realtime": ("pass", {"smschannel.assist": "AI assist is built on the first suggestReplies"}),
    "triggers": ("pass", {"smschannel.outbound.service": "built on the first auto-reply or bot answer"}),
}


def modules_after(function: str, code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after importing the function's handler and running `code`."""
    paths = [str(ROOT / "functions" / function), str(ROOT / "layers" / "core")]
    script = f"import sys, json; sys.path[:0] = {paths!r}; import app; {code}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-I", "-c", script], env=HANDLER_ENV, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout))


@pytest.mark.parametrize("function", sorted(NOT_IMPORTED))
def test_a_cold_start_imports_nothing_only_some_requests_need(function: str) -> None:
    code, not_imported = NOT_IMPORTED[function]
    loaded = modules_after(function, code)
    assert "smschannel.wiring" in loaded and "aws_lambda_powertools" in loaded  # the handler did import
    offending = {name: why for name, why in not_imported.items() if name in loaded}
    assert not offending, offending
