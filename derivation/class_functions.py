"""Named functions over the class axis: logsumexp, softmax and the forms kernels evaluate them
in (a vector is an ``IndexedBase`` whose last array axis holds the K classes).

>>> import sympy
>>> from likelihoods.links import CLASSES
>>> z = sympy.IndexedBase("z", shape=(CLASSES,), real=True)
>>> i = sympy.Symbol("i", integer=True)
>>> logsumexp(z).diff(z[i])
softmax(z, i)
"""

from __future__ import annotations

import sympy

from likelihoods.links import CLASSES, COMPONENT, OTHER_INDEX

from .named import NamedBase as _Named


class _OverClasses(_Named):
    """A function of a whole vector (an ``IndexedBase``) over the class axis."""

    nargs = 1

    def _eval_is_real(self):
        return True


class logsumexp(_OverClasses):
    r"""log sum_k exp(z_k) over the class axis; its derivative in z_i is softmax(z)_i."""

    @classmethod
    def definition(cls, z):
        j = OTHER_INDEX
        return sympy.log(sympy.Sum(sympy.exp(z[j]), (j, 0, z.shape[0] - 1)))

    def _eval_derivative(self, s):
        z = self.args[0]
        if isinstance(s, sympy.Indexed) and s.base == z:
            return softmax(z, s.indices[0])
        return sympy.S.Zero

    def _latex_body(self, printer):
        return r"\operatorname{logsumexp}\left(%s\right)" % printer._print(self.args[0])


class logsumexp_over(_Named):
    r"""logsumexp_over(f, k) = log sum_k exp(f(k)) over the component axis, for an expression
    f of the bound index k (the log of a mixture's density, sum_k w_k p_k(y)).

    Its derivative in x is sum_k r_k df(k)/dx with the responsibilities r_k = exp(f(k) -
    logsumexp_over(f, k)), each in [0, 1]: a component far from the rest has r_k = 0 exactly,
    never an overflow. With respect to component i of a vector the sum resolves to r_i df(i).

    >>> import sympy
    >>> from likelihoods.links import CLASS_INDEX as k, CLASSES, COMPONENT as i
    >>> mu = sympy.IndexedBase("mu", shape=(CLASSES,), real=True)
    >>> from derivation.events import resolve_sums
    >>> resolve_sums(logsumexp_over(-mu[k] ** 2, k).diff(mu[i]))
    -2*responsibility(-mu[k]**2, k, i)*mu[i]
    """

    nargs = 2

    @classmethod
    def definition(cls, f, k):
        return sympy.log(sympy.Sum(sympy.exp(f), (k, 0, CLASSES - 1)))

    def _eval_derivative(self, s):
        f, k = self.args
        return _expectation(f, k, s)

    def _eval_is_real(self):
        return True

    @property
    def free_symbols(self):
        # k is bound, as in a Sum: a value per sample, shared as such by the kernels.
        return self.args[0].free_symbols - {self.args[1]}

    def _latex_body(self, printer):
        f, k = self.args
        return r"\log \sum_{%s} \exp\left(%s\right)" % (printer._print(k), printer._print(f))


class _ComponentShare(_Named):
    """A share of one component, f(k) over the bound index k at component i: nonnegative,
    and free of k."""

    second_order = False  # no second derivatives printed

    def _eval_is_nonnegative(self):
        return True

    @property
    def free_symbols(self):
        f, k, i = self.args
        return (f.free_symbols - {k}) | i.free_symbols


class responsibility(_ComponentShare):
    r"""responsibility(f, k, i) = exp(f(i) - logsumexp_over(f, k)), the softmax over the
    component axis of the expression f of the bound index k, at component i: the posterior
    probability of component i. Kernels take it from the same shifted exponentials as the
    log-sum-exp, exp(f(i) - max_k f(k)) / sum_k exp(f(k) - max_k f(k)), so that the
    largest is accurate to its last digits and none overflows."""

    nargs = 3

    @classmethod
    def definition(cls, f, k, i):
        return sympy.exp(f.xreplace({k: i}) - logsumexp_over.definition(f, k))

    def _eval_derivative(self, s):
        f, k, i = self.args
        return self * (sympy.diff(f.xreplace({k: i}), s) - _expectation(f, k, s, i))

    def _latex_body(self, printer):
        f, k, i = self.args
        return r"r_{%s}" % printer._print(i)


