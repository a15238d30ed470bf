"""An optional compiled path: the same stabilised loss and gradient as one fused loop, compiled by
numba and run in parallel over the machine's cores (``d.compile(backend="numba")``).

numba is not a dependency of the library; this module imports it only when asked. The
expressions are those of the NumPy path, after the same stability rewrites, printed as scalar
code: every sample is read once, its loss and gradients computed from shared temporaries in
registers, the gradients written once. The samples are cut into chunks, spread over the
threads, and each chunk's losses are added up as they come, in an order LLVM may choose: a loop
that calls no function but exp, log, log1p (the backend's own) and those LLVM inlines is thus
vectorised, sum included; a call into libm keeps a loop scalar. Only elementwise models are
supported (a target over classes needs the NumPy path), and only the functions below; anything
else is refused with a message naming it.
"""

from __future__ import annotations

import math

import sympy
from sympy.codegen.cfunctions import expm1, log1p
from sympy.printing.pycode import PythonCodePrinter

from likelihoods.constraints import Domain

from . import functions as F
from .codegen import eliminate_common_subexpressions
from .fused import lower_named

#: Samples per chunk: a chunk's inputs, gradients and losses stay in the L1/L2 cache.
CHUNK = 2048

#: Scalar versions of the named functions, compiled along with the kernel.
SCALAR_HELPERS = """
@numba.extending.intrinsic
def _from_bits(typingctx, bits):
    # The float64 whose IEEE bits are the int64 ``bits`` (2^k is (k + 1023) << 52).
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvmlite.ir.DoubleType())

    return numba.types.float64(numba.types.int64), codegen


# exp(x) = 2^k exp(r), k = round(x / ln 2), r = x - k ln 2 (ln 2 in two parts, the first with
# enough trailing zero bits that k times it is exact), exp(r) by its Taylor series to r^13
# (|r| <= ln(2)/2: the remainder is below 2^-57, a 32nd of an ulp), 2^k in two factors so that
# results down to the smallest subnormal come out. Within 1 ulp. Written here because numba's
# math.exp is a call into libm, which LLVM cannot vectorise (pip's llvmlite has no SVML).
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_TAYLOR = tuple(1.0 / math.factorial(k) for k in range(13, -1, -1))


@numba.njit(inline="always")
def _exp(x):
    t = min(max(x, -746.0), 710.0)  # beyond these exp is 0 or inf; keeps k in range
    k = math.floor(t * 1.4426950408889634 + 0.5)
    r = (t - k * _LN2_HI) - k * _LN2_LO
    p = _TAYLOR[0]
    for c in _TAYLOR[1:]:
        p = p * r + c
    low = numpy.int64(k) >> 1
    high = numpy.int64(k) - low
    value = p * _from_bits((low + 1023) << 52) * _from_bits((high + 1023) << 52)
    return x if x != x else value


@numba.extending.intrinsic
def _to_bits(typingctx, value):
    # The IEEE bits of the float64 ``value``, as an int64.
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvmlite.ir.IntType(64))

    return numba.types.int64(numba.types.float64), codegen


# log(2^k (1 + f)) = k ln 2 + log(1 + f), 1 + f in [sqrt(2)/2, sqrt(2)] (f = m - 1 is exact);
# log(1 + f) = 2 atanh(s) with s = f / (2 + f), = f - f^2/2 + s (f^2/2 + R) where
# R = sum over j >= 1 of 2 s^2j / (2j + 1) (|s| <= 0.172: to s^20 the remainder is below
# 2^-60 of the result). What is added to f is small, so are its roundings: within 1 ulp.
# Written here for the reason exp is: libm's would keep the loop scalar.
_ATANH = tuple(2.0 / (2 * j + 1) for j in range(10, 0, -1))


@numba.njit(inline="always")
def _log_of(u, extra):
    # log(u) + extra for u > 0 (u subnormal or not; the caller handles 0, inf, NaN)
    tiny = u < 2.2250738585072014e-308
    bits = _to_bits(u * 18014398509481984.0 if tiny else u)  # 2^54 makes it normal
    k = (bits >> 52) - (1077 if tiny else 1023)
    m = _from_bits((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000)
    big = m > 1.4142135623730951
    f = (0.5 * m if big else m) - 1.0
    k = k + (1 if big else 0)
    s = f / (2.0 + f)
    z = s * s
    r = _ATANH[0]
    for c in _ATANH[1:]:
        r = r * z + c
    half_square = 0.5 * f * f
    return k * _LN2_HI + (f - (half_square - (s * (half_square + z * r) + (k * _LN2_LO + extra))))


@numba.njit(inline="always")
def _log(x):
    value = _log_of(x, 0.0)
    if 0.0 < x < math.inf:
        return value
    return -math.inf if x == 0.0 else (x if x == math.inf else math.nan)


@numba.njit(inline="always")
def _log1p(x):
    u = 1.0 + x
    # the rounding error of 1 + x, exactly (Fast2Sum, the larger operand first), then divided
    # by u: log(u + d) = log(u) + d / u to far below an ulp
    d = (1.0 - (u - x)) if abs(x) > 1.0 else (x - (u - 1.0))
    value = _log_of(u, d / u)
    if 0.0 < u < math.inf:
        return value
    return -math.inf if u == 0.0 else (u if u == math.inf else math.nan)


@numba.extending.intrinsic
def _add(typingctx, total, value):
    # total + value, the one addition LLVM may reassociate (the order in which a chunk's
    # losses are added): a loop that adds up its losses so is vectorised, running sums in
    # each lane, where a plain += would tie each step to the last.
    def codegen(context, builder, signature, args):
        return builder.fadd(args[0], args[1], flags=("reassoc", "nsz"))

    return numba.types.float64(numba.types.float64, numba.types.float64), codegen


@numba.njit(inline="always")
def _xlogy(x, y):
    return 0.0 if x == 0 else x * math.log(y)


@numba.njit(inline="always")
def _xlog1py(x, y):
    return 0.0 if x == 0 else x * math.log1p(y)


@numba.njit(inline="always")
def _vector_xlogy(x, y):
    return 0.0 if x == 0 else x * _log(y)


@numba.njit(inline="always")
def _vector_xlog1py(x, y):
    return 0.0 if x == 0 else x * _log1p(y)


@numba.njit(inline="always")
def _xdivy(x, y):
    return 0.0 if x == 0 else x / y


@numba.njit(inline="always")
def _sign(x):
    return (x > 0) - (x < 0)
"""


