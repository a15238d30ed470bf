"""What running over dask arrays costs: ``loss_and_grad`` of a Poisson loss on 1e6 samples
as NumPy arrays, and as dask arrays of one chunk computed by dask's synchronous scheduler
(the graph, its one task and the tree reduction, without a cluster's communication)."""

from __future__ import annotations

import likelihoods as lk
from derivation import derive

from .timing import interleaved


def dask_overhead(quick: bool, rng) -> dict | None:
    """Median seconds of both, and their ratio (dask over NumPy); None without dask."""
    try:
        import dask
        import dask.array as da
    except ImportError:
        return None
    n = 10**4 if quick else 10**6
    fn = derive(lk.Poisson()).compile()
    y, eta = rng.poisson(2.0, n).astype(float), rng.normal(size=n)
    lazy_y, lazy_eta = da.from_array(y, chunks=n), da.from_array(eta, chunks=n)

    def over_dask():
        loss, grads = fn.loss_and_grad(lazy_y, lazy_eta)
        return dask.compute(loss, *grads, scheduler="synchronous")

    times = interleaved(
        {"NumPy": lambda: fn.loss_and_grad(y, eta), "dask, one chunk": over_dask},
        3 if quick else 51,
    )
    return {"samples": n, "seconds": times, "ratio": times["dask, one chunk"] / times["NumPy"]}


__all__ = ["dask_overhead"]
