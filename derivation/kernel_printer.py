"""The printer of NumPy kernels: sympy expressions, named functions and vectors over classes
as NumPy and SciPy code (see :class:`KernelPrinter`).

>>> import sympy
>>> from derivation.functions import softplus
>>> KernelPrinter().doprint(softplus(sympy.Symbol("z")))
'numpy.logaddexp(0, z)'
"""

from __future__ import annotations

import sympy
from sympy.printing.numpy import SciPyPrinter

from likelihoods.links import CLASSES as _CLASSES
from likelihoods.links import COLUMN as _COLUMN
from likelihoods.links import COMPONENT as _COMPONENT
from likelihoods.links import RANKED as _RANKED

from . import functions as F
from .factor_printing import FactorPrinting
from .ranking_printing import RankingPrinting


class KernelPrinter(FactorPrinting, RankingPrinting, SciPyPrinter):
    """SciPy printer that knows the named functions of :mod:`derivation.functions` and prints
    floats with all their digits.

    Vectors over classes live on the last array axis. An expression is printed either per
    sample (shape ``(...)``) or per class (shape ``(..., K)``, inside a sum over classes or for
    a gradient component): there, ``z[k]`` is the whole array ``z``, a per-sample array ``a``
    becomes ``a[..., None]``, ``z[c]`` for a class-index target ``c`` picks one entry per
    sample, and ``KroneckerDelta(k, c)`` is a one-hot mask. A gradient with respect to a
    matrix is printed per entry, shape ``(..., K, K)`` (see
    :mod:`derivation.factor_printing`).
    """

    def __init__(self, settings=None, arrays=(), class_index_target=None):
        super().__init__(settings or {"fully_qualified_modules": True, "inline": True})
        self._arrays = set(arrays)  # names of per-sample arrays (args, temporaries)
        self._target_index = class_index_target
        self._class_indices: set[sympy.Symbol] = set()
        # vectors whose max, lse_excess and softmax come from one _softmax_parts call:
        # name -> whether the probabilities are needed
        self.parts: dict[str, bool] = {}
        # per-component expressions given a name for their parts: code -> name
        self.bodies: dict[str, str] = {}
        # shared softmax rows that a _replace_column writes into in place
        self.written: set[str] = set()
        self._init_factors()

    def copy_shared_writes(self, codes: list[str]) -> list[str]:
        """``codes`` with each in-place ``_replace_column`` into a shared name that is read
        more than once (the gradient's p - onehot(y) and the Hessian's p) given a copy."""
        for shared in self.written:
            if sum(code.count(shared) for code in codes) > 1:
                into = f"_replace_column({shared},"
                codes = [c.replace(into, f"_replace_column(numpy.array({shared}),") for c in codes]
        return codes

    def print_output(self, expr: sympy.Expr, per_class: bool, matrix: bool = False) -> str:
        saved = self._class_indices, self._matrix
        self._class_indices = {_COMPONENT} if per_class and not matrix else set()
        self._matrix = matrix
        try:
            return self._print(expr)
        finally:
            self._class_indices, self._matrix = saved

    def _per_sample(self, code: str) -> str:
        if self._class_indices:
            return f"({code})[..., None]"
        return f"({code})[..., None, None]" if self._matrix else code

    def _print_Symbol(self, expr):
        if expr == _CLASSES:
            return "_K"
        if expr == _RANKED:  # one number per call, never per sample
            return "R"
        grid = self._print_matrix_Symbol(expr)
        if grid is not None:
            return grid
        name = super()._print_Symbol(expr)
        if expr.name not in self._arrays:
            return name
        return f"{name}[..., None]" if self._class_indices else self._per_sample(name)

    def _print_IndexedBase(self, expr):
        return str(expr.label)

    def _print_Indexed(self, expr):
        if len(expr.indices) == 2:
            return self._print_matrix_Indexed(expr)
        ranked = self._print_ranked_Indexed(expr)
        if ranked is not None:
            return ranked
        (index,) = expr.indices
        name = str(expr.base.label)
        if index in self._class_indices or self._in_matrix(index):
            return self._oriented(name, index)
        if self._target_index is not None and index == self._target_index:
            return self._per_sample(f"_take({name}, {index.name})")
        raise ValueError(f"cannot print {expr}: index {index} is not a class index")

    def _print_Sum(self, expr):
        body, index = expr.function, expr.limits[0][0]
        if not body.has(index):  # K copies of a term free of the index
            return self._per_sample(f"(_K * {self._print(body)})")
        outside = self._class_indices | ({_COMPONENT, _COLUMN} if self._matrix else set())
        others = sorted((i for i in outside if body.has(i)), key=str)
        if others:  # both would be read off the last axis: a diagonal, not the sum
            raise ValueError(
                f"cannot print {expr}: its terms depend on the index {others[0]} outside it"
            )
        saved = self._class_indices, self._matrix
        self._class_indices, self._matrix = saved[0] | {index}, False
        try:
            code = self._print(body)
        finally:
            self._class_indices, self._matrix = saved
        if expr.limits[0][2] == _RANKED - 1:  # the ranked positions only
            code = f"({code})[..., :R]"
        return self._per_sample(f"_row_sum({code})")

    def _print_KroneckerDelta(self, expr):
        identity = self._print_matrix_KroneckerDelta(expr)
        if identity is not None:
            return identity
        a, b = expr.args
        index = b if a in self._class_indices else a
        return f"_onehot({index.name}, _K, _dtype)"

    def _print_logsumexp(self, expr):
        return self._per_sample(f"scipy.special.logsumexp({self._print(expr.args[0])}, axis=-1)")

    def _print_logsumexp_over(self, expr):
        parts = self._mixture_parts(*expr.args, probabilities=False)
        return self._per_sample(f"({parts}[0] + {parts}[1])")

    def _print_responsibility(self, expr):
        f, k, index = expr.args
        probabilities = self._mixture_parts(f, k, probabilities=True) + "[2]"
        if index in self._class_indices or self._in_matrix(index):
            return self._oriented(probabilities, index)
        return self._per_sample(f"_take({probabilities}, {self._print(index)})")

    def _print_responsibility_complement(self, expr):
        f, k, index = expr.args
        parts = self._mixture_parts(f, k, probabilities=True)
        complement = f"_complement({parts}[2], {parts}[1])"
        if index in self._class_indices:
            return complement
        return self._per_sample(f"_take({complement}, {self._print(index)})")

    def _print_Mul(self, expr):
        ordered = self._print_matrix_Mul(expr)
        if ordered is not None:
            return ordered
        weights = [
            a for a in expr.args if isinstance(a, (F.responsibility, F.responsibility_complement))
        ]
        if not weights or len(weights) == len(expr.args):
            return super()._print_Mul(expr)
        rest = sympy.Mul(*(a for a in expr.args if a not in weights))
        return f"_weighted({self._print(sympy.Mul(*weights))}, {self._print(rest)})"

    def _mixture_parts(self, body: sympy.Expr, index: sympy.Symbol, probabilities: bool) -> str:
        """The name of the ``_softmax_parts`` of a per-component expression: its max, its
        log-sum-exp's excess and (if asked) its softmax, computed once per kernel (the
        expression is assigned to a name of ``self.bodies``)."""
        saved = self._class_indices
        self._class_indices = {index}
        try:  # in one canonical form, so that the loss's and the gradients' share one name:
            # products distributed (no factor 2 put in and taken out again), powers kept
            code = self._print(_distributed(body))
        finally:
            self._class_indices = saved
        name = self.bodies.setdefault(code, f"_mix{len(self.bodies)}")
        self.parts[name] = self.parts.get(name, False) or probabilities
        return f"_parts_{name}"

    def _part(self, z: sympy.Expr, k: int) -> str:
        name = self._print(z)
        self.parts[name] = self.parts.get(name, False) or k == 2
        return f"_parts_{name}[{k}]"

    def _print_amax(self, expr):
        return self._per_sample(self._part(expr.args[0], 0))

    def _print_lse_excess(self, expr):
        return self._per_sample(self._part(expr.args[0], 1))

    def _print_softmax(self, expr):
        z, index = expr.args
        probabilities = self._part(z, 2)
        if index in self._class_indices or self._in_matrix(index):
            return self._oriented(probabilities, index)
        return self._per_sample(f"_take({probabilities}, {self._print(index)})")

    def _print_replace_column(self, expr):
        values, index, column = expr.args
        saved = self._class_indices
        self._class_indices = set()
        try:
            at_target = self._print(column)
        finally:
            self._class_indices = saved
        code = self._print(values)
        if isinstance(values, (sympy.Indexed, sympy.Symbol)):
            code = f"numpy.array({code})"  # never write into an argument
        elif code.startswith("_parts_"):
            self.written.add(code)  # copied by copy_shared_writes if another entry reads it
        return f"_replace_column({code}, {index.name}, {at_target})"

    def _print_log_softmax(self, expr):
        return f"scipy.special.log_softmax({self._print(expr.args[0])}, axis=-1)"

    def _print_Max(self, expr):  # sympy's own prints functools.reduce, not imported here
        return self._nested("numpy.maximum", expr.args)

    def _print_Min(self, expr):
        return self._nested("numpy.minimum", expr.args)

    def _nested(self, function: str, args) -> str:
        code = self._print(args[0])
        for arg in args[1:]:
            code = f"{function}({code}, {self._print(arg)})"
        return code

    def _print_Float(self, expr):
        return repr(float(expr))

    def _print_NumberSymbol(self, expr):  # pi, E, EulerGamma, ...: only numpy is imported
        return repr(float(expr))

    _print_Pi = _print_Exp1 = _print_EulerGamma = _print_GoldenRatio = _print_NumberSymbol

    def _print_NamedBase(self, expr):
        template = type(expr).lowerings.get("numpy")
        if template is None and expr.primitives is not None:
            return self._print(expr.primitives(*expr.args))
        if template is None:
            raise ValueError(f"{expr.func} has no NumPy lowering")
        return template.format(*map(self._print, expr.args))

    def _print_UnevaluatedExpr(self, expr):
        return f"({self._print(expr.args[0])})"


# Every named function must be printable; fail at import, not at first compile.
assert all(
    hasattr(KernelPrinter, f"_print_{f.__name__}") or "numpy" in f.lowerings or f.primitives
    for f in F.NAMED
)


def _distributed(body: sympy.Expr) -> sympy.Expr:
    """``body`` with its numeric factors distributed over its terms and its powers of sums
    kept: (a + b)/2 is a/2 + b/2, ((y - mu) g)^2 stays a square."""
    return sympy.expand(
        sympy.factor_terms(body), mul=True, multinomial=False, power_exp=False,
        power_base=False, log=False, deep=False,
    )  # fmt: skip


__all__ = ["KernelPrinter"]
