"""Property tests (hypothesis, derandomized) over the registry: the loss is smallest at the
declared point prediction, gradients match finite differences, reductions and weights agree,
broadcasting equals tiling, float32 follows float64."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import likelihoods as lk
from derivation import derive

from support import LINK_INVERSE, all_variants, loss_shape, model_id, sample_inputs

VARIANTS = all_variants()
SETTINGS = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,  # the same examples on every run
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
seeds = st.integers(0, 2**32 - 1)
sizes = st.integers(1, 30)


def _draw(model, seed, n):
    fn = derive(model).compile()
    y, raws, params, constants = sample_inputs(model, np.random.default_rng(seed), (n,))
    return fn, y, raws, params, {k: constants[k] for k in fn.constants}


def _location(model):
    """The predicted parameter the point prediction depends on, if the target is continuous
    or unbounded (mu, rate), else None (a mode over a few discrete outcomes)."""
    support = model.target.support
    if support.sums_to_one or (support.integer and np.isfinite(support.upper)):
        return None
    symbols = {n: model.parameter_symbol(n) for n in model.choices}
    prediction = model.point_prediction(**symbols)
    return next(n for n in model.predicted if prediction.has(symbols[n]))


@functools.cache
def _single_observation_estimate(model, name) -> bool:
    """Whether the point prediction is where one observation's likelihood peaks in parameter
    ``name`` (the mean of a Gaussian, a Poisson; not the mean of a beta), which sympy shows:
    d log p(t | ...) / d name vanishes at the value predicting t."""
    symbols = {n: model.parameter_symbol(n) for n in model.choices}
    t = sympy.Symbol("t", positive=True)
    (solution,) = sympy.solve(model.point_prediction(**symbols) - t, symbols[name])
    slope = sympy.diff(model.log_density(t, **symbols), symbols[name]).subs(symbols[name], solution)
    return sympy.simplify(slope) == 0


def _parameter_predicting(model, name, y, params):
    """The value of parameter ``name`` whose point prediction is ``y`` (the others held at
    ``params``), solved from the declaration; NaN where no such value exists."""
    symbols = {n: model.parameter_symbol(n) for n in model.choices}
    t = sympy.Symbol("t", real=True)
    (solution,) = sympy.solve(model.point_prediction(**symbols) - t, symbols[name])
    others = [n for n in model.choices if n != name]
    value = sympy.lambdify([t, *(symbols[n] for n in others)], solution, "numpy")
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.broadcast_to(value(y, *(params[n] for n in others)), np.shape(y))


def _raw_for(model, name, value):
    """The raw output whose link gives parameter ``name`` the value ``value``."""
    link = model.choices[name].link.name
    value = np.asarray(value, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "identity": lambda v: v,
            "log": np.log,
            "logit": lambda v: np.log(v) - np.log1p(-v),
            "softplus": lambda v: np.log(np.expm1(v)),
        }[link](value)


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
@SETTINGS
@given(seed=seeds, n=sizes)
def test_loss_is_smallest_at_the_point_prediction(model, seed, n):
    fn, y, raws, params, kw = _draw(model, seed, n)
    name = _location(model)
    if name is not None and model.choices[name].parameter.domain.event:
        # a mixture's mean is no single observation's best fit (multimodal); a vector
        # target's is checked in its own tests (tests/test_multivariate_normal.py)
        return
    if name is not None and not _single_observation_estimate(model, name):
        return  # (the beta's mean, the Weibull's median: see tests/test_expected_loss.py)
    if name is not None:
        position = model.predicted.index(name)
        choice = model.choices[name]
        raw = _raw_for(model, name, _parameter_predicting(model, name, y, params))
        reach = np.isfinite(raw)  # a prediction the link cannot produce is left out
        if choice.link.name == "identity":  # nor one outside the parameter's domain
            domain = choice.parameter.domain
            reach &= (raw > domain.lower) | ((raw == domain.lower) & (not domain.lower_open))
        at_prediction = list(raws)
        at_prediction[position] = np.where(reach, raw, raws[position])
        best = fn(y, *at_prediction, reduction="none", **kw)
        bounded = choice.link.name == "identity" and np.isfinite(choice.parameter.domain.lower)
        for shift in (-0.3, 0.3):
            moved = list(at_prediction)
            # a move that stays in the parameter's domain: along the raw output, or by a
            # factor for a positive parameter taken as it is
            old = moved[position]
            moved[position] = old * np.exp(shift) if bounded else old + shift
            worse = fn(y, *moved, reduction="none", **kw)
            assert np.all((worse >= best - 1e-12 * np.abs(best))[reach])
    else:  # a mode over discrete outcomes: predicting the observed outcome costs less
        (raw,) = raws
        agree, disagree = _mode_pair(model, y, raw)
        assert np.all(fn(y, agree, reduction="none") < fn(y, disagree, reduction="none"))


def _mode_pair(model, y, raw):
    """Raw outputs whose mode is the target, and the same made to favour another outcome."""
    link = model.choices[model.predicted[0]].link.name
    if model.target.support.event:
        hot = y.argmax(-1)
        good = np.full(y.shape, 0.1 / (y.shape[-1] - 1))
        good[np.arange(len(hot)), hot] = 0.9
        bad = np.roll(good, 1, axis=-1)
        return (good, bad) if link == "identity" else (np.log(good), np.log(bad))
    good = np.where(y == 1, 0.8, 0.2)
    pair = (good, 1 - good)
    return pair if link == "identity" else tuple(np.log(p) - np.log1p(-p) for p in pair)


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
@SETTINGS
@given(seed=seeds, n=sizes, reduction=st.sampled_from(["mean", "sum", "none"]))
def test_reductions_weights_and_gradients(model, seed, n, reduction):
    fn, y, raws, _, kw = _draw(model, seed, n)
    per_sample = fn(y, *raws, reduction="none", **kw)
    count = per_sample.size
    total = fn(y, *raws, reduction="sum", **kw)
    np.testing.assert_allclose(total, per_sample.sum(), rtol=1e-13, atol=1e-300)
    np.testing.assert_allclose(fn(y, *raws, **kw) * count, total, rtol=1e-13, atol=1e-300)
    ones = np.ones(loss_shape(model, y))
    np.testing.assert_allclose(
        fn(y, *raws, reduction=reduction, weight=ones, **kw),
        fn(y, *raws, reduction=reduction, **kw),
        rtol=1e-14,
    )
    for g, h in zip(
        fn.grad(y, *raws, reduction=reduction, weight=ones, **kw),
        fn.grad(y, *raws, reduction=reduction, **kw),
    ):
        np.testing.assert_allclose(g, h, rtol=1e-14)


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
@SETTINGS
@given(seed=seeds, n=sizes)
def test_gradient_matches_a_central_difference(model, seed, n):
    fn, y, raws, _, kw = _draw(model, seed, n)
    grads = fn.grad(y, *raws, reduction="sum", **kw)
    h = 1e-6
    for i, raw in enumerate(raws):
        direction = np.zeros_like(raw)
        direction.reshape(-1)[0] = 1.0  # one entry moved: a partial derivative
        up, down = list(raws), list(raws)
        up[i], down[i] = raw + h * direction, raw - h * direction
        # the moved sample's own loss (the sum's rounding would be that of every sample)
        numeric = (
            fn(y, *up, reduction="none", validate=False, **kw).reshape(-1)[0]
            - fn(y, *down, reduction="none", validate=False, **kw).reshape(-1)[0]
        ) / (2 * h)
        np.testing.assert_allclose(grads[i].reshape(-1)[0], numeric, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
@SETTINGS
@given(seed=seeds, rows=st.integers(1, 6), columns=st.integers(1, 4))
def test_broadcasting_equals_tiling(model, seed, rows, columns):
    rng = np.random.default_rng(seed)
    fn = derive(model).compile()
    y, raws, _, constants = sample_inputs(model, rng, (rows, columns))
    kw = {k: constants[k] for k in fn.constants}
    shared = [r[0] for r in raws]  # one row of outputs for all rows of targets
    tiled = [np.broadcast_to(s, r.shape).copy() for s, r in zip(shared, raws)]
    np.testing.assert_allclose(fn(y, *shared, **kw), fn(y, *tiled, **kw), rtol=1e-13)
    for g, t in zip(fn.grad(y, *shared, **kw), fn.grad(y, *tiled, **kw)):
        np.testing.assert_allclose(g, t.sum(axis=0), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("model", VARIANTS, ids=model_id)
@SETTINGS
@given(seed=seeds, n=sizes)
def test_float32_follows_float64(model, seed, n):
    fn, y, raws, _, kw = _draw(model, seed, n)
    raws32 = [r.astype(np.float32) for r in raws]
    for k, name in enumerate(model.predicted):
        choice = model.choices[name]
        if choice.parameter.domain.sums_to_one and choice.link.name == "identity":
            raws32[k] = raws32[k] / raws32[k].sum(-1, keepdims=True)  # rows in float32
    y32 = y.astype(np.float32)
    loss, grads = fn.loss_and_grad(y32, *raws32, reduction="none", **kw)
    assert loss.dtype == np.float32 and all(g.dtype == np.float32 for g in grads)
    loss64, grads64 = fn.loss_and_grad(
        y32.astype(float), *(r.astype(float) for r in raws32), reduction="none", **kw
    )
    scale = np.maximum(np.abs(loss64), 1.0)
    assert np.all(np.abs(loss - loss64) <= 1e-5 * scale)
    for g, g64 in zip(grads, grads64):
        assert np.all(np.abs(g - g64) <= 1e-4 * np.maximum(np.abs(g64), 1.0))


def test_the_location_helper_reads_the_declaration():
    assert _location(lk.Gaussian()) == "mu"
    assert _location(lk.Poisson()) == "rate"
    assert _location(lk.Bernoulli()) is None
    assert LINK_INVERSE["logit"](_raw_for(lk.Bernoulli(), "p", 0.3)) == pytest.approx(0.3)
    assert isinstance(lk.Bernoulli().point_prediction(p=sympy.Symbol("p")), sympy.Piecewise)
