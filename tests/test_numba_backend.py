"""The optional compiled path gives the NumPy path's results (numba installed only)."""

from __future__ import annotations

import numpy as np
import pytest

import likelihoods as lk
from derivation import derive

from support import model_id, sample_inputs

pytest.importorskip("numba")

# Each elementwise family as declared, and a few links (every compile takes about a second).
ELEMENTWISE = [cls() for cls in lk.REGISTRY.values() if not cls.target.support.event] + [
    lk.Bernoulli(p="identity"),
    lk.Poisson(rate="identity"),
    lk.Gaussian(sigma="softplus"),
    lk.VonMises(kappa="log"),
]


@pytest.mark.parametrize("model", ELEMENTWISE, ids=model_id)
def test_same_results_as_numpy(model, rng):
    try:
        fast = derive(model).compile(backend="numba")
    except ValueError as error:  # a function without a scalar version: refused, by name
        assert "no scalar version" in str(error)
        return
    plain = derive(model).compile()
    y, raws, _, constants = sample_inputs(model, rng, (257,))
    kw = {k: constants[k] for k in plain.constants}
    for reduction in ("mean", "sum", "none"):
        a_loss, a_grads = fast.loss_and_grad(y, *raws, reduction=reduction, **kw)
        b_loss, b_grads = plain.loss_and_grad(y, *raws, reduction=reduction, **kw)
        np.testing.assert_allclose(a_loss, b_loss, rtol=1e-13, atol=1e-300)
        for a, b in zip(a_grads, b_grads):
            assert a.shape == b.shape and a.dtype == b.dtype
            # relative to the size of the gradient, not to a value that cancels to near 0
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13 * np.max(np.abs(b)))
    w = rng.uniform(0.5, 2.0, size=y.shape)
    np.testing.assert_allclose(
        fast(y, *raws, weight=w, **kw), plain(y, *raws, weight=w, **kw), rtol=1e-13
    )


def test_classes_and_unknown_backends_are_refused():
    with pytest.raises(ValueError, match="elementwise models only"):
        derive(lk.Categorical()).compile(backend="numba")
    with pytest.raises(ValueError, match=r"backend: expected one of \('numpy', 'numba'\)"):
        derive(lk.Gaussian()).compile(backend="jax")
