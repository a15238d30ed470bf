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

from likelihoods.links import COMPONENT, OTHER_INDEX

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


class softmax(_Named):
    r"""Component i of softmax(z) = exp(z_i) / sum_k exp(z_k)."""

    nargs = 2

    @classmethod
    def definition(cls, z, i):
        j = OTHER_INDEX
        return sympy.exp(z[i]) / sympy.Sum(sympy.exp(z[j]), (j, 0, z.shape[0] - 1))

    def _eval_is_positive(self):
        return True

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


__all__ = ["logsumexp", "softmax", "log_softmax", "replace_column", "amax", "lse_excess"]
