"""An optional compiled path: the same stabilised loss and gradient as one fused loop, compiled
by numba and run in parallel over the machine's cores (``d.compile(backend="numba")``).

numba is not a dependency of the library; this module imports it only when asked. The
expressions are those of the NumPy path, after the same stability rewrites, printed as scalar
code: every sample is read once, its loss and gradients computed from shared temporaries in
registers, the gradients written once and the loss added to a per-thread partial sum. Only
elementwise models are supported (a target over classes needs the NumPy path), and only the
functions below; anything else is refused with a message naming it.
"""

from __future__ import annotations

import sympy
from sympy.codegen.cfunctions import expm1, log1p
from sympy.printing.pycode import PythonCodePrinter

from . import functions as F
from .fused import lower_named

#: Scalar versions of the named functions, compiled along with the kernel.
SCALAR_HELPERS = """
@numba.njit(inline="always")
def _xlogy(x, y):
    return 0.0 if x == 0 else x * math.log(y)


@numba.njit(inline="always")
def _xlog1py(x, y):
    return 0.0 if x == 0 else x * math.log1p(y)


@numba.njit(inline="always")
def _xdivy(x, y):
    return 0.0 if x == 0 else x / y


@numba.njit(inline="always")
def _sign(x):
    return (x > 0) - (x < 0)
"""


class ScalarPrinter(PythonCodePrinter):
    """Python ``math`` code for one sample; named functions in terms of primitives."""

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
        return f"math.log1p({self._print(expr.args[0])})"

    def _print_expm1(self, expr):
        return f"math.expm1({self._print(expr.args[0])})"

    def _print_sign(self, expr):
        return f"_sign({self._print(expr.args[0])})"

    def _print_xlogy(self, expr):
        return "_xlogy({}, {})".format(*map(self._print, expr.args))

    def _print_xlog1py(self, expr):
        return "_xlog1py({}, {})".format(*map(self._print, expr.args))

    def _print_xdivy(self, expr):
        return "_xdivy({}, {})".format(*map(self._print, expr.args))

    def _print_gammaln(self, expr):
        return f"math.lgamma({self._print(expr.args[0])})"

    def _print_UnevaluatedExpr(self, expr):
        return f"({self._print(expr.args[0])})"

    def _print_Function(self, expr):
        raise ValueError(
            f"the numba backend has no scalar version of {expr.func}; use the NumPy path"
        )

    _print_log_i0e = _print_one_minus_i1_over_i0 = _print_Function


SUPPORTED = (
    sympy.exp,
    sympy.log,
    log1p,
    expm1,
    sympy.Abs,
    sympy.sin,
    sympy.cos,
    sympy.tan,
    sympy.sign,
    sympy.Max,
    sympy.Min,
    F.xlogy,
    F.xlog1py,
    F.xdivy,
    F.gammaln,
)


def module_source(
    args: list[str], keyword_args: list[str], loss: sympy.Expr, gradient: list[sympy.Expr]
) -> str:
    """A module with ``loss``, ``grad`` and ``loss_and_grad`` kernels of the library's kernel
    interface, each driving one parallel numba loop."""
    exprs = [lower_named(loss)] + [lower_named(g) for g in gradient]
    for e in exprs:
        for f in e.atoms(sympy.Function):
            if not isinstance(f, SUPPORTED):
                raise ValueError(
                    f"the numba backend has no scalar version of {f.func}; use the NumPy path"
                )
    printer = ScalarPrinter({"fully_qualified_modules": True})
    replacements, reduced = sympy.cse(exprs, symbols=sympy.numbered_symbols("_t"))
    # Inside the loop each argument is one sample, _y for y[i]: the arrays keep their names.
    wanted_names = set(args + keyword_args)
    free = set().union(*(e.free_symbols for e in exprs))
    substitution = {s: sympy.Symbol(f"_{s.name}") for s in free if s.name in wanted_names}
    parts = ["import math\n\nimport numba\nimport numpy\n" + SCALAR_HELPERS]
    for kind, wanted in (
        ("loss", [0]),
        ("grad", list(range(1, len(exprs)))),
        ("loss_and_grad", list(range(len(exprs)))),
    ):
        parts.append(
            _loops(kind, args, keyword_args, replacements, reduced, wanted, printer, substitution)
        )
        parts.append(_driver(kind, args, keyword_args, wanted, len(gradient)))
    return "\n\n".join(parts) + "\n"


