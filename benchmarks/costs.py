"""What deriving costs: cold (a new process: derive, compile, first call) per family, warm
(the same model again, from the cache), and the time to import the library beside that to
import numpy, scipy.special and sympy themselves."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

import likelihoods as lk

COLD = """
import time
t0 = time.perf_counter()
import numpy as np, likelihoods as lk
from derivation import derive
t1 = time.perf_counter()
model = lk.{name}()
fn = derive(model).compile()
y, out = {data}
fn(y, out, **{{c: 0.5 for c in fn.constants}})
t2 = time.perf_counter()
for _ in range(200):
    derive(lk.{name}()).compile()
t3 = time.perf_counter()
print(t2 - t1, (t3 - t2) / 200)
"""

DATA = {
    "Categorical": "(np.array([0, 1]), np.array([[0.0, 1.0], [1.0, 0.0]]))",
    "Bernoulli": "(np.array([0.0, 1.0]), np.array([0.5, -0.5]))",
    "Poisson": "(np.array([0.0, 3.0]), np.array([0.5, -0.5]))",
    "VonMises": "(np.array([0.1, 0.2]), np.array([0.5, -0.5]))",
    "PlackettLuce": "(np.array([[1, 0], [0, 1]]), np.array([[0.0, 1.0], [1.0, 0.0]]))",
}


# Targets drawn from the family's support, raw outputs of 0 and 1.
_DRAWN = (
    "(lk.sampling.inside(model.target.support, np.random.default_rng(0), (2,), label=True), "
    "np.array([0.0, 1.0]))"
)


def _run(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout


def _import_seconds(modules: str, repeats: int) -> float:
    code = f"import time; t = time.perf_counter(); import {modules}; print(time.perf_counter() - t)"
    return statistics.median(float(_run(code)) for _ in range(repeats))


def derivation_costs(quick: bool = False) -> dict:
    families = {}
    for name, cls in lk.REGISTRY.items():
        if len(cls().predicted) != 1:  # one raw output keeps the first call generic
            continue
        data = DATA.get(name, _DRAWN)
        cold, warm = (float(v) for v in _run(COLD.format(name=name, data=data)).split())
        families[name] = {"cold_seconds": cold, "warm_seconds": warm}
    repeats = 2 if quick else 7
    start = time.perf_counter()
    base = _import_seconds("numpy, scipy.special, sympy", repeats)
    ours = _import_seconds("likelihoods, derivation", repeats)
    return {
        "families": families,
        "import_numpy_scipy_sympy_seconds": base,
        "import_library_seconds": ours,
        "measured_in_seconds": time.perf_counter() - start,
    }
