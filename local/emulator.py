"""The ministack emulator as `make run` starts it: `.venv-ministack/bin/python local/emulator.py CEILINGS CACHE`.

It runs ministack (the version pinned in requirements/ministack.txt) in this process with two changes to how it
runs Python functions, both about this machine's resources and neither about what a handler sees:

- **A ceiling of workers per function, with a queue.** The emulator starts a new worker (a Python process that
  unpacks the code and the layer and imports the handler) for every invocation that finds no idle one, as AWS
  starts execution environments. On a laptop's 2 cores that is the slow way through a provider's burst: 50
  webhooks at once start 50 processes that each import for a second of CPU and keep ~66 MB each, while the burst
  is bound by CPU, not by workers. Here a function has at most CEILINGS[name] workers (JSON, `*` for the rest:
  the warm pool `local/stack.py` starts before `ready`) and an invocation that finds them all busy waits for the
  next one released, as requests queue before a fixed pool of workers. A wait longer than `QUEUE_WAIT_SECONDS`
  starts a worker above the ceiling instead (the emulator's own behaviour), so that a handler waiting on its own
  function could never deadlock; none of ours invokes a function.
- **One unpacked, compiled copy of each code and layer zip, kept between starts.** Each worker unpacked its
  function and the core layer (39 MB) into a directory of its own and, the layer shipping no `.pyc`, compiled
  every module it imported again. Here a zip is unpacked once into CACHE/<sha256 of the zip> and compiled there,
  every worker's code or layer directory is a symlink to that copy (read-only in use, as /var/task and /opt are),
  and the next start of the same build finds it ready.

Only the standard library and ministack may be imported here: this runs in the emulator's own venv.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import types
import zipfile
from pathlib import Path
from typing import Any

QUEUE_WAIT_SECONDS = 30.0
# Unpacked zips kept between starts (a build has one per function and the layer): two builds' worth.
KEPT_COPIES = 24
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


class SharedZipFile(zipfile.ZipFile):
    """`extractall(directory)` makes `directory` a symlink to one unpacked, compiled copy of the zip's content,
    in `CACHE[0]`, kept between starts of the emulator."""

    def extractall(self, path: Any = None, members: Any = None, pwd: bytes | None = None) -> None:
        if path is None or members is not None or pwd is not None or not isinstance(self.filename, str):
            super().extractall(path, members, pwd)
            return
        digest = hashlib.sha256(Path(self.filename).read_bytes()).hexdigest()
        with LOCKS_GUARD:
            lock = LOCKS.setdefault(digest, threading.Lock())
        with lock:
            outcome = self.unpack(CACHE[0], digest)
            first_use = digest not in ANNOUNCED
            ANNOUNCED.add(digest)
        if first_use:
            print(f"[emulator] {Path(self.filename).name} {digest[:12]}: {outcome}", file=sys.stderr, flush=True)
        target = Path(path)
        target.rmdir()  # the emulator creates it empty just before
        target.symlink_to(CACHE[0] / digest, target_is_directory=True)

    def unpack(self, cache: Path, digest: str) -> str:
        """Unpack and compile into `cache/<digest>` unless it is there already; say what it took."""
        shared = cache / digest
        if shared.exists():
            os.utime(shared)  # recently used: kept by `prune`
            return "unpacked and compiled by an earlier start"
        started = time.monotonic()
        partial = cache / f"{digest}.partial-{os.getpid()}"
        shutil.rmtree(partial, ignore_errors=True)
        super().extractall(partial)
        unpacked = time.monotonic()
        # Once for every worker and every later start (a failure only leaves modules to compile on import); the
        # tracebacks name the final directory.
        jobs = "0" if len(self.namelist()) > 100 else "1"  # a process per core for a layer
        compileall = [sys.executable, "-m", "compileall", "-q", "-j", jobs, "-d", str(shared), str(partial)]
        subprocess.run(compileall, check=False, capture_output=True)
        try:
            partial.rename(shared)
        except OSError:  # another emulator unpacked it meanwhile
            shutil.rmtree(partial, ignore_errors=True)
        return f"unpacked in {unpacked - started:.1f} s, compiled in {time.monotonic() - unpacked:.1f} s"


CACHE: list[Path] = []
LOCKS: dict[str, threading.Lock] = {}
LOCKS_GUARD = threading.Lock()
ANNOUNCED: set[str] = set()


def prune(cache: Path, kept: int) -> None:
    """Keep the `kept` copies used last (a build's code zips and layer), and no partial one a crash left."""
    copies = sorted((entry for entry in cache.iterdir() if entry.is_dir()), key=lambda entry: entry.stat().st_mtime)
    stale = [entry for entry in copies if ".partial-" in entry.name]
    whole = [entry for entry in copies if ".partial-" not in entry.name]
    for entry in stale + whole[: max(0, len(whole) - kept)]:
        shutil.rmtree(entry, ignore_errors=True)


def shared_zipfile(cache: Path) -> types.ModuleType:
    """The `zipfile` module with SharedZipFile for ZipFile, unpacking into `cache`."""
    CACHE[:] = [cache]
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
    cache = Path(sys.argv[2])
    cache.mkdir(parents=True, exist_ok=True)
    prune(cache, KEPT_COPIES)
    lambda_runtime.zipfile = shared_zipfile(cache)
    sys.argv = ["ministack"]
    app.main()


if __name__ == "__main__":
    main()
