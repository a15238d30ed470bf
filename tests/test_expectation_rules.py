"""Rule quadratic_power_moment (derivation.quadratic_integrals) against numerical quadrature,
and its refusals of what is not of its form."""

from __future__ import annotations

import math

import pytest
import scipy.integrate
import sympy

from derivation.quadratic_integrals import quadratic_power_moment

y = sympy.Symbol("y", real=True)
mu = sympy.Symbol("mu", real=True)
c = sympy.Symbol("c", positive=True)
a = sympy.Symbol("a", positive=True)


def _log_density(a_value, c_value, mu_value):
    """log of ((y - mu)^2 + c)^(-a) times c^(a - 1/2) Gamma(a) / (sqrt(pi) Gamma(a - 1/2))."""
    norm = sympy.loggamma(a) - sympy.loggamma(a - sympy.S.Half) - sympy.log(sympy.pi) / 2
    norm += (a - sympy.S.Half) * sympy.log(c)
    return (norm - a * sympy.log((y - mu) ** 2 + c)).subs({a: a_value, c: c_value, mu: mu_value})


@pytest.mark.parametrize(
    "statistic",
    [
        "1",
        "y",
        "y**2",
        "1/((y - mu)**2 + c)",
        "(y - mu)**2 / ((y - mu)**2 + c)**2",
        "y**3 / ((y - mu)**2 + c)**2",
    ],
)
@pytest.mark.parametrize(
    ("a_value", "c_value", "mu_value"), [(3, 2, 0.5), (sympy.Rational(7, 2), 0.3, -4)]
)
def test_the_beta_integral_agrees_with_quadrature(statistic, a_value, c_value, mu_value):
    t = sympy.sympify(statistic, locals={"y": y, "mu": mu, "c": c})
    t = t.subs({c: c_value, mu: mu_value})
    log_density = _log_density(a_value, c_value, mu_value)
    got = quadratic_power_moment(t, log_density, y)
    f = sympy.lambdify(y, t * sympy.exp(log_density), "math")
    expected = scipy.integrate.quad(f, -math.inf, math.inf, epsabs=1e-14, epsrel=1e-12)[0]
    assert float(got) == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_symbolic_parameters_give_a_closed_form():
    moment = quadratic_power_moment(1 / ((y - mu) ** 2 + c), _log_density(a, c, mu), y)
    assert sympy.simplify(moment - (a - sympy.S.Half) / (a * c)) == 0


@pytest.mark.parametrize(
    ("statistic", "log_density"),
    [
        ("1/(y**2 + 1)", "-y**2/2"),  # a Gaussian is not a power of a quadratic
        ("log(y**2 + 1)", "-log(y**2 + 1)"),  # a statistic that is not rational
        ("1/(y**2 + 2)", "-log(y**2 + 1)"),  # two different quadratics
        ("y**2", "-log(y**2 + 1)"),  # a Cauchy's second moment diverges
        ("1", "-log(y**2 - 1)"),  # a quadratic with real roots
    ],
)
def test_what_is_not_of_its_form_is_left_alone(statistic, log_density):
    parse = lambda text: sympy.sympify(text, locals={"y": y})  # noqa: E731
    assert quadratic_power_moment(parse(statistic), parse(log_density), y) is None
