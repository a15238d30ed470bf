"""Edge inputs, immutability, pickling, threads, worker processes and determinism, for every
family in the registry."""

from __future__ import annotations

import hashlib
import multiprocessing
import pickle
import threading

import numpy as np
import pytest

import likelihoods as lk
from derivation import derive

from support import all_variants, loss_shape, model_id, sample_inputs

VARIANTS = all_variants()


def _inputs(model, rng, shape=(12,)):
    fn = derive(model).compile()
    y, raws, _, constants = sample_inputs(model, rng, shape)
    return fn, y, raws, {k: constants[k] for k in fn.constants}


def _digest(arrays) -> list[str]:
    return [hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest() for a in arrays]


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
def test_inputs_are_never_modified(model, rng):
    fn, y, raws, kw = _inputs(model, rng)
    w = rng.uniform(0.5, 1.5, size=loss_shape(model, y))
    arrays = [y, *raws, w]
    before = _digest(arrays)
    for reduction in ("mean", "sum", "none"):
        fn(y, *raws, reduction=reduction, weight=w, **kw)
        fn.grad(y, *raws, reduction=reduction, weight=w, **kw)
        loss, grads = fn.loss_and_grad(y, *raws, reduction=reduction, weight=w, **kw)
        for g in grads:  # the results are the caller's own
            assert not any(np.shares_memory(g, a) for a in arrays)
    assert _digest(arrays) == before


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
def test_non_contiguous_and_read_only_inputs(model, rng):
    fn, y, raws, kw = _inputs(model, rng, (24,))
    strided = [y[::2], *(r[::2] for r in raws)]
    for a in strided:
        a.flags.writeable = False
    expected = fn.loss_and_grad(*(np.ascontiguousarray(a) for a in strided), **kw)
    got = fn.loss_and_grad(*strided, **kw)
    assert got[0] == expected[0]
    for g, e in zip(got[1], expected[1]):
        np.testing.assert_array_equal(g, e)
        assert g.flags.writeable


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
def test_scalars_lists_and_integers(model, rng):
    fn, y, raws, kw = _inputs(model, rng, (3,))
    # one sample, as 0-d arrays (a row over classes stays a row)
    first = [a[0] for a in (y, *raws)]
    loss, grads = fn.loss_and_grad(*first, reduction="none", **kw)
    assert np.shape(loss) == ()
    for g, a in zip(grads, first[1:]):
        assert g.shape == np.shape(a)
    # Python lists, and the target as integers where it is integer-valued
    listed = [a.tolist() for a in (y, *raws)]
    np.testing.assert_array_equal(
        fn(*listed, reduction="none", **kw), fn(y, *raws, reduction="none", **kw)
    )
    if np.all(np.floor(y) == y):
        as_int = y.astype(np.int64)
        np.testing.assert_array_equal(
            fn(as_int, *raws, reduction="none", **kw), fn(y, *raws, reduction="none", **kw)
        )


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
def test_empty_inputs(model, rng):
    fn, y, raws, kw = _inputs(model, rng, (0,))
    assert np.isnan(fn(y, *raws, **kw))
    assert fn(y, *raws, reduction="sum", **kw) == 0
    assert fn(y, *raws, reduction="none", **kw).shape == loss_shape(model, y)
    for g, r in zip(fn.grad(y, *raws, **kw), raws):
        assert g.shape == r.shape


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
def test_pickle_round_trip(model, rng):
    d = derive(model)
    fn, y, raws, kw = _inputs(model, rng)
    assert pickle.loads(pickle.dumps(d)) is d  # the cache hands back the same derivation
    again = pickle.loads(pickle.dumps(fn))
    assert again(y, *raws, **kw) == fn(y, *raws, **kw)
    assert pickle.loads(pickle.dumps(model)) == model


def _worker(args):
    fn, y, raws = args
    return fn.loss_and_grad(y, *raws)


