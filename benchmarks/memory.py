"""Peak memory of ``loss_and_grad``, measured with tracemalloc (numpy reports its arrays to
it), as a ratio to the size of the inputs: ``python -m benchmarks.memory``. The first call at
this size is measured, so the per-thread scratch arrays the kernels keep between calls are
counted along with the results."""

from __future__ import annotations

import tracemalloc

import numpy as np

import likelihoods as lk
from derivation import derive


def _inputs(model, n, rng):
    """A target and raw outputs for ``n`` values: rows of 10 components wherever the target
    or a parameter is a vector, so every family moves the same number of values."""
    vectors = model.target.support.event or any(
        model.choices[name].parameter.domain.event for name in model.predicted
    )
    rows, width = (n // 10, 10) if vectors else (n, None)
    if model.target.support.sums_to_one:
        y = rng.integers(0, width, size=rows)
    elif model.target.support.permutation:  # rankings of the items in a random order
        y = np.argsort(rng.random((rows, width)), axis=-1)
    elif model.target.support.event:  # a vector of numbers, as wide as the parameters
        y = lk.sampling.inside(model.target.support.entries, rng, (rows, width))
    else:
        y = lk.sampling.inside(model.target.support, rng, rows, label=True)
    raws = []
    for name in model.predicted:
        choice = model.choices[name]
        domain = choice.parameter.domain
        shape = (rows, width) if domain.event else (rows,)
        if domain.matrix and not choice.link.raw_vector:  # a raw lower-triangular factor
            raws.append(np.tril(rng.normal(0.0, 0.3, size=(rows, width, width))))
        elif choice.link.name == "identity" and not domain.sums_to_one:
            raws.append(lk.sampling.inside(domain.entries, rng, shape))
        else:
            raws.append(rng.normal(size=shape))
    return y, raws


def peak_ratios(n: int = 10**7) -> dict[str, float]:
    """Peak bytes allocated during one call, over the bytes of its inputs."""
    rng = np.random.default_rng(0)
    out = {}
    for name, cls in lk.REGISTRY.items():
        model = cls()
        fn = derive(model).compile()
        fixed = {c: 0.5 for c in fn.constants}  # symbolic fixed parameters (scales, levels)
        small_y, small_raws = _inputs(model, 100, rng)
        fn.loss_and_grad(small_y, *small_raws, **fixed)  # kernels built (not what is measured)
        y, raws = _inputs(model, n, rng)
        inputs = y.nbytes + sum(r.nbytes for r in raws)
        tracemalloc.start()
        fn.loss_and_grad(y, *raws, **fixed)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        out[name] = peak / inputs
    return out


if __name__ == "__main__":
    for name, ratio in peak_ratios().items():
        print(f"{name:24s} peak / inputs = {ratio:.2f}")
