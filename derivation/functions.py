"""Named special functions the engine writes losses and gradients in.

Each is a sympy ``Function`` with its derivative (so gradients stay in named, stable form),
its elementary definition (``definition``, used to check identities and to evaluate with
mpmath) and a NumPy/SciPy spelling in :mod:`derivation.codegen`. Sympy has ``loggamma`` and
``log1p`` already and they are used as they are; these are the ones it lacks, or lacks with
a stable derivative (``sympy.codegen.numpy_nodes.logaddexp`` differentiates to a ratio of
exponentials, which overflows).

>>> import sympy
>>> x = sympy.Symbol("x", real=True)
>>> softplus(x).diff(x)
expit(x)
>>> expand_definitions(softplus(x))
log(exp(x) + 1)
"""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import log1p

from likelihoods.links import COMPONENT, OTHER_INDEX


class _Named(sympy.Function):
    """A function with an elementary ``definition`` of its arguments."""

    @classmethod
    def definition(cls, *args: sympy.Expr) -> sympy.Expr:
        raise NotImplementedError

    def _eval_is_real(self):
        return all(a.is_real for a in self.args) or None

    def _latex(self, printer, exp=None):
        body = (
            self._latex_body(printer)
            if hasattr(self, "_latex_body")
            else r"\operatorname{%s}\left(%s\right)"
            % (type(self).__name__.replace("_", r"\_"), ", ".join(map(printer._print, self.args)))
        )
        return r"\left(%s\right)^{%s}" % (body, exp) if exp else body


class softplus(_Named):
    r"""softplus(x) = log(1 + e^x), evaluated as ``numpy.logaddexp(0, x)``."""

    nargs = 1

    @classmethod
    def definition(cls, x):
        return sympy.log(1 + sympy.exp(x))

    def fdiff(self, argindex=1):
        return expit(self.args[0])

    def _eval_is_positive(self):
        return self.args[0].is_real or None

    def _latex_body(self, printer):
        return r"\operatorname{softplus}\left(%s\right)" % printer._print(self.args[0])


class expit(_Named):
    r"""The logistic sigmoid, expit(x) = e^x / (1 + e^x) = 1 / (1 + e^{-x})."""

    nargs = 1

    @classmethod
    def definition(cls, x):
        return 1 / (1 + sympy.exp(-x))

    def fdiff(self, argindex=1):
        x = self.args[0]
        # sigma'(x) = sigma(x) sigma(-x); sigma(-x) is the stable spelling of 1 - sigma(x).
        return expit(x) * expit(-x)

    def _eval_is_positive(self):
        return self.args[0].is_real or None

    def _latex_body(self, printer):
        return r"\sigma\left(%s\right)" % printer._print(self.args[0])


class xlogy(_Named):
    r"""x log(y), defined as 0 where x = 0 (even where y = 0): ``scipy.special.xlogy``."""

    nargs = 2

    @classmethod
    def definition(cls, x, y):
        return x * sympy.log(y)

    def fdiff(self, argindex=1):
        x, y = self.args
        return sympy.log(y) if argindex == 1 else xdivy(x, y)

    def _latex_body(self, printer):
        x, y = (printer._print(a) for a in self.args)
        return r"%s \log\left(%s\right)" % (printer.parenthesize(self.args[0], 50), y)


class xlog1py(_Named):
    r"""x log(1 + y), defined as 0 where x = 0: ``scipy.special.xlog1py``."""

    nargs = 2

    @classmethod
    def definition(cls, x, y):
        return x * sympy.log(1 + y)

    def fdiff(self, argindex=1):
        x, y = self.args
        return log1p(y) if argindex == 1 else xdivy(x, 1 + y)

    def _latex_body(self, printer):
        y = printer._print(1 + self.args[1])
        return r"%s \log\left(%s\right)" % (printer.parenthesize(self.args[0], 50), y)


class xdivy(_Named):
    r"""x / y, defined as 0 where x = 0 (even where y = 0): the derivative of ``xlogy``."""

    nargs = 2

    @classmethod
    def definition(cls, x, y):
        return x / y

    def fdiff(self, argindex=1):
        x, y = self.args
        return 1 / y if argindex == 1 else -xdivy(x, y**2)


class gammaln(_Named):
    r"""log Gamma(x) for x > 0: ``scipy.special.gammaln``.

    Sympy's own ``loggamma`` evaluates to ``log(gamma(x))`` for integer arguments, which
    overflows past x = 171; this one stays as it is.
    """

    nargs = 1

    @classmethod
    def definition(cls, x):
        return sympy.log(sympy.gamma(x))

    def fdiff(self, argindex=1):
        return sympy.polygamma(0, self.args[0])

    def _latex_body(self, printer):
        return r"\log\Gamma\left(%s\right)" % printer._print(self.args[0])


class log_i0e(_Named):
    r"""log(I_0(x) e^{-|x|}), the log of ``scipy.special.i0e``: log I_0(x) without overflow."""

    nargs = 1

    @classmethod
    def definition(cls, x):
        return sympy.log(sympy.besseli(0, x)) - sympy.Abs(x)

    def fdiff(self, argindex=1):
        x = self.args[0]
        # d/dx log I0(x) = I1(x)/I0(x), odd in x; minus sign(x) from the scaling.
        return -sympy.sign(x) * one_minus_i1_over_i0(sympy.Abs(x))

    def _latex_body(self, printer):
        x = printer._print(self.args[0])
        return r"\log\left(I_0\left(%s\right) e^{-\left|%s\right|}\right)" % (x, x)


class one_minus_i1_over_i0(_Named):
    r"""1 - I_1(x)/I_0(x) for x >= 0, accurate where the ratio is close to 1 (large x), where
    computing the ratio and subtracting would lose up to log10(2x) digits."""

    nargs = 1

    @classmethod
    def definition(cls, x):
        return 1 - sympy.besseli(1, x) / sympy.besseli(0, x)

    def fdiff(self, argindex=1):
        x = self.args[0]
        ratio = 1 - self
        # (I1/I0)' = 1 - (I1/I0)/x - (I1/I0)^2
        return -(1 - ratio / x - ratio**2)

    def _latex_body(self, printer):
        x = printer._print(self.args[0])
        return r"\left(1 - \frac{I_1\left(%s\right)}{I_0\left(%s\right)}\right)" % (x, x)


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


NAMED = (
    softplus,
    expit,
    xlogy,
    xlog1py,
    xdivy,
    gammaln,
    log_i0e,
    one_minus_i1_over_i0,
    logsumexp,
    softmax,
    log_softmax,
    amax,
    lse_excess,
    replace_column,
)


def expand_definitions(expr: sympy.Expr) -> sympy.Expr:
    """Replace every named function (and ``log1p``) by its elementary definition."""
    for _ in range(4):  # definitions do not nest deeper than this
        new = expr.replace(
            lambda e: isinstance(e, NAMED), lambda e: type(e).definition(*e.args)
        ).replace(lambda e: isinstance(e, log1p), lambda e: sympy.log(1 + e.args[0]))
        if new == expr:
            break
        expr = new
    return expr


__all__ = [
    "softplus",
    "expit",
    "xlogy",
    "xlog1py",
    "xdivy",
    "gammaln",
    "log_i0e",
    "one_minus_i1_over_i0",
    "logsumexp",
    "softmax",
    "log_softmax",
    "amax",
    "lse_excess",
    "replace_column",
    "log1p",
    "expand_definitions",
]
