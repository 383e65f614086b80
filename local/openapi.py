"""Writes docs/openapi.json: the admin API's OpenAPI document, as Powertools' resolver generates it from the routes.

`make openapi` runs it after a route changes; tests/component/test_openapi.py fails while the committed file is stale.
Importing the admin function builds its clients but calls nothing, so no AWS account or emulator is needed.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "docs" / "openapi.json"
TITLE = "SMS channel admin API"
DESCRIPTION = (
    "The HTTP routes of the admin function (functions/admin/app.py), generated from its Powertools resolver. "
    "Every /admin route needs `Authorization: Bearer <admin token>`; docs/api.md is the whole contract "
    "(webhooks, WebSocket frames, the local stack)."
)


def openapi_document() -> dict[str, Any]:
    """The document of functions/admin/app.py's resolver, imported as Lambda imports it."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")
    for path in (ROOT / "functions" / "admin", ROOT / "layers" / "core"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    spec = importlib.util.spec_from_file_location("admin_app_openapi", ROOT / "functions" / "admin" / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    schema = module.app.get_openapi_json_schema(title=TITLE, version=version(), description=DESCRIPTION)
    document: dict[str, Any] = json.loads(schema)
    return document


def version() -> str:
    for line in (ROOT / "pyproject.toml").read_text().splitlines():
        if line.startswith("version"):
            return line.split("=", 1)[1].strip().strip('"')
    return "0"


def render() -> str:
    return json.dumps(openapi_document(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main() -> None:
    OUTPUT.write_text(render())
    print(f"wrote {OUTPUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
