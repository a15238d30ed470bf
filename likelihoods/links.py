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

from .constraints import Domain, nonnegative, positive, real, unit_interval


@dataclass(frozen=True)
class Link:
    """A link function ``g`` with ``parameter = inverse(raw)``.

    ``image`` is the open interval the inverse maps the real line onto; ``None`` for the
    identity, whose raw output must itself lie in the parameter's domain.
    """

    name: str
    inverse: Callable[[sympy.Expr], sympy.Expr]
    image: tuple[float, float] | None
    formula: str

    def fits(self, domain: Domain) -> bool:
        """Whether every value of the inverse link lies in ``domain``."""
        return self.image is None or domain.contains_interval(*self.image)


LINKS: dict[str, Link] = {
    link.name: link
    for link in (
        Link("identity", lambda raw: raw, None, "theta = eta"),
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
    )
}

#: The link each domain gets when a parameter is predicted without naming one, the way
#: ``torch.distributions.biject_to`` maps a constraint to its unconstrained transform.
DEFAULT_LINK: dict[str, str] = {
    real.name: "identity",
    positive.name: "log",
    nonnegative.name: "log",
    unit_interval.name: "logit",
}

__all__ = ["Link", "LINKS", "DEFAULT_LINK"]
