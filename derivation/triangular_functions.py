r"""Named functions of lower-triangular factors: a quadratic form through a Cholesky factor,
by triangular solves, never an explicit inverse or determinant.

A factor L (lower-triangular, positive diagonal, K x K over the last two axes) stands for the
covariance L L^T. With w = L^{-1} r (forward substitution) and u = L^{-T} w (back
substitution),

.. math:: r^T (L L^T)^{-1} r = \lVert w \rVert^2, \qquad
          \frac{\partial}{\partial r_a} = 2 u_a, \qquad
          \frac{\partial}{\partial L_{ab}} = -2 u_a w_b \quad (a \ge b),

the matrix calculus identities d(L^{-1}) = -L^{-1} dL L^{-1} and d(r^T r) = 2 r^T dr. A factor
is an ``IndexedBase`` of shape (K, K) or one of the matrix functions below, which the links
of :mod:`likelihoods.links` build from raw outputs.

>>> import sympy
>>> from likelihoods.links import CLASSES as K, CLASS_INDEX as k, COMPONENT as i
>>> L = sympy.IndexedBase("L", shape=(K, K), real=True)
>>> r = sympy.IndexedBase("r", shape=(K,), real=True)
>>> from derivation.events import resolve_sums
>>> resolve_sums(tril_quadratic(L, r[k], k).diff(r[i]))
2*tril_precision(L, r[k], k, i)
"""

from __future__ import annotations

import sympy

from likelihoods.links import CLASSES

from .named import NamedBase as _Named


