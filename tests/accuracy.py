"""Comparing float64 results with high-precision mpmath values."""

from __future__ import annotations

import math

import mpmath
import numpy as np

# 50 significant digits, and headroom: log(1 + e^-700) needs 300 digits to see e^-700.
mpmath.mp.dps = 50
WORK_DIGITS = 1200
FLOAT64_MAX = mpmath.mpf(np.finfo(np.float64).max)


def mp(x: float) -> mpmath.mpf:
    """The exact value of a float64, as an mpmath number."""
    return mpmath.mpf(float(x))


def check(
    got: float,
    exact: mpmath.mpf,
    what: str,
    ulps: float = 4,
    rtol: float = 1e-13,
    terms: tuple = (),
) -> None:
    """``got`` is within ``ulps`` ulps or ``rtol`` relative of ``exact`` where ``exact`` is a
    finite float64, and an infinity of the right sign where it overflows; never NaN.

    ``terms``: where the exact value is a difference of float64 inputs (e^eta - y), rounding
    the larger one already moves the result by half its ulp, so that is allowed as well.
    """
    got = float(got)
    assert not math.isnan(got), f"{what}: NaN, expected {mpmath.nstr(exact, 17)}"
    if abs(exact) > FLOAT64_MAX:
        assert math.isinf(got) and (got > 0) == (exact > 0), (
            f"{what}: got {got!r}, expected overflow to {'+' if exact > 0 else '-'}inf"
        )
        return
    expected = float(exact)
    error = abs(mp(got) - exact)
    bound = max(ulps * np.spacing(abs(expected)), rtol * abs(exact))
    if terms:
        bound = max(bound, ulps * np.spacing(max(abs(float(t)) for t in terms)))
    assert error <= bound, (
        f"{what}: got {got!r}, expected {mpmath.nstr(exact, 20)} "
        f"(error {float(error / max(np.spacing(abs(expected)), 5e-324)):.3g} ulps)"
    )
