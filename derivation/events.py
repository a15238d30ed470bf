"""Algebra over a class axis of symbolic length K, for models whose target or parameters are
vectors on the probability simplex. General rules only; nothing here names a family.

* sums are distributed over additions and factors free of the summation index pulled out;
* a target or parameter on the simplex satisfies sum_k t_k = 1, applied as an identity;
* log sum_j exp(z_j) is named ``logsumexp(z)``;
* a target given as a class index c is the one-hot row t_k = [k = c] (``KroneckerDelta``);
* with K = 2 a vector output reads as one scalar (the link's ``two_classes``).

>>> import sympy
>>> from likelihoods.links import CLASSES as K, CLASS_INDEX as k
>>> y, z = sympy.IndexedBase("y", shape=(K,)), sympy.IndexedBase("z", shape=(K,))
>>> factor_out_of_sums(sympy.Sum(y[k] * (z[k] - sympy.Symbol("a")), (k, 0, K - 1)))
-a*Sum(y[k], (k, 0, K - 1)) + Sum(y[k]*z[k], (k, 0, K - 1))
"""

from __future__ import annotations

import sympy

from likelihoods.links import CLASS_INDEX, CLASSES, COLUMN, COMPONENT

from .functions import expand_definitions, logsumexp, logsumexp_over, responsibility
from .ranking_functions import resolve_rankings


def factor_out_of_sums(expr: sympy.Expr) -> sympy.Expr:
    """Sum(a*f(k) + b*g(k)) -> a*Sum(f(k)) + b*Sum(g(k)) for a, b free of k; a sum of a
    term free of k is evaluated (Sum(1) over the classes is K)."""

    def split(s: sympy.Sum) -> sympy.Expr:
        body, limits = s.function, s.limits
        indices = [limit[0] for limit in limits]
        out = []
        # powers of sums stay: (y_k - mu_k)^2 expanded would cancel
        expanded = sympy.expand(body, power_exp=False, log=False, multinomial=False)
        for term in sympy.Add.make_args(expanded):
            free, dependent = term.as_independent(*indices, as_Add=False)
            summed = sympy.Sum(dependent, *limits)
            out.append(free * (summed if dependent.has(*indices) else summed.doit()))
        return sympy.Add(*out)

    return expr.replace(lambda e: isinstance(e, sympy.Sum), split)


def _is_full_sum_of(s: sympy.Expr, base: sympy.IndexedBase) -> bool:
    if not isinstance(s, sympy.Sum) or len(s.limits) != 1:
        return False
    index, low, high = s.limits[0]
    body = s.function
    return (
        isinstance(body, sympy.Indexed)
        and body.base == base
        and body.indices == (index,)
        and low == 0
        and high == CLASSES - 1
    )


def apply_simplex_identities(expr: sympy.Expr, bases: list[sympy.IndexedBase]) -> sympy.Expr:
    """Sum_k t_k -> 1 for every ``t`` in ``bases`` (vectors on the probability simplex)."""
    for base in bases:
        expr = expr.replace(lambda e, b=base: _is_full_sum_of(e, b), lambda e: sympy.Integer(1))
    return expr


def name_logsumexp(expr: sympy.Expr) -> sympy.Expr:
    """log(Sum_j exp(z_j)) -> logsumexp(z)."""

    def matches(e: sympy.Expr) -> bool:
        if not isinstance(e, sympy.log) or not isinstance(e.args[0], sympy.Sum):
            return False
        s = e.args[0]
        index, low, high = s.limits[0]
        body = s.function
        return (
            isinstance(body, sympy.exp)
            and isinstance(body.args[0], sympy.Indexed)
            and body.args[0].indices == (index,)
            and (low, high) == (0, CLASSES - 1)
        )

    return expr.replace(matches, lambda e: logsumexp(e.args[0].function.args[0].base))


def log_of_component_sum(expr: sympy.Expr, expand_log) -> sympy.Expr:
    """log(sum_k b_k) for terms b_k that are products of positive factors (a mixture's
    weights times its components' densities) -> c + logsumexp_over(f(k), k), with f(k) +
    c = ``expand_log(log b_k)`` and c the part free of k and of every vector; a sum whose
    terms sympy cannot
    show positive is left as it is. Rule ``log_of_component_sum``: the log-sum-exp shifted by
    its largest term, over any number of components."""

    def matches(e: sympy.Expr) -> bool:
        if not isinstance(e, sympy.log) or not isinstance(e.args[0], sympy.Sum):
            return False
        s = e.args[0]
        # a term free of the index is K times itself, left to the sum's own evaluation
        return (
            len(s.limits) == 1
            and s.function.has(s.limits[0][0])
            and all(_positive(factor) for factor in sympy.Mul.make_args(s.function))
        )

    def rewrite(e: sympy.Expr) -> sympy.Expr:
        s = e.args[0]
        index, low, high = s.limits[0]
        if (low, high) != (0, CLASSES - 1):
            return e
        terms = sympy.Add.make_args(expand_log(sympy.log(s.function)))
        # What holds a vector stays inside (log w_k = z_k - logsumexp(z) keeps the terms of
        # the sum near 0 for logits of any size); the rest is common to every term.
        inside = [t for t in terms if t.has(index) or t.atoms(sympy.IndexedBase)]
        free = sympy.Add(*(t for t in terms if t not in inside))
        bound = sympy.Add(*inside)
        if isinstance(bound, sympy.Indexed) and bound.indices == (index,):
            return free + logsumexp(bound.base)
        return free + logsumexp_over(bound, index)

    return expr.replace(matches, rewrite)