class responsibility_complement(_ComponentShare):
    r"""1 - responsibility(f, k, i) = sum over the other components of their
    responsibilities; for the one that holds most, -expm1(-(logsumexp - max)), which keeps
    its digits where that responsibility is close to 1."""

    nargs = 3

    @classmethod
    def definition(cls, f, k, i):
        return 1 - responsibility.definition(f, k, i)

    def _eval_derivative(self, s):
        return -responsibility(*self.args).diff(s)


def _expectation(f: sympy.Expr, k: sympy.Symbol, s, *taken: sympy.Expr) -> sympy.Expr:
    """sum_d r_d df(d)/ds, the responsibilities' mean of the derivative: a term of df(d)/ds
    free of d is taken out of the sum as it is (the responsibilities sum to 1)."""
    d = _free_index(f, *taken)
    out = []
    for term in sympy.Add.make_args(sympy.diff(f.xreplace({k: d}), s)):
        summed = sympy.Sum(responsibility(f, k, d) * term, (d, 0, CLASSES - 1))
        out.append(summed if term.has(d) else term)
    return sympy.Add(*out)


def _free_index(f: sympy.Expr, *taken: sympy.Expr) -> sympy.Symbol:
    """An index for a sum over components that ``f`` and ``taken`` do not hold already."""
    if not f.has(OTHER_INDEX) and OTHER_INDEX not in taken:
        return OTHER_INDEX
    return sympy.Dummy("j", integer=True, nonnegative=True)


class softmax(_Named):
    r"""Component i of softmax(z) = exp(z_i) / sum_k exp(z_k)."""

    nargs = 2

    @classmethod
    def definition(cls, z, i):
        j = OTHER_INDEX
        return sympy.exp(z[i]) / sympy.Sum(sympy.exp(z[j]), (j, 0, z.shape[0] - 1))

    def _eval_is_positive(self):
        return True

    def _eval_derivative(self, s):
        z, i = self.args
        if isinstance(s, sympy.Indexed) and s.base == z:
            (column,) = s.indices
            # d p_i / d z_l = p_i ([i = l] - p_l): the softmax Hessian diag(p) - p p^T.
            return self * (sympy.KroneckerDelta(i, column) - softmax(z, column))
        return sympy.S.Zero

    def _latex_body(self, printer):
        z, i = (printer._print(a) for a in self.args)
        return r"\operatorname{softmax}\left(%s\right)_{%s}" % (z, i)


class log_softmax(_Named):
    r"""Component i of log softmax(z) = z_i - logsumexp(z), <= 0."""

    nargs = 2

    @classmethod
    def definition(cls, z, i):
        return z[i] - logsumexp.definition(z)

    def _eval_is_nonpositive(self):
        return True

    def _eval_derivative(self, s):
        z, i = self.args
        if isinstance(s, sympy.Indexed) and s.base == z:
            (column,) = s.indices
            return sympy.KroneckerDelta(i, column) - softmax(z, column)
        return sympy.S.Zero


class replace_column(_Named):
    r"""replace_column(A, c, b): the per-class values A_i, with the entry of class c (one per
    sample) replaced by b. Written for an expression linear in [i = c]: P + [i = c] Q is P off
    the target class and (P + Q) at it (used in evaluation only)."""

    nargs = 3

    @classmethod
    def definition(cls, a, c, b):
        return a + sympy.KroneckerDelta(COMPONENT, c) * (b - a.xreplace({COMPONENT: c}))


class amax(_OverClasses):
    r"""max_k z_k over the class axis (used in evaluation only)."""

    @classmethod
    def definition(cls, z):
        raise NotImplementedError("amax has no elementary sympy form")


class lse_excess(_Named):
    r"""lse_excess(z, m) = logsumexp(z) - m for m = max_k z_k, that is
    log1p(sum over all but one maximal k of exp(z_k - m)), >= 0 (used in evaluation only).

    The largest term, exp(0) = 1, is left out of the sum so that a loss close to zero keeps
    its relative accuracy.
    """

    nargs = 2

    @classmethod
    def definition(cls, z, m):
        return logsumexp.definition(z) - m

    def _eval_is_nonnegative(self):
        return True


__all__ = [
    "logsumexp",
    "logsumexp_over",
    "responsibility",
    "softmax",
    "log_softmax",
    "replace_column",
    "amax",
    "lse_excess",
]
