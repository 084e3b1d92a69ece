"""Memory and timing helpers for the benchmark processes."""

from __future__ import annotations

import resource
import statistics
from collections.abc import Sequence


def rss_mb() -> float:
    """This process's resident set size now, in MB (from /proc)."""
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb() -> float:
    """This process's peak resident set size, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(samples: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) of samples, nearest rank."""
    if not samples:
        return float("nan")
    s = sorted(samples)
    k = max(0, min(len(s) - 1, round(p / 100 * len(s) + 0.5) - 1))
    return s[k]


def summary_ms(samples_s: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of durations given in seconds, in milliseconds."""
    return {
        "p50_ms": pct(samples_s, 50) * 1000,
        "p99_ms": pct(samples_s, 99) * 1000,
        "max_ms": max(samples_s) * 1000 if samples_s else float("nan"),
        "mean_ms": statistics.fmean(samples_s) * 1000 if samples_s else float("nan"),
    }
