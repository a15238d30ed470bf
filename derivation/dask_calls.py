r"""Compiled losses over dask arrays: lazy results, block by block.

Where the target, a raw output or the weights is a dask array, a call of a compiled loss
builds a dask graph instead of computing: every block of the (broadcast, chunk-aligned)
inputs runs the NumPy kernels once, returning its per-sample losses and gradients together;

    sum:  L = sum over blocks of sum_n w_n l_n,       dL/do_n = w_n dl_n/do_n
    mean: both divided by N, the number of samples (the summed weights where weighted),

the loss by a tree reduction over the blocks, gradients chunked like the inputs (summed back
over the axes a raw output was broadcast along). Each block is validated as it is computed;
an offending value is reported at its index in the whole array. Elementwise models only: a
target over classes needs NumPy arrays.

>>> import dask.array as da, numpy as np
>>> import likelihoods as lk
>>> from derivation import derive
>>> fn = derive(lk.Exponential()).compile()
>>> y = da.from_array(np.array([1.0, 2.0, 3.0, 4.0]), chunks=2)
>>> float(fn(y, da.zeros(4, chunks=2)).compute())  # mean of y e^0 - 0
2.5
"""

from __future__ import annotations

import re

import numpy as np


def is_dask(value) -> bool:
    """Whether ``value`` is a dask collection (without importing dask)."""
    return type(value).__module__.split(".")[0] == "dask"


def dask_call(fn, what: str, y, outputs, options: dict):
    """``fn(...)``, ``fn.grad(...)`` or ``fn.loss_and_grad(...)`` (``what``) over dask
    arrays, lazily (see the module)."""
    import dask.array as da

    if any(fn._over_classes) or fn._target.domain.event:
        raise ValueError(
            "dask arrays: only elementwise models run over them; a target or raw output over "
            "classes needs NumPy arrays"
        )
    reduction = options.pop("reduction", "mean")
    weight = options.pop("weight", None)
    inputs = [da.asarray(a) for a in (y, *outputs)]
    shapes = [a.shape for a in inputs[1:]]
    arrays = inputs + ([da.asarray(weight)] if weight is not None else [])
    arrays = da.broadcast_arrays(*arrays)
    count = int(np.prod(arrays[0].shape))
    dtype = np.result_type(*(a.dtype for a in inputs[1:]), np.float32)
    if dtype.kind != "f":
        dtype = np.dtype(np.float64)
    stacked = da.map_blocks(
        _block,
        *arrays,
        fn=fn,
        has_weight=weight is not None,
        options=options,
        new_axis=0,
        chunks=((1 + len(outputs),), *arrays[0].chunks),
        dtype=dtype,
        meta=np.empty((0,) * (arrays[0].ndim + 1), dtype),
    )
    loss = stacked[0]
    grads = [stacked[1 + p] for p in range(len(outputs))]
    if reduction != "none":
        scale = 1.0
        if reduction == "mean" and weight is not None:
            scale = 1.0 / arrays[-1].sum(dtype=dtype)
        elif reduction == "mean":
            scale = 1.0 / count if count else np.nan  # no samples: NaN, as on the NumPy path
        loss = loss.sum() * scale
        grads = [g * scale for g in grads]
    grads = tuple(_summed_to(g, shape) for g, shape in zip(grads, shapes))
    return {"loss": loss, "grad": grads, "loss_and_grad": (loss, grads)}[what]


def _block(*blocks, fn, has_weight: bool, options: dict, block_info=None):
    """Per-sample losses and gradients of one block, stacked on a new first axis."""
    arrays = [np.asarray(b) for b in blocks]
    weight = arrays.pop() if has_weight else None
    try:
        loss, grads = fn.loss_and_grad(*arrays, reduction="none", weight=weight, **options)
    except ValueError as error:
        raise ValueError(_global_index(str(error), block_info)) from None
    return np.stack([np.broadcast_to(loss, arrays[0].shape), *grads])


def _global_index(message: str, block_info) -> str:
    """``message`` with its "at index (i, ...)" moved from the block to the whole array."""
    if not block_info or 0 not in block_info:
        return message
    starts = [start for start, _ in block_info[0]["array-location"]]

    def shifted(match):
        local = [int(i) for i in match.group(1).split(",") if i.strip()]
        total = tuple(i + s for i, s in zip(local, starts[-len(local) :]))
        return f"at index {total}"

    return re.sub(r"at index \(([-\d, ]*)\)", shifted, message)


def _summed_to(gradient, shape: tuple):
    """A gradient summed over the axes its raw output was broadcast along."""
    extra = gradient.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(
        extra + k for k, n in enumerate(shape) if n == 1 and gradient.shape[extra + k] != 1
    )
    return gradient.sum(axis=axes).reshape(shape) if axes else gradient


__all__ = ["dask_call", "is_dask"]
