"""The ministack emulator as `make run` starts it: `.venv-ministack/bin/python local/emulator.py '<ceilings>'`.

It runs ministack (the pinned version of requirements/ministack.txt) in this process with two changes to how it
runs Python functions, both about this machine's resources and neither about what a handler sees:

- **A ceiling of workers per function, with a queue.** The emulator starts a new worker (a Python process that
  unpacks the code and the layer and imports the handler) for every invocation that finds no idle one, as AWS
  starts execution environments. On a laptop's 2 cores that is the slow way through a provider's burst: 50
  webhooks at once start 50 processes that each import for a second of CPU, and keep ~75 MB each. Here a
  function has at most `ceiling` workers (the warm pool `local/stack.py` starts before `ready`) and an invocation
  that finds them all busy waits for the next one to be released, as requests queue behind a fixed pool of
  workers. A wait longer than `QUEUE_WAIT_SECONDS` starts a worker above the ceiling instead (the emulator's own
  behaviour), so that a handler that waited on its own function could never deadlock; none of ours does.
- **One unpacked copy of each code and layer zip, compiled once.** Each worker unpacked its function and the core
  layer (39 MB) into a directory of its own and, the layer shipping no `.pyc`, compiled every module it imported
  again. Here the first worker unpacks a zip into `$TMPDIR/ministack-shared/<sha256>` and compiles it, and every
  worker's code and layer directory is a symlink to that copy (read-only in use, as /var/task and /opt are).

Only the standard library and ministack may be imported here: this runs in the emulator's own venv.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import types
import zipfile
from pathlib import Path
from typing import Any

QUEUE_WAIT_SECONDS = 30.0
DEFAULT_KEY = "*"


class Ceilings:
    """At most `ceiling` workers per function (by function name, `*` for the rest): a busy pool queues."""

    def __init__(self, ceilings: dict[str, int], runtime: Any) -> None:
        self.ceilings = ceilings
        self.runtime = runtime
        self.acquire_any = runtime.acquire_worker
        self.release_any = runtime.release_worker
        self.released = threading.Condition()

    def ceiling(self, function_name: str) -> int | None:
        return self.ceilings.get(function_name, self.ceilings.get(DEFAULT_KEY))

    def acquire(
        self,
        func_name: str,
        config: dict[str, Any],
        code_zip: bytes,
        qualifier: str = "$LATEST",
        max_concurrency: int | None = None,
    ) -> tuple[Any, str]:
        ceiling = self.ceiling(func_name)
        if not ceiling:
            return self.acquire_any(func_name, config, code_zip, qualifier=qualifier, max_concurrency=max_concurrency)
        deadline = time.monotonic() + QUEUE_WAIT_SECONDS
        with self.released:
            while True:
                worker, reason = self.acquire_any(
                    func_name, config, code_zip, qualifier=qualifier, max_concurrency=ceiling
                )
                remaining = deadline - time.monotonic()
                if worker is not None or remaining <= 0:
                    break
                self.released.wait(remaining)
        if worker is None:  # waited too long: above the ceiling, as the emulator itself would
            return self.acquire_any(func_name, config, code_zip, qualifier=qualifier, max_concurrency=max_concurrency)
        return worker, reason

    def release(self, worker: Any) -> None:
        self.release_any(worker)
        with self.released:
            self.released.notify_all()


def shared_zipfile(cache: Path) -> types.ModuleType:
    """The `zipfile` module with a ZipFile whose `extractall(directory)` links `directory` to one shared copy."""
    locks: dict[str, threading.Lock] = {}
    locks_guard = threading.Lock()

    class SharedZipFile(zipfile.ZipFile):
        def extractall(self, path: Any = None, members: Any = None, pwd: bytes | None = None) -> None:
            if path is None or members is not None or pwd is not None or not isinstance(self.filename, str):
                super().extractall(path, members, pwd)
                return
            digest = hashlib.sha256(Path(self.filename).read_bytes()).hexdigest()
            shared = cache / digest
            with locks_guard:
                lock = locks.setdefault(digest, threading.Lock())
            with lock:
                if not shared.exists():
                    started = time.monotonic()
                    partial = cache / f"{digest}.partial"
                    shutil.rmtree(partial, ignore_errors=True)
                    super().extractall(partial)
                    partial.rename(shared)
                    unpacked = time.monotonic()
                    # Once, for every worker that imports from it (a failure only leaves modules to compile).
                    subprocess.run(
                        [sys.executable, "-m", "compileall", "-q", "-j", "0", str(shared)],
                        check=False,
                        capture_output=True,
                    )
                    print(
                        f"[emulator] {Path(self.filename).name} {digest[:12]}: unpacked in {unpacked - started:.1f} s,"
                        f" compiled in {time.monotonic() - unpacked:.1f} s",
                        file=sys.stderr,
                        flush=True,
                    )
            target = Path(path)
            target.rmdir()  # the emulator creates it empty just before
            target.symlink_to(shared, target_is_directory=True)

    module = types.ModuleType("zipfile")
    module.__dict__.update(zipfile.__dict__)
    module.ZipFile = SharedZipFile  # type: ignore[attr-defined]
    return module


def main() -> None:
    from ministack import app
    from ministack.core import lambda_runtime
    from ministack.services import lambda_svc

    ceilings = Ceilings({name: int(width) for name, width in json.loads(sys.argv[1]).items()}, lambda_runtime)
    for module in (lambda_runtime, lambda_svc):
        module.acquire_worker = ceilings.acquire
        module.release_worker = ceilings.release
    cache = Path(tempfile.gettempdir()) / "ministack-shared"
    cache.mkdir(parents=True, exist_ok=True)
    lambda_runtime.zipfile = shared_zipfile(cache)
    sys.argv = ["ministack"]
    app.main()


if __name__ == "__main__":
    main()
