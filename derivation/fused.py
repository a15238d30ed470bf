"""Fused NumPy kernels: straight-line ufunc calls with ``out=`` buffers that are reused.

``sympy.cse`` finds what the loss and its gradient share; this module turns the result into the
code a careful engineer writes by hand. Expressions are lowered to a list of single operations
(one ufunc call each, shared subexpressions once), then each operation is given an output
buffer: an operand that dies at that operation (computing in place), a buffer freed earlier,
or, only when there is none, a new one. A loss and its gradient over N samples then allocate a
few N-sized arrays, not one per operation. The gradient's scale (1/N for a mean, or the sample
weights) is applied in place, and a loss that is only summed is not returned per sample.

Named functions are lowered to primitives first so that their common parts are shared:
``softplus(x) = max(x, 0) + log1p(exp(-|x|))`` and ``expit(x) = exp(min(x, 0)) / (1 +
exp(-|x|))`` use the same ``exp(-|x|)`` for ``softplus(z)``, ``softplus(-z)``, ``expit(z)``
and ``expit(-z)``, numerators included: ``exp(min(x, 0)) = max(exp(-|x|), H(x))``, H the
unit step. (``numpy.logaddexp`` and ``scipy.special.expit`` cost several times an ``exp``
per element.) Anything without a ufunc (helpers, piecewise functions) is printed as an
expression, and its fresh result becomes a buffer like any other.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy.codegen.cfunctions import expm1, log1p

from . import functions as F

#: sympy function -> numpy/scipy ufunc (accepting ``out=``).
UFUNCS = {
    sympy.exp: "numpy.exp",
    sympy.log: "numpy.log",
    log1p: "numpy.log1p",
    expm1: "numpy.expm1",
    sympy.Abs: "numpy.absolute",
    sympy.sin: "numpy.sin",
    sympy.cos: "numpy.cos",
    sympy.tan: "numpy.tan",
    sympy.sign: "numpy.sign",
    sympy.Max: "numpy.maximum",
    sympy.Min: "numpy.minimum",
    F.xlogy: "scipy.special.xlogy",
    F.xlog1py: "scipy.special.xlog1py",
    F.gammaln: "scipy.special.gammaln",
}

_COMMUTATIVE = {"numpy.add", "numpy.multiply", "numpy.maximum", "numpy.minimum"}

#: Operations whose result is NaN or infinite whenever their operands at these positions are,
#: whatever the other operands hold: NaN propagates, and an infinity meets nothing that makes
#: it finite (inf - inf and 0 * inf are NaN; xlogy(inf, 1) is inf * 0). Not so exp, expm1,
#: minimum, maximum, sign (exp(-inf) = 0), a divisor (x / inf = 0), xlogy's second operand.
_NONFINITE_KEEPING = {
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
    "scipy.special.xlogy": (0,),
    "scipy.special.xlog1py": (0,),
    "scipy.special.gammaln": (0,),
}


def lower_named(expr: sympy.Expr) -> sympy.Expr:
    """softplus and expit in terms of primitives (see the module docstring)."""
    expr = expr.replace(
        lambda e: isinstance(e, F.softplus),
        lambda e: sympy.Max(e.args[0], 0) + log1p(sympy.exp(-sympy.Abs(e.args[0]))),
    )
    expr = expr.replace(
        lambda e: isinstance(e, F.expit),
        lambda e: _exp_of_min_zero(e.args[0]) / (1 + sympy.exp(-sympy.Abs(e.args[0]))),
    )
    return expr


def _exp_of_min_zero(x: sympy.Expr) -> sympy.Expr:
    """exp(min(x, 0)) from exp(-|x|), without an exp of its own: it is exp(-|x|) = e^x below
    0 and 1 from 0 on, where exp(-|x|) <= 1; so the larger of exp(-|x|) and the step
    H(x) (0 below 0, 1 from 0 on). NaN stays NaN."""
    return sympy.Max(sympy.exp(-sympy.Abs(x)), sympy.Heaviside(x, 1))


@dataclass(frozen=True)
class _Op:
    """``code`` with ``{0}``, ``{1}``... for the operands; ``ufunc`` ops take ``out=``."""

    code: str
    operands: tuple[int, ...]
    ufunc: bool


class _Lowering:
    """Expressions -> a list of single operations on values numbered from 0."""

    def __init__(self, arrays: set[str], printer) -> None:
        self.printer = printer
        self.arrays = arrays
        self.ops: list[_Op | None] = []  # None for inputs and scalars
        self.names: list[str | None] = []  # inputs' and scalars' code
        self.is_array: list[bool] = []
        self.memo: dict = {}

    def _new(self, op: _Op | None, name: str | None, array: bool) -> int:
        self.ops.append(op)
        self.names.append(name)
        self.is_array.append(array)
        return len(self.ops) - 1

    def scalar(self, code: str) -> int:
        return self._new(None, code, False)

    def _zeros(self) -> int:
        if "_zeros" not in self.memo:
            self.memo["_zeros"] = self.scalar("_zeros(_shape, _dtype)")
        return self.memo["_zeros"]

    def apply(self, function: str, operands: list[int]) -> int:
        if function in _COMMUTATIVE and len(operands) == 2 and not self.is_array[operands[0]]:
            operands = operands[::-1]  # numpy's fast loops want the array first, not a scalar
        if function in ("numpy.maximum", "numpy.minimum") and len(operands) == 2:
            a, b = operands
            if self.is_array[a] and self.names[b] in ("0", "0.0"):
                # against an array of zeros: numpy's loop for a number is twice as slow
                operands = [a, self._zeros()]
        if not any(self.is_array[i] for i in operands):
            code = f"{function}({', '.join(self.names[i] for i in operands)})"
            return self.scalar(code)
        template = f"{function}({', '.join('{%d}' % k for k in range(len(operands)))}"
        return self._new(_Op(template, tuple(operands), True), None, True)

    @staticmethod
    def _oriented(expr: sympy.Expr) -> tuple[sympy.Expr, bool]:
        """``(e, flipped)`` with ``expr == -e`` if flipped: (mu - y)*e and (y - mu)*e are one
        value up to a sign, so every sum factor is oriented one way."""
        if isinstance(expr, sympy.UnevaluatedExpr):
            expr = expr.args[0]
        if not expr.is_Mul:
            return expr, False
        flips, factors = 0, []
        for f in expr.args:
            if f.is_Add and f.could_extract_minus_sign():
                flips, f = flips + 1, -f
            factors.append(f)
        return sympy.Mul(*factors), bool(flips % 2)

    def value(self, expr: sympy.Expr) -> int:
        expr, flipped = self._oriented(expr)
        if flipped:  # the second of two values up to a sign is a negation, not a recomputation
            return self.apply("numpy.negative", [self.value(expr)])
        if expr not in self.memo:
            negated = -expr if expr.is_Add else None
            if negated is not None and negated in self.memo and self.is_array[self.memo[negated]]:
                # x - y after y - x: one negation, not a second subtraction
                self.memo[expr] = self.apply("numpy.negative", [self.memo[negated]])
            else:
                self.memo[expr] = self._lower(expr)
        return self.memo[expr]

    def _lower(self, expr: sympy.Expr) -> int:
        if isinstance(expr, sympy.Symbol):
            return self._new(None, expr.name, expr.name in self.arrays)
        if expr.is_Number or isinstance(expr, sympy.NumberSymbol):
            return self.scalar(self.printer.doprint(expr))
        if isinstance(expr, sympy.UnevaluatedExpr):
            return self.value(expr.args[0])
        if expr.is_Add:
            return self._add(expr)
        if expr.is_Mul:
            return self._mul(expr)
        if expr.is_Pow:
            return self._pow(expr)
        if isinstance(expr, sympy.Heaviside) and expr.args[1:] == (1,):
            # H(x) with H(0) = 1 is x >= 0, written as a float (numpy.heaviside has no fast
            # loop: it costs several times an exp)
            return self.apply("numpy.greater_equal", [self.value(expr.args[0]), self.scalar("0")])
        function = UFUNCS.get(type(expr))
        if function is not None and len(expr.args) <= 2:
            return self.apply(function, [self.value(a) for a in expr.args])
        return self._opaque(expr)

    def _opaque(self, expr: sympy.Expr) -> int:
        operands, replaced = [], {}
        for arg in expr.args:
            if arg.is_Number or isinstance(arg, sympy.NumberSymbol):
                continue
            index = self.value(arg)
            placeholder = sympy.Symbol(f"__{len(operands)}__")
            operands.append(index)
            replaced[arg] = placeholder
        code = self.printer.doprint(expr.xreplace(replaced))
        for k in range(len(operands)):
            code = code.replace(f"__{k}__", "{%d}" % k)
        if not any(self.is_array[i] for i in operands):
            return self.scalar("(" + code.format(*(self.names[i] for i in operands)) + ")")
        return self._new(_Op(code, tuple(operands), False), None, True)

    def _add(self, expr: sympy.Add) -> int:
        plus, minus = [], []
        for term in expr.args:
            coefficient, rest = term.as_coeff_Mul()
            negative = coefficient.is_negative and rest != 1
            i = self.value(-term if negative else term)
            op = self.ops[i]
            if op is not None and op.code.startswith("numpy.negative("):
                # + (-x) is - x, and - (-x) is + x: the negation goes unused
                negative, i = not negative, op.operands[0]
            (minus if negative else plus).append(i)
        arrays = [i for i in plus if self.is_array[i]]
        scalars = [self.names[i] for i in plus if not self.is_array[i]]
        scalars += [f"-{self.names[i]}" for i in minus if not self.is_array[i]]
        minus = [i for i in minus if self.is_array[i]]
        constant = " + ".join(f"({s})" for s in scalars) if scalars else None
        if arrays:
            acc = arrays[0]
            for i in arrays[1:]:
                acc = self.apply("numpy.add", [acc, i])
        elif minus and constant is not None:  # c - x: one subtraction, not a negation first
            acc = self.apply("numpy.subtract", [self.scalar(constant), minus.pop(0)])
            constant = None
        elif minus:
            acc = self.apply("numpy.negative", [minus.pop(0)])
        else:
            return self.scalar(f"({constant})")
        for i in minus:
            acc = self.apply("numpy.subtract", [acc, i])
        if constant is not None:
            acc = self.apply("numpy.add", [acc, self.scalar(constant)])
        return acc

    def _mul(self, expr: sympy.Mul) -> int:
        coefficient, factors = expr.as_coeff_mul()
        numerator, denominator, scalars = [], [], []
        if coefficient != 1:
            scalars.append(self.printer.doprint(coefficient))
        for f in factors:
            if f.is_Pow and f.exp.is_Number and f.exp < 0:
                i = self.value(f.base if f.exp == -1 else f.base ** (-f.exp))
                (denominator if self.is_array[i] else scalars).append(
                    i if self.is_array[i] else f"(1/({self.names[i]}))"
                )
            else:
                i = self.value(f)
                (numerator if self.is_array[i] else scalars).append(
                    i if self.is_array[i] else self.names[i]
                )
        scalar = "*".join(f"({s})" for s in scalars) if scalars else None
        if not numerator and not denominator:
            return self.scalar(f"({scalar})")
        if numerator:
            acc = numerator[0]
            for i in numerator[1:]:
                acc = self.apply("numpy.multiply", [acc, i])
            for i in denominator:
                acc = self.apply("numpy.divide", [acc, i])
            if scalar == "(-1)":
                return self.apply("numpy.negative", [acc])
            if scalar is not None:
                acc = self.apply("numpy.multiply", [acc, self.scalar(scalar)])
            return acc
        den = denominator[0]
        for i in denominator[1:]:
            den = self.apply("numpy.multiply", [den, i])
        return self.apply("numpy.divide", [self.scalar(scalar or "1.0"), den])

    def _pow(self, expr: sympy.Pow) -> int:
        base, exponent = expr.args
        if exponent == 2:  # (-x)^2 = x^2: the sign of the base does not matter
            return self.apply("numpy.square", [self.value(self._oriented(base)[0])])
        if exponent == sympy.Rational(1, 2):
            return self.apply("numpy.sqrt", [self.value(base)])
        if exponent == -1:
            return self.apply("numpy.divide", [self.scalar("1.0"), self.value(base)])
        return self.apply("numpy.power", [self.value(base), self.value(exponent)])


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
    lowering = _Lowering(set(args), printer)
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
        if g >= 0 and e.is_Add and (-e in lowering.memo or all(map(_negative, e.args))):
            factors[g] = printer.doprint(-sympy.sympify(factors[g]))
            e = -e
        results.append(lowering.value(e))
    ops, is_array = lowering.ops, lowering.is_array
    strict_in = _nonfinite_from(lowering, results[0]) if want_loss else set()
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


def _negative(term: sympy.Expr) -> bool:
    """Whether a term of a sum is lowered as a negative: a negative coefficient, or a factor
    that is oriented the other way (see ``_Lowering._oriented``)."""
    return bool(term.as_coeff_Mul()[0].is_negative or _Lowering._oriented(term)[1])


def nonfinite_inputs(args: list[str], loss: sympy.Expr, printer) -> set[str]:
    """The ``args`` a NaN or inf of which makes ``loss`` NaN or inf, whatever the other
    arguments hold: what a fused kernel's ``strict_in`` lists, by name.

    >>> from sympy import exp, symbols
    >>> from derivation.codegen import KernelPrinter
    >>> y, eta = symbols("y eta")
    >>> sorted(nonfinite_inputs(["y", "eta"], exp(eta) - y * eta, KernelPrinter()))
    ['eta', 'y']
    >>> sorted(nonfinite_inputs(["y", "eta"], exp(eta) + 1 / y, KernelPrinter()))
    []
    """
    lowering = _Lowering(set(args), printer)
    return _nonfinite_from(lowering, lowering.value(lower_named(loss)))


def _nonfinite_from(lowering: _Lowering, value: int) -> set[str]:
    """The input arrays a NaN or inf of which makes ``value`` NaN or inf, whatever the other
    inputs hold (through operations of :data:`_NONFINITE_KEEPING` only). A sum over the
    samples keeps that: a non-finite term makes it non-finite."""
    found: dict[int, set[str]] = {}
    for i, op in enumerate(lowering.ops[: value + 1]):
        if op is None:
            name = lowering.names[i]
            found[i] = {name} if name in lowering.arrays else set()
            continue
        positions = _NONFINITE_KEEPING.get(op.code.split("(")[0], ()) if op.ufunc else ()
        found[i] = set().union(*(found[op.operands[p]] for p in positions))
    return found[value]


__all__ = ["fused_kernel", "lower_named", "nonfinite_inputs", "UFUNCS"]
