"""Which inputs' NaN or inf a loss cannot hide: read off its lowered operations, so that the
runtime may skip checks a non-finite total would give away (see :mod:`derivation.runtime`).

>>> from sympy import exp, symbols
>>> from derivation.kernel_printer import KernelPrinter
>>> y, eta = symbols("y eta")
>>> sorted(nonfinite_inputs(["y", "eta"], exp(eta) - y * eta, KernelPrinter()))
['eta', 'y']
"""

from __future__ import annotations

import sympy

from . import functions as F
from .lowering import Lowering, lower_named

#: Operations whose result is NaN or infinite whenever their operands at these positions are,
#: whatever the other operands hold: NaN propagates, and an infinity meets nothing that makes
#: it finite (inf - inf and 0 * inf are NaN; xlogy(inf, 1) is inf * 0). Not so exp, expm1,
#: minimum, maximum, sign (exp(-inf) = 0), a divisor (x / inf = 0), xlogy's second operand.
NONFINITE_KEEPING = {
    "numpy.add": (0, 1),
    "numpy.subtract": (0, 1),
    "numpy.multiply": (0, 1),
    "numpy.divide": (0,),
    "numpy.negative": (0,),
    "numpy.square": (0,),
    "numpy.absolute": (0,),
    "numpy.sqrt": (0,),
    "numpy.log": (0,),
    "numpy.log1p": (0,),
    "numpy.sin": (0,),
    "numpy.cos": (0,),
    "numpy.tan": (0,),
    **{f.ufunc: f.keeps_nonfinite for f in F.NAMED if f.ufunc},
}


def nonfinite_inputs(args: list[str], loss: sympy.Expr, printer) -> set[str]:
    """The ``args`` a NaN or inf of which makes ``loss`` NaN or inf, whatever the other
    arguments hold: what a fused kernel's ``strict_in`` lists, by name.

    >>> from sympy import exp, symbols
    >>> from derivation.kernel_printer import KernelPrinter
    >>> y, eta = symbols("y eta")
    >>> sorted(nonfinite_inputs(["y", "eta"], exp(eta) - y * eta, KernelPrinter()))
    ['eta', 'y']
    >>> sorted(nonfinite_inputs(["y", "eta"], exp(eta) + 1 / y, KernelPrinter()))
    []
    """
    lowering = Lowering(set(args), printer)
    return nonfinite_from(lowering, lowering.value(lower_named(loss)))


def nonfinite_from(lowering: Lowering, value: int) -> set[str]:
    """The input arrays a NaN or inf of which makes ``value`` NaN or inf, whatever the other
    inputs hold (through operations of :data:`NONFINITE_KEEPING` only). A sum over the
    samples keeps that: a non-finite term makes it non-finite."""
    found: dict[int, set[str]] = {}
    for i, op in enumerate(lowering.ops[: value + 1]):
        if op is None:
            name = lowering.names[i]
            found[i] = {name} if name in lowering.arrays else set()
            continue
        if op.code.startswith("numpy.where("):  # a piecewise value: what both branches keep
            found[i] = found[op.operands[1]] & found[op.operands[2]]
            continue
        positions = NONFINITE_KEEPING.get(op.code.split("(")[0], ()) if op.ufunc else ()
        found[i] = set().union(*(found[op.operands[p]] for p in positions))
    return found[value]


__all__ = ["nonfinite_inputs", "nonfinite_from"]
