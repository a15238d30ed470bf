"""How :class:`derivation.kernel_printer.KernelPrinter` prints the functions of
:mod:`derivation.ranking_functions`: vectors over the positions of a ranking on the last axis,
each computed once per kernel (a name of ``shared``, see :mod:`derivation.factor_printing`).

s[pi_k] over the positions k is ``take_along_axis(s, pi)``; a suffix log-sum-exp is
``logaddexp.accumulate`` from the last position back; the positions of the items are the
inverse permutation, scattered in one pass.
"""

from __future__ import annotations

import sympy

from .ranking_functions import PermutationBase, position


class RankingPrinting:
    """The ranking half of the kernel printer (a mixin, after :class:`FactorPrinting`)."""

    def _over(self, expr: sympy.Expr, index) -> str:
        """``expr`` printed as a vector over the bound ``index`` alone."""
        saved, self._class_indices, self._matrix = (
            (self._class_indices, self._matrix),
            {index},
            False,
        )
        try:
            return self._print(expr)
        finally:
            self._class_indices, self._matrix = saved

    def _print_ranked_Indexed(self, expr) -> str | None:
        """s[pi_k] at the positions k: the items' values in ranked order."""
        (inner,) = expr.indices
        if not (isinstance(inner, sympy.Indexed) and isinstance(inner.base, PermutationBase)):
            return None
        (k,) = inner.indices
        values, ranking = str(expr.base.label), str(inner.base.label)
        return self._oriented(self._share(f"numpy.take_along_axis({values}, {ranking}, -1)"), k)

    def _print_suffix_logsumexp(self, expr):
        g, j, k = expr.args
        return self._oriented(self._share(f"_suffix_logsumexp({self._over(g, j)})"), k)

    def _print_suffix_logsumexp_after(self, expr):
        g, j, k = expr.args
        suffix = self._share(f"_suffix_logsumexp({self._over(g, j)})")
        return self._oriented(self._share(f"_after_first({suffix})"), k)

    def _print_position(self, expr):
        ranking, item = expr.args
        return self._oriented(self._share(f"_positions({ranking.label})"), item)

    def _print_prefix_logsumexp(self, expr):
        f, k, p = expr.args
        places = [a for a in sympy.preorder_traversal(p) if isinstance(a, position)]
        if len(places) != 1:
            raise ValueError(f"cannot print {expr}: a prefix up to {p}, not an item's position")
        item = places[0].args[1]
        prefix = self._share(f"numpy.logaddexp.accumulate({self._over(f, k)}, axis=-1)")
        at = self._over(p, item)  # the prefix's last position, per item
        return self._oriented(self._share(f"numpy.take_along_axis({prefix}, {at}, -1)"), item)


__all__ = ["RankingPrinting"]
