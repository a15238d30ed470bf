"""Compiled losses over dask arrays, computed on a LocalCluster of two worker processes
started here: equal to the NumPy path on data of many chunks, for every reduction, weights
and broadcast raw outputs; an invalid value named at its index in the whole array."""

from __future__ import annotations

import numpy as np
import pytest

import likelihoods as lk
from derivation import derive

pytest.importorskip("dask.distributed")
da = pytest.importorskip("dask.array")


def _lazy(array, chunks):
    return da.from_array(np.asarray(array), chunks=chunks)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
def test_many_chunks_equal_numpy(dask_client, reduction, weighted, rng):
    fn = derive(lk.Poisson()).compile()
    y, eta = rng.poisson(3.0, 10_000).astype(float), rng.normal(size=10_000)
    w = rng.uniform(0.5, 2.0, 10_000) if weighted else None
    lazy_w = _lazy(w, 1000) if weighted else None
    loss, (grad,) = fn.loss_and_grad(
        _lazy(y, 1000), _lazy(eta, 1000), reduction=reduction, weight=lazy_w
    )
    assert isinstance(loss, da.Array) and grad.chunks == ((1000,) * 10,)
    loss, grad = dask_client.compute([loss, grad], sync=True)
    expected_loss, (expected_grad,) = fn.loss_and_grad(y, eta, reduction=reduction, weight=w)
    np.testing.assert_allclose(loss, expected_loss, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12, atol=1e-300)
    alone = fn(_lazy(y, 700), _lazy(eta, 1300), reduction=reduction, weight=lazy_w)
    np.testing.assert_allclose(alone.compute(), expected_loss, rtol=1e-12)


def test_a_broadcast_raw_output_gets_its_gradient_summed(dask_client, rng):
    fn = derive(lk.HeteroscedasticGaussian()).compile()
    y, mu = rng.normal(size=(60, 40)), rng.normal(size=(60, 40))
    eta = rng.normal(size=(1, 40))  # one log-scale per column
    grads = fn.grad(_lazy(y, (20, 10)), _lazy(mu, (20, 10)), _lazy(eta, (1, 10)))
    got = dask_client.compute(list(grads), sync=True)
    for g, expected in zip(got, fn.grad(y, mu, eta)):
        assert g.shape == expected.shape
        np.testing.assert_allclose(g, expected, rtol=1e-12)
    loss = fn(_lazy(y, (20, 10)), mu, eta)  # NumPy beside dask: broadcast the same
    assert loss.compute() == pytest.approx(fn(y, mu, eta), rel=1e-13)


def test_an_invalid_value_is_named_at_its_index_in_the_whole_array(dask_client, rng):
    fn = derive(lk.Poisson()).compile()
    y = rng.poisson(3.0, 5000).astype(float)
    y[3217] = -1.0  # in the fourth chunk of 1000
    loss = fn(_lazy(y, 1000), _lazy(np.zeros(5000), 1000))
    with pytest.raises(ValueError, match=r"y: expected .*got -1.0 at index \(3217,\)"):
        dask_client.compute(loss, sync=True)


def test_a_target_over_classes_is_refused():
    fn = derive(lk.Categorical()).compile()
    with pytest.raises(ValueError, match="dask arrays: only elementwise models"):
        fn(_lazy(np.array([0, 1]), 1), np.zeros((2, 3)))


def test_float32_stays_float32(rng):
    fn = derive(lk.Poisson()).compile()
    y = rng.poisson(2.0, 100).astype(np.float32)
    eta = rng.normal(size=100).astype(np.float32)
    loss, (grad,) = fn.loss_and_grad(_lazy(y, 30), _lazy(eta, 30), reduction="sum")
    assert loss.dtype == grad.dtype == np.float32
    expected_loss, (expected_grad,) = fn.loss_and_grad(y, eta, reduction="sum")
    assert loss.compute().dtype == np.float32
    np.testing.assert_allclose(loss.compute(), expected_loss, rtol=1e-5)
    np.testing.assert_allclose(grad.compute(), expected_grad, rtol=1e-6)
