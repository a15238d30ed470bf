"""Named functions whose values and derivatives are built from primitives (no helper of their
own), evaluated as the kernels print them, against mpmath at high precision."""

from __future__ import annotations

import itertools

import mpmath
import numpy as np
import scipy
import sympy

from derivation import numpy_helpers
from derivation.functions import log_mix
from derivation.kernel_printer import KernelPrinter

NAMESPACE = {"numpy": np, "scipy": scipy, **vars(numpy_helpers)}
z, a, b = sympy.symbols("z a b", real=True)


def _compiled(expr):
    return sympy.lambdify((z, a, b), expr, NAMESPACE, printer=KernelPrinter())


def _exact(zv, av, bv):
    """log_mix(z, a, b) and its derivatives in z, a and b, at 450 digits (e^-1e-200 needs
    more than 200)."""
    with mpmath.workdps(450):
        w = 1 / (1 + mpmath.exp(-mpmath.mpf(zv)))  # expit(z)
        first, second = (1 - w) * mpmath.exp(av), w * mpmath.exp(bv)
        total = first + second
        dz = w * (1 - w) * (mpmath.exp(bv) - mpmath.exp(av)) / total
        return mpmath.log(total), dz, first / total, second / total


def _ulps(got, exact):
    exact = float(exact)
    if exact == 0:
        return 0.0 if got == 0 else np.inf
    return abs(got - exact) / np.spacing(abs(exact))


# weights from certain to negligible, components from equal to 700 apart, values near 0
_GRID = list(
    itertools.product(
        (-800.0, -30.0, -1.0, 0.0, 0.5, 30.0, 800.0),
        (-1e-200, -1e-9, -0.3, -5.0, -700.0, 2.0),
        (0.0, -1e-9, 3.0),
    )
)


def test_log_mix_to_a_few_ulps_where_its_value_is_near_zero():
    f = _compiled(log_mix(z, a, b))
    exact = [_exact(*p)[0] for p in _GRID]
    errors = [_ulps(float(f(*map(np.float64, p))), e) for p, e in zip(_GRID, exact)]
    # the absolute error is an ulp of the largest term, so allow what rounding b by 4 ulps does
    slack = [4 + 4 * abs(p[2]) / max(abs(float(e)), 1e-300) for p, e in zip(_GRID, exact)]
    assert all(e <= s for e, s in zip(errors, slack)), max(errors)
    naive = _compiled(log_mix.definition(z, a, b))
    with np.errstate(all="ignore"):  # the definition loses all of a value near 0
        assert float(naive(1.0, -1e-200, 0.0)) == 0.0


def test_log_mix_derivatives_to_a_few_ulps():
    for index, variable in enumerate((z, a, b)):
        derivative = _compiled(log_mix(z, a, b).diff(variable))
        with np.errstate(all="ignore"):
            errors = [
                _ulps(float(derivative(*map(np.float64, p))), _exact(*p)[index + 1]) for p in _GRID
            ]
        # each is an exponential of a sum of z, a and b: rounding those by 4 ulps moves it by
        # 4 (|z| + |a| + |b|) ulps
        slack = [4 * (1 + sum(map(abs, p))) for p in _GRID]
        assert all(e <= s for e, s in zip(errors, slack)), (variable, max(errors))
