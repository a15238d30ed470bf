r"""Named functions and rules over a permutation pi of the items 0, ..., K - 1 (a ranking, best
first), for densities that pick items position by position: sums over positions of suffix
log-sum-exps, and what their gradients resolve to.

* ``suffix_logsumexp(g, j, k)`` = log sum_{j = k}^{K-1} exp(g(j)), at each position k: the
  log normaliser of the items not yet placed (rule ``suffix_logsumexp``: the log of such a
  sum is named so);
* ``position(pi, i)``: where item i stands in pi (the inverse permutation);
* ``prefix_logsumexp(f, k, p)`` = log sum_{k = 0}^{p} exp(f(k)).

Rules: ``item_once`` (a sum over positions of F(k) [i = pi_k] is F at the item's position,
every item standing once) and ``prefix_of_exponentials`` (a sum over the positions up to p of
exponentials is the exponential of a prefix log-sum-exp, never an overflow).

>>> import sympy
>>> from likelihoods.links import CLASSES as K, CLASS_INDEX as k, COMPONENT as i
>>> pi = PermutationBase("pi", shape=(K,), integer=True, nonnegative=True)
>>> s = sympy.IndexedBase("s", shape=(K,), real=True)
>>> resolve_rankings(sympy.Sum(s[pi[k]], (k, 0, K - 1)).diff(s[i]))
1
"""

from __future__ import annotations

import sympy

from likelihoods.links import CLASSES, RANKED, PermutationBase

from .named import NamedBase as _Named


def _index():
    return sympy.Dummy("d", integer=True, nonnegative=True)


class _LogSumExpOver(_Named):
    """log sum exp(g(j)) over a range of the bound index j (the second argument) that the
    third sets: a value per position, or per item."""

    second_order = False  # no second derivatives printed

    nargs = 3
    relation = ""  # how the printed range reads: j >= k, j > k, k <= p

    @property
    def free_symbols(self):
        g, j, k = self.args
        return (g.free_symbols - {j}) | k.free_symbols

    def _eval_is_real(self):
        return True

    def _sympystr(self, printer):
        g, j, k = (printer._print(a) for a in self.args)
        return f"logsumexp_{{{j} {self.relation} {k}}}({g})"

    def _latex(self, printer, exp=None):
        g, j, k = (printer._print(a) for a in self.args)
        tex = {">=": r"\ge", ">": ">", "<=": r"\le"}[self.relation]
        body = r"\log \sum_{%s %s %s} e^{%s}" % (j, tex, k, g)
        return r"\left(%s\right)^{%s}" % (body, exp) if exp else body


class suffix_logsumexp(_LogSumExpOver):
    r"""suffix_logsumexp(g, j, k) = log sum_{j=k}^{K-1} exp(g(j)) for an expression g of the
    bound index j; its derivative is the softmax of g over the suffix, sum_{d >= k}
    exp(g(d) - suffix_logsumexp) dg(d)/ds."""

    relation = ">="

    @classmethod
    def definition(cls, g, j, k):
        return sympy.log(sympy.Sum(sympy.exp(g), (j, k, CLASSES - 1)))

    def _eval_derivative(self, s):
        g, j, k = self.args
        d = _index()
        moved = g.xreplace({j: d})
        return sympy.Sum(sympy.exp(moved - self) * sympy.diff(moved, s), (d, k, CLASSES - 1))


class suffix_logsumexp_after(_LogSumExpOver):
    r"""suffix_logsumexp_after(g, j, k) = log sum_{j=k+1}^{K-1} exp(g(j)): the items after
    position k (-inf after the last position); used in evaluation only."""

    relation = ">"

    @classmethod
    def definition(cls, g, j, k):
        return sympy.log(sympy.Sum(sympy.exp(g), (j, k + 1, CLASSES - 1)))


class position(_Named):
    r"""position(pi, i): the position of item i in the permutation pi, pi[position(pi, i)] = i."""

    second_order = False  # no second derivatives printed

    nargs = 2

    @classmethod
    def definition(cls, pi, i):
        m = _index()
        return sympy.Sum(m * sympy.KroneckerDelta(pi[m], i), (m, 0, CLASSES - 1))

    def _eval_is_integer(self):
        return True

    def _eval_is_nonnegative(self):
        return True

    def _sympystr(self, printer):
        return f"position_{printer._print(self.args[0])}({printer._print(self.args[1])})"

    def _latex(self, printer, exp=None):
        return r"%s^{-1}_{%s}" % (printer._print(self.args[0]), printer._print(self.args[1]))


class prefix_logsumexp(_LogSumExpOver):
    r"""prefix_logsumexp(f, k, p) = log sum_{k=0}^{p} exp(f(k)), accumulated pairwise along
    the positions (``numpy.logaddexp.accumulate``)."""

    relation = "<="

    @classmethod
    def definition(cls, f, k, p):
        return sympy.log(sympy.Sum(sympy.exp(f), (k, 0, p)))


