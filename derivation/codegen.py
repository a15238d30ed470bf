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

#: Helpers the printed code may call; each is defined in every generated module's preamble.
PREAMBLE = '''\
import numpy
import scipy.special


def _xdivy(x, y):
    """x / y, and 0 where x is 0 (even where y is 0 or inf)."""
    with numpy.errstate(divide="ignore", invalid="ignore"):
        return numpy.where(x == 0, 0 * y, x / y)
'''


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

    def _print_i0e(self, expr):
        return f"scipy.special.i0e({self._print(expr.args[0])})"

    def _print_i1e(self, expr):
        return f"scipy.special.i1e({self._print(expr.args[0])})"

    def _print_UnevaluatedExpr(self, expr):
        return f"({self._print(expr.args[0])})"


def eliminate_common_subexpressions(
    exprs: list[sympy.Expr],
) -> tuple[list[tuple[sympy.Symbol, sympy.Expr]], list[sympy.Expr]]:
    """``sympy.cse`` over all of ``exprs`` at once."""
    return sympy.cse(
        exprs, symbols=sympy.numbered_symbols("_t"), optimizations="basic", order="none"
    )


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
    parts = [header + PREAMBLE]
    parts.append(kernel_source("loss", args, keyword_args, replacements, [value]))
    parts.append(kernel_source("grad", args, keyword_args, replacements, grads))
    parts.append(kernel_source("loss_and_grad", args, keyword_args, replacements, [value, *grads]))
    return "\n\n\n".join(parts) + "\n"


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
    "PREAMBLE",
]
