"""Helpers of generated NumPy modules for modified Bessel functions of any order nu >= 0,
which scipy.special gives only as values that underflow for small arguments and are NaN
past 1e9; units as in :mod:`derivation.numpy_helpers` (``# --- name`` markers), read by
:func:`derivation.codegen.helper_units`.

Three regimes: below x = 1 the power series (I_nu(x) = (x/2)^nu / Gamma(nu + 1) times a sum
of positive terms); from x = max(20, nu^2) on the asymptotic series (A&S 9.7.1); between,
``scipy.special.ive``.

>>> round(float(_log_ive(2.0, 1e-300)), 6)  # log((x/2)^2 / 2), where ive is 0
-1383.630497
"""

import numpy
import scipy.special


# --- _bessel_tail
# S = 1 + sum_m (x^2/4)^m / (m! (nu + 1)_m), so I_nu(x) = (x/2)^nu / Gamma(nu + 1) S: below
# x = 1 each term is under 1/(4m) of the one before, so 16 terms reach full precision. The
# tail S - 1 alone, so that log S is log1p of it.
def _bessel_tail(nu, x):
    """S - 1 of the power series of I_nu(x), for x < 1 and nu >= 0."""
    q = numpy.square(x) / 4
    term, total = numpy.ones_like(q), numpy.zeros_like(q)
    for m in range(1, 17):
        term = term * q / (m * (nu + m))
        total = total + term
    return total


# --- _bessel_asymptotic
# sqrt(2 pi x) e^-x I_nu(x) = sum_k t_k, t_k = t_{k-1} ((2k - 1)^2 - 4 nu^2) / (8 k x), and the
# gap between orders nu and nu + 1 term by term (their leading 1s cancel exactly, so the gap
# 1 - I_{nu+1}/I_nu ~ (nu + 1/2)/x keeps its digits). 40 terms: A&S 9.7.1, as for order 0.
def _bessel_asymptotic(nu, x):
    """(sum_k t_k, sum_k t_k(nu) - t_k(nu + 1)) for x >= max(20, nu^2)."""
    mu, next_mu = 4 * numpy.square(nu), 4 * numpy.square(nu + 1)
    term, next_term = numpy.ones_like(x), numpy.ones_like(x)
    total, gap = numpy.ones_like(x), numpy.zeros_like(x)
    for k in range(1, 41):
        odd = (2 * k - 1) ** 2
        term = term * (odd - mu) / (8 * k * x)
        next_term = next_term * (odd - next_mu) / (8 * k * x)
        total, gap = total + term, gap + (term - next_term)
    return total, gap


def _bessel_regimes(nu, x):
    nu, x = numpy.broadcast_arrays(numpy.asarray(nu, float), numpy.asarray(x, float))
    return nu, x, x < 1, (x >= 20) & (x >= numpy.square(nu))


# --- _log_ive
def _log_ive(nu, x):
    """log(I_nu(x) e^-x) for x >= 0, nu >= 0."""
    nu, x, small, large = _bessel_regimes(nu, x)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        out = numpy.array(numpy.log(scipy.special.ive(nu, x)), dtype=float)
        n, s = nu[small], x[small]
        power = scipy.special.xlogy(n, s / 2) - scipy.special.gammaln(n + 1)
        out[small] = power + numpy.log1p(_bessel_tail(n, s)) - s
        series, _ = _bessel_asymptotic(nu[large], x[large])
        out[large] = numpy.log(series) - 0.5 * numpy.log(2 * numpy.pi * x[large])
    return out


# --- _bessel_quotients
def _bessel_quotients(nu, x):
    """I_{nu+1}(x) / I_nu(x) and 1 - it, each from the form that keeps its digits: the power
    series' ratio below x = 1 (where the ratio is small), the asymptotic series' gap from x =
    max(20, nu^2) on (where the gap is), the quotient of ``ive`` between."""
    nu, x, small, large = _bessel_regimes(nu, x)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        ratio = numpy.array(scipy.special.ive(nu + 1, x) / scipy.special.ive(nu, x), dtype=float)
    n, s = nu[small], x[small]
    ratio[small] = s / (2 * (n + 1)) * (1 + _bessel_tail(n + 1, s)) / (1 + _bessel_tail(n, s))
    gap = numpy.array(1 - ratio, dtype=float)
    series, gap[large] = _bessel_asymptotic(nu[large], x[large])
    gap[large] /= series
    ratio[large] = 1 - gap[large]
    return ratio, gap


# --- _bessel_i_gap
def _bessel_i_gap(nu, x):
    """1 - I_{nu+1}(x) / I_nu(x) for x >= 0, nu >= 0."""
    return _bessel_quotients(nu, x)[1]


# --- _bessel_i_ratio
def _bessel_i_ratio(nu, x):
    """I_{nu+1}(x) / I_nu(x) for x >= 0, nu >= 0."""
    return _bessel_quotients(nu, x)[0]
