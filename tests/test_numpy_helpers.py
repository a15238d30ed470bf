"""The helpers generated NumPy modules carry (derivation/numpy_helpers.py), each against an
independent reference: mpmath at high precision, scipy, or plain indexing."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.special

from derivation import bessel_helpers as B
from derivation import gamma_helpers as G
from derivation import numpy_helpers as H
from derivation.codegen import helper_units


def _ulps(got, exact):
    exact = np.asarray(exact, float)
    return np.abs(got - exact) / np.spacing(np.abs(exact))


def test_one_minus_i1_over_i0_within_its_documented_bound():
    x = np.concatenate([np.logspace(-8, 6, 400), [0.5, 19.9, 20.0, 20.1, 50.0]])
    with mpmath.workdps(60):
        exact = [float(1 - mpmath.besseli(1, v) / mpmath.besseli(0, v)) for v in x]
    errors = _ulps(H._one_minus_i1_over_i0(x), exact)
    assert errors[(x < 1) | (x > 20)].max() <= 4
    assert np.all(errors <= 4 + 16 * x)


# x from 0.1 to 1e300 and shifts from -x/2 to far beyond x: both sides of the switch at 10,
# close arguments (a << x, down to 1e-300 x) and far ones.
_X = np.logspace(-1, 300, 61)
_SHIFTS = [
    (0.5, 1.2, 7.0, -0.4 * x, 3 * x, 1e6, 1e-300 * x, -1e-20 * x, 1e-9 * x, x / 70) for x in _X
]
_GRID = [(x, a) for x, shifts in zip(_X, _SHIFTS) for a in shifts if x + a > 0]


@pytest.mark.parametrize(
    "helper, reference",
    [
        (G._gammaln_difference, lambda x, a: mpmath.loggamma(x + a) - mpmath.loggamma(x)),
        (G._digamma_difference, lambda x, a: mpmath.digamma(x + a) - mpmath.digamma(x)),
    ],
    ids=["gammaln", "digamma"],
)
def test_gamma_function_differences_to_a_few_ulps(helper, reference):
    x, a = np.array(_GRID).T
    with mpmath.workdps(360):  # log-gamma of 1e300 is 7e302: its difference needs 320 digits
        exact = [float(reference(mpmath.mpf(u), mpmath.mpf(v))) for u, v in zip(x, a)]
    errors = _ulps(helper(x, a), exact)
    # direct differences below 10 lose what the two values' size over the result's allows,
    # except where the shift is small against x (the Taylor series)
    assert errors[(x >= 10) | (abs(a) <= x / 64)].max() <= 8, errors.max()
    assert np.all(np.isfinite(helper(x, a)))


def test_betaln_to_a_few_ulps_where_scipy_subtracts_log_gammas():
    a = np.array([np.e, 0.5, 5.0, 20.0, 1e3, 1e5, 10.0, 12.0, 1e-300, 3.0, 1e300, 1e308, 1e-300])
    b = np.array([np.exp(10), 1e4, 2e4, 1e5, 1e5, 1e5, 10.0, 1e300, 1e300, 4.0, 1e300, 1e308, 5])
    with mpmath.workdps(700):  # 1e300 + 12 needs 300 digits
        exact = [float(mpmath.log(mpmath.beta(mpmath.mpf(u), mpmath.mpf(v)))) for u, v in zip(a, b)]
    assert _ulps(scipy.special.betaln(a[:3], b[:3]), exact[:3]).min() > 200  # the motivation
    assert _ulps(G._betaln(a, b), exact).max() <= 2
    assert _ulps(G._betaln(b, a), exact).max() <= 2  # symmetric


def test_log_gamma_of_an_exponential_and_its_derivative_past_underflow():
    t = np.concatenate([-np.logspace(3, -3, 40), np.logspace(-3, np.log10(700), 40)])
    with mpmath.workdps(60):
        x = [mpmath.exp(mpmath.mpf(v)) for v in t]
        log_gamma = [float(mpmath.loggamma(u)) for u in x]
        scaled_digamma = [float(u * mpmath.digamma(u)) for u in x]
        # rounding t, then e^t, by an ulp moves log G(e^t) by (|t| + 1) x psi(x) / log G(x)
        # ulps of it (many where log G is 0, at x = 1 and 2)
        condition = [
            float((abs(v) + 1) * abs(u * mpmath.digamma(u) / mpmath.loggamma(u)))
            for u, v in zip(x, t)
        ]
    slack = 4 + 4 * np.array(condition)
    assert np.all(_ulps(G._gammaln_exp(t), log_gamma) <= slack)
    below = t < -1  # away from the root of psi, where rounding e^t moves x psi(x) most
    assert _ulps(G._digamma_exp_scaled(t[below]), np.array(scaled_digamma)[below]).max() <= 4
    assert G._gammaln_exp(-1000.0) == 1000.0 and G._digamma_exp_scaled(-1000.0) == -1.0


_BESSEL_ORDERS = (0.0, 0.5, 1.0, 2.0, 7.25, 50.0)
_BESSEL_X = (1e-300, 1e-5, 0.5, 0.999, 1.0, 3.0, 19.9, 20.0, 30.0, 700.0, 2600.0, 1e5, 1e10, 1e15)


@pytest.mark.parametrize("nu", _BESSEL_ORDERS)
def test_bessel_functions_of_any_order_where_scipy_underflows_or_is_nan(nu):
    x = np.array(_BESSEL_X)
    with mpmath.workdps(60):
        n = mpmath.mpf(nu)
        ratio = [mpmath.besseli(n + 1, v) / mpmath.besseli(n, v) for v in x]
        log_ive = [float(mpmath.log(mpmath.besseli(n, v)) - v) for v in x]
        gap, ratio = [float(1 - r) for r in ratio], [float(r) for r in ratio]
    assert np.all(np.isnan(scipy.special.ive(nu, x[-2:])))  # the motivation: past 1e9
    # within 1e-13 relative: scipy's ive between x = 1 and 20 gives some 1e-14
    for got, exact in [(B._log_ive, log_ive), (B._bessel_i_gap, gap), (B._bessel_i_ratio, ratio)]:
        np.testing.assert_allclose(got(nu, x), exact, rtol=1e-13, atol=0)


def test_log_i0e_to_a_few_ulps_and_beyond_overflow():
    x = np.concatenate([np.logspace(-10, 5, 300), -np.logspace(-3, 3, 20), [0.999, 1.0]])
    with mpmath.workdps(60):
        exact = [float(mpmath.log(mpmath.besseli(0, v)) - abs(mpmath.mpf(v))) for v in x]
    assert _ulps(H._log_i0e(x), exact).max() <= 4


def test_xdivy_is_zero_where_x_is_zero():
    x, y = np.array([0.0, 0.0, 1.0, -2.0]), np.array([0.0, np.inf, 4.0, 0.5])
    np.testing.assert_array_equal(H._xdivy(x, y), [0.0, 0.0, 0.25, -4.0])
    assert np.isnan(H._xdivy(np.array([0.0]), np.array([np.nan])))[0]  # NaN stays NaN


@pytest.mark.parametrize("order", ["C", "F"])
def test_take_and_put_pick_one_entry_per_row(order, rng):
    values = np.asarray(rng.normal(size=(7, 5)), order=order)
    index = rng.integers(0, 5, size=7)
    np.testing.assert_array_equal(H._take(values, index), values[np.arange(7), index])
    expected = values.copy()
    expected[np.arange(7), index] = -1.0
    H._put(values, index, -1.0)
    np.testing.assert_array_equal(values, expected)


def test_softmax_parts_against_scipy(rng):
    z = rng.normal(size=(6, 4)) * 30
    z[0] = [1000.0, -1000.0, 0.0, 999.0]
    top, excess, p = H._softmax_parts(z, True)
    np.testing.assert_array_equal(top, z.max(-1))
    np.testing.assert_allclose(top + excess, scipy.special.logsumexp(z, axis=-1), rtol=1e-15)
    np.testing.assert_allclose(p, scipy.special.softmax(z, axis=-1), rtol=1e-14, atol=1e-300)


def test_row_sum_and_sum_of_products(rng):
    a, b = rng.normal(size=(9, 3)), rng.normal(size=(9, 3))
    np.testing.assert_allclose(H._row_sum(a), a.sum(-1), rtol=1e-14)
    np.testing.assert_allclose(H._sum_of_products(a, b), (a * b).sum(), rtol=1e-13)
    np.testing.assert_allclose(H._sum_of_products(a.T, b.T), (a * b).sum(), rtol=1e-13)


def test_every_helper_unit_runs_on_its_own():
    # what a generated module holds: the unit alone, with the module header's imports
    for name, source in helper_units().items():
        namespace = {}
        exec("import threading\nimport numpy\nimport scipy.special\n" + source, namespace)
        assert callable(namespace[name])
