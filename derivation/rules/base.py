"""What a rewrite rule is: a named, exact identity applied to any expression.

>>> import sympy
>>> from derivation.rules.logs import LOG1P
>>> x = sympy.Symbol("x", real=True)
>>> LOG1P(sympy.log(1 + x**2))
log1p(x**2)
>>> LOG1P.identity
'log(1 + x) = log1p(x)'
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy

#: When a rule applies: "local" rules rewrite single function calls, "sum" rules whole sums,
#: both before differentiation; "final" rules fix an evaluation order, after it (their
#: forms are not differentiated again).
STAGES = ("local", "sum", "final")


@dataclass(frozen=True)
class Rule:
    """An exact identity that trades a form which overflows, underflows or cancels in floating
    point for one that does not. ``matches`` and ``writes`` say what it looks for and what it
    puts in its place, ``identity`` the one line of mathematics it relies on; calling the rule
    rewrites an expression (unchanged where the rule does not match)."""

    name: str
    stage: str
    matches: str
    writes: str
    identity: str
    rewrite: Callable[[sympy.Expr], sympy.Expr]

    def __post_init__(self) -> None:
        if self.stage not in STAGES:
            raise ValueError(f"Rule {self.name!r}: stage must be one of {STAGES}")

    def __call__(self, expr: sympy.Expr) -> sympy.Expr:
        return self.rewrite(expr)

    def __repr__(self) -> str:
        return f"Rule({self.name!r}: {self.identity})"


__all__ = ["Rule", "STAGES"]
