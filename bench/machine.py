"""The machine and library versions every benchmark prints, plus shared measuring helpers.

A figure without its machine cannot be compared with anyone else's, so each
script starts with :func:`machine_report`; the helpers here keep latency
statistics and Markdown tables identical across scripts.

Run ``python -m bench.machine`` to print the report alone.
"""

from __future__ import annotations

import gc
import os
import platform
import resource
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache"
EVAL = Path(__file__).resolve().parents[2] / "shared" / "eval"
LIBRARIES = ("numpy", "scipy", "nltk", "rank-bm25", "bm25s", "tantivy")


def cpu_model() -> str:
    """Return the CPU model name from /proc/cpuinfo, or the platform's guess elsewhere."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gib() -> float:
    """Return total RAM in GiB (0.0 if /proc/meminfo is not there)."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 0.0


def version(name: str) -> str:
    """Return an installed distribution's version, or "absent"."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"


def machine_report() -> str:
    """Return the machine as a Markdown table: CPU, cores, RAM, Python and library versions."""
    rows = [
        ("CPU", cpu_model()),
        ("nproc", str(os.cpu_count() or 0)),
        ("RAM", f"{ram_gib():.1f} GiB"),
        ("Python", platform.python_version()),
        ("threads", f"single (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')})"),
    ]
    rows += [(name, version(name)) for name in LIBRARIES]
    # Other processes share the cores: a busy machine explains a slow run.
    rows.append(("load avg at start", " / ".join(f"{x:.2f}" for x in os.getloadavg())))
    return markdown_table(("machine", "value"), rows)


def rss_bytes() -> int:
    """Return the current resident set size; collects garbage first so deltas mean something."""
    gc.collect()
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    # Peak, not current: the best a system without /proc offers.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_seconds() -> float:
    """Return user+system CPU time of this process and its reaped children.

    On a shared machine wall time also counts waiting for a core; CPU time
    says what the work itself cost.
    """
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


@dataclass(frozen=True, slots=True)
class Latency:
    """Per-query wall times summarised in milliseconds."""

    n: int
    p50_ms: float
    p99_ms: float
    mean_ms: float


def latency(seconds: Sequence[float]) -> Latency:
    """Summarise per-query times; p99 uses numpy's linear interpolation (the max below 100 runs)."""
    ms = np.asarray(seconds, dtype=np.float64) * 1e3
    if ms.size == 0:
        return Latency(0, float("nan"), float("nan"), float("nan"))
    return Latency(
        int(ms.size),
        float(np.percentile(ms, 50)),
        float(np.percentile(ms, 99)),
        float(ms.mean()),
    )


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """Render rows as a GitHub Markdown table; floats are already formatted by the caller."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt(value: float, digits: int = 2) -> str:
    """Format a number for a table; NaN (not measured) becomes a dash."""
    return "–" if value != value else f"{value:.{digits}f}"


def need_eval() -> Path:
    """Return the eval folder or exit with a one-line message: the data is not in the repo."""
    if not EVAL.is_dir():
        sys.exit(f"bench: eval data not found at {EVAL}")
    return EVAL


if __name__ == "__main__":
    print(machine_report())
