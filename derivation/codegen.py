r"""Printing stabilised sympy expressions as a NumPy/SciPy module.

One module holds three elementwise kernels over broadcast arrays, ``loss``, ``grad`` and
``loss_and_grad``. Common subexpressions of the loss and the gradient are eliminated together
(``sympy.cse``), so the fused kernel computes what they share once, and the loss-only kernel
computes nothing that only the gradient needs. The module imports only numpy and scipy.special,
so its source can be saved and used without sympy.

>>> import sympy
>>> x, y = sympy.symbols("x y", real=True)
>>> g = sympy.factor_terms(2 * (x - y))  # 2*(x - y), not 2*x - 2*y
>>> source = module_source(["y", "x"], [], (y - x) ** 2, [g])
>>> print(source.split("\n\n\n")[-2])
def loss_and_grad(y, x, *, _shape, _dtype, _scale, _total, _out=None):
    if y.shape != _shape:
        y = numpy.broadcast_to(y, _shape)
    if x.shape != _shape:
        x = numpy.broadcast_to(x, _shape)
    _b1 = numpy.empty(_shape, _dtype) if _out is None else _out[0]
    numpy.subtract(y, x, out=_b1)
    if _total:
        _loss = _sum_of_products(_b1, _b1)
    else:
        _loss = numpy.empty(_shape, _dtype)
        numpy.square(_b1, out=_loss)
    _g0 = _b1
    numpy.multiply(_g0, (-2 if _scale is None else -2 * _scale), out=_g0)
    return (_loss, _g0,)
"""

from __future__ import annotations

import functools
import pathlib
import re

import sympy

from likelihoods.links import COLUMN as _COLUMN
from likelihoods.links import COMPONENT as _COMPONENT

from .fused import fused_kernel
from .kernel_printer import KernelPrinter
from .subexpressions import eliminate_common_subexpressions

HEADER = """\
import threading

import numpy
import scipy.special
"""


def _place_named(assignments: list[tuple[str, str]], printer: KernelPrinter) -> None:
    """Insert what the printer named into ``assignments``, each after the temporaries it
    reads: a per-component expression with its parts (before those that read its parts),
    then each shared array (a factor, a solve, a ranked gather) in the order they were named,
    each reading only those named before it."""

    def insert(entries: list[tuple[str, str]], code: str) -> None:
        reads = [k for k, (t, _) in enumerate(assignments) if re.search(rf"\b{t}\b", code)]
        at = max(reads, default=-1) + 1
        assignments[at:at] = entries

    for code, mixture in printer.bodies.items():
        parts = f"_softmax_parts({mixture}, {printer.parts[mixture]})"
        insert([(mixture, code), (f"_parts_{mixture}", parts)], code)
    for code, name in printer.shared.items():
        insert([(name, code)], code)


def _needed(replacements, outputs) -> list[tuple[sympy.Symbol, sympy.Expr]]:
    """The temporaries the outputs read, directly or through others, last first."""
    needed = set().union(*(o.free_symbols for o in outputs))
    kept = []
    for symbol, value in reversed(replacements):
        if symbol in needed:
            kept.append((symbol, value))
            needed |= value.free_symbols
    return kept


def kernel_source(
    name: str,
    args: list[str],
    keyword_args: list[str],
    replacements: list[tuple[sympy.Symbol, sympy.Expr]],
    outputs: list[sympy.Expr],
    event_args: tuple[str, ...] = (),
    class_index_target: sympy.Symbol | None = None,
    has_loss: bool = True,
) -> str:
    """Source of ``def name(*args, *, keyword_args)`` returning the tuple of ``outputs``,
    keeping only the ``replacements`` (temporaries) that the outputs need. ``event_args`` are
    the arguments with a class axis; an output with a free component index is per class."""
    kept = _needed(replacements, outputs)
    per_sample = [a for a in [*args, *keyword_args] if a not in event_args]
    printer = KernelPrinter(
        arrays=per_sample + [str(sym) for sym, _ in kept],
        class_index_target=class_index_target,
    )
    signature = ", ".join(args) + ", *, _shape, _dtype, _scale, _total"
    signature += "".join(f", {k}" for k in keyword_args)
    lines = [f"def {name}({signature}):"]
    if event_args:
        lines.append(f"    _K = {event_args[0]}.shape[-1]")
    assignments = [
        (str(sym), printer.print_output(v, per_class=False)) for sym, v in reversed(kept)
    ]
    printed = [
        printer.print_output(
            o, per_class=_COMPONENT in o.free_symbols, matrix=_COLUMN in o.free_symbols
        )
        for o in outputs
    ]
    codes = printer.copy_shared_writes([c for _, c in assignments] + printed)
    assignments = [(name_, c) for (name_, _), c in zip(assignments, codes)]
    printed = codes[len(assignments) :]
    mixtures = {name: code for code, name in printer.bodies.items()}
    lines += [
        f"    _parts_{z} = _softmax_parts({z}, {probabilities})"
        for z, probabilities in printer.parts.items()
        if z not in mixtures
    ]
    _place_named(assignments, printer)
    body = [
        f"    return _finish(({', '.join(printed)},), {has_loss}, _shape, _dtype, _scale, _total, "
        f"({', '.join(args)},))"
    ]
    # A temporary may be needed only by a sum's bounds, which the printed code leaves out.
    for name_, code in reversed(assignments):
        if any(re.search(rf"\b{name_}\b", line) for line in body):
            body.insert(0, f"    {name_} = {code}")
    # Passes over the (..., K) arrays, for the runtime to run the kernel block by block:
    # _softmax_parts makes four (argmax, shift and exp, sum, normalise), an output per class
    # one more.
    passes = 4 * len(printer.parts) + sum(_COMPONENT in o.free_symbols for o in outputs)
    return "\n".join(lines + body) + f"\n\n\n{name}.traits = {{'passes': {passes}}}"


