"""The numba backend's printer: expressions as scalar Python code for one sample, and the named
functions it can compute (see :mod:`derivation.numba_backend`).

>>> import sympy
>>> ScalarPrinter({"fully_qualified_modules": True}).doprint(sympy.exp(sympy.Symbol("x")))
'math.exp(x)'
"""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import expm1, log1p
from sympy.printing.pycode import PythonCodePrinter

from . import functions as F


class ScalarPrinter(PythonCodePrinter):
    """Python ``math`` code for one sample; named functions in terms of primitives.
    ``vector`` prints exp, log and log1p (and xlogy, xlog1py) with the backend's own
    :mod:`derivation.numba_scalars`, which LLVM vectorises, instead of calls into libm."""

    def __init__(self, settings=None, vector: bool = False):
        super().__init__(settings)
        self._vector = vector

    def _call(self, name: str, expr) -> str:
        """``name(...)``: the backend's own version in a vector loop, else libm's."""
        if name.startswith("x"):  # xlogy and xlog1py are helpers either way
            function = f"_vector_{name}" if self._vector else f"_{name}"
        else:
            function = f"_{name}" if self._vector else f"math.{name}"
        return f"{function}({', '.join(self._print(a) for a in expr.args)})"

    def _print_exp(self, expr):
        return self._call("exp", expr)

    def _print_log(self, expr):
        return self._call("log", expr)

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_NumberSymbol(self, expr):
        return repr(float(expr))

    _print_Pi = _print_Exp1 = _print_EulerGamma = _print_NumberSymbol

    def _print_Rational(self, expr):
        return repr(float(expr))

    def _print_Max(self, expr):
        return "max({})".format(", ".join(self._print(a) for a in expr.args))

    def _print_Min(self, expr):
        return "min({})".format(", ".join(self._print(a) for a in expr.args))

    def _print_log1p(self, expr):
        return self._call("log1p", expr)

    def _print_expm1(self, expr):
        return f"math.expm1({self._print(expr.args[0])})"

    def _print_Heaviside(self, expr):
        # H(x) with H(0) = 1; NaN stays NaN
        x = self._print(expr.args[0])
        return f"(1.0 if {x} >= 0 else (0.0 if {x} < 0 else {x}))"

    def _print_sign(self, expr):
        return f"_sign({self._print(expr.args[0])})"

    def _print_NamedBase(self, expr):
        lowerings = type(expr).lowerings
        template = lowerings.get(
            "numba_vector" if self._vector else "numba", lowerings.get("numba")
        )
        if template is None:
            return self._print_Function(expr)
        return template.format(*map(self._print, expr.args))

    def _print_UnevaluatedExpr(self, expr):
        return f"({self._print(expr.args[0])})"

    def _print_Function(self, expr):
        raise ValueError(
            f"the numba backend has no scalar version of {expr.func}; use the NumPy path"
        )


#: Named functions with a scalar version (the others are refused).
_NAMED = tuple(f for f in F.NAMED if "numba" in f.lowerings)

#: Functions a chunk's loop can compute without a call, so that LLVM vectorises it.
VECTORISABLE = {
    *(sympy.exp, sympy.log, log1p),  # the backend's own
    *(sympy.Abs, sympy.Max, sympy.Min, sympy.sign, sympy.Heaviside, sympy.Piecewise),
    *(f for f in _NAMED if "numba_vector" in f.lowerings or f.vectorises),
}

SUPPORTED = (
    *(sympy.exp, sympy.log, log1p, expm1, sympy.Abs, sympy.sin, sympy.cos, sympy.tan),
    *(sympy.sign, sympy.Max, sympy.Min, sympy.Heaviside, sympy.Piecewise),
    *_NAMED,
)

__all__ = ["ScalarPrinter", "SUPPORTED", "VECTORISABLE"]