class ScalarPrinter(PythonCodePrinter):
    """Python ``math`` code for one sample; named functions in terms of primitives.
    ``vector`` prints exp, log and log1p (and xlogy, xlog1py) with the backend's own
    :data:`SCALAR_HELPERS`, which LLVM vectorises, instead of calls into libm."""

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

    def _print_xlogy(self, expr):
        return self._call("xlogy", expr)

    def _print_xlog1py(self, expr):
        return self._call("xlog1py", expr)

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


#: Functions a chunk's loop can compute without a call, so that LLVM vectorises it.
VECTORISABLE = {
    *(sympy.exp, sympy.log, log1p, F.xlogy, F.xlog1py),  # the backend's own
    *(sympy.Abs, sympy.Max, sympy.Min, sympy.sign, sympy.Heaviside, F.xdivy),
}

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
    sympy.Heaviside,
    F.xlogy,
    F.xlog1py,
    F.xdivy,
    F.gammaln,
)


def module_source(
    args: list[str],
    keyword_args: list[str],
    loss: sympy.Expr,
    gradient: list[sympy.Expr],
    domains: list[Domain] | None = None,
    vouched: frozenset[str] = frozenset(),
) -> str:
    """A module with ``loss``, ``grad`` and ``loss_and_grad`` kernels of the library's kernel
    interface, each driving one parallel numba loop.

    With the ``domains`` of the positional arguments, the loop that sums the loss checks
    every value as it reads it: the total is NaN if any is outside its domain, and the
    kernel's ``checked_in`` lists the arguments it so vouches for (the runtime then checks
    them only if the total is not finite, to name the offending value). The arguments in
    ``vouched``, whose NaN or inf makes the loss NaN or inf, are tested against their finite
    bounds only."""
    exprs = [lower_named(loss)] + [lower_named(g) for g in gradient]
    for e in exprs:
        for f in e.atoms(sympy.Function):
            if not isinstance(f, SUPPORTED):
                raise ValueError(
                    f"the numba backend has no scalar version of {f.func}; use the NumPy path"
                )
    # A loop vectorises if it calls nothing but exp, log, log1p and functions LLVM inlines:
    # it takes the backend's own versions of those, not libm's (a call keeps a loop scalar).
    functions = {type(f) for e in exprs for f in e.atoms(sympy.Function)}
    vectorise = functions <= VECTORISABLE
    printer = ScalarPrinter({"fully_qualified_modules": True}, vector=vectorise)
    replacements, reduced = eliminate_common_subexpressions(exprs)
    # Inside the loop each argument is one sample, _y for y[i]: the arrays keep their names.
    wanted_names = set(args + keyword_args)
    free = set().union(*(e.free_symbols for e in exprs))
    substitution = {s: sympy.Symbol(f"_{s.name}") for s in free if s.name in wanted_names}
    parts = [
        "import math\n\nimport llvmlite.ir\nimport numba\nimport numba.extending\nimport numpy\n"
        + f"_CHUNK = {CHUNK}\n\n"
        + SCALAR_HELPERS
    ]
    for kind, wanted in (
        ("loss", [0]),
        ("grad", list(range(1, len(exprs)))),
        ("loss_and_grad", list(range(len(exprs)))),
    ):
        checks = domains is not None and 0 in wanted
        valid = _valid(args, domains, vouched) if checks else ""
        body = _body(replacements, reduced, wanted, printer, substitution)
        parts.append(_loops(kind, args, keyword_args, body, wanted, valid))
        parts.append(_driver(kind, args, keyword_args, wanted, len(gradient)))
        if checks:
            parts.append(f"{kind}.checked_in = {tuple(range(len(args)))!r}")
    return "\n\n".join(parts) + "\n"