def test_worker_processes(rng):
    models = [lk.Gaussian(), lk.Bernoulli(), lk.Categorical(), lk.Poisson()]
    jobs = []
    for model in models:
        fn, y, raws, _ = _inputs(model, rng)
        jobs.append((fn, y, raws))
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        results = pool.map(_worker, jobs)
    for (fn, y, raws), (loss, grads) in zip(jobs, results):
        expected_loss, expected_grads = fn.loss_and_grad(y, *raws)
        assert loss == expected_loss
        for g, e in zip(grads, expected_grads):
            np.testing.assert_array_equal(g, e)


def test_joblib_workers(rng):
    joblib = pytest.importorskip("joblib")
    fn, y, raws, _ = _inputs(lk.HeteroscedasticGaussian(), rng)
    results = joblib.Parallel(n_jobs=2)(joblib.delayed(fn)(y, *raws) for _ in range(4))
    assert all(r == fn(y, *raws) for r in results)


@pytest.mark.parametrize(
    "model",
    [lk.Gaussian(), lk.Bernoulli(), lk.Categorical(), lk.VonMises(kappa="log")],
    ids=model_id,
)
def test_eight_threads_agree_with_one(model, rng):
    fn, y, raws, kw = _inputs(model, rng, (2000,))
    expected = fn.loss_and_grad(y, *raws, **kw)
    results, errors = [None] * 8, []
    barrier = threading.Barrier(8)

    def run(k):
        try:
            barrier.wait()
            for _ in range(20):
                results[k] = fn.loss_and_grad(y, *raws, **kw)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for loss, grads in results:
        assert loss == expected[0]
        for g, e in zip(grads, expected[1]):
            np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
def test_bitwise_deterministic(model, rng):
    fn, y, raws, kw = _inputs(model, rng, (500,))
    first = fn.loss_and_grad(y, *raws, reduction="none", **kw)
    for _ in range(3):
        again = fn.loss_and_grad(y, *raws, reduction="none", **kw)
        assert _digest([first[0], *first[1]]) == _digest([again[0], *again[1]])


@pytest.mark.parametrize("model", [cls() for cls in lk.REGISTRY.values()], ids=model_id)
def test_large_inputs_run_block_by_block_with_the_same_results(model, rng):
    # 150,000 samples: kernels of several passes run in blocks of 65,536 (see
    # derivation.runtime.BLOCK); pieces of 30,000 run whole. Same numbers either way.
    fn, y, raws, kw = _inputs(model, rng, (150_000,))
    w = rng.uniform(0.5, 1.5, size=loss_shape(model, y))
    for reduction, weight in (("mean", None), ("sum", w), ("none", None)):
        loss, grads = fn.loss_and_grad(y, *raws, reduction=reduction, weight=weight, **kw)
        # the gradient-only kernel, also in blocks, gives the same arrays bit for bit
        alone = fn.grad(y, *raws, reduction=reduction, weight=weight, **kw)
        assert all(np.array_equal(a, b) for a, b in zip(alone, grads))
        pieces = [slice(k, k + 30_000) for k in range(0, 150_000, 30_000)]
        per_sample = np.concatenate(
            [fn(y[p], *(r[p] for r in raws), reduction="none", **kw) for p in pieces]
        )
        scale = np.ones_like(per_sample) if weight is None else weight
        expected = {"mean": per_sample.mean(), "sum": (scale * per_sample).sum()}.get(
            reduction, per_sample
        )
        np.testing.assert_allclose(loss, expected, rtol=1e-12)
        for k, g in enumerate(grads):
            parts = [
                fn.grad(
                    y[p],
                    *(r[p] for r in raws),
                    reduction="none",
                    weight=None if weight is None else weight[p],
                    **kw,
                )[k]
                for p in pieces
            ]
            whole = np.concatenate(parts)
            if reduction == "mean":
                whole = whole / per_sample.size
            np.testing.assert_allclose(g, whole, rtol=1e-14, atol=0)
