"""Loss and gradient at extreme inputs against mpmath (50 digits), with references written
here from the textbook formulas, independent of the derivation."""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import pytest

import likelihoods as lk
from derivation import derive

from accuracy import WORK_DIGITS, check, mp

LOGITS = [-1000.0, -700.0, -40.0, -30.0, -1.0, -1e-8, 0.0, 1e-8, 1.0, 30.0, 40.0, 700.0, 1000.0]


@pytest.fixture(autouse=True)
def _high_precision():
    with mpmath.workdps(WORK_DIGITS):
        yield


def _sigmoid(z):
    return 1 / (1 + mpmath.exp(-z))


@pytest.fixture(params=["numpy", "numba"])
def backend(request):
    """Each case on the NumPy path and on the numba backend (with its own exp, log, log1p)."""
    if request.param == "numba":
        pytest.importorskip("numba")
    return request.param


def _run(model, y, *raw, backend="numpy"):
    try:
        fn = derive(model).compile(backend=backend)
    except ValueError as error:  # a function the numba backend has no scalar version of
        pytest.skip(str(error))
    arrays = [np.array([v]) for v in (y, *raw)]
    loss, grads = fn.loss_and_grad(*arrays, reduction="sum")
    return float(loss), [float(g[0]) for g in grads]


@pytest.mark.parametrize("y, z", list(itertools.product([0.0, 1.0], LOGITS)))
def test_bernoulli_logits(y, z, backend):
    loss, (grad,) = _run(lk.Bernoulli(), y, z, backend=backend)
    Y, Z = mp(y), mp(z)
    check(loss, mpmath.log(1 + mpmath.exp(Z)) - Y * Z, f"loss(y={y}, z={z})")
    check(grad, _sigmoid(Z) - Y, f"grad(y={y}, z={z})")


def test_bernoulli_tiny_loss_keeps_relative_accuracy(backend):
    loss, (grad,) = _run(lk.Bernoulli(), 1.0, 30.0, backend=backend)
    assert loss == pytest.approx(9.357622968840175e-14, rel=1e-15)
    assert grad == pytest.approx(-9.357622968840175e-14, rel=1e-15)


PROBABILITIES = [0.0, 5e-324, 1e-300, 1e-16, 0.25, 0.5, 1 - 1e-16, 1 - 2**-53, 1.0]


@pytest.mark.parametrize("y, p", list(itertools.product([0.0, 1.0], PROBABILITIES)))
def test_bernoulli_probabilities(y, p, backend):
    loss, (grad,) = _run(lk.Bernoulli(p="identity"), y, p, backend=backend)
    P = mp(p)
    # 0 * log 0 = 0: only the log of the observed outcome's probability counts.
    expected = -(mpmath.log(P) if y == 1 else mpmath.log(1 - P))
    if y == 1:
        slope = -1 / P if P else -mpmath.inf
    else:
        slope = 1 / (1 - P) if P != 1 else mpmath.inf
    check(loss, expected, f"loss(y={y}, p={p})")
    check(grad, slope, f"grad(y={y}, p={p})")


@pytest.mark.parametrize(
    "y, eta", list(itertools.product([0.0, 1.0, 7.0, 1e6], [-700.0, -30.0, 0.0, 1e-9, 30.0, 700.0]))
)
def test_poisson_log_rates(y, eta, backend):
    loss, (grad,) = _run(lk.Poisson(), y, eta, backend=backend)
    Y, E = mp(y), mp(eta)
    check(loss, mpmath.exp(E) - Y * E, f"loss(y={y}, eta={eta})")
    check(grad, mpmath.exp(E) - Y, f"grad(y={y}, eta={eta})", terms=(np.exp(eta), y))


@pytest.mark.parametrize("y", [0.0, 1.0, 170.0, 171.0, 1e6, 1e15])
def test_poisson_nll_log_factorial_never_overflows(y):
    fn = derive(lk.Poisson()).compile(nll=True)
    got = float(fn(np.array([y]), np.array([3.0]), reduction="sum"))
    Y = mp(y)
    check(got, mpmath.exp(3) - 3 * Y + mpmath.loggamma(Y + 1), f"nll(y={y})")


@pytest.mark.parametrize(
    "residual, s",
    list(
        itertools.product(
            [0.0, 1e-300, 1e-200, 1e-5, 1.0, 1e100], [-400.0, -300.0, -1.0, 0.0, 300.0]
        )
    ),
)
def test_heteroscedastic_log_sigma(residual, s, backend):
    mu = 0.5
    y = mu + residual if residual > 1e-10 else residual
    mu = mu if residual > 1e-10 else 0.0
    loss, (g_mu, g_s) = _run(lk.HeteroscedasticGaussian(), y, mu, s, backend=backend)
    R, S = mp(y) - mp(mu), mp(s)
    scaled = R**2 * mpmath.exp(-2 * S)
    check(loss, 2 * S + scaled, f"loss(r={residual}, s={s})")
    check(g_mu, -2 * R * mpmath.exp(-2 * S), f"dmu(r={residual}, s={s})")
    check(g_s, 2 - 2 * scaled, f"ds(r={residual}, s={s})")


@pytest.mark.parametrize(
    "residual, sigma", list(itertools.product([0.0, 1e-160, 1e-5, 3.0], [1e-150, 1e-5, 1.0, 1e150]))
)
def test_gaussian_identity_sigma(residual, sigma, backend):
    loss, (g_mu, g_sigma) = _run(
        lk.Gaussian(sigma="identity"), residual, 0.0, sigma, backend=backend
    )
    R, S = mp(residual), mp(sigma)
    check(loss, 2 * mpmath.log(S) + (R / S) ** 2, f"loss(r={residual}, sigma={sigma})")
    check(g_mu, -2 * R / S**2, f"dmu(r={residual}, sigma={sigma})")
    check(g_sigma, 2 / S - 2 * R**2 / S**3, f"dsigma(r={residual}, sigma={sigma})")


@pytest.mark.parametrize(
    "d, kappa", list(itertools.product([0.0, 1e-8, 0.5, 3.0], [1e-3, 1.0, 30.0, 1e3, 1e5]))
)
def test_von_mises_predicted_kappa(d, kappa, backend):
    eta = float(np.log(kappa))
    loss, (g_mu, g_eta) = _run(lk.VonMises(kappa="log"), d, 0.0, eta, backend=backend)
    D, K = mp(d), mpmath.exp(mp(eta))
    i0, i1 = mpmath.besseli(0, K), mpmath.besseli(1, K)
    check(loss, -K * mpmath.cos(D) + mpmath.log(i0), f"loss(d={d}, kappa={kappa})")
    check(g_mu, -K * mpmath.sin(D), f"dmu(d={d}, kappa={kappa})")
    check(g_eta, K * (i1 / i0 - mpmath.cos(D)), f"deta(d={d}, kappa={kappa})")
