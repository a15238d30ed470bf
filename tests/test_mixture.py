"""Mixtures of any elementwise family (``lk.Mixture``) against densities written out with
scipy.stats, finite differences and mpmath, and the engine's handling of what they exercise."""

from __future__ import annotations

import pickle

import mpmath
import numpy as np
import pytest
import scipy.special
import scipy.stats as st
import sympy

import likelihoods as lk
from derivation import derive
from derivation.events import resolve_sums
from derivation.kernel_printer import KernelPrinter


def _weights(logits):
    return scipy.special.softmax(logits, axis=-1)


def _written_out(log_component, logits):
    """-log sum_k w_k p_k from the components' scipy log-densities."""
    return -scipy.special.logsumexp(np.log(_weights(logits)) + log_component, axis=-1)


def _draw(rng, n, k):
    return rng.normal(size=(n, k)), rng.normal(size=(n, k))


@pytest.mark.parametrize("k", [1, 2, 7])
def test_poisson_mixture_is_the_written_out_mixture(rng, k):
    logits, eta = _draw(rng, 40, k)
    counts = rng.poisson(3.0, size=40).astype(float)
    got = derive(lk.Mixture(lk.Poisson())).compile(nll=True)(counts, logits, eta, reduction="none")
    log_p = st.poisson.logpmf(counts[:, None], np.exp(eta))
    np.testing.assert_allclose(got, _written_out(log_p, logits), rtol=1e-13)


def test_gamma_and_negative_binomial_mixtures_are_the_written_out_mixtures(rng):
    logits, eta = _draw(rng, 30, 3)
    y = rng.gamma(2.0, 1.0, size=30)
    model = lk.Mixture(lk.GammaMean(shape=2.0))
    got = derive(model).compile(nll=True)(y, logits, eta, reduction="none")
    log_p = st.gamma.logpdf(y[:, None], 2.0, scale=np.exp(eta) / 2.0)
    np.testing.assert_allclose(got, _written_out(log_p, logits), rtol=1e-13)
    counts = rng.poisson(4.0, size=30).astype(float)
    model = lk.Mixture(lk.NegativeBinomial(dispersion="log"))
    eta_r = rng.normal(size=(30, 3))
    got = derive(model).compile(nll=True)(counts, logits, eta, eta_r, reduction="none")
    mean, dispersion = np.exp(eta), np.exp(eta_r)
    log_p = st.nbinom.logpmf(counts[:, None], 1 / dispersion, 1 / (1 + dispersion * mean))
    np.testing.assert_allclose(got, _written_out(log_p, logits), rtol=1e-12)


def test_a_mixture_of_gaussians_is_the_gaussian_mixture(rng):
    logits, mu = _draw(rng, 25, 4)
    log_sigma = rng.normal(0, 0.5, size=(25, 4))
    y = rng.normal(size=25)
    general = derive(lk.Mixture(lk.Gaussian(sigma="log"))).compile(nll=True)
    log_p = st.norm.logpdf(y[:, None], mu, np.exp(log_sigma))
    got = general(y, logits, mu, log_sigma, reduction="none")
    np.testing.assert_allclose(got, _written_out(log_p, logits), rtol=1e-13)
    built_in = derive(lk.GaussianMixture()).compile(nll=True)
    for mine, theirs in zip(
        general.grad(y, logits, mu, log_sigma), built_in.grad(y, logits, mu, log_sigma)
    ):
        np.testing.assert_allclose(mine, theirs, rtol=1e-12, atol=1e-17)


@pytest.mark.parametrize(
    "model",
    [
        lk.Mixture(lk.Poisson()),
        lk.Mixture(lk.Gamma(), shape="logit"),
        lk.Mixture(lk.BetaMean(precision="log")),
        lk.Mixture(lk.Logistic(s="softplus")),
    ],
    ids=repr,
)
def test_gradients_match_finite_differences(model, rng):
    fn = derive(model).compile(nll=True)
    y = lk.sampling.inside(model.target.support, rng, 6)
    # per-component parameters are rows of 3; a shared one predicted is one value per sample
    shapes = [(6, 3) if model.choices[n].parameter.domain.event else (6,) for n in model.predicted]
    raws = [rng.normal(0, 0.7, size=shape) for shape in shapes]
    grads = fn.grad(y, *raws, reduction="sum")
    h = 1e-6
    for g, raw in zip(grads, raws):
        for c in range(3 if raw.ndim == 2 else 1):
            step = np.zeros_like(raw)
            if raw.ndim == 2:
                step[:, c] = h  # column c of every row
            else:
                step[:] = h  # every sample's own value
            values = [
                fn(y, *(raw + sign * step if r is raw else r for r in raws), reduction="none")
                for sign in (1, -1)
            ]
            expected = (values[0] - values[1]) / (2 * h)
            np.testing.assert_allclose(g[..., c] if raw.ndim == 2 else g, expected, atol=1e-7)


