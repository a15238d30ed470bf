"""Real LightGBM boosters trained with the derived objectives against the built-in ones they
reproduce, multi-class against multiclass, and the metric against scipy.stats."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
import scipy.stats

import likelihoods as lk
from derivation import derive

lightgbm = pytest.importorskip("lightgbm")

ROUNDS = 30
#: Shared by both boosters of a pair. boost_from_average=False: LightGBM starts a built-in
#: objective from its own average, a callable one from 0; both start from the derived
#: intercept-only fit as init_score instead. One thread and deterministic=True: the
#: histograms are summed in one order.
TREES = {
    "num_leaves": 8,
    "learning_rate": 0.3,
    "verbosity": -1,
    "boost_from_average": False,
    "deterministic": True,
    "num_threads": 1,
}


def _pair(family, x, y, builtin, settings, weight=None, **options):
    fn = derive(family).compile()
    start = np.full(len(y), fn.initial_raw(y, weight=weight, **options)[0])
    params = {**TREES, **settings}

    def train(objective):
        data = lightgbm.Dataset(x, y, weight=weight, init_score=start)
        booster = lightgbm.train({**params, "objective": objective}, data, ROUNDS)
        return booster.predict(x, raw_score=True) + start

    return train(fn.lightgbm_objective(**options)), train(builtin)


@pytest.fixture
def x(rng):
    return rng.normal(size=(600, 4))


def test_squared_error_reproduces_regression(x, rng):
    y = x[:, 0] + np.sin(x[:, 1]) + rng.normal(size=len(x))
    # (y - mu)^2 doubles LightGBM's half square in gradient and Hessian alike: the leaf
    # values -G / (H + lambda_l2) agree with lambda_l2 = 0 (its default), and the Hessian sums
    # meet min_sum_hessian_in_leaf alike only where it is 0
    ours, theirs = _pair(lk.Gaussian(), x, y, "regression", {"min_sum_hessian_in_leaf": 0})
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)
    assert np.std(ours) > 0.5


def test_bernoulli_reproduces_binary_with_weights(x, rng):
    y = (rng.random(len(x)) < scipy.special.expit(2 * x[:, 0])).astype(float)
    weight = rng.uniform(0.5, 2.0, size=len(x))
    ours, theirs = _pair(lk.Bernoulli(), x, y, "binary", {}, weight)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)
    assert np.std(ours) > 0.5


def test_poisson_reproduces_poisson(x, rng):
    y = rng.poisson(np.exp(0.5 * x[:, 0])).astype(float)
    # LightGBM's Poisson Hessian is exp(F + poisson_max_delta_step), 0.7 by default, a
    # safeguard the derived exp(F) does not take; it must be positive, and 1e-12 leaves
    # the Hessian exp(F) to 12 digits
    settings = {"poisson_max_delta_step": 1e-12}
    ours, theirs = _pair(lk.Poisson(), x, y, "poisson", settings)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)
    assert np.std(ours) > 0.3


def test_gamma_reproduces_gamma(x, rng):
    y = rng.gamma(2.0, np.exp(0.5 * x[:, 0]) / 2.0)
    # LightGBM's gamma objective is the NLL of a gamma with a log-linked mean and shape 1:
    # log mu + y / mu, the derived loss of GammaMean (which drops the shape as a factor)
    ours, theirs = _pair(lk.GammaMean(), x, y, "gamma", {})
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)
    assert np.std(ours) > 0.3


def test_the_categorical_objective_trains_to_the_log_loss_of_multiclass(rng):
    def sample(n):
        x = rng.normal(size=(n, 4))
        logits = np.stack([x[:, 0], x[:, 1] - x[:, 0], -x[:, 1]], axis=1)
        cumulative = np.cumsum(scipy.special.softmax(logits, axis=1), axis=1)
        return x, (rng.random(n)[:, None] > cumulative).sum(axis=1)

    (x, labels), (valid_x, valid_labels) = sample(3000), sample(3000)
    fn = derive(lk.Categorical()).compile()
    params = {**TREES, "learning_rate": 0.1, "num_class": 3}

    def best_log_loss(objective, rounds):
        data = lightgbm.Dataset(x, labels)
        booster = lightgbm.train({**params, "objective": objective}, data, rounds)
        losses = []
        for used in range(1, rounds + 1):
            raw = booster.predict(valid_x, raw_score=True, num_iteration=used)
            p = scipy.special.softmax(raw, axis=1)
            losses.append(-np.mean(np.log(p[np.arange(len(valid_labels)), valid_labels])))
        return min(losses)

    # LightGBM's multiclass Hessian is K / (K - 1) p (1 - p) (its factor for K classes),
    # the derived one the exact p (1 - p): each is compared at its best round
    assert best_log_loss(fn.lightgbm_objective(), 150) == pytest.approx(
        best_log_loss("multiclass", 200), rel=0.01
    )


def test_the_metric_is_the_mean_nll_of_the_raw_scores(x, rng):
    y = rng.poisson(np.exp(0.5 * x[:, 0])).astype(float)
    fn = derive(lk.Poisson()).compile()
    history = {}
    data = lightgbm.Dataset(x, y)
    booster = lightgbm.train(
        {**TREES, "objective": fn.lightgbm_objective(), "metric": "None"},
        data,
        5,
        valid_sets=[data],
        valid_names=["train"],
        feval=fn.lightgbm_metric(),
        callbacks=[lightgbm.record_evaluation(history)],
    )
    rate = np.exp(booster.predict(x, raw_score=True))
    expected = -np.mean(scipy.stats.poisson.logpmf(y, rate))
    assert history["train"]["nll"][-1] == pytest.approx(expected, rel=1e-9)
    assert history["train"]["nll"][-1] < history["train"]["nll"][0]
