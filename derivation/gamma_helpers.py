"""Helpers of generated NumPy modules for differences of log-gamma and digamma functions of
close arguments, which scipy.special does not provide; units as in
:mod:`derivation.numpy_helpers` (``# --- name`` markers), read by
:func:`derivation.codegen.helper_units`.

Two regimes besides the direct difference: from x and x + a = 10 on, the asymptotic series
term by term; below, where the shift is small against x (|a| <= x/64), the Taylor series in
a, whose terms are polygammas of x alone.

>>> round(float(_digamma_difference(numpy.e, 1e-150) / 1e-150), 12)  # a trigamma(e)
0.443638825713
"""

import numpy
import scipy.special

# --- _far
# Where the asymptotic series of the gamma-function differences below apply, and their
# coefficients B_2k (B_2 = 1/6, B_4 = -1/30, ...).
_B2K = (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510)


def _far(x, a):
    """x and a as float arrays of one shape, and where the asymptotic series applies."""
    x, a = numpy.broadcast_arrays(numpy.asarray(x, float), numpy.asarray(a, float))
    return x, a, (x >= 10) & (x + a >= 10)


# --- _near
# f(x + a) - f(x) of a shift small against x below the asymptotic range (a beta's
# digamma(b + a) - digamma(b) at a = 1e-150 is 0 as a difference) as the Taylor series
# sum_n f^(n)(x) a^n / n!, with f^(n) = polygamma(n + order - 1); at |a| <= x/64 each term is
# under 1/64 of the one before (|polygamma(n, x)| / n! <= x^-(n+1) + zeta(n + 1)), so 10 reach
# full precision. Summed smallest first.
def _near(x, a, order):
    """Where x < 10 and |a| <= x/64, and there sum_n polygamma(n + order - 1, x) a^n / n!."""
    near = numpy.abs(a)
    near *= 64
    near = near <= x  # |a| <= x/64, in two passes
    near &= x < 10
    if not near.any():
        return near, numpy.zeros(0)
    xs, ys = x[near], a[near]
    total = numpy.zeros_like(xs)
    for n in range(10, 0, -1):
        total += scipy.special.polygamma(n + order - 1, xs) * ys**n / scipy.special.factorial(n)
    return near, total


# --- _digamma_difference
# Not in scipy.special: digamma(x + a) - digamma(x) of large, close arguments cancels (all of
# it at x = 5e21, a = 1.2). From x and x + a = 10 on, the asymptotic series of digamma
# (Abramowitz & Stegun 6.3.18) gives the difference term by term, each term's own difference
# as x^-2k expm1(-2k log1p(a/x)); 8 terms reach full precision there.
def _digamma_difference(x, a):
    """digamma(x + a) - digamma(x) for x > 0, x + a > 0."""
    x, a, far = _far(x, a)
    with numpy.errstate(invalid="ignore"):
        out = numpy.array(scipy.special.digamma(x + a) - scipy.special.digamma(x), dtype=float)
    if numpy.any(far):
        xs, ratio = x[far], numpy.log1p(a[far] / x[far])
        with numpy.errstate(over="ignore"):  # 1/(2x(x + a)) underflows to 0 past 1e154
            total = ratio + a[far] / (2 * xs * (xs + a[far]))
        for k, b in enumerate(_B2K, 1):
            total -= b / (2 * k) * xs ** (-2.0 * k) * numpy.expm1(-2 * k * ratio)
        out[far] = total
    near, series = _near(x, a, 1)
    out[near] = series
    return out


# --- _gammaln_difference
# Not in scipy.special: gammaln(x + a) - gammaln(x) loses log10(gammaln(x) / result) digits
# (3 at x = 1000, a = 1/2; all of them at x = 1e17, a = 3). From
# x and x + a = 10 on, Stirling's series (A&S 6.1.40) term by term, as above.
def _gammaln_difference(x, a):
    """gammaln(x + a) - gammaln(x) for x > 0, x + a > 0."""
    x, a, far = _far(x, a)
    with numpy.errstate(invalid="ignore"):
        out = numpy.array(scipy.special.gammaln(x + a) - scipy.special.gammaln(x), dtype=float)
    if numpy.any(far):
        xs, ys = x[far], a[far]
        ratio = numpy.log1p(ys / xs)
        total = (xs + ys - 0.5) * ratio + ys * numpy.log(xs) - ys
        for k, b in enumerate(_B2K, 1):
            power = xs ** (1.0 - 2 * k) * numpy.expm1((1 - 2 * k) * ratio)
            total += b / (2 * k * (2 * k - 1)) * power
        out[far] = total
    near, series = _near(x, a, 0)
    out[near] = series
    return out


