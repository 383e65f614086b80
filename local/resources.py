"""What the local stack holds in memory and the CPU it has used: a process and all its descendants, from /proc.

RSS summed over the tree counts the pages the processes share (the interpreter, shared libraries) once per
process, so it overstates the machine's cost; PSS divides each shared page among the processes that map it, so
PSS summed is what the tree really takes. Both are reported; the budget of `make run` is the RSS sum (the
stricter one).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Resident:
    processes: int
    rss_bytes: int
    pss_bytes: int

    def describe(self) -> str:
        mib = 1024 * 1024
        return (
            f"{self.rss_bytes / mib:.0f} MiB RSS ({self.pss_bytes / mib:.0f} MiB PSS) over {self.processes} processes"
        )


def _stat(pid: int) -> list[str]:
    """/proc/<pid>/stat from field 3 on (state, ppid, ...), [] for a process gone."""
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except OSError:
        return []
    # The command name (field 2) is in parentheses and may itself hold spaces or parentheses.
    return stat.rsplit(")", 1)[1].split()


def _parent(pid: int) -> int | None:
    stat = _stat(pid)
    return int(stat[1]) if stat else None


def descendants(root: int) -> list[int]:
    """`root` and every process below it, whatever session or process group each has joined."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            parent = _parent(int(entry.name))
            if parent is not None:
                children.setdefault(parent, []).append(int(entry.name))
    tree, pending = [], [root]
    while pending:
        pid = pending.pop()
        tree.append(pid)
        pending.extend(children.get(pid, []))
    return tree


def running(script: str, root: int | None = None) -> int | None:
    """The first process under `root` (default: this process) whose command line names a path ending in `script`."""
    for pid in descendants(os.getpid() if root is None else root):
        try:
            arguments = (PROC / str(pid) / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile
            continue
        if any(argument.endswith(script.encode()) for argument in arguments):
            return pid
    return None


def _kib(path: Path, field: str) -> int:
    try:
        for line in path.read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def resident(root: int | None = None, *, with_descendants: bool = True) -> Resident:
    """The resident memory of `root` (default: this process) and its descendants (or of `root` alone)."""
    root = os.getpid() if root is None else root
    pids = descendants(root) if with_descendants else [root]
    rss = sum(_kib(PROC / str(pid) / "status", "VmRSS") for pid in pids)
    pss = sum(_kib(PROC / str(pid) / "smaps_rollup", "Pss") for pid in pids)
    return Resident(processes=len(pids), rss_bytes=rss * 1024, pss_bytes=pss * 1024)


def cpu_seconds(root: int | None = None) -> float:
    """CPU time (user + system) of `root` (default: this process), its descendants and the children they reaped."""
    total = 0
    for pid in descendants(os.getpid() if root is None else root):
        stat = _stat(pid)
        if stat:  # utime, stime, cutime, cstime are fields 14-17
            total += sum(int(ticks) for ticks in stat[11:15])
    return total / CLOCK_TICKS
