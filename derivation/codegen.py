r"""Printing stabilised sympy expressions as a NumPy/SciPy module.

One module holds three elementwise kernels over broadcast arrays, ``loss``, ``grad`` and
``loss_and_grad``. Common subexpressions of the loss and the gradient are eliminated together
(``sympy.cse``), so the fused kernel computes what they share once, and the loss-only kernel
computes nothing that only the gradient needs. The module imports only numpy and scipy.special,
so its source can be saved and used without sympy.

>>> import sympy
>>> x, y = sympy.symbols("x y", real=True)
>>> print(module_source(["y", "x"], [], (y - x) ** 2, [2 * (x - y)]).split("\n\n\n")[-1])
def loss_and_grad(y, x):
    _t0 = x - y
    return (_t0**2, 2*_t0,)
"""

from __future__ import annotations

import sympy
from sympy.printing.numpy import SciPyPrinter

from . import functions as F

HEADER = """\
import numpy
import scipy.special
"""

#: Helpers the printed code may call, by name; a module defines those its kernels use.
HELPERS = {
    "_xdivy": '''
def _xdivy(x, y):
    """x / y, and 0 where x is 0 (even where y is 0 or inf)."""
    with numpy.errstate(divide="ignore", invalid="ignore"):
        return numpy.where(x == 0, 0 * y, x / y)
''',
    # Not in scipy.special. Below x = 50, 1 - i1e/i0e loses at most log10(2x) < 2 digits;
    # above, the asymptotic series of I0 and I1 in 1/x (Abramowitz & Stegun 9.7.1) give
    # I0 - I1 and I0 as sums of positive terms, 40 of which reach full precision there.
    "_one_minus_i1_over_i0": '''
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
    """1 - I1(x)/I0(x) for x >= 0, to a few ulps."""
    x = numpy.asarray(x)
    with numpy.errstate(divide="ignore", invalid="ignore"):
        out = 1 - scipy.special.i1e(x) / scipy.special.i0e(x)
        large = x > 50
        if numpy.any(large):
            z = 1 / x[large]
            out = numpy.array(out, copy=True)
            out[large] = numpy.polyval(_GAP_SERIES, z) / numpy.polyval(_I0_SERIES, z)
    return out
''',
}


class KernelPrinter(SciPyPrinter):
    """SciPy printer that knows the named functions of :mod:`derivation.functions` and prints
    floats with all their digits."""

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_NumberSymbol(self, expr):  # pi, E, EulerGamma, ...: only numpy is imported
        return repr(float(expr))

    _print_Pi = _print_Exp1 = _print_EulerGamma = _print_GoldenRatio = _print_NumberSymbol

    def _print_softplus(self, expr):
        return f"numpy.logaddexp(0, {self._print(expr.args[0])})"

    def _print_expit(self, expr):
        return f"scipy.special.expit({self._print(expr.args[0])})"

    def _print_xlogy(self, expr):
        return "scipy.special.xlogy({}, {})".format(*map(self._print, expr.args))

    def _print_xlog1py(self, expr):
        return "scipy.special.xlog1py({}, {})".format(*map(self._print, expr.args))

    def _print_xdivy(self, expr):
        return "_xdivy({}, {})".format(*map(self._print, expr.args))

    def _print_gammaln(self, expr):
        return f"scipy.special.gammaln({self._print(expr.args[0])})"

    def _print_log_i0e(self, expr):
        return f"numpy.log(scipy.special.i0e({self._print(expr.args[0])}))"

    def _print_one_minus_i1_over_i0(self, expr):
        return f"_one_minus_i1_over_i0({self._print(expr.args[0])})"

    def _print_UnevaluatedExpr(self, expr):
        return f"({self._print(expr.args[0])})"


def eliminate_common_subexpressions(
    exprs: list[sympy.Expr],
) -> tuple[list[tuple[sympy.Symbol, sympy.Expr]], list[sympy.Expr]]:
    """``sympy.cse`` over all of ``exprs`` at once, with reciprocals put back in place.

    A temporary ``t = 1/x`` turns every ``a/x`` into ``a*t``, two roundings instead of one:
    ``r/sigma`` would no longer be exactly 1 where ``r == sigma``.
    """
    replacements, reduced = sympy.cse(
        exprs, symbols=sympy.numbered_symbols("_t"), optimizations="basic", order="none"
    )
    inline: dict[sympy.Symbol, sympy.Expr] = {}
    kept = []
    for symbol, value in replacements:
        value = value.xreplace(inline)
        if value.is_Pow and value.exp == -1:
            inline[symbol] = value
        else:
            kept.append((symbol, value))
    return kept, [e.xreplace(inline) for e in reduced]


def kernel_source(
    name: str,
    args: list[str],
    keyword_args: list[str],
    replacements: list[tuple[sympy.Symbol, sympy.Expr]],
    outputs: list[sympy.Expr],
) -> str:
    """Source of ``def name(*args, *, keyword_args)`` returning the tuple of ``outputs``,
    keeping only the ``replacements`` (temporaries) that the outputs need."""
    needed = set().union(*(o.free_symbols for o in outputs))
    kept = []
    for symbol, value in reversed(replacements):
        if symbol in needed:
            kept.append((symbol, value))
            needed |= value.free_symbols
    printer = KernelPrinter({"fully_qualified_modules": True, "inline": True})
    signature = ", ".join(args)
    if keyword_args:
        signature += ", *, " + ", ".join(keyword_args)
    lines = [f"def {name}({signature}):"]
    for symbol, value in reversed(kept):
        lines.append(f"    {symbol} = {printer.doprint(value)}")
    lines.append(f"    return ({', '.join(printer.doprint(o) for o in outputs)},)")
    return "\n".join(lines)


def module_source(
    args: list[str],
    keyword_args: list[str],
    loss: sympy.Expr,
    gradient: list[sympy.Expr],
    header: str = "",
) -> str:
    """A module with the ``loss``, ``grad`` and ``loss_and_grad`` kernels.

    Common subexpressions are eliminated once, over the loss and the gradient together; the
    loss-only and gradient-only kernels keep just the temporaries they need, so all three
    evaluate every output with the very same operations (bitwise equal results).
    """
    replacements, (value, *grads) = eliminate_common_subexpressions([loss, *gradient])
    kernels = [
        kernel_source("loss", args, keyword_args, replacements, [value]),
        kernel_source("grad", args, keyword_args, replacements, grads),
        kernel_source("loss_and_grad", args, keyword_args, replacements, [value, *grads]),
    ]
    helpers = [code.strip() for name, code in HELPERS.items() if f"{name}(" in kernels[-1]]
    return "\n\n\n".join([header + HEADER.strip(), *helpers, *kernels]) + "\n"


def load(source: str, filename: str) -> dict:
    """Execute generated ``source`` and return its namespace (registered with linecache so
    tracebacks show the generated lines)."""
    import linecache

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict = {"__name__": filename}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


# Every named function must be printable; fail at import, not at first compile.
assert all(hasattr(KernelPrinter, f"_print_{f.__name__}") for f in F.NAMED)

__all__ = [
    "KernelPrinter",
    "eliminate_common_subexpressions",
    "kernel_source",
    "module_source",
    "load",
    "HEADER",
    "HELPERS",
]