# --- _betaln
# scipy.special.betaln subtracts two log-gammas for moderate arguments (7e3 ulps at a = e,
# b = e^10). With a <= b: for b >= 10 > a, gammaln(a) - (gammaln(b + a) - gammaln(b)) keeps
# the difference in _gammaln_difference; for both >= 10, Stirling's series, whose terms
# (a - 1/2) log(a / (a + b)), (b - 1/2) log(b / (a + b)) and -log(a + b) / 2 share a sign.
def _stirling_remainder(x):
    """log Gamma(x) - (x - 1/2) log x + x - log(2 pi) / 2 for x >= 10 (A&S 6.1.40)."""
    total = numpy.zeros_like(x)
    with numpy.errstate(over="ignore", divide="ignore"):
        for k, b in reversed(list(enumerate(_B2K, 1))):
            total += b / (2 * k * (2 * k - 1)) * x ** (1.0 - 2 * k)
    return total


def _betaln(a, b):
    """log B(a, b) = gammaln(a) + gammaln(b) - gammaln(a + b) for a, b > 0."""
    a, b = numpy.broadcast_arrays(numpy.asarray(a, float), numpy.asarray(b, float))
    out = numpy.array(scipy.special.betaln(a, b), dtype=float)
    large = numpy.maximum(a, b)
    if not (large >= 10).any():  # scipy's is accurate where both are small
        return out
    small = numpy.minimum(a, b)
    finite = numpy.isfinite(large) & (small > 0)
    one = finite & (large >= 10) & (small < 10)
    out[one] = scipy.special.gammaln(small[one]) - _gammaln_difference(large[one], small[one])
    both = finite & (small >= 10)
    if numpy.any(both):
        s, t = small[both], large[both]
        ratio, inverse = numpy.log1p(s / t), numpy.log1p(t / s)
        stirling = -(s - 0.5) * inverse - (t - 0.5) * ratio - 0.5 * (numpy.log(t) + ratio)
        with numpy.errstate(over="ignore"):  # s + t = inf: its remainder is 0
            remainder = _stirling_remainder(s) + _stirling_remainder(t) - _stirling_remainder(s + t)
        out[both] = stirling + remainder + 0.5 * numpy.log(2 * numpy.pi)
    return out


# --- _gammaln_exp
# log Gamma(x) of x = e^t given t, which stays finite where x underflows: below x = 1/2 as
# gammaln(1 + x) - t (Gamma(x) = Gamma(1 + x) / x), with no cancellation (gammaln(1 + x) is
# in (-0.13, 0] there and -t > 0.69). Accurate to the rounding of e^t, which is many ulps of
# the result only next to the zeros of log Gamma, at t = 0 and log 2.
def _gammaln_exp(t):
    """log Gamma(e^t) for real t."""
    t = numpy.asarray(t, float)
    with numpy.errstate(over="ignore"):
        x = numpy.exp(t)
    return numpy.where(x < 0.5, scipy.special.gammaln(1 + x) - t, scipy.special.gammaln(x))


# --- _digamma_exp_scaled
# x psi(x) of x = e^t, the derivative of log Gamma(e^t): below x = 1/2 as x psi(1 + x) - 1
# (psi(x) = psi(1 + x) - 1/x), which is -1 where x underflows instead of 0 * -inf.
def _digamma_exp_scaled(t):
    """e^t psi(e^t) for real t."""
    t = numpy.asarray(t, float)
    with numpy.errstate(over="ignore", invalid="ignore"):
        x = numpy.exp(t)
        direct = x * scipy.special.digamma(x)
        return numpy.where(x < 0.5, x * scipy.special.digamma(1 + x) - 1, direct)
