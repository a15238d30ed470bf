"""Reductions, weights, broadcasting, dtypes and argument forms, for every family."""

from __future__ import annotations

import numpy as np
import pytest

import likelihoods as lk
from derivation import derive

from support import all_variants, loss_shape, model_id, sample_inputs

VARIANTS = all_variants()


def _setup(model, rng, shape=(40,)):
    fn = derive(model).compile()
    y, raws, _, constants = sample_inputs(model, rng, shape)
    return fn, y, raws, {k: constants[k] for k in fn.constants}


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
def test_reductions_agree(model, rng):
    fn, y, raws, kw = _setup(model, rng)
    per_sample = fn(y, *raws, reduction="none", **kw)
    assert per_sample.shape == loss_shape(model, y)
    np.testing.assert_allclose(fn(y, *raws, reduction="sum", **kw), per_sample.sum(), rtol=1e-13)
    np.testing.assert_allclose(fn(y, *raws, **kw), per_sample.mean(), rtol=1e-13)
    g_none = fn.grad(y, *raws, reduction="none", **kw)
    g_sum = fn.grad(y, *raws, reduction="sum", **kw)
    g_mean = fn.grad(y, *raws, reduction="mean", **kw)
    for a, b, c in zip(g_none, g_sum, g_mean):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(c, b / per_sample.size, rtol=1e-15)


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
def test_weights(model, rng):
    fn, y, raws, kw = _setup(model, rng)
    w = rng.uniform(0.0, 3.0, size=loss_shape(model, y))
    per_sample = fn(y, *raws, reduction="none", **kw)
    np.testing.assert_allclose(fn(y, *raws, weight=w, reduction="none", **kw), w * per_sample)
    np.testing.assert_allclose(
        fn(y, *raws, weight=w, reduction="sum", **kw), (w * per_sample).sum(), rtol=1e-13
    )
    np.testing.assert_allclose(
        fn(y, *raws, weight=w, **kw), (w * per_sample).sum() / w.sum(), rtol=1e-13
    )
    ones = np.ones_like(w)
    np.testing.assert_allclose(fn(y, *raws, weight=ones, **kw), fn(y, *raws, **kw), rtol=1e-14)
    plain = fn.grad(y, *raws, reduction="none", **kw)
    for g, p in zip(fn.grad(y, *raws, weight=w, **kw), plain):
        scale = w.reshape(w.shape + (1,) * (p.ndim - w.ndim))
        np.testing.assert_allclose(g, scale * p / w.sum(), rtol=1e-14)


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
def test_multi_output_broadcasting_equals_tiling(model, rng):
    # (N, D) targets with outputs of shape (D,): D independent outputs, the outputs shared
    # across rows; the gradient is summed over the rows, as autograd would.
    fn, y, raws, kw = _setup(model, rng, shape=(6, 3))
    shared = [r[0] for r in raws]
    tiled = [np.broadcast_to(s, r.shape).copy() for s, r in zip(shared, raws)]
    np.testing.assert_allclose(fn(y, *shared, **kw), fn(y, *tiled, **kw), rtol=1e-14)
    for s, g_shared, g_tiled in zip(shared, fn.grad(y, *shared, **kw), fn.grad(y, *tiled, **kw)):
        assert g_shared.shape == s.shape
        np.testing.assert_allclose(g_shared, g_tiled.sum(axis=0), rtol=1e-13)


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
def test_float32_in_float32_out(model, rng):
    fn, y, raws, kw = _setup(model, rng)
    y32, raws32 = y.astype(np.float32), [r.astype(np.float32) for r in raws]
    loss, grads = fn.loss_and_grad(y32, *raws32, reduction="none", **kw)
    assert loss.dtype == np.float32
    assert all(g.dtype == np.float32 for g in grads)
    assert fn(y32, *raws32, **kw).dtype == np.float32
    expected = fn(y32.astype(float), *(r.astype(float) for r in raws32), reduction="none", **kw)
    np.testing.assert_allclose(loss, expected, rtol=2e-5, atol=2e-6)


def test_lists_scalars_and_integers():
    fn = derive(lk.Gaussian()).compile()
    assert fn([3.0, 4.0], [2.0, 5.0]) == 1.0
    assert fn(3, 2) == 1.0
    assert fn(np.float64(3.0), 2.0, reduction="none").shape == ()
    (g,) = fn.grad(3.0, 2.0)
    assert g.shape == () and g == -2.0
    assert fn(np.array([3, 4]), np.array([2, 5])).dtype == np.float64


def test_empty_inputs():
    fn = derive(lk.Poisson()).compile()
    empty = np.zeros((0,))
    assert np.isnan(fn(empty, empty))
    assert fn(empty, empty, reduction="sum") == 0.0
    assert fn(empty, empty, reduction="none").shape == (0,)
    (g,) = fn.grad(empty, empty)
    assert g.shape == (0,)


def test_inputs_are_not_modified_nor_returned():
    fn = derive(lk.Gaussian(sigma="log")).compile()
    y, mu, s = np.array([1.0, 2.0]), np.array([0.5, 0.0]), np.array([0.0, 1.0])
    copies = [a.copy() for a in (y, mu, s)]
    loss, grads = fn.loss_and_grad(y, mu, s, reduction="none")
    for a, c in zip((y, mu, s), copies):
        np.testing.assert_array_equal(a, c)
    for g in grads:
        assert not any(np.shares_memory(g, a) for a in (y, mu, s))


def test_bad_reduction_and_arity():
    fn = derive(lk.Gaussian()).compile()
    with pytest.raises(ValueError, match="reduction: expected one of .*'avg'"):
        fn([1.0], [1.0], reduction="avg")
    with pytest.raises(TypeError, match=r"expected 1 raw output\(s\) \(mu\)"):
        fn([1.0], [1.0], [2.0])
    nll = derive(lk.Gaussian()).compile(nll=True)
    with pytest.raises(TypeError, match="missing keyword argument 'sigma'"):
        nll([1.0], [1.0])
    with pytest.raises(TypeError, match="unexpected keyword argument 'tau'"):
        nll([1.0], [1.0], sigma=1.0, tau=2.0)
