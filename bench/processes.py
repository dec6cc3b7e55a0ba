"""Process helpers the benchmarks share: finding a server's worker to measure it."""

from __future__ import annotations

from pathlib import Path


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is `pid`, read from /proc/<n>/stat."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name is in parentheses and may contain spaces: split after it.
        if int(stat.rpartition(")")[2].split()[1]) == pid:
            found.append(int(entry.name))
    return found
