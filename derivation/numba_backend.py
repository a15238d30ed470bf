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

from likelihoods.constraints import Domain

from .fused import lower_named
from .numba_printer import SUPPORTED, VECTORISABLE, ScalarPrinter
from .subexpressions import eliminate_common_subexpressions

#: Samples per chunk: a chunk's inputs, gradients and losses stay in the L1/L2 cache.
CHUNK = 2048


def numba_scalars_source() -> str:
    """The source of :mod:`derivation.numba_scalars` after its docstring, which each generated
    module holds (the helpers compiled in the kernel's own module, as numba sees them)."""
    import pathlib

    return pathlib.Path(__file__).with_name("numba_scalars.py").read_text().split('"""', 2)[2]


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
    # Inside the loop each argument is one sample, _v_y for y[_i]: the arrays keep their
    # names (the loops' own names all start with an underscore).
    wanted_names = set(args + keyword_args)
    free = set().union(*(e.free_symbols for e in exprs))
    substitution = {s: sympy.Symbol(f"_v_{s.name}") for s in free if s.name in wanted_names}
    parts = [
        "import math\n\nimport llvmlite.ir\nimport numba\nimport numba.extending\nimport numpy\n"
        f"_CHUNK = {CHUNK}\n\n" + numba_scalars_source()
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
            parts.append(f"{kind}.traits = {{'checked_in': {tuple(range(len(args)))!r}}}")
    return "\n\n".join(parts) + "\n"


def _valid(args: list[str], domains: list[Domain], vouched: frozenset[str]) -> str:
    """A boolean expression (empty if there is nothing to test): every sample value (``_v_y``
    for ``y[_i]``) is inside its domain. NaN fails every comparison; infinite bounds are open,
    so they exclude inf too, except for the ``vouched`` arguments, which the loss itself
    leaves no finite value for."""
    tests = []
    for name, domain in zip(args, domains):
        v = f"_v_{name}"
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
    outs = "".join(f", _g{k}" for k in grads)
    consts = "".join(f", {c}" for c in keyword_args)
    loss = f"(_o0 if {valid} else math.nan)" if valid else "_o0"
    blocks = []
    for variant, scale in (("total", "_w"), ("each", "_w[_i]")):
        summed = variant == "total" and has_loss
        if variant == "each":
            stores = ["        _values[_i] = _o0"] if has_loss else []
        else:
            stores = [f"        _sum = _add(_sum, {loss})"] if has_loss else []
        values = ", _values" if variant == "each" else ""
        # A chunk's arrays are views from 0, so the loop indexes them directly.
        blocks += [
            '@numba.njit(inline="always")',
            f"def _{kind}_{variant}_chunk({arrays}{outs}{values}, _w, _start, _stop{consts}):",
            *(f"    {a} = {a}[_start:_stop]" for a in [*args, *(f"_g{k}" for k in grads)]),
            *(["    _w = _w[_start:_stop]"] if variant == "each" else []),
            *(["    _sum = 0.0"] if summed else []),
            "    for _i in range(_stop - _start):",
            *(f"        _v_{a} = {a}[_i]" for a in args),
            *(f"        _v_{c} = {c}" for c in keyword_args),
            *body,
            *stores,
            *(f"        _g{k}[_i] = _o{k} * {scale}" for k in grads),
            *(["    return _sum"] if summed else []),
            "",
            "",
            "",
        ]
    return "\n".join(blocks) + _parallel_loops(kind, args, outs, consts, has_loss)


def _parallel_loops(kind: str, args: list[str], outs: str, consts: str, has_loss: bool) -> str:
    """The two parallel loops over chunks that run the chunk functions of :func:`_loops`."""
    arrays = ", ".join(args)
    chunks = [
        f"    _n = {args[0]}.shape[0]",
        "    for _c in numba.prange((_n + _CHUNK - 1) // _CHUNK):",
        "        _start = _c * _CHUNK",
        "        _stop = min(_start + _CHUNK, _n)",
    ]
    run_chunk = f"_{kind}_total_chunk({arrays}{outs}, _w, _start, _stop{consts})"
    per_chunk = [f"        {'_sum += ' if has_loss else ''}{run_chunk}"]
    total = [
        "@numba.njit(parallel=True, cache=False)",
        f"def _{kind}_total({arrays}{outs}, _w{consts}):",
        "    _sum = 0.0",
        *chunks,
        *per_chunk,
        "    return _sum",
    ]
    each = [
        "@numba.njit(parallel=True, cache=False)",
        f"def _{kind}_each({arrays}, _values{outs}, _w{consts}):",
        *chunks,
        f"        _{kind}_each_chunk({arrays}{outs}, _values[_start:_stop], _w, _start, _stop"
        f"{consts})",
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
    gradients = "\n".join(f"    _g{k} = numpy.empty(_n, _dtype)" for k in grads)
    outs = "".join(f", _g{k}" for k in grads)
    results = ", ".join(["_loss"] if 0 in wanted else []) + (", " if 0 in wanted and grads else "")
    results += ", ".join(f"_g{k}.reshape(_shape)" for k in grads)
    return f"""
def {kind}({signature}):
{flat}
    _n = {args[0]}.shape[0]
{gradients}
    if _total and (_scale is None or numpy.ndim(_scale) == 0):
        _w = 1.0 if _scale is None else float(_scale)
        _loss = _{kind}_total({", ".join(args)}{outs}, _w{consts})
    else:
        _values = numpy.empty(_n, _dtype)
        _w = numpy.ascontiguousarray(
            numpy.broadcast_to(1.0 if _scale is None else _scale, _shape), _dtype
        ).reshape(-1)
        _{kind}_each({", ".join(args)}, _values{outs}, _w{consts})
        _loss = _values.sum(dtype=_dtype) if _total else _values.reshape(_shape)
    return ({results},)
"""


__all__ = ["module_source", "ScalarPrinter", "SUPPORTED"]
