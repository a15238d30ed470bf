"""The numerical rewrite rules in the order they apply, and :func:`stabilize`.

Each rule (:class:`derivation.rules.base.Rule`) is an exact identity that trades a form which
overflows, underflows or cancels in floating point for one that does not; they know nothing
of distributions, only shapes of expressions. They live in small modules by theme
(:mod:`derivation.rules.logs`, ``logistic``, ``cancellation``, ``classes``, ``kinks``); this
list alone says in what order they apply. A new rule goes into the module of its theme and into this
list, with its own test in ``tests/test_rules.py``.

>>> import sympy
>>> from derivation.functions import softplus
>>> y, z, p = sympy.symbols("y z p", real=True)
>>> stabilize(softplus(z) - y * z)
y*softplus(-z) + (1 - y)*softplus(z)
>>> stabilize(y * sympy.log(p) + (1 - y) * sympy.log(1 - p))
xlog1py(1 - y, -p) + xlogy(y, p)
"""

from __future__ import annotations

import sympy

from .rules.base import Rule
from .rules.bessel import BESSEL_GAP_COMPLEMENT, BESSEL_RATIOS
from .rules.cancellation import GROUP_SCALED_RESIDUALS, ONE_MINUS_COS
from .rules.classes import (
    DELTA_OVER_TO_XDIVY,
    EVALUATE_OVER_CLASSES,
    GROUP_LOGSUMEXP,
    REPLACE_TARGET_COLUMN,
    SOFTMAX_MINUS_MASS,
)
from .rules.exponentials import COMBINE_EXPONENTIALS, LOG_SUM_EXP, LOGISTIC_MIXTURE
from .rules.gamma import DIGAMMA_DIFFERENCE, GAMMALN_DIFFERENCE, LOG_GAMMA_OF_EXP
from .rules.kinks import DROP_POINT_MASSES
from .rules.logistic import LOGISTIC_TO_EXPIT, SPLIT_EXPIT_CONSTANT, SPLIT_SOFTPLUS_LINEAR
from .rules.logs import (
    COEFFICIENT_LOG_TO_XLOGY,
    LOG1P,
    LOG1P_SQUARE,
    LOG_BESSEL_I,
    LOG_BESSEL_I0,
    LOG_BETA,
    LOG_GAMMA,
    SQUARE_FRACTION,
)
from .rules.rankings import EXP_MINUS_ONE, SUFFIX_MINUS_FIRST, SUMS_COMBINED
from .rules.responsibilities import ONE_MINUS_RESPONSIBILITY, RESPONSIBILITY_OVER_WEIGHT

#: Every rule, in the order :func:`stabilize` applies them.
RULES: tuple[Rule, ...] = (
    # local: one function call at a time
    DROP_POINT_MASSES,
    BESSEL_RATIOS,
    LOG_GAMMA,
    LOG_BESSEL_I0,
    LOG_BESSEL_I,
    COMBINE_EXPONENTIALS,
    LOG1P,
    LOG1P_SQUARE,
    # sum: whole sums, before differentiation
    LOGISTIC_TO_EXPIT,
    SPLIT_EXPIT_CONSTANT,
    LOG_SUM_EXP,
    LOGISTIC_MIXTURE,
    SPLIT_SOFTPLUS_LINEAR,
    LOG_BETA,
    GAMMALN_DIFFERENCE,
    LOG_GAMMA_OF_EXP,
    DIGAMMA_DIFFERENCE,
    SQUARE_FRACTION,
    ONE_MINUS_COS,
    BESSEL_GAP_COMPLEMENT,
    COEFFICIENT_LOG_TO_XLOGY,
    SOFTMAX_MINUS_MASS,
    ONE_MINUS_RESPONSIBILITY,
    RESPONSIBILITY_OVER_WEIGHT,
    DELTA_OVER_TO_XDIVY,
    # final: an evaluation order, after any differentiation
    GROUP_SCALED_RESIDUALS,
    GROUP_LOGSUMEXP,
    REPLACE_TARGET_COLUMN,
    EVALUATE_OVER_CLASSES,
    EXP_MINUS_ONE,
    SUMS_COMBINED,
    SUFFIX_MINUS_FIRST,
)

_ORDER = [r.stage for r in RULES]
assert _ORDER == sorted(_ORDER, key=("local", "sum", "final").index), "stages out of order"


def stabilize(
    expr: sympy.Expr, final: bool = True, skip: frozenset[str] = frozenset()
) -> sympy.Expr:
    """Apply every rule of :data:`RULES` to ``expr`` in order; the ``final`` ones unless
    ``final`` is false (for an expression still to be differentiated); none named in
    ``skip``."""
    for rule in RULES:
        if rule.name in skip:
            continue
        if final or rule.stage != "final":
            expr = rule(expr)
    return expr


__all__ = ["RULES", "Rule", "stabilize"]
