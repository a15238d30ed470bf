"""Helpers of generated NumPy modules for lower-triangular factors over the last two axes
(see :mod:`derivation.numpy_helpers` for how generated modules copy them).

NumPy has no batched triangular solve, and ``scipy.linalg.solve_triangular`` over a stack of
small matrices calls LAPACK once per matrix (40 times slower at K = 10 and 1e5 rows, measured
here); substitution over the last axis, one entry at a time across all samples, costs K short
passes and reads only the lower triangle.
"""

import numpy


# --- _diagonal
def _diagonal(matrices):
    """The diagonals of (..., K, K) matrices, (..., K) (a read-only view)."""
    return numpy.diagonal(matrices, axis1=-2, axis2=-1)


# --- _with_diagonal
def _with_diagonal(matrices, diagonal):
    """A copy of ``matrices`` with ``diagonal`` on their diagonals."""
    out = numpy.array(numpy.broadcast_to(matrices, numpy.broadcast_shapes(
        matrices.shape, diagonal.shape[:-1] + matrices.shape[-2:])))  # fmt: skip
    k = out.shape[-1]
    out[..., numpy.arange(k), numpy.arange(k)] = diagonal
    return out


# --- _tril_solve
def _tril_solve(factor, b):
    """w = L^{-1} b for lower-triangular L (..., K, K) and b (..., K), by forward
    substitution: w_a = (b_a - sum_{c < a} L_ac w_c) / L_aa."""
    shape = numpy.broadcast_shapes(factor.shape[:-1], b.shape)
    w = numpy.empty(shape, numpy.result_type(factor, b))
    for a in range(shape[-1]):
        if a:
            rest = numpy.einsum("...c,...c->...", factor[..., a, :a], w[..., :a])
            numpy.subtract(b[..., a], rest, out=w[..., a])
        else:
            w[..., a] = b[..., a]
        w[..., a] /= factor[..., a, a]
    return w


# --- _tril_solve_transposed
def _tril_solve_transposed(factor, w):
    """u = L^{-T} w for lower-triangular L, by back substitution: u_a = (w_a - sum_{c > a}
    L_ca u_c) / L_aa."""
    shape = numpy.broadcast_shapes(factor.shape[:-1], w.shape)
    u = numpy.empty(shape, numpy.result_type(factor, w))
    size = shape[-1]
    for a in reversed(range(size)):
        if a < size - 1:
            rest = numpy.einsum("...c,...c->...", factor[..., a + 1 :, a], u[..., a + 1 :])
            numpy.subtract(w[..., a], rest, out=u[..., a])
        else:
            u[..., a] = w[..., a]
        u[..., a] /= factor[..., a, a]
    return u
