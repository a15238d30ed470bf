"""Domains of targets and parameters, declared as data.

A :class:`Domain` is an interval of the real line, optionally restricted to integers. It is
purely declarative: the engine in :mod:`derivation` reads the bounds to build sympy assumptions
and to check numeric input; nothing here evaluates arrays.

The singletons below cover the supports and parameter domains of the built-in families
(numpyro and ``torch.distributions`` call these *constraints*):

>>> from likelihoods.constraints import positive, unit_interval
>>> positive.describe()
'(0, inf)'
>>> unit_interval.contains_interval(0.0, 1.0)
True
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Domain:
    """A real interval ``lower .. upper``, open or closed at each end, optionally integer-valued.

    ``name`` is how the domain is referred to in messages and listings (``"positive"``).
    ``period`` marks a circular domain (angles): values are still checked against the interval.
    ``event`` marks a vector over a trailing axis of K components (K known only at call time)
    whose entries lie in the interval; ``sums_to_one`` adds that they sum to 1 (the
    probability simplex). ``matrix`` marks a lower-triangular K x K matrix over the last two
    axes (zero above the diagonal), its strictly lower entries in the interval and its
    diagonal too, or in (0, inf) if ``positive_diagonal`` (a Cholesky factor).
    ``permutation`` marks rows of item indices holding each of 0, ..., K - 1 once (a ranking,
    best first).
    """

    name: str
    lower: float = -math.inf
    upper: float = math.inf
    lower_open: bool = True
    upper_open: bool = True
    integer: bool = False
    period: float | None = None
    event: bool = False
    sums_to_one: bool = False
    matrix: bool = False
    positive_diagonal: bool = False
    permutation: bool = False

    def describe(self) -> str:
        """The domain in interval notation, e.g. ``'[0, 1]'`` or ``'{0, 1, 2, ...}'``."""
        if self.permutation:
            return "permutations of 0, ..., K - 1 over the last axis (item indices, best first)"
        if self.sums_to_one:
            return "probability vectors (entries in [0, 1] summing to 1 over the last axis)"
        if self.matrix:
            diagonal = ", with a positive diagonal" if self.positive_diagonal else ""
            lower = "lower-triangular matrices over the last two axes (zero above the diagonal)"
            return lower + diagonal
        if self.event:
            return f"vectors over the last axis with entries in {self.entries.describe()}"
        left = "(" if self.lower_open or math.isinf(self.lower) else "["
        right = ")" if self.upper_open or math.isinf(self.upper) else "]"
        text = f"{left}{_fmt(self.lower)}, {_fmt(self.upper)}{right}"
        if self.integer:
            if math.isinf(self.lower):
                if math.isinf(self.upper):
                    return "{..., -1, 0, 1, ...}"
                last = math.ceil(self.upper) - (1 if self.upper_open else 0)
                return f"{{..., {last - 2}, {last - 1}, {last}}}"
            first = math.floor(self.lower) + (1 if self.lower_open else 0)
            if math.isinf(self.upper):
                return f"{{{first}, {first + 1}, {first + 2}, ...}}"
            last = math.ceil(self.upper) - (1 if self.upper_open else 0)
            if last - first < 3:
                return "{" + ", ".join(str(k) for k in range(first, last + 1)) + "}"
            return f"{{{first}, {first + 1}, ..., {last}}}"
        return text

    def contains_interval(self, low: float, high: float) -> bool:
        """Whether the open interval (low, high) lies inside this domain (used to vet links)."""
        if self.integer or self.event:
            return False
        return self.lower <= low and high <= self.upper

    @property
    def entries(self) -> Domain:
        """The domain of one entry of a vector domain (the domain itself if scalar)."""
        return dataclasses.replace(
            self,
            name=f"{self.name} entries",
            event=False,
            sums_to_one=False,
            matrix=False,
            positive_diagonal=False,
            permutation=False,
        )

    @property
    def diagonal(self) -> Domain:
        """The domain of a diagonal entry of a matrix domain (of an entry otherwise)."""
        if self.positive_diagonal:
            return dataclasses.replace(positive, name=f"{self.name} diagonal entries")
        return self.entries

    @property
    def is_real_line(self) -> bool:
        return math.isinf(self.lower) and math.isinf(self.upper) and not self.integer


def _fmt(value: float) -> str:
    if math.isinf(value):
        return "-inf" if value < 0 else "inf"
    if value == math.pi:
        return "pi"
    if value == -math.pi:
        return "-pi"
    return f"{value:g}"


real = Domain("real")
positive = Domain("positive", lower=0.0)
nonnegative = Domain("nonnegative", lower=0.0, lower_open=False)
unit_interval = Domain("unit_interval", lower=0.0, upper=1.0, lower_open=False, upper_open=False)
#: Proportions strictly between 0 and 1 (the support of a beta distribution).
open_unit_interval = Domain("open_unit_interval", lower=0.0, upper=1.0)
binary = Domain("binary", lower=0.0, upper=1.0, lower_open=False, upper_open=False, integer=True)
nonnegative_integer = Domain("nonnegative_integer", lower=0.0, lower_open=False, integer=True)
# Angles: both ends closed so that float(-pi) and float(pi) are accepted alike.
circular = Domain(
    "circular",
    lower=-math.pi,
    upper=math.pi,
    lower_open=False,
    upper_open=False,
    period=2 * math.pi,
)
#: Probability vectors over the last axis: the parameter of a categorical distribution, and a
#: class label written as a one-hot (or soft) row.
simplex = Domain(
    "simplex",
    lower=0.0,
    upper=1.0,
    lower_open=False,
    upper_open=False,
    event=True,
    sums_to_one=True,
)
#: Vectors over the last axis of any real entries (the component means of a mixture).
real_vector = Domain("real_vector", event=True)
#: Vectors over the last axis of positive entries (the component scales of a mixture).
positive_vector = Domain("positive_vector", lower=0.0, event=True)

#: Lower-triangular matrices of real entries (the raw output a Cholesky factor is predicted
#: from).
lower_triangular = Domain("lower_triangular", event=True, matrix=True)
#: Lower-triangular matrices with a positive diagonal: Cholesky factors L of covariance
#: matrices L L^T.
cholesky_factor = Domain("cholesky_factor", event=True, matrix=True, positive_diagonal=True)
#: Rankings of K items: each row a permutation of the item indices 0, ..., K - 1, best first.
permutation = Domain(
    "permutation", 0.0, lower_open=False, integer=True, event=True, permutation=True
)

__all__ = [
    "Domain",
    "real",
    "positive",
    "nonnegative",
    "unit_interval",
    "open_unit_interval",
    "binary",
    "nonnegative_integer",
    "circular",
    "simplex",
    "real_vector",
    "positive_vector",
    "lower_triangular",
    "cholesky_factor",
    "permutation",
]
