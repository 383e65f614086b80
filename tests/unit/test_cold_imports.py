"""What the webhook function's cold start imports: not Powertools' resolver, not what only replies or sends need.

Each is a measured share of the import floor (`bench/import_time.py`), paid at every cold start of the hottest
function if a module-level import brings it back.
"""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT
from tests.lambda_runtime import HANDLER_ENV

# Module -> why the webhook function must not import it.
NOT_IMPORTED = {
    "aws_lambda_powertools.event_handler": "the resolver: smschannel.edge routes the two webhook routes",
    "aws_lambda_powertools.utilities.data_classes": "the event data classes: the edge reads the event dict",
    "requests": "only what sends to a provider needs it (the outbound function)",
    "smschannel.outbound.service": "built on the first opt-out keyword answered, not at cold start",
}


def modules_after(code: str) -> set[str]:
    """The modules a fresh interpreter has loaded after importing the inbound handler and running `code`."""
    paths = [str(ROOT / "functions" / "inbound"), str(ROOT / "layers" / "core")]
    script = f"import sys, json; sys.path[:0] = {paths!r}; import app; {code}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-I", "-c", script], env=HANDLER_ENV, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return set(json.loads(result.stdout))


def test_the_webhook_function_imports_no_resolver_and_nothing_only_replies_need() -> None:
    loaded = modules_after("from smschannel.providers import get_adapter; get_adapter('twilio')")
    assert "smschannel.inbound" in loaded and "smschannel.providers.twilio" in loaded  # the check checks something
    offending = {name: why for name, why in NOT_IMPORTED.items() if name in loaded}
    assert not offending, offending
