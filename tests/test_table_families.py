"""The families of the notes' table beyond the seed ones: their textbook names, and what no
scipy.stats distribution checks for them (Huber's normaliser, the pinball loss written out,
the densities of the mass and density functions integrating to one)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.integrate
import sympy

import likelihoods as lk
from derivation import derive


@pytest.mark.parametrize(
    "model, name",
    [
        (lk.AsymmetricLaplace(), "pinball (quantile) loss at level tau"),
        (lk.Huber(), "Huber loss"),
        (lk.GammaMean(), "half the gamma deviance, up to terms in the target alone"),
        (lk.LogNormal(mu="identity"), None),  # the squared error of log y: not named as MSE
    ],
    ids=lambda v: repr(v) if isinstance(v, lk.NoiseModel) else str(v),
)
def test_textbook_names(model, name):
    named = derive(model).textbook
    assert (named.name if named else None) == name


def _density(model, **values):
    y = sympy.Symbol("y", real=True)
    symbols = {n: model.parameter_symbol(n) for n in model.choices}
    expr = model.log_density(y, **symbols).subs({symbols[k]: v for k, v in values.items()})
    return sympy.lambdify(y, sympy.exp(expr), "numpy")


@pytest.mark.parametrize("delta", [0.1, 1.0, 1.345, 5.0])
def test_huber_density_integrates_to_one(delta):
    pdf = _density(lk.Huber(), mu=0.3, delta=delta)
    total = sum(
        scipy.integrate.quad(pdf, a, b, limit=200)[0]
        for a, b in [(-np.inf, 0.3 - delta), (0.3 - delta, 0.3 + delta), (0.3 + delta, np.inf)]
    )
    assert abs(total - 1) < 1e-10


@pytest.mark.parametrize("tau", [0.1, 0.5, 0.9])
def test_asymmetric_laplace_density_integrates_to_one(tau):
    pdf = _density(lk.AsymmetricLaplace(), mu=-1.0, b=0.7, tau=tau)
    total = sum(scipy.integrate.quad(pdf, a, b)[0] for a, b in [(-np.inf, -1.0), (-1.0, np.inf)])
    assert abs(total - 1) < 1e-10


def test_zero_inflated_poisson_masses_sum_to_one():
    pmf = _density(lk.ZeroInflatedPoisson(), rate=3.5, zero=0.3)
    assert abs(sum(pmf(float(k)) for k in range(200)) - 1) < 1e-12


def test_pinball_loss_equals_the_written_out_check_function(rng):
    fn = derive(lk.AsymmetricLaplace()).compile()
    y, mu = rng.normal(size=200), rng.normal(size=200)
    for tau in (0.1, 0.5, 0.9):
        r = y - mu
        expected = np.maximum(tau * r, (tau - 1) * r)  # the check function rho_tau
        got = fn(y, mu, tau=tau, reduction="none")  # the scale 1/b is divided out
        np.testing.assert_allclose(got, expected, rtol=1e-15, atol=0)
        grad = fn.grad(y, mu, tau=tau, reduction="sum")[0]
        np.testing.assert_array_equal(grad, np.where(r >= 0, -tau, 1 - tau))


def test_huber_loss_equals_torch_style_huber(rng):
    fn = derive(lk.Huber()).compile()
    y, mu = 3 * rng.normal(size=200), rng.normal(size=200)
    delta = 1.345
    r = np.abs(y - mu)
    expected = np.where(r <= delta, r**2 / 2, delta * (r - delta / 2))
    np.testing.assert_allclose(fn(y, mu, delta=delta, reduction="none"), expected, rtol=1e-15)
