"""Fused NumPy kernels: straight-line ufunc calls with ``out=`` buffers that are reused.

``sympy.cse`` finds what the loss and its gradient share; this module turns the result into the
code a careful engineer writes by hand. Expressions are lowered to a list of single operations
(one ufunc call each, shared subexpressions once), then each operation is given an output
buffer: an operand that dies at that operation (computing in place), a buffer freed earlier,
or, only when there is none, a new one. A loss and its gradient over N samples then allocate a
few N-sized arrays, not one per operation. The gradient's scale (1/N for a mean, or the sample
weights) is applied in place, and a loss that is only summed is not returned per sample.

The lowering itself (named functions to primitives, expressions to single operations) is in
:mod:`derivation.lowering`; an operation without a ufunc (a helper, a piecewise function)
has a fresh result, which becomes a buffer like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy

from .lowering import Lowering, lower_named, negative_term
from .nonfinite import nonfinite_from, nonfinite_inputs


def fused_kernel(
    name: str,
    args: list[str],
    keyword_args: list[str],
    loss: sympy.Expr,
    gradient: list[sympy.Expr],
    printer,
    want_loss: bool = True,
    want_gradient: bool = True,
) -> str:
    """Source of ``def name(*args, _shape, _dtype, _scale, _total, _out, **keyword_args)``
    returning ``(loss, *gradient)``: the loss summed when ``_total`` (else per sample), each
    gradient multiplied by ``_scale`` (unless None), each result an array of its own, the
    gradients written into the arrays of ``_out`` if given (where they can be: a gradient
    returned as another array is to be copied by the caller).

    Common subexpressions are found here, on the lowered expressions (after ``softplus`` and
    ``expit`` became primitives), not by ``sympy.cse`` on the named forms, so that
    ``exp(-|z|)`` is seen to be shared by all four of them. The loss and every gradient are
    always lowered, in the same order, and what the kernel does not return is pruned: each
    output is computed by the same operations in the loss-only, gradient-only and fused
    kernels (bitwise equal results)."""
    lowering = Lowering(set(args), printer)
    results, factors = _lower_outputs(lowering, loss, gradient, printer)
    strict_in = nonfinite_from(lowering, results[0]) if want_loss else set()
    if not want_loss:
        results = results[1:]
    if not want_gradient:
        results, factors = results[:1], []
    ops = _prune(lowering.ops, results)
    deferred = _deferred_product(ops, results[0], lowering.is_array) if want_loss else None
    if deferred in results[1:]:  # a gradient that is the loss (up to its factor) is stored
        deferred = None
    last_use = _last_uses(ops, results, deferred)
    buffers = _assign_buffers(ops, lowering.names, last_use, deferred)
    out = _Results(buffers.names, lowering.is_array, buffers.owned)
    if want_loss:
        out.add_loss(results[0], ops, deferred)
    out.add_gradients(results[1:] if want_loss else results, factors, ops, deferred)
    body, pooled = _pooled(buffers.lines, out.fresh, out.loss_buffer)
    return _kernel_source(name, args, keyword_args, body, out, pooled, strict_in)


def _lower_outputs(lowering: Lowering, loss, gradient, printer) -> tuple[list[int], list[str]]:
    """The loss and each gradient lowered, in that order: their values, and each gradient's
    numeric factor, applied together with the reduction's scale in the one multiplication that
    writes the result."""
    factors, parts = [], []
    for g in gradient:
        c, rest = lower_named(g).as_coeff_Mul()
        factors.append(printer.doprint(c))
        parts.append(rest)
    results = []
    for k, e in enumerate([lower_named(loss)] + parts):
        g = k - 1
        # -(y - mu) is y - mu, factor negated; so is a sum of negative terms (-a - b is
        # a + b, negated in the multiplication that scales it anyway)
        if g >= 0 and e.is_Add and (-e in lowering.memo or all(map(negative_term, e.args))):
            factors[g] = printer.doprint(-sympy.sympify(factors[g]))
            e = -e
        results.append(lowering.value(e))
    return results, factors


def _prune(ops: list, results: list[int]) -> list:
    """``ops`` with those no result needs replaced by None."""
    needed = set(results)
    for i in range(len(ops) - 1, -1, -1):
        if i in needed and ops[i] is not None:
            needed.update(ops[i].operands)
    return [op if i in needed else None for i, op in enumerate(ops)]


def _deferred_product(ops: list, loss: int, is_array: list[bool]) -> int | None:
    """The loss, if it ends in a product of two arrays: when only its total is wanted, that
    is their dot product, and the per-sample products are never stored."""
    root = ops[loss]
    if root is None:
        return None
    arrays = [j for j in root.operands if is_array[j]]
    product = root.code.split("(")[0] in ("numpy.square", "numpy.multiply")
    return loss if product and len(arrays) == len(root.operands) else None


def _last_uses(ops: list, results: list[int], deferred: int | None) -> dict[int, int]:
    """Value -> the last operation that reads it (``len(ops)`` for what lives to the end:
    the results and the deferred product's operands)."""
    last_use = {i: i for i in range(len(ops))}
    for i, op in enumerate(ops):
        for j in op.operands if op else ():
            last_use[j] = i
    for j in results + (list(ops[deferred].operands) if deferred is not None else []):
        last_use[j] = len(ops)
    return last_use


@dataclass
class _Buffers:
    """Where each value lives: ``names`` (value -> code), ``owned`` (the values in buffers of
    the kernel's own) and the code ``lines``, with ``("alloc", name)`` where a buffer is
    first needed."""

    names: dict[int, str] = field(default_factory=dict)
    owned: set[int] = field(default_factory=set)
    lines: list = field(default_factory=list)


def _assign_buffers(ops: list, inputs: list, last_use: dict, deferred: int | None) -> _Buffers:
    """Each operation's output: an operand that dies there (in place), a buffer freed
    earlier, or, only when there is none, a new one."""
    b, free, count = _Buffers(), [], 0
    for i, op in enumerate(ops):
        if op is None:
            b.names[i] = inputs[i]
            continue
        if i == deferred:
            continue
        operands = [b.names[j] for j in op.operands]
        if op.ufunc:
            dying = [j for j in op.operands if j in b.owned and last_use[j] == i]
            if dying:
                out = b.names[dying[0]]
            elif free:
                out = free.pop()
            else:
                count += 1
                out = f"_b{count}"
                b.lines.append(("alloc", out))
            b.lines.append(f"    {op.code.format(*operands)}, out={out})")
        else:
            count += 1
            out = f"_b{count}"
            b.lines.append(f"    {out} = _fresh({op.code.format(*operands)}, _shape, _dtype)")
        b.names[i] = out
        b.owned.add(i)
        for j in set(op.operands):
            if j in b.owned and last_use[j] == i and b.names[j] != out and b.names[j] not in free:
                free.append(b.names[j])
    return b


class _Results:
    """The kernel's closing lines (``tail``) and what it returns: the loss, summed or per
    sample, and each gradient scaled in place where its buffer is its own (``fresh``: the
    buffer of gradient k, by name)."""

    def __init__(self, names: dict, is_array: list, owned: set) -> None:
        self.names, self.is_array, self.owned = names, is_array, owned
        self.tail: list[str] = []
        self.returned: list[str] = []
        self.fresh: dict[str, int] = {}
        self.loss_buffer: str | None = None
        self.loss_values: list[int] = []

    def add_loss(self, j: int, ops: list, deferred: int | None) -> None:
        names = self.names
        self.loss_values = [j]
        if j == deferred:
            a, b = (names[i] for i in (ops[j].operands * 2)[:2])
            code = ops[j].code.format(*(names[i] for i in ops[j].operands))
            self.tail.append(
                f"    if _total:\n        _loss = _sum_of_products({a}, {b})\n"
                f"    else:\n        _loss = numpy.empty(_shape, _dtype)\n"
                f"        {code}, out=_loss)"
            )
        else:
            if not self.is_array[j]:
                self.tail.append(f"    _loss = numpy.full(_shape, {names[j]}, _dtype)")
            elif j in self.owned:
                self.tail.append(f"    _loss = {names[j]}")
                self.loss_buffer = names[j]
            else:
                self.tail.append(f"    _loss = numpy.array({names[j]}, dtype=_dtype)")
            self.tail.append("    if _total:\n        _loss = _loss.sum(dtype=_dtype)")
        self.returned.append("_loss")

    def add_gradients(self, grads: list[int], factors: list[str], ops, deferred) -> None:
        names, owned = self.names, self.owned
        # What must survive until the end: the deferred loss's operands and every result.
        alive = [*grads, *self.loss_values]
        alive += list(ops[deferred].operands) if deferred is not None else []
        kept = {names[j] for j in alive if j in owned}
        for k, (j, factor) in enumerate(zip(grads, factors)):
            target = f"_g{k}"
            scale = f"({factor} if _scale is None else {factor} * _scale)"
            others = kept - {names[j]} | {names[i] for i in grads[:k] if i in owned}
            alone = names[j] not in others and names[j] != self.loss_buffer
            alone = alone and sum(1 for i in grads if names.get(i) == names[j]) == 1
            if not self.is_array[j]:
                line = f"    {target} = numpy.full(_shape, {names[j]} * {scale}, _dtype)"
            elif j in owned and alone:
                self.fresh[names[j]] = k
                self.tail.append(f"    {target} = {names[j]}")
                line = (
                    f"    if _scale is not None:\n        {target} *= _scale"
                    if factor == "1"
                    else f"    numpy.multiply({target}, {scale}, out={target})"
                )
            else:
                into = f"None if _out is None else _out[{k}]"
                line = (
                    f"    {target} = numpy.multiply({names[j]}, {scale}, out={into}, dtype=_dtype)"
                )
            self.tail.append(line)
            self.returned.append(target)


def _pooled(lines: list, fresh: dict[str, int], loss_buffer: str | None):
    """The code lines with each buffer made where it is first needed: a returned gradient's
    afresh (or the caller's ``_out``), the per-sample loss's afresh when it is returned, every
    other one from the per-thread pool of scratch arrays; and the pooled buffers' names."""
    pooled, body = [], []
    for line in lines:
        if not isinstance(line, tuple):
            body.append(line)
            continue
        out = line[1]
        if out in fresh:
            into = f"_out[{fresh[out]}]"
            body.append(f"    {out} = numpy.empty(_shape, _dtype) if _out is None else {into}")
        elif out == loss_buffer:
            body.append(
                f"    {out} = _pool[{len(pooled)}] if _total else numpy.empty(_shape, _dtype)"
            )
            pooled.append(out)
        else:
            body.append(f"    {out} = _pool[{len(pooled)}]")
            pooled.append(out)
    return body, pooled


def _kernel_source(name, args, keyword_args, body, results: _Results, pooled, strict_in) -> str:
    """The kernel's source, and the traits the runtime reads: how many passes over the
    samples it makes (kernels of many run block by block, so that their temporaries stay in
    the cache) and the positional arguments whose NaN or inf makes the summed loss NaN or inf
    (a finite total vouches that they were finite)."""
    signature = ", ".join(args) + ", *, _shape, _dtype, _scale, _total, _out=None"
    signature += "".join(f", {k}" for k in keyword_args)
    header = [f"def {name}({signature}):"]
    header += [
        f"    if {a}.shape != _shape:\n        {a} = numpy.broadcast_to({a}, _shape)" for a in args
    ]
    if pooled:
        header.append(f"    _pool = _scratch(_shape, _dtype, {len(pooled)})")
    passes = sum(1 for line in body if not line.lstrip().startswith("_b"))
    returned = f"    return ({', '.join(results.returned)},)"
    source = "\n".join(header + body + results.tail + [returned])
    strict = tuple(k for k, a in enumerate(args) if a in strict_in)
    return (
        source + f"\n\n\n{name}.traits = {{'passes': {passes}, 'strict_in': {strict!r}, "
        "'gradients_into': True}"
    )


__all__ = ["fused_kernel", "lower_named", "nonfinite_inputs"]
