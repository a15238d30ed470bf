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
>>> resolve_sums(tril_quadratic(L, r[k], k).diff(r[i]))  # 2 (L L^T)^{-1} r
2*((L L^T)^-1 (r))[i]
"""

from __future__ import annotations

import sympy

from likelihoods.links import CLASSES

from .named import NamedBase as _Named


class _Factor(_Named):
    """A lower-triangular K x K factor built from a raw output (a matrix, not a number); its
    last argument, a symbol, is the name it is printed by (the parameter it stands for)."""

    second_order = False  # no second derivatives printed

    def _eval_is_real(self):
        return None

    @property
    def free_symbols(self):
        return self.args[0].free_symbols  # the name is a label, not a variable

    def _sympystr(self, printer):
        return str(self.args[-1])

    def _latex(self, printer, exp=None):
        return printer._print(self.args[-1])

    @classmethod
    def definition(cls, *args):
        return cls(*args)  # a matrix: written out entry by entry by what reads it

    def entry(self, a: sympy.Expr, b: sympy.Expr) -> sympy.Expr:
        raise NotImplementedError


class lower_factor(_Factor):
    r"""lower_factor(S, f, name): the factor with S's strictly lower triangle as it is and
    f(S_aa) on its diagonal (f a ``Lambda``, exp for the ``log_diagonal`` link)."""

    nargs = 3

    def entry(self, a, b):
        raw, f, _ = self.args
        if a == b:
            return f(raw[a, a])
        return sympy.Piecewise((f(raw[a, a]), sympy.Eq(a, b)), (raw[a, b], True))


class diagonal_factor(_Factor):
    r"""diagonal_factor(v, f, name): the diagonal factor diag(f(v_a)) of a vector v."""

    nargs = 3

    def entry(self, a, b):
        raw, f, _ = self.args
        return sympy.KroneckerDelta(a, b) * f(raw[a])


class scaled_identity(_Factor):
    r"""scaled_identity(c): the factor c I (a fixed covariance c^2 I)."""

    nargs = 1

    def entry(self, a, b):
        return sympy.KroneckerDelta(a, b) * self.args[0]

    @property
    def free_symbols(self):
        return self.args[0].free_symbols

    def _sympystr(self, printer):
        return f"{printer._print(self.args[0])}*I"

    def _latex(self, printer, exp=None):
        return r"%s I" % printer._print(self.args[0])


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
    row, column = s.indices
    on_diagonal = sympy.diff(factor_entry(factor, row, row), s.base[row, row])
    return sympy.Piecewise((on_diagonal, sympy.Eq(row, column)), (1, row > column), (0, True))


class _Solved(_Named):
    """A function of a factor M and a vector r written as an expression of the bound index
    j: a value per sample (the quadratic form) or component i of a vector."""

    second_order = False  # no second derivatives printed

    @property
    def free_symbols(self):
        factor, r, j, *component = self.args
        free = raw_base(factor).free_symbols | (r.free_symbols - {j})
        return free.union(*(c.free_symbols for c in component))

    def _eval_is_real(self):
        return True

    def _sympystr(self, printer):
        factor, r, j, i = self.args
        text = self._text.format(printer._print(factor), printer._print(_whole(r, j)))
        return f"({text})[{printer._print(i)}]"

    def _latex(self, printer, exp=None):
        factor, r, j, i = self.args
        tex = self._tex.format(printer._print(factor), printer._print(_whole(r, j)))
        body = r"\left(%s\right)_{%s}" % (tex, printer._print(i))
        return r"%s^{%s}" % (body, exp) if exp else body

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
        if _symbolic_size(factor):
            return cls(factor, r, j)
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

    def _sympystr(self, printer):
        factor, r, j = self.args
        return f"||{printer._print(factor)}^-1 ({printer._print(_whole(r, j))})||^2"

    def _latex(self, printer, exp=None):
        factor, r, j = self.args
        body = r"\left\lVert %s^{-1} \left(%s\right)\right\rVert^{2}" % (
            printer._print(factor),
            printer._print(_whole(r, j)),
        )
        return r"\left(%s\right)^{%s}" % (body, exp) if exp else body


class tril_solve(_Solved):
    r"""Component i of w = M^{-1} r (forward substitution)."""

    nargs = 4
    _text, _tex = "{0}^-1 ({1})", r"{0}^{{-1}} \left({1}\right)"

    @classmethod
    def definition(cls, factor, r, j, i):
        if _symbolic_size(factor) or not i.is_Integer:
            return cls(factor, r, j, i)
        return _forward(factor, r, j)[int(i)]


class tril_precision(_Solved):
    r"""Component i of u = M^{-T} M^{-1} r = (M M^T)^{-1} r (forward, then back
    substitution): half the gradient of the quadratic form in r."""

    nargs = 4
    _text = "({0} {0}^T)^-1 ({1})"
    _tex = r"\left({0} {0}^{{T}}\right)^{{-1}} \left({1}\right)"

    @classmethod
    def definition(cls, factor, r, j, i):
        if _symbolic_size(factor) or not i.is_Integer:
            return cls(factor, r, j, i)
        w = _forward(factor, r, j)
        size = len(w)
        u = [sympy.Integer(0)] * size
        for a in reversed(range(size)):
            rest = sum(factor_entry(factor, b, a) * u[b] for b in range(a + 1, size))
            u[a] = (w[a] - rest) / factor_entry(factor, a, a)
        return u[int(i)]


def _whole(r: sympy.Expr, j: sympy.Symbol) -> sympy.Expr:
    """The vector r_j written whole, for printing: y[j] - mu[j] as y - mu."""
    return r.replace(
        lambda e: isinstance(e, sympy.Indexed) and e.indices == (j,),
        lambda e: sympy.Symbol(str(e.base.label)),
    )


def _symbolic_size(factor) -> bool:
    """Whether the factor's size is the symbol K: a solve is written out (its elementary
    ``definition``) only once K is a number, and stays as it is until then."""
    return not raw_base(factor).shape[0].is_Integer


def _forward(factor, r, j) -> list[sympy.Expr]:
    """M^{-1} r entry by entry, for a factor of a known size (K replaced by a number)."""
    size = raw_base(factor).shape[0]
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