def test_one_component_is_the_component_itself(rng):
    eta = rng.normal(size=20)
    counts = rng.poisson(2.0, size=20).astype(float)
    mixed = derive(lk.Mixture(lk.Poisson())).compile(nll=True)
    alone = derive(lk.Poisson()).compile(nll=True)
    np.testing.assert_allclose(
        mixed(counts, np.zeros((20, 1)), eta[:, None], reduction="none"),
        alone(counts, eta, reduction="none"),
        rtol=1e-14,
    )


def test_far_apart_components_against_mpmath():
    # a weight of e^-800 (it underflows) on a component 150 nats from the count: the
    # mixture's NLL is the other component's, and no weight or density is formed linearly
    fn = derive(lk.Mixture(lk.Poisson())).compile(nll=True)
    counts, logits, eta = np.array([50.0]), np.array([[-800.0, 0.0]]), np.array([[3.9, 0.0]])
    mpmath.mp.dps = 60
    log_weights = [
        mpmath.mpf(-800) - mpmath.log(1 + mpmath.exp(-800)),
        -mpmath.log(1 + mpmath.exp(-800)),
    ]
    terms = [
        w + 50 * mpmath.mpf(e) - mpmath.exp(mpmath.mpf(e)) - mpmath.loggamma(51)
        for w, e in zip(log_weights, (3.9, 0.0))
    ]
    expected = -mpmath.log(sum(mpmath.exp(t) for t in terms))
    assert fn(counts, logits, eta) == pytest.approx(float(expected), rel=1e-14, abs=0)
    g_logits, g_eta = fn.grad(counts, logits, eta)
    # d/d eta_k = -r_k (y - e^eta_k), r_0 = e^(terms_0 + nll) about e^-653, not 0
    r0 = mpmath.exp(terms[0] + expected)
    assert g_eta[0, 0] == pytest.approx(float(-r0 * (50 - mpmath.exp(3.9))), rel=1e-12, abs=0)
    assert g_eta[0, 1] == pytest.approx(float(-(1 - r0) * (50 - 1)), rel=1e-14, abs=0)
    assert g_logits[0, 0] == pytest.approx(float(mpmath.exp(log_weights[0]) - r0), rel=1e-12, abs=0)


def test_point_prediction_is_the_weighted_mean_and_models_pickle():
    model = lk.Mixture(lk.Poisson())
    w, rate = model.parameter_symbol("w"), model.parameter_symbol("rate")
    k = lk.CLASS_INDEX
    assert model.point_prediction(w=w, rate=rate) == sympy.Sum(
        w[k] * rate[k], (k, 0, lk.CLASSES - 1)
    )
    assert pickle.loads(pickle.dumps(model)) == model
    assert pickle.loads(pickle.dumps(lk.Mixture(lk.Poisson(), rate="softplus"))) != model
    assert "logsumexp" in str(derive(model))


@pytest.mark.parametrize(
    ("component", "says"),
    [
        (lk.Categorical, "not elementwise"),
        (lk.Laplace, "point-predicts its median"),
        (lk.ZeroInflatedPoisson, "written by cases"),
    ],
)
def test_components_it_cannot_mix_are_refused_by_name(component, says):
    with pytest.raises(TypeError, match=says):
        lk.Mixture(component)


def test_index_bounds_are_dropped_but_equations_are_branches():
    y = sympy.Symbol("y", integer=True, nonnegative=True)
    i, a, b = lk.COMPONENT, sympy.Symbol("a"), sympy.Symbol("b")
    in_range = sympy.Piecewise((a, (i >= 0) & (i <= lk.CLASSES - 1)), (b, True))
    assert resolve_sums(in_range) == a  # indices always lie in [0, K)
    by_cases = sympy.Piecewise((a, sympy.Eq(y, 0)), (b, True))
    assert resolve_sums(by_cases) == by_cases


def test_sums_over_the_classes_print_as_the_sum_or_are_refused():
    k, i = lk.CLASS_INDEX, lk.COMPONENT
    z = sympy.IndexedBase("z", shape=(lk.CLASSES,), real=True)
    printer = KernelPrinter(arrays={"z", "x"})
    free = printer.print_output(sympy.Sum(sympy.Symbol("x"), (k, 0, lk.CLASSES - 1)), False)
    assert "_K *" in free  # K copies of a term free of the index
    tied = sympy.Sum(sympy.exp(z[k] + z[i]), (k, 0, lk.CLASSES - 1))
    with pytest.raises(ValueError, match="depend on the index i"):
        printer.print_output(tied, per_class=True)
