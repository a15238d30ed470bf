"""Lowering: sympy expressions to a list of single NumPy operations (one ufunc call each, shared
subexpressions once, operands numbered), which :mod:`derivation.fused` gives buffers to.

Named functions are lowered to primitives first so that their common parts are shared:
``softplus(x) = max(x, 0) + log1p(exp(-|x|))`` and ``expit(x) = exp(min(x, 0)) / (1 +
exp(-|x|))`` use the same ``exp(-|x|)`` for ``softplus(z)``, ``softplus(-z)``, ``expit(z)``
and ``expit(-z)``, numerators included: ``exp(min(x, 0)) = max(exp(-|x|), H(x))``, H the
unit step. (``numpy.logaddexp`` and ``scipy.special.expit`` cost several times an ``exp``
per element.) Anything without a ufunc (helpers, piecewise functions) is printed as an
expression.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy.codegen.cfunctions import expm1, log1p

from . import functions as F
from .conditions import CONDITIONS as _CONDITIONS
from .conditions import is_condition as _is_condition

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
    **{f: f.ufunc for f in F.NAMED if f.ufunc},
}

_COMMUTATIVE = {"numpy.add", "numpy.multiply", "numpy.maximum", "numpy.minimum"}


def lower_named(expr: sympy.Expr) -> sympy.Expr:
    """Every named function that declares ``primitives`` (softplus, expit) written in them."""
    for f in F.NAMED:
        if f.primitives is not None:
            expr = expr.replace(
                lambda e, f=f: isinstance(e, f), lambda e, f=f: f.primitives(*e.args)
            )
    return expr


@dataclass(frozen=True)
class Op:
    """``code`` with ``{0}``, ``{1}``... for the operands; ``ufunc`` ops take ``out=``."""

    code: str
    operands: tuple[int, ...]
    ufunc: bool


class Lowering:
    """Expressions -> a list of single operations on values numbered from 0."""

    def __init__(self, arrays: set[str], printer) -> None:
        self.printer = printer
        self.arrays = arrays
        self.ops: list[Op | None] = []  # None for inputs and scalars
        self.names: list[str | None] = []  # inputs' and scalars' code
        self.is_array: list[bool] = []
        self.memo: dict = {}

    def _new(self, op: Op | None, name: str | None, array: bool) -> int:
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
        return self._new(Op(template, tuple(operands), True), None, True)

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
        index = self._oriented_value(expr)
        # the second of two values up to a sign is a negation, not a recomputation
        return self.apply("numpy.negative", [index]) if flipped else index

    def _oriented_value(self, expr: sympy.Expr) -> int:
        """The value of an expression already oriented (never re-oriented: flipping the sign
        of a product of sums again may give back the original one)."""
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
        if isinstance(expr, sympy.Piecewise):
            return self._piecewise(expr.args)
        if _is_condition(expr):
            return self._condition(expr)
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
        return self._new(Op(code, tuple(operands), False), None, True)

    def _piecewise(self, pieces: tuple) -> int:
        """``numpy.where`` on the lowered branches, the first true condition winning (each
        branch is computed everywhere; the others' values where it is not taken are
        discarded)."""
        (value, condition), rest = pieces[0], pieces[1:]
        if condition == sympy.true or not rest:
            return self.value(value)
        operands = [self._condition(condition), self.value(value), self._piecewise(rest)]
        if not any(self.is_array[i] for i in operands):
            names = [self.names[i] for i in operands]
            return self.scalar("numpy.where({}, {}, {})".format(*names))
        return self._new(Op("numpy.where({0}, {1}, {2})", tuple(operands), False), None, True)

    def _condition(self, condition) -> int:
        """A relational or a boolean combination of them as a boolean array."""
        if condition in (sympy.true, sympy.false):
            return self.scalar(str(bool(condition)))
        function = _CONDITIONS.get(type(condition))
        if function is None:
            raise ValueError(f"cannot lower the condition {condition}")
        operands = [
            self._condition(a) if _is_condition(a) else self.value(a) for a in condition.args
        ]
        if len(operands) == 1:  # Not
            return self.apply(function, operands)
        acc = self.apply(function, operands[:2])
        for i in operands[2:]:
            acc = self.apply(function, [acc, i])
        return acc

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


def negative_term(term: sympy.Expr) -> bool:
    """Whether a term of a sum is lowered as a negative: a negative coefficient, or a factor
    that is oriented the other way (see ``Lowering._oriented``)."""
    return bool(term.as_coeff_Mul()[0].is_negative or Lowering._oriented(term)[1])


__all__ = ["Lowering", "Op", "UFUNCS", "lower_named", "negative_term"]