def _body(replacements, reduced, wanted, printer, substitution) -> list[str]:
    needed = set().union(*(reduced[k].free_symbols for k in wanted))
    kept = []
    for symbol, value in reversed(replacements):
        if symbol in needed:
            kept.append((symbol, value))
            needed |= value.free_symbols
    lines = [
        f"        {s} = {printer.doprint(v.xreplace(substitution))}" for s, v in reversed(kept)
    ]
    for k in wanted:
        lines.append(f"        _o{k} = {printer.doprint(reduced[k].xreplace(substitution))}")
    return lines


def _loops(kind, args, keyword_args, replacements, reduced, wanted, printer, substitution):
    """Two jitted loops: one adding up the loss (scale a number), one per sample."""
    grads = [k for k in wanted if k > 0]
    arrays = ", ".join(args)
    outs = "".join(f", g{k}" for k in grads)
    consts = "".join(f", {c}" for c in keyword_args)
    reads = [f"        _{a} = {a}[i]" for a in args] + [f"        _{c} = {c}" for c in keyword_args]
    body = _body(replacements, reduced, wanted, printer, substitution)
    total = [
        "@numba.njit(parallel=True, cache=False)",
        f"def _{kind}_total({arrays}{outs}, scale{consts}):",
        "    total = 0.0",
        f"    for i in numba.prange({args[0]}.shape[0]):",
        *reads,
        *body,
        *(["        total += _o0"] if 0 in wanted else []),
        *(f"        g{k}[i] = _o{k} * scale" for k in grads),
        "    return total",
    ]
    each = [
        "@numba.njit(parallel=True, cache=False)",
        f"def _{kind}_each({arrays}, values{outs}, scale{consts}):",
        f"    for i in numba.prange({args[0]}.shape[0]):",
        *reads,
        *body,
        *(["        values[i] = _o0"] if 0 in wanted else []),
        *(f"        g{k}[i] = _o{k} * scale[i]" for k in grads),
    ]
    return "\n".join(total) + "\n\n\n" + "\n".join(each)


def _driver(kind, args, keyword_args, wanted, n_gradients) -> str:
    grads = [k for k in wanted if k > 0]
    signature = ", ".join(args) + ", *, _shape, _dtype, _scale, _total"
    signature += "".join(f", {c}" for c in keyword_args)
    consts = "".join(f", float({c})" for c in keyword_args)
    flat = "\n".join(
        f"    {a} = numpy.ascontiguousarray(numpy.broadcast_to({a}, _shape), _dtype).reshape(-1)"
        for a in args
    )
    gradients = "\n".join(f"    g{k} = numpy.empty(_n, _dtype)" for k in grads)
    outs = "".join(f", g{k}" for k in grads)
    results = ", ".join(["_loss"] if 0 in wanted else []) + (", " if 0 in wanted and grads else "")
    results += ", ".join(f"g{k}.reshape(_shape)" for k in grads)
    return f"""
def {kind}({signature}):
{flat}
    _n = {args[0]}.shape[0]
{gradients}
    if _total and (_scale is None or numpy.ndim(_scale) == 0):
        scale = 1.0 if _scale is None else float(_scale)
        _loss = _{kind}_total({", ".join(args)}{outs}, scale{consts})
    else:
        values = numpy.empty(_n, _dtype)
        scale = numpy.ascontiguousarray(
            numpy.broadcast_to(1.0 if _scale is None else _scale, _shape), _dtype
        ).reshape(-1)
        _{kind}_each({", ".join(args)}, values{outs}, scale{consts})
        _loss = values.sum(dtype=_dtype) if _total else values.reshape(_shape)
    return ({results},)
"""


__all__ = ["module_source", "ScalarPrinter", "SUPPORTED"]
