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
    # A gradient's numeric factor is applied together with the reduction's scale, in the one
    # multiplication that writes the result.
    factors, parts = [], []
    for g in gradient:
        c, rest = lower_named(g).as_coeff_Mul()
        factors.append(printer.doprint(c))
        parts.append(rest)
    outputs = [lower_named(loss)] + parts
    results = []
    for k, e in enumerate(outputs):
        g = k - 1
        # -(y - mu) is y - mu, factor negated; so is a sum of negative terms (-a - b is
        # a + b, negated in the multiplication that scales it anyway)
        if g >= 0 and e.is_Add and (-e in lowering.memo or all(map(negative_term, e.args))):
            factors[g] = printer.doprint(-sympy.sympify(factors[g]))
            e = -e
        results.append(lowering.value(e))
    ops, is_array = lowering.ops, lowering.is_array
    strict_in = nonfinite_from(lowering, results[0]) if want_loss else set()
    if not want_loss:
        results = results[1:]
        loss = None
    if not want_gradient:
        results, factors = results[:1], []
    needed = set(results)
    for i in range(len(ops) - 1, -1, -1):
        if i in needed and ops[i] is not None:
            needed.update(ops[i].operands)
    ops = [op if i in needed else None for i, op in enumerate(ops)]

    last_use = {i: i for i in range(len(ops))}
    for i, op in enumerate(ops):
        for j in op.operands if op else ():
            last_use[j] = i
    for j in results:
        last_use[j] = len(ops)  # results live to the end
    # A loss that ends in a product of two arrays is, when only its total is wanted, their
    # dot product: the per-sample products are never stored.
    deferred = None
    if loss is not None and ops[results[0]] is not None:
        root = ops[results[0]]
        kind = root.code.split("(")[0]
        arrays = [j for j in root.operands if is_array[j]]
        if kind in ("numpy.square", "numpy.multiply") and len(arrays) == len(root.operands):
            deferred = results[0]
            for j in root.operands:
                last_use[j] = len(ops)

    lines: list = []
    names: dict[int, str] = {}
    owned: set[int] = set()
    free: list[str] = []
    count = 0
    for i, op in enumerate(ops):
        if op is None:
            names[i] = lowering.names[i]
            continue
        if i == deferred:
            continue
        operands = [names[j] for j in op.operands]
        if op.ufunc:
            dying = [j for j in op.operands if j in owned and last_use[j] == i]
            if dying:
                out = names[dying[0]]
            elif free:
                out = free.pop()
            else:
                count += 1
                out = f"_b{count}"
                lines.append(("alloc", out))
            lines.append(f"    {op.code.format(*operands)}, out={out})")
        else:
            count += 1
            out = f"_b{count}"
            lines.append(f"    {out} = _fresh({op.code.format(*operands)}, _shape, _dtype)")
        names[i] = out
        owned.add(i)
        for j in set(op.operands):
            if j in owned and last_use[j] == i and names[j] != out and names[j] not in free:
                free.append(names[j])

    returned, fresh = [], {}  # fresh: the buffer of gradient k, by name
    loss_buffer = None
    tail = []
    # What must survive until the end: the deferred loss's operands and every result.
    kept = {names[j] for j in results if j in owned}
    if deferred is not None:
        kept |= {names[i] for i in ops[deferred].operands if i in owned}
    if loss is not None:
        j = results[0]
        if j == deferred:
            a, b = (names[i] for i in (ops[j].operands * 2)[:2])
            code = ops[j].code.format(*(names[i] for i in ops[j].operands))
            tail.append(
                f"    if _total:\n        _loss = _sum_of_products({a}, {b})\n"
                f"    else:\n        _loss = numpy.empty(_shape, _dtype)\n"
                f"        {code}, out=_loss)"
            )
        else:
            if not is_array[j]:
                tail.append(f"    _loss = numpy.full(_shape, {names[j]}, _dtype)")
            elif j in owned:
                tail.append(f"    _loss = {names[j]}")
                loss_buffer = names[j]
            else:
                tail.append(f"    _loss = numpy.array({names[j]}, dtype=_dtype)")
            tail.append("    if _total:\n        _loss = _loss.sum(dtype=_dtype)")
        returned.append("_loss")
    grads = results[1:] if loss is not None else results
    for k, (j, factor) in enumerate(zip(grads, factors)):
        target = f"_g{k}"
        scale = f"({factor} if _scale is None else {factor} * _scale)"
        others = kept - {names[j]} | {names[i] for i in grads[:k] if i in owned}
        alone = names[j] not in others and names[j] != loss_buffer
        alone = alone and sum(1 for i in grads if names.get(i) == names[j]) == 1
        if not is_array[j]:
            tail.append(f"    {target} = numpy.full(_shape, {names[j]} * {scale}, _dtype)")
        elif j in owned and alone:
            fresh[names[j]] = k
            tail.append(f"    {target} = {names[j]}")
            if factor == "1":
                tail.append(f"    if _scale is not None:\n        {target} *= _scale")
            else:
                tail.append(f"    numpy.multiply({target}, {scale}, out={target})")
        else:
            into = f"None if _out is None else _out[{k}]"
            tail.append(
                f"    {target} = numpy.multiply({names[j]}, {scale}, out={into}, dtype=_dtype)"
            )
        returned.append(target)

    # Scratch buffers come from a per-thread pool; what is returned is allocated afresh (the
    # per-sample loss only when it is returned, not summed).
    pooled, body = [], []
    for line in lines:
        if isinstance(line, tuple):
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
        else:
            body.append(line)
    signature = ", ".join(args) + ", *, _shape, _dtype, _scale, _total, _out=None"
    signature += "".join(f", {k}" for k in keyword_args)
    header = [f"def {name}({signature}):"]
    header += [
        f"    if {a}.shape != _shape:\n        {a} = numpy.broadcast_to({a}, _shape)" for a in args
    ]
    if pooled:
        header.append(f"    _pool = _scratch(_shape, _dtype, {len(pooled)})")
    passes = sum(1 for line in body if not line.lstrip().startswith("_b"))
    source = "\n".join(header + body + tail + [f"    return ({', '.join(returned)},)"])
    # How many passes over the samples the kernel makes: the runtime runs kernels of many
    # passes block by block, so that their temporaries stay in the cache. And the positional
    # arguments whose NaN or inf makes the summed loss NaN or inf: a finite total vouches
    # that they were finite.
    strict = tuple(k for k, a in enumerate(args) if a in strict_in)
    return (
        source + f"\n\n\n{name}.passes = {passes}\n{name}.strict_in = {strict!r}\n"
        f"{name}.gradients_into = True"
    )


__all__ = ["fused_kernel", "lower_named", "nonfinite_inputs"]
