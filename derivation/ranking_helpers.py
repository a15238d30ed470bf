"""Helpers of generated NumPy modules for rankings over the last axis (see
:mod:`derivation.numpy_helpers` for how generated modules copy them)."""

import numpy


# --- _suffix_logsumexp
def _suffix_logsumexp(values):
    """log sum_{j >= k} exp(values_j) at every k of the last axis, accumulated pairwise from
    the last entry back (each step a logaddexp: no overflow, no underflow to -inf)."""
    return numpy.flip(numpy.logaddexp.accumulate(numpy.flip(values, -1), axis=-1), -1)


# --- _positions
def _positions(ranking):
    """The inverse permutations of rows of item indices: out[..., ranking[..., k]] = k."""
    out = numpy.empty(ranking.shape, numpy.intp)
    places = numpy.broadcast_to(numpy.arange(ranking.shape[-1]), ranking.shape)
    numpy.put_along_axis(out, ranking, places, -1)
    return out


# --- _after_first
def _after_first(suffixes):
    """Suffix log-sum-exps moved one position on: at k, the value at k + 1 (-inf at the end)."""
    out = numpy.empty_like(suffixes)
    out[..., :-1] = suffixes[..., 1:]
    out[..., -1] = -numpy.inf
    return out
