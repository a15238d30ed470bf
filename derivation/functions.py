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

from .bessel_functions import bessel_i_gap, bessel_i_ratio, log_ive
from .class_functions import (
    amax,
    log_softmax,
    logsumexp,
    logsumexp_over,
    lse_excess,
    replace_column,
    responsibility,
    responsibility_complement,
    softmax,
)
from .gamma_functions import (
    digamma_difference,
    digamma_exp_scaled,
    gammaln_difference,
    gammaln_exp,
)
from .log_functions import (
    betaln,
    log1p_square,
    log_mix,
    logaddexp,
    square_fraction,
    x_over_1px2,
)
from .named import NamedBase as _Named
from .ranking_functions import RANKING_FUNCTIONS
from .triangular_functions import FACTORS, SOLVED


class softplus(_Named):
    r"""softplus(x) = log(1 + e^x), evaluated as ``numpy.logaddexp(0, x)``."""

    nargs = 1
    lowerings = {"numpy": "numpy.logaddexp(0, {0})"}

    @staticmethod
    def primitives(x):
        # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): the exp shared with expit's lowering
        return sympy.Max(x, 0) + log1p(sympy.exp(-sympy.Abs(x)))

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
    lowerings = {"numpy": "scipy.special.expit({0})"}

    @staticmethod
    def primitives(x):
        # exp(min(x, 0)) / (1 + e^-|x|), and exp(min(x, 0)) = max(e^-|x|, H(x)): e^-|x| is
        # e^x below 0 and at most 1 from 0 on, where H is 1 (NaN stays NaN). One exp, shared.
        return sympy.Max(sympy.exp(-sympy.Abs(x)), sympy.Heaviside(x, 1)) / (
            1 + sympy.exp(-sympy.Abs(x))
        )

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
    lowerings = {
        "numpy": "scipy.special.xlogy({0}, {1})",
        "numba": "_xlogy({0}, {1})",
        "numba_vector": "_vector_xlogy({0}, {1})",
    }
    ufunc, keeps_nonfinite = "scipy.special.xlogy", (0,)

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
    lowerings = {
        "numpy": "scipy.special.xlog1py({0}, {1})",
        "numba": "_xlog1py({0}, {1})",
        "numba_vector": "_vector_xlog1py({0}, {1})",
    }
    ufunc, keeps_nonfinite = "scipy.special.xlog1py", (0,)

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
    lowerings = {"numpy": "_xdivy({0}, {1})", "numba": "_xdivy({0}, {1})"}
    vectorises = True

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
    lowerings = {"numpy": "scipy.special.gammaln({0})", "numba": "math.lgamma({0})"}
    ufunc, keeps_nonfinite = "scipy.special.gammaln", (0,)

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
    lowerings = {"numpy": "_log_i0e({0})"}

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
    lowerings = {"numpy": "_one_minus_i1_over_i0({0})"}

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


NAMED = (
    softplus,
    expit,
    xlogy,
    xlog1py,
    xdivy,
    gammaln,
    log_i0e,
    one_minus_i1_over_i0,
    log_ive,
    bessel_i_gap,
    bessel_i_ratio,
    logaddexp,
    log_mix,
    log1p_square,
    x_over_1px2,
    square_fraction,
    betaln,
    gammaln_difference,
    digamma_difference,
    gammaln_exp,
    digamma_exp_scaled,
    logsumexp,
    logsumexp_over,
    responsibility,
    responsibility_complement,
    softmax,
    log_softmax,
    amax,
    lse_excess,
    replace_column,
    *FACTORS,
    *SOLVED,
    *RANKING_FUNCTIONS,
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


__all__ = [*(f.__name__ for f in NAMED), "log1p", "expand_definitions"]
