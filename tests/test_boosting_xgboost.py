"""Real XGBoost boosters trained with the derived objectives: against the built-in objectives
they reproduce, on a distributional fit, on outliers; and the metric against scipy.stats."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
import scipy.stats

import likelihoods as lk
from derivation import derive

xgboost = pytest.importorskip("xgboost")

ROUNDS = 30
#: Shared by both boosters of a pair: the exact greedy split finder, so that nothing depends
#: on a histogram sketch.
TREES = {"tree_method": "exact", "max_depth": 3, "eta": 0.3, "verbosity": 0}


def _features(rng, n=600):
    return rng.normal(size=(n, 4))


def _margins(booster, x, margin):
    return booster.predict(xgboost.DMatrix(x, base_margin=margin), output_margin=True)


def _pair(family, x, y, builtin, settings, weight=None):
    """Margins of the built-in objective and of the derived one, both from the derived
    intercept-only fit as base_margin (XGBoost would otherwise estimate its own
    base_score for the built-in objective only)."""
    fn = derive(family).compile()
    margin = np.full(len(y), fn.initial_raw(y, weight=weight)[0])
    data = xgboost.DMatrix(x, y, weight=weight, base_margin=margin)
    params = {**TREES, **settings}
    ours = xgboost.train(params, data, ROUNDS, obj=fn.xgboost_objective())
    theirs = xgboost.train({**params, "objective": builtin}, data, ROUNDS)
    return _margins(ours, x, margin), _margins(theirs, x, margin)


def test_squared_error_reproduces_reg_squarederror(rng):
    x = _features(rng)
    y = x[:, 0] + np.sin(x[:, 1]) + rng.normal(size=len(x))
    # The derived loss is (y - mu)^2, twice XGBoost's half square: gradient and Hessian are
    # both doubled, so a leaf's -G / (H + lambda) is the same only with lambda = 0, and a
    # child's Hessian sum meets min_child_weight at other places unless it is 0.
    ours, theirs = _pair(
        lk.Gaussian(), x, y, "reg:squarederror", {"lambda": 0, "min_child_weight": 0}
    )
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)
    assert np.std(ours) > 0.5  # the trees did learn


def test_bernoulli_reproduces_binary_logistic_with_weights(rng):
    x = _features(rng)
    y = (rng.random(len(x)) < scipy.special.expit(2 * x[:, 0])).astype(float)
    weight = rng.uniform(0.5, 2.0, size=len(x))
    # p - y and p (1 - p): XGBoost's own gradient and Hessian, weighted as ours
    ours, theirs = _pair(lk.Bernoulli(), x, y, "binary:logistic", {}, weight)
    np.testing.assert_allclose(ours, theirs, rtol=0, atol=1e-5)
    assert np.std(ours) > 0.5


def _classes(rng, n):
    x = _features(rng, n)
    logits = np.stack([x[:, 0], x[:, 1] - x[:, 0], -x[:, 1]], axis=1)
    cumulative = np.cumsum(scipy.special.softmax(logits, axis=1), axis=1)
    return x, (rng.random(n)[:, None] > cumulative).sum(axis=1)


def _best_log_loss(booster, x, labels, raw: bool):
    """The least validation log-loss over the rounds, from sklearn-free formulas."""
    best = np.inf
    for rounds in range(1, booster.num_boosted_rounds() + 1):
        out = booster.predict(xgboost.DMatrix(x), iteration_range=(0, rounds), output_margin=raw)
        p = scipy.special.softmax(out, axis=1) if raw else out
        best = min(best, -np.mean(np.log(p[np.arange(len(labels)), labels])))
    return best


def test_the_categorical_objective_trains_to_the_log_loss_of_multi_softprob(rng):
    x, labels = _classes(rng, 3000)
    valid_x, valid_labels = _classes(rng, 3000)
    fn = derive(lk.Categorical()).compile()
    params = {**TREES, "tree_method": "hist", "eta": 0.1, "num_class": 3}
    data = xgboost.DMatrix(x, labels)
    # XGBoost's multi:softprob takes 2 p (1 - p) as the Hessian, a bound twice the exact
    # p (1 - p) that the derived objective gives: its steps are half as long, so each is
    # compared at its best round on held-out data.
    ours = xgboost.train(params, data, 150, obj=fn.xgboost_objective())
    theirs = xgboost.train({**params, "objective": "multi:softprob"}, data, 300)
    ours_loss = _best_log_loss(ours, valid_x, valid_labels, raw=True)
    theirs_loss = _best_log_loss(theirs, valid_x, valid_labels, raw=False)
    assert ours_loss == pytest.approx(theirs_loss, rel=0.01)


@pytest.mark.parametrize("strategy", ["one_output_per_tree", "multi_output_tree"])
def test_a_distributional_fit_recovers_the_scale_of_heteroscedastic_data(strategy, rng):
    def sample(n):
        x = rng.uniform(-2.0, 2.0, size=(n, 3))
        sigma = np.exp(0.5 * x[:, 1])
        return x, np.sin(x[:, 0]) + sigma * rng.normal(size=n), sigma

    x, y, _ = sample(5000)
    test_x, _, sigma = sample(2000)
    fn = derive(lk.Gaussian(sigma="log")).compile()
    start = fn.initial_raw(y)  # the mean and the log standard deviation of y
    params = {"tree_method": "hist", "max_depth": 2, "eta": 0.1, "verbosity": 0}
    params |= {"num_target": 2, "multi_strategy": strategy}
    data = xgboost.DMatrix(x, y, base_margin=np.tile(start, (len(y), 1)))
    booster = xgboost.train(params, data, 150, obj=fn.xgboost_objective(hessian="fisher"))
    raw = _margins(booster, test_x, np.tile(start, (len(test_x), 1)))
    assert raw.shape == (len(test_x), 2)
    assert np.mean(np.abs(np.exp(raw[:, 1]) / sigma - 1)) < 0.10


def test_a_student_t_objective_beats_squared_error_on_outliers(rng):
    x = _features(rng, 2000)
    truth = np.sin(x[:, 0]) + 0.5 * x[:, 1]
    y = truth + 0.3 * rng.normal(size=len(x))
    gross = rng.random(len(x)) < 0.1
    y[gross] += rng.choice([-1, 1], gross.sum()) * rng.uniform(10, 20, gross.sum())
    params = {**TREES, "tree_method": "hist", "eta": 0.1}
    data = xgboost.DMatrix(x, y, base_margin=np.full(len(y), np.median(y)))
    # the exact Hessian of the Student-t loss is negative beyond |y - mu| = sigma sqrt(nu):
    # the Fisher information, (nu + 1) / ((nu + 3) sigma^2) here, is what a leaf can divide by
    robust = derive(lk.StudentT()).compile().xgboost_objective("fisher", nu=3.0, sigma=0.3)
    t = xgboost.train(params, data, 200, obj=robust)
    square = xgboost.train({**params, "objective": "reg:squarederror"}, data, 200)
    margin = np.full(len(y), np.median(y))

    def error(booster):
        return np.mean((_margins(booster, x, margin) - truth) ** 2)

    assert error(t) < 0.25 * error(square)


def test_the_metric_is_the_mean_nll_of_the_margins(rng):
    x = _features(rng)
    y = rng.poisson(np.exp(0.5 * x[:, 0])).astype(float)
    fn = derive(lk.Poisson()).compile()
    margin = np.full(len(y), fn.initial_raw(y)[0])
    data = xgboost.DMatrix(x, y, base_margin=margin)
    history = {}
    booster = xgboost.train(
        {**TREES, "disable_default_eval_metric": 1},
        data,
        5,
        obj=fn.xgboost_objective(),
        evals=[(data, "train")],
        custom_metric=fn.xgboost_metric(),
        evals_result=history,
        verbose_eval=False,
    )
    rate = np.exp(_margins(booster, x, margin).astype(np.float64))
    expected = -np.mean(scipy.stats.poisson.logpmf(y, rate))
    assert history["train"]["nll"][-1] == pytest.approx(expected, rel=1e-6)
    assert history["train"]["nll"][-1] < history["train"]["nll"][0]
