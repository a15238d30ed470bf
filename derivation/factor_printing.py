"""How :class:`derivation.kernel_printer.KernelPrinter` prints matrices over the last two axes:
gradients with respect to a lower-triangular factor (row index i on axis -2, column l on
axis -1), the factors of :mod:`derivation.triangular_functions` and their solves.

A solve is computed once per kernel whatever reads it: its code is given a name in
``shared`` (code -> name), assigned before the outputs. Within a matrix, a vector in i is
``v[..., :, None]``, in l ``v[..., None, :]``, a per-sample value ``a[..., None, None]``, and
the indices themselves are the grids ``arange(K)[:, None]`` and ``arange(K)``.
"""

from __future__ import annotations

import sympy

from likelihoods.links import COLUMN, COMPONENT

from . import triangular_functions as T


class FactorPrinting:
    """The matrix half of the kernel printer (a mixin: it reads the printer's
    ``_class_indices`` and ``_per_sample``)."""

    _matrix = False

    def _init_factors(self) -> None:
        self.shared: dict[str, str] = {}

    def _share(self, code: str) -> str:
        return self.shared.setdefault(code, f"_s{len(self.shared)}")

    def _in_matrix(self, index) -> bool:
        return self._matrix and not self._class_indices and index in (COMPONENT, COLUMN)

    def _oriented(self, code: str, index) -> str:
        """A vector (..., K) read at ``index``: as it is over a class index, along the rows or
        the columns of a matrix."""
        if index in self._class_indices:
            return code
        if self._in_matrix(index):
            return f"{code}[..., :, None]" if index == COMPONENT else f"{code}[..., None, :]"
        raise ValueError(f"cannot print component {index} of {code}: not an index of the output")

    def _print_matrix_Indexed(self, expr) -> str:
        name = str(expr.base.label)
        a, b = expr.indices
        if a == b:
            diagonal = self._share(f"_diagonal({name})")
            return self._oriented(diagonal, a)
        if self._in_matrix(a) and self._in_matrix(b) and (a, b) == (COMPONENT, COLUMN):
            return name
        raise ValueError(f"cannot print {expr}: entry ({a}, {b}) of a matrix output")

    def _print_matrix_Symbol(self, expr) -> str | None:
        if self._in_matrix(expr):
            return "numpy.arange(_K)[:, None]" if expr == COMPONENT else "numpy.arange(_K)"
        return None

    def _print_matrix_KroneckerDelta(self, expr) -> str | None:
        if all(self._in_matrix(a) for a in expr.args):
            return "numpy.eye(_K, dtype=_dtype)"
        return None

    def _print_Piecewise(self, expr):
        # within a matrix, nested where: one pass over the entries (numpy.select makes more)
        if not (self._matrix and not self._class_indices):
            return super()._print_Piecewise(expr)
        *branches, (last, condition) = expr.args
        if condition is not sympy.true:
            return super()._print_Piecewise(expr)
        code = self._print(last)
        for value, condition in reversed(branches):
            code = f"numpy.where({self._print(condition)}, {self._print(value)}, {code})"
        return code

    def _print_matrix_Mul(self, expr) -> str | None:
        """A product within a matrix, its factors multiplied in the order of their axes: the
        numbers and per-sample values first, then the rows and the columns, the whole
        matrices last, so that every product but the last few is of vectors."""
        if not (self._matrix and not self._class_indices):
            return None

        def rank(factor):
            return sum(factor.has(index) for index in (COMPONENT, COLUMN))

        factors = sorted(expr.args, key=rank)
        if [rank(f) for f in factors] == [rank(f) for f in expr.args]:
            return None  # already in that order: sympy's own printing
        code = self.parenthesize(factors[0], 50)
        for factor in factors[1:]:
            code = f"({code})*{self.parenthesize(factor, 50)}"
        return code

    def _factor(self, factor) -> str:
        if isinstance(factor, sympy.IndexedBase):
            return str(factor.label)
        if isinstance(factor, T.lower_factor):
            raw, f, _ = factor.args
            name = str(raw.label)
            diagonal = sympy.Symbol(self._share(f"_diagonal({name})"))
            saved, self._class_indices, self._matrix = (
                (self._class_indices, self._matrix),
                set(),
                False,
            )
            try:
                values = self._print(f(diagonal))
            finally:
                self._class_indices, self._matrix = saved
            return self._share(f"_with_diagonal({name}, {values})")
        raise ValueError(f"cannot print the factor {factor}")  # the others are rewritten away

    def _print_lower_factor(self, expr):
        return self._factor(expr)

    _print_diagonal_factor = _print_scaled_identity = _print_lower_factor

    def _solved(self, factor, r, j) -> str:
        """The name of w = M^{-1} r for the factor M and the vector r_j."""
        saved, self._class_indices, self._matrix = (self._class_indices, self._matrix), {j}, False
        try:
            vector = self._print(r)
        finally:
            self._class_indices, self._matrix = saved
        return self._share(f"_tril_solve({self._factor(factor)}, {vector})")

    def _print_tril_quadratic(self, expr):
        w = self._solved(*expr.args)
        return self._per_sample(f"_row_sum({w} * {w})")

    def _print_tril_solve(self, expr):
        factor, r, j, index = expr.args
        return self._oriented(self._solved(factor, r, j), index)

    def _print_tril_precision(self, expr):
        factor, r, j, index = expr.args
        w = self._solved(factor, r, j)
        u = self._share(f"_tril_solve_transposed({self._factor(factor)}, {w})")
        return self._oriented(u, index)


__all__ = ["FactorPrinting"]
