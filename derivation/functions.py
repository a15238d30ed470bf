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


class _Named(sympy.Function):
    """A function with an elementary ``definition`` of its arguments."""

    @classmethod
    def definition(cls, *args: sympy.Expr) -> sympy.Expr:
        raise NotImplementedError

    def _eval_is_real(self):
        return all(a.is_real for a in self.args) or None


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

    def _latex(self, printer):
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

    def _latex(self, printer):
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

    def _latex(self, printer):
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

    def _latex(self, printer):
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

    def _latex(self, printer):
        return r"\log\Gamma\left(%s\right)" % printer._print(self.args[0])


class i0e(_Named):
    r"""Exponentially scaled modified Bessel function, I_0(x) e^{-|x|}: ``scipy.special.i0e``."""

    nargs = 1

    @classmethod
    def definition(cls, x):
        return sympy.besseli(0, x) * sympy.exp(-sympy.Abs(x))

    def fdiff(self, argindex=1):
        x = self.args[0]
        return i1e(x) - sympy.sign(x) * i0e(x)


class i1e(_Named):
    r"""Exponentially scaled modified Bessel function, I_1(x) e^{-|x|}: ``scipy.special.i1e``."""

    nargs = 1

    @classmethod
    def definition(cls, x):
        return sympy.besseli(1, x) * sympy.exp(-sympy.Abs(x))

    def fdiff(self, argindex=1):
        x = self.args[0]
        # I_1' = I_0 - I_1 / x, scaled by e^{-|x|} and differentiated as a product.
        return i0e(x) - i1e(x) / x - sympy.sign(x) * i1e(x)


NAMED = (softplus, expit, xlogy, xlog1py, xdivy, gammaln, i0e, i1e)


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
    "i0e",
    "i1e", "log1p", "expand_definitions"]