class _Factor(_Named):
    """A lower-triangular K x K factor built from a raw output (a matrix, not a number)."""

    def _eval_is_real(self):
        return None

    def entry(self, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
        raise NotImplementedError


class lower_factor(_Factor):
    r"""lower_factor(S, f): the factor with S's strictly lower triangle as it is and f(S_aa)
    on its diagonal (f a ``Lambda``, exp for the ``log_diagonal`` link)."""

    nargs = 2

    def entry(self, a, b):
        raw, f = self.args
        if a == b:
            return f(raw[a, a])
        return sympy.Piecewise((f(raw[a, a]), sympy.Eq(a, b)), (raw[a, b], True))

    def _latex_body(self, printer):
        return r"L\left(%s\right)" % printer._print(self.args[0])


class diagonal_factor(_Factor):
    r"""diagonal_factor(v, f): the diagonal factor diag(f(v_a)) of a vector v."""

    nargs = 2

    def entry(self, a, b):
        raw, f = self.args
        return sympy.KroneckerDelta(a, b) * f(raw[a])


class scaled_identity(_Factor):
    r"""scaled_identity(c): the factor c I (a fixed covariance c^2 I)."""

    nargs = 1

    def entry(self, a, b):
        return sympy.KroneckerDelta(a, b) * self.args[0]


def factor_entry(factor: sympy.Expr, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
    """Entry (a, b), a >= b, of a factor (an ``IndexedBase`` or a :class:`_Factor`)."""
    return factor[a, b] if isinstance(factor, sympy.IndexedBase) else factor.entry(a, b)


def raw_base(factor: sympy.Expr) -> sympy.Expr:
    """The raw array a factor is built from (what stands for it, if not a factor)."""
    return factor.args[0] if isinstance(factor, _Factor) else factor


def entry_derivative(factor: sympy.Expr, s: sympy.Indexed) -> sympy.Expr:
    """dL_il / dS_il for s = S[i, l], an entry of the raw matrix the factor is built from
    (every entry of L depends on the same entry of S alone), and 0 above the diagonal, where
    S holds no variable."""
    i, l = s.indices
    on_diagonal = sympy.diff(factor_entry(factor, i, i), s.base[i, i])
    return sympy.Piecewise((on_diagonal, sympy.Eq(i, l)), (1, i > l), (0, True))


class _Solved(_Named):
    """A function of a factor M and a vector r written as an expression of the bound index
    j: a value per sample (the quadratic form) or component i of a vector."""

    @property
    def free_symbols(self):
        factor, r, j, *component = self.args
        free = raw_base(factor).free_symbols | (r.free_symbols - {j})
        return free.union(*(c.free_symbols for c in component))

    def _eval_is_real(self):
        return True

    def _eval_derivative(self, s):
        raise NotImplementedError(
            f"the derivative of {type(self).__name__} (a second derivative through a triangular "
            "solve) is not derived"
        )


class tril_quadratic(_Solved):
    r"""tril_quadratic(M, r, j) = r^T (M M^T)^{-1} r = ||M^{-1} r||^2 for the factor M and the
    vector r_j, by forward substitution. Rule ``quadratic_of_diagonal_factor``: with a
    diagonal factor (or c I) it is the sum over j of (r_j / M_jj)^2."""

    nargs = 3

    @classmethod
    def eval(cls, factor, r, j):
        if isinstance(factor, (diagonal_factor, scaled_identity)):
            return sympy.Sum((r / factor_entry(factor, j, j)) ** 2, (j, 0, CLASSES - 1))
        return None

    @classmethod
    def definition(cls, factor, r, j):
        return sum(w**2 for w in _forward(factor, r, j))

    def _eval_derivative(self, s):
        factor, r, j = self.args
        d = sympy.Dummy("d", integer=True, nonnegative=True)
        through_r = sympy.diff(r.xreplace({j: d}), s)
        terms = []
        if through_r != 0:
            terms.append(
                2 * sympy.Sum(tril_precision(factor, r, j, d) * through_r, (d, 0, CLASSES - 1))
            )
        if isinstance(s, sympy.Indexed) and s.base == raw_base(factor) and len(s.indices) == 2:
            a, b = s.indices
            slope = entry_derivative(factor, s)
            terms.append(-2 * tril_precision(factor, r, j, a) * tril_solve(factor, r, j, b) * slope)
        return sympy.Add(*terms)

    def _latex_body(self, printer):
        factor, r, j = self.args
        return r"\left\lVert %s^{-1} \left(%s\right)_{%s}\right\rVert^{2}" % (
            printer._print(factor),
            printer._print(r),
            printer._print(j),
        )


class tril_solve(_Solved):
    r"""Component i of w = M^{-1} r (forward substitution)."""

    nargs = 4

    @classmethod
    def definition(cls, factor, r, j, i):
        return _forward(factor, r, j)[int(i)]


class tril_precision(_Solved):
    r"""Component i of u = M^{-T} M^{-1} r = (M M^T)^{-1} r (forward, then back
    substitution): half the gradient of the quadratic form in r."""

    nargs = 4

    @classmethod
    def definition(cls, factor, r, j, i):
        w = _forward(factor, r, j)
        size = len(w)
        u = [sympy.Integer(0)] * size
        for a in reversed(range(size)):
            rest = sum(factor_entry(factor, b, a) * u[b] for b in range(a + 1, size))
            u[a] = (w[a] - rest) / factor_entry(factor, a, a)
        return u[int(i)]


def _forward(factor, r, j) -> list[sympy.Expr]:
    """M^{-1} r entry by entry, for a factor of a known size (K replaced by a number)."""
    size = raw_base(factor).shape[0]
    if not size.is_Integer:
        raise ValueError("a triangular solve is written out only for a known number of entries")
    w = []
    for a in range(int(size)):
        rest = sum(factor_entry(factor, a, b) * w[b] for b in range(a))
        w.append((r.xreplace({j: a}) - rest) / factor_entry(factor, a, a))
    return w


FACTORS = (lower_factor, diagonal_factor, scaled_identity)
SOLVED = (tril_quadratic, tril_solve, tril_precision)

__all__ = [
    *(f.__name__ for f in FACTORS + SOLVED),
    "factor_entry",
    "raw_base",
    "entry_derivative",
]
