"""Gradients against a 4th-order central finite difference, for every family and link."""

from __future__ import annotations

import numpy as np
import pytest
from support import all_variants, model_id, sample_inputs

from derivation import derive


def central_difference(f, x: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """Elementwise derivative of an elementwise f, to O(h^4)."""
    return (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)


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
            return fn(y, *shifted, reduction="none", **kw)

        np.testing.assert_allclose(g, central_difference(per_sample, raw), rtol=1e-7, atol=1e-8)


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
