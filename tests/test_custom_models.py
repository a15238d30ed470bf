"""A family declared only here, by its log-density, goes through the whole engine."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st
import sympy

from derivation import derive
from likelihoods import NoiseModel, Parameter, Target, constraints


class StudentT(NoiseModel):
    target = Target("y", constraints.real)
    parameters = (
        Parameter("mu", constraints.real, default="identity"),
        Parameter("sigma", constraints.positive, default="fixed"),
        Parameter("nu", constraints.positive, default=3.0),
    )
    prediction = "median"

    def log_density(self, y, mu, sigma, nu):
        return (
            sympy.loggamma((nu + 1) / 2)
            - sympy.loggamma(nu / 2)
            - sympy.log(sympy.sqrt(nu * sympy.pi) * sigma)
            - (nu + 1) / 2 * sympy.log(1 + ((y - mu) / sigma) ** 2 / nu)
        )

    def point_prediction(self, mu, sigma, nu):
        return mu


class Cauchy(NoiseModel):
    target = Target("y", constraints.real)
    parameters = (
        Parameter("mu", constraints.real, default="identity"),
        Parameter("gamma", constraints.positive, default="fixed"),
    )
    prediction = "median"

    def log_density(self, y, mu, gamma):
        return -sympy.log(sympy.pi * gamma * (1 + ((y - mu) / gamma) ** 2))

    def point_prediction(self, mu, gamma):
        return mu


def _data(rng, n=300):
    return rng.standard_t(3, size=n) * 2 + 1, rng.normal(size=n)


def test_student_t_loss_is_the_log1p_of_the_scaled_residual():
    d = derive(StudentT(sigma=2.0))
    y, mu = d.target, d.outputs[0]
    expected = sympy.log(1 + (y - mu) ** 2 / 12)  # nu sigma^2 = 3 * 4
    assert sympy.simplify(d.loss - expected) == 0
    assert d.scale == 2  # (nu + 1) / 2
    assert d.textbook is None


@pytest.mark.parametrize(
    "model, reference",
    [
        (StudentT(sigma=2.0), lambda y, mu: st.t.logpdf(y, 3.0, loc=mu, scale=2.0)),
        (StudentT(sigma=2.0, nu=7.5), lambda y, mu: st.t.logpdf(y, 7.5, loc=mu, scale=2.0)),
        (Cauchy(gamma=0.5), lambda y, mu: st.cauchy.logpdf(y, loc=mu, scale=0.5)),
    ],
    ids=["student-t", "student-t-7.5", "cauchy"],
)
def test_nll_matches_scipy(model, reference, rng):
    y, mu = _data(rng)
    got = derive(model).compile(nll=True)(y, mu, reduction="none")
    np.testing.assert_allclose(got, -reference(y, mu), rtol=1e-12)


def test_symbolic_fixed_parameters_become_keywords(rng):
    y, mu = _data(rng)
    fn = derive(Cauchy()).compile(nll=True)
    assert fn.constants == ("gamma",)
    got = fn(y, mu, gamma=1.5, reduction="none")
    np.testing.assert_allclose(got, -st.cauchy.logpdf(y, loc=mu, scale=1.5), rtol=1e-12)


def test_predicted_scale_and_degrees_of_freedom(rng):
    model = StudentT(sigma="log", nu="log")
    fn = derive(model).compile(nll=True)
    y, mu = _data(rng, 100)
    s, n = rng.normal(size=100) * 0.5, rng.normal(size=100) * 0.5 + 1
    expected = -st.t.logpdf(y, np.exp(n), loc=mu, scale=np.exp(s))
    np.testing.assert_allclose(fn(y, mu, s, n, reduction="none"), expected, rtol=1e-11)
    h = 1e-5
    grads = fn.grad(y, mu, s, n, reduction="sum")
    args = [mu, s, n]
    for i, g in enumerate(grads):

        def f(x, i=i):
            shifted = list(args)
            shifted[i] = x
            return fn(y, *shifted, reduction="none")

        x = args[i]
        fd = (-f(x + 2 * h) + 8 * f(x + h) - 8 * f(x - h) + f(x - 2 * h)) / (12 * h)
        np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)


def test_tiny_residuals_keep_relative_accuracy():
    fn = derive(Cauchy(gamma=1.0)).compile()
    # log(1 + r^2) at r = 1e-9 is 1e-18, not 0.
    assert fn([1e-9], [0.0]) == pytest.approx(1e-18, rel=1e-15)


class NoncentralChiSquare(NoiseModel):
    """A density with a modified Bessel function of order df/2 - 1 (here df = 4, order 1)."""

    target = Target("x", constraints.positive)
    parameters = (Parameter("nc", constraints.positive, default="log"),)
    prediction = "mean"

    def log_density(self, x, nc):
        bessel = sympy.besseli(1, sympy.sqrt(nc * x))
        return -sympy.log(2) - (x + nc) / 2 + sympy.log(x / nc) / 2 + sympy.log(bessel)

    def point_prediction(self, nc):
        return nc + 4


def test_a_bessel_function_of_order_one_matches_scipy_and_the_audit():
    d = derive(NoncentralChiSquare())
    fn = d.compile(nll=True)
    x = np.array([0.5, 3.0, 10.0, 1e-200, 1e5, 40.0])
    eta = np.array([0.1, 1.0, -2.0, -300.0, 12.0, 8.0])  # where I_1 underflows or overflows
    expected = -st.ncx2.logpdf(x, 4, np.exp(eta))
    np.testing.assert_allclose(fn(x, eta, reduction="none"), expected, rtol=1e-12)
    # the gradient where the non-centrality is tiny: d/d eta of -log p is (e^eta - x e^eta/4)/2
    # to first order, a difference that the Bessel ratio's complement keeps
    _, (gradient,) = fn.loss_and_grad(np.array([2.0]), np.array([-100.0]), reduction="none")
    np.testing.assert_allclose(gradient, np.exp(-100.0) * (1 - 2.0 / 4) / 2, rtol=1e-12)
    assert d.audit(progress=False).verdict == "pass"