def name_suffix_logsumexp(expr: sympy.Expr) -> sympy.Expr:
    """Rule ``suffix_logsumexp``: log(sum_{j=k}^{K-1} exp(g(j))) -> suffix_logsumexp(g, j, k)
    for a start k other than 0 (from 0 it is a full log-sum-exp, named elsewhere)."""

    def matches(e):
        if not isinstance(e, sympy.log) or not isinstance(e.args[0], sympy.Sum):
            return False
        s = e.args[0]
        return (
            len(s.limits) == 1
            and isinstance(s.function, sympy.exp)
            and s.limits[0][1] != 0
            and s.limits[0][2] == CLASSES - 1
        )

    def rewrite(e):
        s = e.args[0]
        j, k, _ = s.limits[0]
        return suffix_logsumexp(s.function.args[0], j, k)

    return expr.replace(matches, rewrite)


def _item_delta(body: sympy.Expr, index: sympy.Symbol):
    """(pi, item, rest) if body = rest * [item = pi_index] for a permutation pi, else None."""
    for factor in sympy.Mul.make_args(body):
        if not isinstance(factor, sympy.KroneckerDelta):
            continue
        for a, b in (factor.args, factor.args[::-1]):
            if (
                isinstance(b, sympy.Indexed)
                and isinstance(b.base, PermutationBase)
                and b.indices == (index,)
                and not a.has(index)
            ):
                return b.base, a, sympy.Mul(*(f for f in sympy.Mul.make_args(body) if f != factor))
    return None


def _innermost(rule):
    """``rule`` applied to the innermost sum of a sum over several indices, the outer kept."""

    def apply(s: sympy.Sum) -> sympy.Expr | None:
        inner, *outer = s.limits
        done = rule(s.function, inner)
        return None if done is None else (sympy.Sum(done, *outer) if outer else done)

    apply.__name__, apply.__doc__ = rule.__name__, rule.__doc__
    return apply


@_innermost
def item_once(body: sympy.Expr, limit) -> sympy.Expr | None:
    """Rule ``item_once``: sum_{k=a}^{b} F(k) [i = pi_k] = F(p) [a <= p <= b], p =
    position(pi, i), for b the last position (K - 1) or the last ranked one (R - 1)."""
    index, low, high = limit
    found = _item_delta(body, index)
    if found is None or high not in (CLASSES - 1, RANKED - 1):
        return None
    pi, item, rest = found
    p = position(pi, item)
    picked = rest.xreplace({index: p}).replace(
        lambda e: isinstance(e, sympy.Indexed) and e.base == pi and e.indices == (p,),
        lambda e: item,
    )
    conditions = [c for c in (p >= low, p <= high) if c is not sympy.true]
    if high == CLASSES - 1:  # every item stands at some position up to K - 1
        conditions = [c for c in conditions if c != (p <= high)]
    if not conditions:
        return picked
    return sympy.Piecewise((picked, sympy.And(*conditions)), (0, True))


@_innermost
def prefix_of_exponentials(body: sympy.Expr, limit) -> sympy.Expr | None:
    """Rule ``prefix_of_exponentials``: sum_{k=0}^{b} [p >= k] c exp(A + f(k)), c and A free
    of k, = c exp(A + prefix_logsumexp(f, k, min(p, b))) (b = K - 1: p)."""
    if not isinstance(body, sympy.Piecewise):
        return None
    index, low, high = limit
    (value, condition), *rest = body.args
    if low != 0 or high not in (CLASSES - 1, RANKED - 1) or rest != [(0, sympy.true)]:
        return None
    factor, value = value.as_independent(index, as_Add=False)
    if not isinstance(value, sympy.exp):
        return None
    if isinstance(condition, sympy.LessThan) and condition.lhs == index:  # k <= p
        last = condition.rhs
    elif isinstance(condition, sympy.GreaterThan) and condition.rhs == index:  # p >= k
        last = condition.lhs
    else:
        return None
    if last.has(index):
        return None
    free, bound = value.args[0].as_independent(index, as_Add=True)
    last = last if high == CLASSES - 1 else sympy.Min(last, high)
    return factor * sympy.exp(free + prefix_logsumexp(bound, index, last))


def resolve_rankings(expr: sympy.Expr) -> sympy.Expr:
    """The two rules above, innermost sums first, until nothing changes (a sum over several
    indices, which sympy writes as one, is taken as nested sums, the first index innermost)."""
    for _ in range(4):
        new = expr.replace(
            lambda e: isinstance(e, sympy.Sum) and item_once(e) is not None, item_once
        )
        new = new.replace(
            lambda e: isinstance(e, sympy.Sum) and prefix_of_exponentials(e) is not None,
            prefix_of_exponentials,
        )
        if new == expr:
            return expr
        expr = new
    return expr


RANKING_FUNCTIONS = (suffix_logsumexp, suffix_logsumexp_after, position, prefix_logsumexp)

__all__ = [
    "PermutationBase",
    "suffix_logsumexp",
    "suffix_logsumexp_after",
    "position",
    "prefix_logsumexp",
    "name_suffix_logsumexp",
    "item_once",
    "prefix_of_exponentials",
    "resolve_rankings",
    "RANKING_FUNCTIONS",
]
