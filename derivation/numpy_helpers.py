"""Helpers that generated NumPy modules call, by name (each starts with an underscore).

A generated module holds the source of the helpers its kernels use, taken from here by
:func:`derivation.codegen.helper_units`, so that it needs numpy, scipy.special and threading
only (see :mod:`derivation.emit`); here they are ordinary, linted and tested code. A helper's unit
is the group of definitions between two ``# --- name`` markers: the helper and what it
needs.
"""

import threading

import numpy
import scipy.special


# --- _xdivy
def _xdivy(x, y):
    """x / y, and 0 where x is 0 (even where y is 0 or inf)."""
    with numpy.errstate(divide="ignore", invalid="ignore"):
        return numpy.where(x == 0, numpy.where(numpy.isnan(y), y, 0 * x), x / y)


# --- _one_minus_i1_over_i0
# Not in scipy.special. Below x = 20, 1 - i1e/i0e loses at most log10(2x) < 1.7 digits;
# above, the asymptotic series of I0 and I1 in 1/x (Abramowitz & Stegun 9.7.1) give
# I0 - I1 and I0 as sums of positive terms, 40 of which reach full precision there (2 ulps
# from x = 20 on, where the difference loses up to 80).
def _asymptotic_bessel_coefficients(terms=40):
    """Coefficients of e^-x sqrt(2 pi x) (I0(x) - I1(x)) and of e^-x sqrt(2 pi x) I0(x) in 1/x."""
    from fractions import Fraction
    from math import factorial

    gap, i0 = [], []
    for k in range(terms):
        a0, a1 = Fraction(1), Fraction(1)
        for j in range(1, k + 1):
            a0 *= (2 * j - 1) ** 2
            a1 *= (2 * j - 1) ** 2 - 4
        scale = Fraction(1, factorial(k) * 8**k)
        gap.append(float((a0 - a1) * scale))
        i0.append(float(a0 * scale))
    return numpy.array(gap[::-1]), numpy.array(i0[::-1])


_GAP_SERIES, _I0_SERIES = _asymptotic_bessel_coefficients()


def _one_minus_i1_over_i0(x):
    """1 - I1(x)/I0(x) for x >= 0: to a few ulps below 1 and above 20, within 16x ulps
    between."""
    x = numpy.asarray(x)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        out = 1 - scipy.special.i1e(x) / scipy.special.i0e(x)
        large = x > 20
        if numpy.any(large):
            z = 1 / x[large]
            out = numpy.array(out, copy=True)
            out[large] = numpy.polyval(_GAP_SERIES, z) / numpy.polyval(_I0_SERIES, z)
    return out


# --- _onehot
def _onehot(index, classes, dtype):
    """Rows with a 1 at each class index and 0 elsewhere."""
    return (numpy.arange(classes) == index[..., None]).astype(dtype)


# --- _finish
# What a kernel printed as whole expressions (outputs over classes) hands back: the loss
# summed or per sample, each gradient scaled (a per-sample scale along the class axis).
def _finish(outputs, has_loss, shape, dtype, scale, total, arguments=()):
    outputs = [numpy.asarray(o, dtype) for o in outputs]
    if has_loss:
        loss = outputs[0] if outputs[0].shape == shape else numpy.broadcast_to(outputs[0], shape)
        outputs[0] = loss.sum(dtype=dtype) if total else numpy.array(loss)
    if scale is not None:
        s = numpy.asarray(scale)
        for k in range(1 if has_loss else 0, len(outputs)):
            g = outputs[k]
            factor = s.reshape(s.shape + (1,) * (g.ndim - len(shape))) if s.ndim else s
            mine = g.flags.writeable and g.shape == numpy.broadcast_shapes(g.shape, factor.shape)
            if mine and not any(numpy.may_share_memory(g, a) for a in arguments):
                g *= factor  # a fresh array of the kernel's: scaled in place
            else:
                outputs[k] = g * factor
    return tuple(outputs)


# --- _scratch
# A few scratch arrays per thread, kept between calls: fresh memory costs page faults
# (about as much as the arithmetic of a cheap loss), reused memory does not. Only the
# latest shape and dtype are kept.
_POOL = threading.local()


def _scratch(shape, dtype, count):
    """``count`` reusable arrays of ``shape`` and ``dtype``, this thread's own."""
    pool = getattr(_POOL, "arrays", None)
    if pool is None or pool[0] != (shape, dtype) or len(pool[1]) < count:
        pool = ((shape, dtype), [numpy.empty(shape, dtype) for _ in range(count)])
        _POOL.arrays = pool
    return pool[1]


# --- _zeros
_ZEROS = threading.local()


def _zeros(shape, dtype):
    """Zeros of ``shape`` and ``dtype`` to compare with (numpy.maximum(x, 0) runs twice as fast
    against an array of zeros as against the number), kept per thread for shapes up to a
    block of samples (see derivation.runtime.BLOCK); the number itself for larger ones."""
    size = 1
    for n in shape:
        size *= n
    if size > 1 << 17:
        return dtype.type(0)
    zeros = getattr(_ZEROS, "array", None)
    if zeros is None or zeros.shape != shape or zeros.dtype != dtype:
        zeros = numpy.zeros(shape, dtype)
        zeros.flags.writeable = False
        _ZEROS.array = zeros
    return zeros


