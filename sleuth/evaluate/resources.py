"""What a measurement cost this process: its peak resident memory."""

from __future__ import annotations

import resource
from pathlib import Path

_STATUS = Path("/proc/self/status")


def peak_rss_bytes() -> int:
    """Peak resident set size of this process.

    Linux's ``VmHWM`` (the high-water mark of this process's own address space) when /proc has it, else
    ``ru_maxrss``. Why not ``ru_maxrss`` alone: Linux carries it across ``exec``, so a child started by a
    large parent (pytest with models loaded, a benchmark driver) reports the parent's peak, not its own
    (seen: 925 MB for a run whose own peak was 105 MB).
    """
    try:
        for line in _STATUS.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024  # "VmHWM:   10908 kB"
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