def _valid(args: list[str], domains: list[Domain], vouched: frozenset[str]) -> str:
    """A boolean expression (empty if there is nothing to test): every sample value (``_y``
    for ``y[i]``) is inside its domain. NaN fails every comparison; infinite bounds are open,
    so they exclude inf too, except for the ``vouched`` arguments, which the loss itself
    leaves no finite value for."""
    tests = []
    for name, domain in zip(args, domains):
        v = f"_{name}"
        low, high = _bound(domain.lower), _bound(domain.upper)
        closed_low = not (domain.lower_open or math.isinf(domain.lower))
        closed_high = not (domain.upper_open or math.isinf(domain.upper))
        if name not in vouched or math.isfinite(domain.lower):
            tests.append(f"({v} {'>=' if closed_low else '>'} {low})")
        if name not in vouched or math.isfinite(domain.upper):
            tests.append(f"({v} {'<=' if closed_high else '<'} {high})")
        if domain.integer:
            tests.append(f"({v} == math.floor({v}))")
    return " & ".join(tests)


def _bound(value: float) -> str:
    return ("-math.inf" if value < 0 else "math.inf") if math.isinf(value) else repr(float(value))


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


def _loops(kind, args, keyword_args, body, wanted, valid=""):
    """Two parallel loops over chunks, one adding up the loss (scale a number), one per
    sample (scale an array), each running a jitted chunk of samples that computes ``body``
    (lines, see :func:`_body`). The first makes a sample's loss NaN unless ``valid`` (code,
    see :func:`_valid`) holds, and adds the chunk's losses with ``_add``."""
    grads = [k for k in wanted if k > 0]
    has_loss = 0 in wanted
    arrays = ", ".join(args)
    outs = "".join(f", g{k}" for k in grads)
    consts = "".join(f", {c}" for c in keyword_args)
    loss = f"(_o0 if {valid} else math.nan)" if valid else "_o0"
    blocks = []
    for variant, scale in (("total", "scale"), ("each", "scale[i]")):
        summed = variant == "total" and has_loss
        if variant == "each":
            stores = ["        values[i] = _o0"] if has_loss else []
        else:
            stores = [f"        total = _add(total, {loss})"] if has_loss else []
        values = ", values" if variant == "each" else ""
        # A chunk's arrays are views from 0, so the loop indexes them directly.
        blocks += [
            '@numba.njit(inline="always")',
            f"def _{kind}_{variant}_chunk({arrays}{outs}{values}, scale, start, stop{consts}):",
            *(f"    {a} = {a}[start:stop]" for a in [*args, *(f"g{k}" for k in grads)]),
            *(["    scale = scale[start:stop]"] if variant == "each" else []),
            *(["    total = 0.0"] if summed else []),
            "    for i in range(stop - start):",
            *(f"        _{a} = {a}[i]" for a in args),
            *(f"        _{c} = {c}" for c in keyword_args),
            *body,
            *stores,
            *(f"        g{k}[i] = _o{k} * {scale}" for k in grads),
            *(["    return total"] if summed else []),
            "",
            "",
            "",
        ]
    chunks = [
        f"    n = {args[0]}.shape[0]",
        "    for c in numba.prange((n + _CHUNK - 1) // _CHUNK):",
        "        start = c * _CHUNK",
        "        stop = min(start + _CHUNK, n)",
    ]
    run_chunk = f"_{kind}_total_chunk({arrays}{outs}, scale, start, stop{consts})"
    per_chunk = [f"        {'total += ' if has_loss else ''}{run_chunk}"]
    total = [
        "@numba.njit(parallel=True, cache=False)",
        f"def _{kind}_total({arrays}{outs}, scale{consts}):",
        "    total = 0.0",
        *chunks,
        *per_chunk,
        "    return total",
    ]
    each = [
        "@numba.njit(parallel=True, cache=False)",
        f"def _{kind}_each({arrays}, values{outs}, scale{consts}):",
        *chunks,
        f"        _{kind}_each_chunk({arrays}{outs}, values[start:stop], scale, start, stop"
        f"{consts})",
    ]
    return "\n".join(blocks) + "\n".join(total) + "\n\n\n" + "\n".join(each)


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
