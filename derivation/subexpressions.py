"""Common subexpressions of a loss and its gradient, found once for all the kernels that
print them (``sympy.cse``), with what must stay whole kept out: reciprocals (a temporary 1/x
turns a/x into two roundings), anything of a class or matrix index (temporaries are per
sample), and the factors the triangular solves take.
"""

from __future__ import annotations

import sympy

from likelihoods.links import COLUMN as _COLUMN
from likelihoods.links import COMPONENT as _COMPONENT
from likelihoods.links import RANKED as _RANKED

from .class_functions import logsumexp_over
from .ranking_functions import prefix_logsumexp, suffix_logsumexp
from .triangular_functions import FACTORS, SOLVED


def eliminate_common_subexpressions(
    exprs: list[sympy.Expr],
) -> tuple[list[tuple[sympy.Symbol, sympy.Expr]], list[sympy.Expr]]:
    """``sympy.cse`` over all of ``exprs`` at once, with reciprocals put back in place.

    A temporary ``t = 1/x`` turns every ``a/x`` into ``a*t``, two roundings instead of one:
    ``r/sigma`` would no longer be exactly 1 where ``r == sigma``.
    """
    # Temporaries are per sample: nothing that depends on a class index is pulled out. (K
    # itself is not ignored: every vector's shape holds it.)
    indices = {_COMPONENT, _COLUMN, _RANKED}  # (R bounds sums: it stays in their limits)
    for e in exprs:
        for s in e.atoms(sympy.Sum):
            indices.update(limit[0] for limit in s.limits)
        indices.update(f.args[1] for f in e.atoms(logsumexp_over))
        indices.update(f.args[2] for f in e.atoms(*SOLVED))
        indices.update(f.args[1] for f in e.atoms(suffix_logsumexp, prefix_logsumexp))
    # A factor is an argument of its solves, never a temporary of its own: held out.
    held = {f: sympy.Symbol(f"_factor{n}") for n, f in enumerate(_factors(exprs))}
    exprs = [e.xreplace(held) for e in exprs]
    replacements, reduced = sympy.cse(
        exprs,
        symbols=sympy.numbered_symbols("_t"),
        optimizations="basic",
        order="none",
        ignore=tuple(indices),
    )
    inline: dict[sympy.Symbol, sympy.Expr] = {s: f for f, s in held.items()}
    kept = []
    for symbol, value in replacements:
        value = value.xreplace(inline)
        if value.is_Pow and value.exp == -1:
            inline[symbol] = value
        else:
            kept.append((symbol, value))
    return kept, [e.xreplace(inline) for e in reduced]


def _factors(exprs) -> list[sympy.Expr]:
    found = set().union(*(e.atoms(*FACTORS) for e in exprs))
    return sorted(found, key=sympy.default_sort_key)


__all__ = ["eliminate_common_subexpressions"]
