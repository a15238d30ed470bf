"""Recognising a derived loss as a textbook one, by comparing expressions.

A loss matches a :class:`likelihoods.textbook.NamedLoss` when, after renaming its target to
``t`` and its raw outputs (in order) to ``u``, ``v``, the difference of the two expressions
simplifies to zero once every named function is written out.

>>> import sympy
>>> y, m = sympy.symbols("y m", real=True)
>>> textbook_name((m - y) ** 2, y, (m,)).name
'mean squared error'
>>> textbook_name(sympy.cosh(m - y), y, (m,)) is None
True
"""

from __future__ import annotations

import sympy

from likelihoods.textbook import TEXTBOOK_LOSSES, NamedLoss

from .functions import expand_definitions


def textbook_name(
    loss: sympy.Expr, target: sympy.Symbol, outputs: tuple[sympy.Symbol, ...]
) -> NamedLoss | None:
    """The textbook loss equal to ``loss``, or ``None``."""
    vector = isinstance(target, sympy.IndexedBase)
    if vector:
        t = sympy.IndexedBase("t", shape=target.shape, real=True)
        generic = [sympy.IndexedBase(n, shape=target.shape, real=True) for n in "uvw"]
    else:
        t = sympy.Symbol("t", real=True)
        generic = sympy.symbols("u v w", real=True)
    generic = generic[: len(outputs)]
    renamed = expand_definitions(loss).xreplace({target: t, **dict(zip(outputs, generic))})
    for entry in TEXTBOOK_LOSSES:
        if entry.arity != len(outputs) or entry.vector != vector:
            continue
        difference = renamed - entry.expression(t, *generic)
        if _differs_somewhere(difference):
            continue  # a quick numeric look spares simplify (slow on piecewise forms)
        if sympy.simplify(sympy.expand_log(difference, force=True)) == 0:
            return entry
    return None


#: Values of every symbol at which a difference is looked at first (inside any domain of a
#: built-in target or parameter, away from where formulas are undefined).
_PROBES = (0.37, 0.61, 1.3)


def _differs_somewhere(difference: sympy.Expr) -> bool:
    """Whether ``difference`` is visibly not 0 at one of a few points (scalars only)."""
    symbols = sorted(difference.free_symbols, key=sympy.default_sort_key)
    if difference.has(sympy.Indexed, sympy.Sum) or not symbols:
        return False
    for k, probe in enumerate(_PROBES):
        values = {s: probe + 0.11 * ((i + k) % 3) for i, s in enumerate(symbols)}
        value = difference.xreplace(values).evalf()
        if value.is_Number and value.is_finite and abs(value) > 1e-9:
            return True
    return False


__all__ = ["textbook_name"]
