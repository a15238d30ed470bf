"""Links: how a raw, unconstrained model output becomes a valid distribution parameter.

Step 2 of the recipe. A link is named after the function that maps a parameter to the raw
output (``log``, ``logit``), as in GLMs and scikit-learn's ``sklearn._loss.link``; what the
engine substitutes into the density is its *inverse*, the parameter as a function of the raw
output. Each link states the image of that inverse, so a link can be paired only with a
parameter whose domain contains it.

>>> import sympy
>>> eta = sympy.Symbol("eta", real=True)
>>> LINKS["log"].inverse(eta)
exp(eta)
>>> LINKS["logit"].inverse(eta)
exp(eta)/(exp(eta) + 1)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import sympy

from .constraints import (
    Domain,
    cholesky_factor,
    nonnegative,
    open_unit_interval,
    positive,
    positive_vector,
    real,
    real_vector,
    simplex,
    unit_interval,
)


@dataclass(frozen=True)
class Link:
    """A link function ``g`` with ``parameter = inverse(raw)``.

    ``image`` is the open interval the inverse maps the real line onto; ``None`` for the
    identity, whose raw output must itself lie in the parameter's domain.

    A link on the probability simplex (``event=True``) maps a vector of K raw outputs to K
    probabilities; its ``inverse(raw, k)`` is component ``k``, with ``raw`` a sympy
    ``IndexedBase`` of length :data:`CLASSES`. ``two_classes(u)`` writes the K = 2 case with a
    single free raw output ``u``.

    A link onto lower-triangular factors (``matrix=True``) keeps the strictly lower triangle
    of its raw output as it is and maps the diagonal through the scalar ``diagonal``; its
    ``inverse(raw, a, b)`` is entry (a, b) for a >= b. If ``raw_vector``, the raw output is
    the diagonal alone (a vector) and the factor is diagonal.
    """

    name: str
    inverse: Callable[..., sympy.Expr]
    image: tuple[float, float] | None
    formula: str
    event: bool = False
    two_classes: Callable[[sympy.Expr], tuple[sympy.Expr, sympy.Expr]] | None = None
    two_classes_note: str = ""
    matrix: bool = False
    diagonal: Callable[[sympy.Expr], sympy.Expr] | None = None
    raw_vector: bool = False
    raw_name: str = ""  # the raw output's name, if the link reads one of its own kind

    def fits(self, domain: Domain) -> bool:
        """Whether every value of the inverse link lies in ``domain`` (for a vector domain: the
        simplex takes the identity and links over the whole vector, any other vector the
        elementwise links that fit one entry)."""
        if self.matrix or domain.matrix:
            return domain.matrix and (self.matrix or self.name == "identity")
        if self.event or domain.sums_to_one:
            return domain.sums_to_one and (self.event or self.name == "identity")
        if domain.event:
            return self.fits(domain.entries)
        return self.image is None or domain.contains_interval(*self.image)


#: The number of classes of an event axis: symbolic, known only when a callable is called.
CLASSES = sympy.Symbol("K", integer=True, positive=True)
#: The summation index over classes (bound) and the component index of a gradient (free).
CLASS_INDEX = sympy.Symbol("k", integer=True, nonnegative=True)
COMPONENT = sympy.Symbol("i", integer=True, nonnegative=True)
OTHER_INDEX = sympy.Symbol("j", integer=True, nonnegative=True)


#: The number of ranked positions of a ranking (R <= K: the top R of K items), known only
#: when a callable is called.
RANKED = sympy.Symbol("R", integer=True, positive=True)


class PermutationBase(sympy.IndexedBase):
    """The symbol of a vector holding each of the items 0, ..., K - 1 once (a ranking)."""


#: The column index of a gradient with respect to a matrix (the row is ``COMPONENT``).
COLUMN = sympy.Symbol("l", integer=True, nonnegative=True)


def _softmax(raw: sympy.IndexedBase, k: sympy.Expr) -> sympy.Expr:
    return sympy.exp(raw[k]) / sympy.Sum(sympy.exp(raw[OTHER_INDEX]), (OTHER_INDEX, 0, CLASSES - 1))


def _lower_entry(diagonal, raw_vector):
    """Entry (a, b), a >= b, of the factor with ``diagonal`` on its diagonal and the raw
    strictly lower triangle (none for a raw diagonal vector) below it."""

    def entry(raw, a, b):
        on_diagonal = diagonal(raw[a] if raw_vector else raw[a, a])
        if a == b:
            return on_diagonal
        below = sympy.Integer(0) if raw_vector else raw[a, b]
        return sympy.Piecewise((on_diagonal, sympy.Eq(a, b)), (below, True))

    return entry


LINKS: dict[str, Link] = {
    link.name: link
    for link in (
        Link(
            "identity",
            lambda raw: raw,
            None,
            "theta = eta",
            two_classes=lambda q: (1 - q, q),
            two_classes_note="the probabilities are (1 - u, u)",
        ),
        Link("log", sympy.exp, (0.0, math.inf), "theta = exp(eta)"),
        # The logistic sigmoid, written as e^x / (1 + e^x) so that log(p) and log(1 - p)
        # expand to x - log(1 + e^x) and -log(1 + e^x) without further rewriting.
        Link(
            "logit",
            lambda raw: sympy.exp(raw) / (1 + sympy.exp(raw)),
            (0.0, 1.0),
            "theta = exp(eta) / (1 + exp(eta))",
        ),
        Link(
            "softplus",
            lambda raw: sympy.log(1 + sympy.exp(raw)),
            (0.0, math.inf),
            "theta = log(1 + exp(eta))",
        ),
        Link(
            "softmax",
            _softmax,
            None,
            "theta_k = exp(eta_k) / sum_j exp(eta_j)  (vectors over the last axis)",
            event=True,
            # Softmax ignores a common shift of its inputs: with K = 2 fix eta_0 = 0.
            two_classes=lambda u: (sympy.Integer(0), u),
            two_classes_note="u = eta_1 - eta_0 (softmax ignores a common shift of its inputs)",
        ),
        Link(
            "log_diagonal",
            _lower_entry(sympy.exp, raw_vector=False),
            None,
            "L_ab = eta_ab below the diagonal, L_aa = exp(eta_aa)  (lower-triangular factors)",
            matrix=True,
            diagonal=sympy.exp,
        ),
        Link(
            "diagonal_log",
            _lower_entry(sympy.exp, raw_vector=True),
            None,
            "L = diag(exp(eta))  (a diagonal factor from a vector eta)",
            matrix=True,
            diagonal=sympy.exp,
            raw_vector=True,
            raw_name="log_scale",
        ),
    )
}

#: The link each domain gets when a parameter is predicted without naming one, the way
#: ``torch.distributions.biject_to`` maps a constraint to its unconstrained transform.
DEFAULT_LINK: dict[str, str] = {
    real.name: "identity",
    positive.name: "log",
    nonnegative.name: "log",
    unit_interval.name: "logit",
    open_unit_interval.name: "logit",
    simplex.name: "softmax",
    real_vector.name: "identity",
    positive_vector.name: "log",
    cholesky_factor.name: "log_diagonal",
}

__all__ = [
    "Link",
    "LINKS",
    "DEFAULT_LINK",
    "CLASSES",
    "CLASS_INDEX",
    "COMPONENT",
    "OTHER_INDEX",
    "COLUMN",
    "PermutationBase",
    "RANKED",
]
