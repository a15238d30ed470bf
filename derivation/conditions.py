"""The conditions of a piecewise density (relations and their boolean combinations) as the
NumPy ufuncs that compute them elementwise, for :mod:`derivation.lowering`.

>>> import sympy
>>> x = sympy.Symbol("x", real=True)
>>> is_condition(x >= 0), CONDITIONS[type(x >= 0)]
(True, 'numpy.greater_equal')
"""

from __future__ import annotations

import sympy
from sympy.core.relational import Relational
from sympy.logic.boolalg import BooleanAtom, BooleanFunction

#: Relations and boolean connectives -> the numpy ufuncs that compute them elementwise.
CONDITIONS = {
    sympy.Eq: "numpy.equal",
    sympy.Ne: "numpy.not_equal",
    sympy.Lt: "numpy.less",
    sympy.Le: "numpy.less_equal",
    sympy.Gt: "numpy.greater",
    sympy.Ge: "numpy.greater_equal",
    sympy.And: "numpy.logical_and",
    sympy.Or: "numpy.logical_or",
    sympy.Not: "numpy.logical_not",
}


def is_condition(expr) -> bool:
    """Whether ``expr`` is a relation, a boolean combination of them, or true or false (a
    symbol is not: sympy's symbols are booleans too)."""
    return isinstance(expr, (Relational, BooleanFunction, BooleanAtom))


__all__ = ["CONDITIONS", "is_condition"]
