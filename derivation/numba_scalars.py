"""Scalar versions of the named functions for the numba backend (see
:mod:`derivation.numba_backend`), and the reassociable addition its loops sum with. Each
generated module holds this source after the docstring (see
``numba_backend.numba_scalars_source``); numba compiles it along with each kernel.

Written here rather than taken from numba because numba's ``math.exp`` and ``math.log`` are
calls into libm, which LLVM cannot vectorise (pip's llvmlite has no SVML).
"""

import math

import llvmlite.ir
import numba
import numba.extending
import numpy


@numba.extending.intrinsic
def _from_bits(typingctx, bits):
    # The float64 whose IEEE bits are the int64 ``bits`` (2^k is (k + 1023) << 52).
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvmlite.ir.DoubleType())

    return numba.types.float64(numba.types.int64), codegen


# exp(x) = 2^k exp(r), k = round(x / ln 2), r = x - k ln 2 (ln 2 in two parts, the first with
# enough trailing zero bits that k times it is exact), exp(r) by its Taylor series to r^13
# (|r| <= ln(2)/2: the remainder is below 2^-57, a 32nd of an ulp), 2^k in two factors so that
# results down to the smallest subnormal come out. Within 1 ulp. Written here because numba's
# math.exp is a call into libm, which LLVM cannot vectorise (pip's llvmlite has no SVML).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(13, -1, -1))


@numba.njit(inline="always")
def _exp(x):
    t = min(max(x, -746.0), 710.0)  # beyond these exp is 0 or inf; keeps k in range
    k = math.floor(t * 1.4426950408889634 + 0.5)
    r = (t - k * _LN2_HI) - k * _LN2_LO
    p = _TAYLOR[0]
    for c in _TAYLOR[1:]:
        p = p * r + c
    low = numpy.int64(k) >> 1
    high = numpy.int64(k) - low
    value = p * _from_bits((low + 1023) << 52) * _from_bits((high + 1023) << 52)
    return x if x != x else value


@numba.extending.intrinsic
def _to_bits(typingctx, value):
    # The IEEE bits of the float64 ``value``, as an int64.
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvmlite.ir.IntType(64))

    return numba.types.int64(numba.types.float64), codegen


# log(2^k (1 + f)) = k ln 2 + log(1 + f), 1 + f in [sqrt(2)/2, sqrt(2)] (f = m - 1 is exact);
# log(1 + f) = 2 atanh(s) with s = f / (2 + f), = f - f^2/2 + s (f^2/2 + R) where
# R = sum over j >= 1 of 2 s^2j / (2j + 1) (|s| <= 0.172: to s^20 the remainder is below
# 2^-60 of the result). What is added to f is small, so are its roundings: within 1 ulp.
# Written here for the reason exp is: libm's would keep the loop scalar.
_ATANH = tuple(2.0 / (2 * j + 1) for j in range(10, 0, -1))


@numba.njit(inline="always")
def _log_of(u, extra):
    # log(u) + extra for u > 0 (u subnormal or not; the caller handles 0, inf, NaN)
    tiny = u < 2.2250738585072014e-308
    bits = _to_bits(u * 18014398509481984.0 if tiny else u)  # 2^54 makes it normal
    k = (bits >> 52) - (1077 if tiny else 1023)
    m = _from_bits((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    big = m > 1.4142135623730951
    f = (0.5 * m if big else m) - 1.0
    k = k + (1 if big else 0)
    s = f / (2.0 + f)
    z = s * s
    r = _ATANH[0]
    for c in _ATANH[1:]:
        r = r * z + c
    half_square = 0.5 * f * f
    return k * _LN2_HI + (f - (half_square - (s * (half_square + z * r) + (k * _LN2_LO + extra))))


@numba.njit(inline="always")
def _log(x):
    value = _log_of(x, 0.0)
    if 0.0 < x < math.inf:
        return value
    return -math.inf if x == 0.0 else (x if x == math.inf else math.nan)


@numba.njit(inline="always")
def _log1p(x):
    u = 1.0 + x
    # the rounding error of 1 + x, exactly (Fast2Sum, the larger operand first), then divided
    # by u: log(u + d) = log(u) + d / u to far below an ulp
    d = (1.0 - (u - x)) if abs(x) > 1.0 else (x - (u - 1.0))
    value = _log_of(u, d / u)
    if 0.0 < u < math.inf:
        return value
    return -math.inf if u == 0.0 else (u if u == math.inf else math.nan)


@numba.extending.intrinsic
def _add(typingctx, total, value):
    # total + value, the one addition LLVM may reassociate (the order in which a chunk's
    # losses are added): a loop that adds up its losses so is vectorised, running sums in
    # each lane, where a plain += would tie each step to the last.
    def codegen(context, builder, signature, args):
        return builder.fadd(args[0], args[1], flags=("reassoc", "nsz"))

    return numba.types.float64(numba.types.float64, numba.types.float64), codegen


@numba.njit(inline="always")
def _xlogy(x, y):
    return 0.0 if x == 0 else x * math.log(y)


@numba.njit(inline="always")
def _xlog1py(x, y):
    return 0.0 if x == 0 else x * math.log1p(y)


@numba.njit(inline="always")
def _vector_xlogy(x, y):
    return 0.0 if x == 0 else x * _log(y)


@numba.njit(inline="always")
def _vector_xlog1py(x, y):
    return 0.0 if x == 0 else x * _log1p(y)


@numba.njit(inline="always")
def _xdivy(x, y):
    return 0.0 if x == 0 else x / y


@numba.njit(inline="always")
def _sign(x):
    return (x > 0) - (x < 0)
