"""Printing stabilised sympy expressions as a NumPy/SciPy module.

One module holds three elementwise kernels over broadcast arrays, ``loss``, ``grad`` and
``loss_and_grad``; each is common-subexpression-eliminated on its own (``sympy.cse``), so the
fused kernel computes what the loss and the gradients share once, and the loss-only kernel
computes nothing the gradient alone needs. The module imports only numpy and scipy.special,
so its source can be saved and used without sympy.

>>> import sympy
>>> x, y = sympy.symbols("x y", real=True)
>>> print(kernel_source("loss", ["y", "x"], [], [(y - x) ** 2]))
def loss(y, x):
    return ((-x + y)**2,)
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


def kernel_source(
    name: str, args: list[str], keyword_args: list[str], exprs: list[sympy.Expr]
) -> str:
    """Source of ``def name(*args, *, keyword_args)`` returning the tuple of ``exprs``."""
    printer = KernelPrinter({"fully_qualified_modules": True, "inline": True})
    replacements, reduced = sympy.cse(
        exprs, symbols=sympy.numbered_symbols("_t"), optimizations="basic", order="none"
    )
    signature = ", ".join(args)
    if keyword_args:
        signature += ", *, " + ", ".join(keyword_args)
    lines = [f"def {name}({signature}):"]
    for symbol, value in replacements:
        lines.append(f"    {symbol} = {printer.doprint(value)}")
    outputs = ", ".join(printer.doprint(e) for e in reduced)
    lines.append(f"    return ({outputs},)")
    return "\n".join(lines)


def module_source(
    args: list[str],
    keyword_args: list[str],
    loss: sympy.Expr,
    gradient: list[sympy.Expr],
    header: str = "",
) -> str:
    """A module with the ``loss``, ``grad`` and ``loss_and_grad`` kernels."""
    parts = [header + PREAMBLE] if header else [PREAMBLE]
    parts.append(kernel_source("loss", args, keyword_args, [loss]))
    parts.append(kernel_source("grad", args, keyword_args, list(gradient)))
    parts.append(kernel_source("loss_and_grad", args, keyword_args, [loss, *gradient]))
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

__all__ = ["KernelPrinter", "kernel_source", "module_source", "load", "PREAMBLE"]
