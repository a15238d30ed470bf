"""Interleaved timing: every implementation of a case runs once per round, so that a slow
moment of the machine hurts them all alike; the median over rounds is reported. The order
within a round is shuffled, so that no implementation always follows the one that evicts the
inputs from the cache (on 1e6 samples the inputs fit in this machine's L3 cache)."""

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
    names = list(functions)
    shuffle = np.random.default_rng(0)
    for _ in range(rounds):
        for i in shuffle.permutation(len(names)):
            name, f = names[i], functions[names[i]]
            start = time.perf_counter()
            f()
            samples[name].append(time.perf_counter() - start)
    return {name: float(np.median(times)) for name, times in samples.items()}