def _positive(factor: sympy.Expr) -> bool:
    base = factor.base if isinstance(factor, sympy.Pow) and factor.exp.is_real else factor
    if isinstance(base, sympy.Sum):
        return all(_positive(f) for f in sympy.Mul.make_args(base.function))
    if isinstance(base, sympy.Indexed) and base.is_nonnegative:
        return True  # an entry of weights that may be 0: its log is -inf, which adds nothing
    return bool(base.is_positive) or isinstance(base, sympy.exp) and bool(base.args[0].is_real)


def resolve_sums(expr: sympy.Expr) -> sympy.Expr:
    """Evaluate sums of Kronecker deltas (Sum_k [k = c] f(k) = f(c)) and drop the range
    conditions sympy attaches to them (indices are checked to lie in [0, K) at call time).
    Sums over a permutation's positions go first (see :mod:`derivation.ranking_functions`)."""
    expr = resolve_rankings(expr)
    expr = expr.replace(
        lambda e: isinstance(e, sympy.Sum) and (e.has(sympy.KroneckerDelta) or e.function == 0),
        lambda e: e.doit(),
    )
    expr = expr.replace(
        lambda e: isinstance(e, sympy.Piecewise) and _only_range_conditions(e),
        lambda e: e.args[0].expr,
    )
    return expr.replace(_sums_responsibilities, lambda e: sympy.Integer(1))


def _sums_responsibilities(e: sympy.Expr) -> bool:
    """Sum_j r_j over all components: the responsibilities of one sample sum to 1."""
    if not isinstance(e, sympy.Sum) or len(e.limits) != 1:
        return False
    index, low, high = e.limits[0]
    body = e.function
    return (
        isinstance(body, responsibility)
        and body.args[2] == index
        and (low, high) == (0, CLASSES - 1)
    )


def _only_range_conditions(p: sympy.Piecewise) -> bool:
    # The first branch holds wherever the indices lie in [0, K), which they always do.
    branches = p.args
    if len(branches) != 2 or branches[1].cond is not sympy.true:
        return False
    return all(_is_index_bound(c) for c in sympy.And.make_args(branches[0].cond))


def _is_index_bound(c: sympy.Expr) -> bool:
    """An index (an integer symbol) against an end of [0, K): i >= 0, i <= K - 1, i < K; never
    an equation (y = 0 is a branch of a count density, not a range)."""
    if not isinstance(c, sympy.core.relational.Relational) or isinstance(c, (sympy.Eq, sympy.Ne)):
        return False
    index, bound = (c.lhs, c.rhs) if c.lhs.is_Symbol else (c.rhs, c.lhs)
    return bool(index.is_Symbol and index.is_integer) and bound in (0, CLASSES - 1, CLASSES)


def component_derivative(expr: sympy.Expr, output: sympy.IndexedBase) -> sympy.Expr:
    """d expr / d output_i for the component index i (d expr / d output_il, row i and
    column l, for a matrix output)."""
    entry = output[COMPONENT, COLUMN] if len(output.shape) == 2 else output[COMPONENT]
    return resolve_sums(sympy.diff(expr, entry))


def derivative(expr: sympy.Expr, output) -> sympy.Expr:
    """The gradient of ``expr`` with respect to a scalar output, or component i of it with
    respect to a vector output."""
    if isinstance(output, sympy.IndexedBase):
        return component_derivative(expr, output)
    return sympy.diff(expr, output)


def index_target(expr: sympy.Expr, target: sympy.IndexedBase, index: sympy.Symbol) -> sympy.Expr:
    """Substitute the one-hot row t_k = [k = index] for the target vector ``t``."""
    expr = expr.replace(
        lambda e: isinstance(e, sympy.Indexed) and e.base == target,
        lambda e: sympy.KroneckerDelta(e.indices[0], index),
    )
    return resolve_sums(expr)


def substitute_target(expr: sympy.Expr, target: sympy.IndexedBase, row: sympy.Expr) -> sympy.Expr:
    """Substitute t_k -> row(k) (an expression in ``CLASS_INDEX``) for the target vector."""
    expr = expr.replace(
        lambda e: isinstance(e, sympy.Indexed) and e.base == target,
        lambda e: row.xreplace({CLASS_INDEX: e.indices[0]}),
    )
    return resolve_sums(factor_out_of_sums(expr))


def two_classes(
    expr: sympy.Expr, vectors: dict[sympy.IndexedBase, tuple[sympy.Expr, sympy.Expr]]
) -> sympy.Expr:
    """``expr`` with K = 2 and each vector replaced by its two components."""
    expr = expand_definitions(expr).xreplace({CLASSES: 2}).doit()
    for base, (first, second) in vectors.items():
        # Compared by label: with K = 2 substituted, the base's shape is (2,), not (K,).
        expr = expr.replace(
            lambda e, b=base: isinstance(e, sympy.Indexed) and e.base.label == b.label,
            lambda e, pair=(first, second): pair[int(e.indices[0])],
        )
    return expr


__all__ = [
    "factor_out_of_sums",
    "apply_simplex_identities",
    "name_logsumexp",
    "log_of_component_sum",
    "resolve_sums",
    "derivative",
    "index_target",
    "substitute_target",
    "two_classes",
]
