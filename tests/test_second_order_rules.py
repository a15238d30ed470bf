"""The rules of second derivatives: the point masses of kinks dropped (the exact Hessian) or
kept as steps (the Fisher information), and ratios of Bessel functions that stay finite."""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest
import scipy.special
import sympy

from derivation import bessel_helpers, gamma_helpers, numpy_helpers, rewriting
from derivation.kernel_printer import KernelPrinter

x, mu = sympy.symbols("x mu", real=True)
NAMESPACE = {
    "numpy": np,
    "scipy": scipy,
    **vars(numpy_helpers),
    **vars(gamma_helpers),
    **vars(bessel_helpers),
}


def _rule(name):
    return next(r for r in rewriting.RULES if r.name == name)


def test_drop_point_masses_gives_the_kink_a_zero_second_derivative():
    after = _rule("drop_point_masses")(sympy.diff(sympy.Abs(x - mu), x, 2) + 3)
    assert after == 3  # 2 DiracDelta(x - mu) is 0 wherever x != mu
    assert _rule("drop_point_masses")(sympy.sign(x)) == sympy.sign(x)


@pytest.mark.parametrize("condition", ["le", "lt", "ge", "gt"])
def test_piecewise_as_steps_agrees_off_the_boundary_and_keeps_the_jump(condition):
    from derivation.rules.kinks import PIECEWISE_AS_STEPS

    g = x - mu
    tests = {"le": g <= 0, "lt": g < 0, "ge": -g >= 0, "gt": -g > 0}
    piecewise = sympy.Piecewise((x**2, tests[condition]), (3 * x, True))
    stepped = PIECEWISE_AS_STEPS(piecewise)
    assert not stepped.has(sympy.Piecewise)
    for value in (-2.5, -0.1, 0.7, 4.0):  # mu = 1: both sides of the boundary
        point = {x: value, mu: 1.0}
        assert float(stepped.subs(point)) == pytest.approx(float(piecewise.subs(point)))
    # the derivative carries the jump 3x - x^2 = 2 at x = mu = 1 as a point mass there
    jump = sympy.diff(stepped, x).coeff(sympy.DiracDelta(x - mu)).subs({x: 1, mu: 1})
    assert jump == 2
    three = sympy.Piecewise((1, x < 0), (2, x < 1), (3, True))
    assert PIECEWISE_AS_STEPS(three) == three


def test_bessel_ratios_stay_finite_where_the_functions_overflow():
    kappa = sympy.Symbol("kappa", positive=True)
    before = (
        sympy.besseli(2, kappa) / sympy.besseli(0, kappa)
        + (sympy.besseli(1, kappa) / sympy.besseli(0, kappa)) ** 2
    )
    after = _rule("bessel_ratios")(before)
    assert not after.has(sympy.besseli)
    at = 1000.0  # I_n(1000) ~ e^1000 overflows: the plain ratio is inf / inf
    with np.errstate(all="ignore"):
        plain = scipy.special.iv(2, at) / scipy.special.iv(0, at)
    assert math.isnan(plain)
    exact = (
        mpmath.besseli(2, at) / mpmath.besseli(0, at)
        + (mpmath.besseli(1, at) / mpmath.besseli(0, at)) ** 2
    )
    value = KernelPrinter().doprint(after.subs(kappa, sympy.Float(at)))
    assert float(eval(value, NAMESPACE)) == pytest.approx(float(exact), rel=1e-14)
    near = sympy.besseli(1, kappa) / sympy.besseli(0, x)  # different arguments: left alone
    assert _rule("bessel_ratios")(near) == near