# --- _fresh
def _fresh(value, shape, dtype):
    """A helper's result as an array of the kernel's shape and dtype, free to write into."""
    value = numpy.asarray(value, dtype=dtype)
    if value.shape != shape or not value.flags.writeable:
        value = numpy.array(numpy.broadcast_to(value, shape))
    return value


# --- _sum_of_products
def _sum_of_products(a, b):
    """sum(a * b) without storing the products."""
    if a.flags.c_contiguous and b.flags.c_contiguous:
        return numpy.dot(a.reshape(-1), b.reshape(-1))
    axes = "abcdefghijklmnopqrstuvwxyz"[: numpy.ndim(a)]
    return numpy.einsum(f"{axes},{axes}->", a, b)


# --- _log_i0e
# Not in scipy.special: log(i0e(x)) rounds i0e(x) ~ 1 - |x| near 1 and loses the x^2/4 of
# log I0(x) below |x| = 1; there the power series of I0(x) - 1 gives it in full.
def _log_i0e(x):
    """log(I0(x) e^-|x|)."""
    x = numpy.abs(numpy.asarray(x))
    with numpy.errstate(divide="ignore"):
        out = numpy.log(scipy.special.i0e(x))
    small = x < 1
    if numpy.any(small):
        q = numpy.square(x[small] / 2)
        term, total = q.copy(), q.copy()
        for k in range(2, 24):  # (x^2/4)^k / k!^2 < 1e-17 (x^2/4)^1 by then
            term *= q / (k * k)
            total += term
        out = numpy.array(out, copy=True)
        out[small] = numpy.log1p(total) - x[small]
    return out


# --- _take
# numpy.take_along_axis and put_along_axis cost microseconds of bookkeeping per call,
# which a kernel run block by block pays per block; one entry per row of a contiguous
# array is picked by flat position instead.
def _row_entries(values, index):
    """Positions of values[..., index] in values.reshape(-1) (values C-contiguous, index
    of its shape without the last axis)."""
    k = values.shape[-1]
    return numpy.arange(0, index.size * k, k) + index.reshape(-1)


def _take(values, index):
    """values[..., index] for an array of class indices (one per sample)."""
    if values.shape[:-1] != index.shape:
        values = numpy.broadcast_to(values, index.shape + values.shape[-1:])
    if values.flags.c_contiguous:
        return values.reshape(-1).take(_row_entries(values, index)).reshape(index.shape)
    return numpy.take_along_axis(values, index[..., None], axis=-1)[..., 0]


def _put(values, index, column):
    """values[..., index] = column, in place."""
    if not values.flags.c_contiguous:  # reshape(-1) would copy
        column = numpy.broadcast_to(column, index.shape)
        numpy.put_along_axis(values, index[..., None], column[..., None], axis=-1)
        return
    if numpy.ndim(column):  # a number is set as it is
        column = numpy.broadcast_to(column, index.shape).reshape(-1)
    values.reshape(-1)[_row_entries(values, index)] = column


# --- _row_sum
def _row_sum(values):
    """Sums over the last axis, as a product with ones: BLAS reads rows of a few entries ten
    times faster than numpy's reduction over a short last axis, as accurately."""
    values = numpy.asarray(values)
    return values @ numpy.ones(values.shape[-1], values.dtype)


# --- _softmax_parts
# logsumexp(z) - max(z) = log1p(sum of exp(z_k - max z) over all but one maximal k): the
# largest term, exp(0) = 1, is left out of the sum so the small rest keeps its digits.
def _softmax_parts(z, probabilities):
    """max z, logsumexp(z) - max z and (if asked) softmax(z), over the last axis, from one
    (..., K) array: exp(z - max z), whose largest entry (exactly 1) is left out of the sum
    so that a logsumexp close to max z keeps its digits."""
    at_top = numpy.argmax(z, axis=-1)
    top = _take(z, at_top)
    shift = top
    if not numpy.isfinite(top).all():  # a row of -inf (every component's density 0) sums to 0
        shift = numpy.where(numpy.isneginf(top), 0.0, top)
    shifted = numpy.subtract(z, shift[..., None])
    numpy.exp(shifted, out=shifted)
    _put(shifted, at_top, 0.0)
    rest = _row_sum(shifted)
    excess = numpy.log1p(rest)
    if not probabilities:
        return top, excess, None
    total = rest + 1.0
    shifted /= total[..., None]
    _put(shifted, at_top, 1.0 / total)
    return top, excess, shifted


# --- _complement
def _complement(probabilities, excess):
    """1 - p over the last axis, from softmax rows p and logsumexp - max (``excess``): only
    the largest entry can exceed 1/2, and its complement is 1 - 1/(1 + rest) =
    -expm1(-excess), which keeps its digits where p is close to 1."""
    top = -numpy.expm1(-numpy.asarray(excess))[..., None]
    return numpy.where(probabilities > 0.5, top, 1.0 - probabilities)


# --- _weighted
def _weighted(weight, value):
    """weight * value, and 0 where the weight is 0: a component whose responsibility
    underflows to 0 adds nothing to a gradient, even where its own term overflows."""
    product = numpy.multiply(weight, value)
    if numpy.isnan(product).any():
        product = numpy.where(weight == 0, 0.0, product)
    return product


# --- _replace_column
def _replace_column(values, index, column):
    """``values`` (a fresh array) with the entry of class ``index`` replaced by ``column``."""
    if values.shape[:-1] == index.shape:
        _put(values, index, column)
    else:
        numpy.put_along_axis(values, index[..., None], column[..., None], axis=-1)
    return values
