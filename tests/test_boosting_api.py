"""The boosting objectives' own contract (layouts, weights, the explicit Hessian floor,
pickling, refusals), initial_raw against closed-form maximum-likelihood fits, and Newton
fitting of a GLM with grad_and_hess against statsmodels."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scipy.optimize
import scipy.special

import likelihoods as lk
from derivation import derive

xgboost = pytest.importorskip("xgboost")


@pytest.mark.parametrize(
    ("family", "sample", "closed_form", "options"),
    [
        (lk.Poisson(), lambda r: r.poisson(3.0, 500), lambda y: [np.log(y.mean())], {}),
        (
            lk.Gaussian(sigma="log"),
            lambda r: r.normal(2.0, 3.0, 500),
            lambda y: [y.mean(), np.log(y.std())],
            {},
        ),
        (
            lk.Bernoulli(),
            lambda r: (r.random(500) < 0.3).astype(float),
            lambda y: [scipy.special.logit(y.mean())],
            {},
        ),
        (lk.Laplace(), lambda r: r.laplace(1.0, 2.0, 501), lambda y: [np.median(y)], {}),
        (
            lk.Gamma(),
            lambda r: r.gamma(2.0, 1.5, 500),
            lambda y: [np.log(2.0 / y.mean())],  # the log-rate: shape / mean
            {"shape": 2.0},
        ),
    ],
    ids=lambda v: str(v) if isinstance(v, lk.NoiseModel) else "",
)
def test_initial_raw_is_the_closed_form_maximum_likelihood_fit(
    family, sample, closed_form, options, rng
):
    y = sample(rng).astype(float)
    got = derive(family).compile().initial_raw(y, **options)
    np.testing.assert_allclose(got, closed_form(y), rtol=1e-9, atol=1e-9)


def test_initial_raw_weights_the_samples_and_gives_log_frequencies_over_classes(rng):
    fn = derive(lk.Poisson()).compile()
    y, w = rng.poisson(4.0, 300).astype(float), rng.uniform(0.1, 3.0, 300)
    np.testing.assert_allclose(fn.initial_raw(y, weight=w), [np.log(np.average(y, weights=w))])
    labels = rng.choice(4, size=1000, p=[0.1, 0.2, 0.3, 0.4])
    logits = derive(lk.Categorical()).compile().initial_raw(labels)
    # the softmax is invariant to a common shift: the differences are the log frequencies
    frequencies = np.bincount(labels) / len(labels)
    np.testing.assert_allclose(logits - logits[0], np.log(frequencies / frequencies[0]))


def test_the_objective_gives_one_column_per_raw_output_and_k_over_classes(rng):
    y = rng.normal(size=20).astype(np.float32).astype(np.float64)  # as a DMatrix keeps it
    data = xgboost.DMatrix(np.zeros((20, 1)), y, weight=np.full(20, 2.0))
    fn = derive(lk.Gaussian(sigma="log")).compile()
    scores = rng.normal(size=(20, 2))
    grad, hess = fn.xgboost_objective()(scores, data)
    _, grads, diagonal = fn.grad_and_hess(y, scores[:, 0], scores[:, 1], reduction="none")
    np.testing.assert_allclose(grad, 2.0 * np.stack(grads, axis=1), rtol=1e-15)
    np.testing.assert_allclose(hess, 2.0 * np.stack(diagonal, axis=1), rtol=1e-15)
    labels = rng.integers(0, 3, size=20)
    z = rng.normal(size=(20, 3))
    grad, hess = (
        derive(lk.Categorical())
        .compile()
        .xgboost_objective()(z.ravel(), xgboost.DMatrix(np.zeros((20, 1)), labels))
    )
    p = scipy.special.softmax(z, axis=1)
    np.testing.assert_allclose(grad, p - np.eye(3)[labels], rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(hess, p * (1 - p), rtol=1e-14)  # exact, not XGBoost's 2p(1-p)


def test_the_hessian_floor_is_explicit_and_the_fisher_is_positive(rng):
    fn = derive(lk.StudentT()).compile()
    y = np.array([0.0, 30.0])
    data = xgboost.DMatrix(np.zeros((2, 1)), y)
    options = {"nu": 3.0, "sigma": 1.0}
    _, exact = fn.xgboost_objective(**options)(np.zeros(2), data)
    assert exact[1] < 0  # beyond sigma sqrt(nu): given as it is unless a floor is asked for
    _, floored = fn.xgboost_objective(hessian_floor=1e-3, **options)(np.zeros(2), data)
    np.testing.assert_array_equal(floored, np.maximum(exact, 1e-3))
    _, fisher = fn.xgboost_objective("fisher", **options)(np.zeros(2), data)
    # (nu + 1) / ((nu + 3) sigma^2) in the loss' units, which divide the NLL by (nu + 1) / 2
    np.testing.assert_allclose(fisher, 2.0 / (3.0 + 3.0), rtol=1e-15)


def test_objectives_and_metrics_pickle_as_their_declaration(rng):
    fn = derive(lk.Gamma()).compile()
    x, y = rng.normal(size=(50, 2)), rng.gamma(2.0, 1.0, 50)
    data = xgboost.DMatrix(x, y)
    for made in (fn.xgboost_objective("fisher", shape=2.0), fn.lightgbm_metric(shape=2.0)):
        again = pickle.loads(pickle.dumps(made))
        scores = rng.normal(size=50)
        for ours, theirs in zip(made(scores, data), again(scores, data)):
            np.testing.assert_array_equal(np.asarray(ours, dtype=object), theirs)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda fn: fn.xgboost_objective(hessian="approx"), "hessian: expected one of"),
        (lambda fn: fn.lightgbm_objective(hessian_floor=float("nan")), "hessian_floor"),
        (
            lambda fn: fn.xgboost_objective()(np.zeros((4, 3)), _data(4)),
            "predictions: expected 2 columns",
        ),
    ],
)
def test_bad_arguments_are_refused_by_name(call, match):
    with pytest.raises(ValueError, match=match):
        call(derive(lk.Gaussian(sigma="log")).compile())


def test_class_labels_must_be_whole_numbers():
    fn = derive(lk.Categorical()).compile()
    data = xgboost.DMatrix(np.zeros((3, 1)), np.array([0.0, 1.5, 2.0]))
    with pytest.raises(ValueError, match="label: expected class indices.*1.5 at index 1"):
        fn.xgboost_objective()(np.zeros((3, 3)), data)


def _data(n):
    return xgboost.DMatrix(np.zeros((n, 1)), np.zeros(n))


@pytest.mark.parametrize("method", ["trust-exact", "Newton-CG"])
def test_newton_fitting_of_a_poisson_glm_equals_statsmodels(method, rng):
    statsmodels = pytest.importorskip("statsmodels.api")
    x = np.column_stack([np.ones(400), rng.normal(size=(400, 3))])
    y = rng.poisson(np.exp(x @ np.array([0.3, 0.5, -0.2, 0.1]))).astype(float)
    fn = derive(lk.Poisson()).compile()

    def value(beta):
        return fn(y, x @ beta, reduction="sum")

    def gradient(beta):
        (g,) = fn.grad(y, x @ beta, reduction="sum")
        return x.T @ g

    def hessian(beta):
        (h,) = fn.hessian(y, x @ beta, reduction="sum")
        return x.T @ (h[:, None] * x)  # X^T diag(h) X

    fit = scipy.optimize.minimize(
        value,
        np.zeros(4),
        jac=gradient,
        hess=hessian,
        method=method,
        options={"gtol": 1e-10} if method == "trust-exact" else {"xtol": 1e-12},
    )
    reference = statsmodels.GLM(y, x, family=statsmodels.families.Poisson()).fit(tol=1e-14)
    np.testing.assert_allclose(fit.x, reference.params, rtol=1e-7, atol=1e-9)
