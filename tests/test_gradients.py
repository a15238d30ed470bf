"""Gradients against a 4th-order central finite difference, for every family and link."""

from __future__ import annotations

import numpy as np
import pytest

from derivation import derive

from support import all_variants, loss_shape, model_id, sample_inputs


def central_difference(f, x: np.ndarray, h: float = 1e-4, direction=1.0) -> np.ndarray:
    """Derivative of a per-sample f along ``direction`` (moving every sample at once), to
    O(h^4)."""
    d = direction * h
    return (-f(x + 2 * d) + 8 * f(x + d) - 8 * f(x - d) + f(x - 2 * d)) / (12 * h)


def per_sample_derivative(f, x: np.ndarray, loss_ndim: int) -> np.ndarray:
    """d f_n / d x_n for an elementwise x, or d f_n / d x_{n,k} for each class k of a vector
    output (one class column at a time), each entry (k, l) of a matrix output."""
    if x.ndim == loss_ndim:
        return central_difference(f, x)
    trailing = x.shape[loss_ndim:]
    out = np.empty(x.shape)
    for index in np.ndindex(trailing):
        direction = np.zeros(trailing)
        direction[index] = 1.0
        out[(..., *index)] = central_difference(f, x, direction=direction)
    return out


@pytest.mark.parametrize("nll", [False, True], ids=["loss", "nll"])
@pytest.mark.parametrize("model", all_variants(), ids=model_id)
def test_gradient_matches_finite_differences(model, nll, rng):
    fn = derive(model).compile(nll=nll)
    y, raws, _, constants = sample_inputs(model, rng, (100,))
    kw = {k: constants[k] for k in fn.constants}
    grads = fn.grad(y, *raws, reduction="sum", **kw)
    assert len(grads) == len(raws)
    for i, (raw, g) in enumerate(zip(raws, grads)):
        assert g.shape == raw.shape

        def per_sample(x, i=i):
            shifted = list(raws)
            shifted[i] = x
            # Unchecked: a shifted probability row leaves the simplex, the formula does not care.
            return fn(y, *shifted, reduction="none", validate=False, **kw)

        loss_ndim = len(loss_shape(model, y))
        expected = per_sample_derivative(per_sample, raw, loss_ndim)
        np.testing.assert_allclose(g, expected, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("model", all_variants(), ids=model_id)
def test_loss_and_grad_is_call_and_grad(model, rng):
    fn = derive(model).compile()
    y, raws, _, constants = sample_inputs(model, rng, (33,))
    kw = {k: constants[k] for k in fn.constants}
    for reduction in ("mean", "sum", "none"):
        loss, grads = fn.loss_and_grad(y, *raws, reduction=reduction, **kw)
        np.testing.assert_array_equal(loss, fn(y, *raws, reduction=reduction, **kw))
        for a, b in zip(grads, fn.grad(y, *raws, reduction=reduction, **kw)):
            np.testing.assert_array_equal(a, b)