def kernels_source(
    args: list[str],
    keyword_args: list[str],
    loss: sympy.Expr,
    gradient: list[sympy.Expr],
    event_args: tuple[str, ...] = (),
    class_index_target: sympy.Symbol | None = None,
    prefix: str = "",
) -> tuple[list[str], str]:
    """The ``loss``, ``grad`` and ``loss_and_grad`` kernels (named with ``prefix``), and the
    names of the helpers they call (see :func:`helper_units`).

    Common subexpressions are eliminated once, over the loss and the gradient together; the
    loss-only and gradient-only kernels keep just the temporaries they need, so all three
    evaluate every output with the very same operations (bitwise equal results). Each kernel
    takes ``_shape``, ``_dtype``, ``_scale`` and ``_total`` (see
    :func:`derivation.fused.fused_kernel`); elementwise expressions are fused with reused
    buffers, expressions over classes printed whole.
    """
    replacements, (value, *grads) = eliminate_common_subexpressions([loss, *gradient])
    options = {"event_args": event_args, "class_index_target": class_index_target}
    wanted = (
        ("loss", value, []),
        ("grad", None, grads),
        ("loss_and_grad", value, grads),
    )
    if event_args:
        kernels = [
            kernel_source(
                f"{prefix}{name}",
                args,
                keyword_args,
                replacements,
                [loss_ for loss_ in [part] if loss_ is not None] + list(gradient_),
                has_loss=part is not None,
                **options,
            )
            for name, part, gradient_ in wanted
        ]
    else:
        printer = KernelPrinter()
        # fused kernels find shared subexpressions themselves, after lowering
        kernels = [
            fused_kernel(
                f"{prefix}{name}", args, keyword_args, loss, list(gradient), printer, *want
            )
            for name, want in (
                ("loss", (True, False)),
                ("grad", (False, True)),
                ("loss_and_grad", (True, True)),
            )
        ]
    helpers = helpers_called(kernels) + (["_finish"] if event_args else [])
    return helpers, "\n\n\n".join(kernels)


#: The files whose ``# --- name`` units generated modules copy.
HELPER_MODULES = (
    "numpy_helpers.py",
    "gamma_helpers.py",
    "bessel_helpers.py",
    "linalg_helpers.py",
    "ranking_helpers.py",
)


@functools.cache
def helper_units() -> dict[str, str]:
    """Helper name -> the source of its unit in one of :data:`HELPER_MODULES` (the group of
    definitions after its ``# --- name`` marker), read as text: importing them would import
    scipy.special, which waits for the first compiled loss."""
    units = {}
    for module in HELPER_MODULES:
        source = pathlib.Path(__file__).with_name(module).read_text()
        for chunk in source.split("\n# --- ")[1:]:
            name, _, code = chunk.partition("\n")
            units[name] = code.strip()
    return units


def helpers_called(code: list[str]) -> list[str]:
    """The helpers that ``code`` calls, and those these call, in their order there."""
    HELPERS = helper_units()
    code, helpers = list(code), set()
    while True:
        called = {h for h in HELPERS if h not in helpers and any(f"{h}(" in c for c in code)}
        if not called:
            break
        helpers |= called
        code += [HELPERS[h] for h in called]
    return [h for h in HELPERS if h in helpers]


def module_source(
    args: list[str],
    keyword_args: list[str],
    loss: sympy.Expr,
    gradient: list[sympy.Expr],
    header: str = "",
    event_args: tuple[str, ...] = (),
    class_index_target: sympy.Symbol | None = None,
) -> str:
    """A module with the ``loss``, ``grad`` and ``loss_and_grad`` kernels of
    :func:`kernels_source` and the helpers they need."""
    helpers, kernels = kernels_source(
        args, keyword_args, loss, gradient, event_args, class_index_target
    )
    units = helper_units()
    parts = [header + HEADER.strip(), *(units[h].strip() for h in helpers), kernels]
    return "\n\n\n".join(parts) + "\n"


def load(source: str, filename: str) -> dict:
    """Execute generated ``source`` and return its namespace (registered with linecache so
    tracebacks show the generated lines)."""
    import linecache

    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace: dict = {"__name__": filename}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


__all__ = [
    "KernelPrinter",
    "eliminate_common_subexpressions",
    "kernel_source",
    "kernels_source",
    "module_source",
    "load",
    "HEADER",
    "helper_units",
]
