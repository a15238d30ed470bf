"""Interleaved timing: every implementation of a case runs once per round, so that a slow
moment of the machine hurts them all alike; the median over rounds is reported."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np


def interleaved(functions: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Median seconds per call of each function, over ``rounds`` interleaved rounds (after
    one untimed warm-up call each)."""
    for f in functions.values():
        f()
    samples: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, f in functions.items():
            start = time.perf_counter()
            f()
            samples[name].append(time.perf_counter() - start)
    return {name: float(np.median(times)) for name, times in samples.items()}
