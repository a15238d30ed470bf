"""The parts a noise model is declared with: its :class:`Target`, its :class:`Parameter` s, and
how a model instance treats each parameter (:class:`Choice`), with the checks a declaration
passes where it is made.

>>> from likelihoods.declaration import Parameter
>>> from likelihoods.constraints import positive
>>> Parameter("sigma", positive, default="log").raw_name
'eta_sigma'
>>> Parameter("2x", positive)
Traceback (most recent call last):
...
ValueError: Parameter name: expected a Python identifier, got '2x'
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from .constraints import Domain, real
from .links import Link

#: Keyword value that fixes a parameter to its own (symbolic) value.
FIXED = "fixed"


def check_identifier(name: object, what: str) -> None:
    """Refuse a name that is not an identifier. (Keywords such as ``lambda`` are identifiers:
    generated code renames what it cannot use as it is.)"""
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"{what}: expected a Python identifier, got {name!r}")


@dataclass(frozen=True)
class Target:
    """The observed variable: its symbol name and its support."""

    name: str = "y"
    support: Domain = real

    def __post_init__(self) -> None:
        check_identifier(self.name, "Target name")


@dataclass(frozen=True)
class Parameter:
    """A distribution parameter.

    ``default`` is a link name (predicted by default), ``"fixed"`` (held at its symbol), or a
    number (held at that value). ``raw`` names the raw model output that predicts it through a
    non-identity link; it defaults to ``eta_<name>`` (printed as a subscripted eta).
    """

    name: str
    domain: Domain
    default: str | float = FIXED
    raw: str | None = None
    description: str = ""
    #: Where the numerical contract holds when it is narrower than the domain: the largest
    #: magnitude of the parameter (von Mises' concentration: up to 1e5); the tests sweep it.
    largest: float | None = None

    def __post_init__(self) -> None:
        check_identifier(self.name, "Parameter name")
        if self.raw is not None:
            check_identifier(self.raw, f"Parameter {self.name!r}: raw")

    @property
    def raw_name(self) -> str:
        return self.raw or f"eta_{self.name}"


@dataclass(frozen=True)
class Choice:
    """How one parameter is treated in a model instance: predicted through ``link``, or fixed
    to ``value`` (a sympy number or symbol)."""

    parameter: Parameter
    link: Link | None = None
    value: sympy.Expr | None = None

    @property
    def predicted(self) -> bool:
        return self.link is not None


def domain_assumptions(domain: Domain) -> dict[str, bool]:
    """Sympy assumptions implied by a domain (used for every symbol a model creates)."""
    if domain.event:
        return {"real": True}
    if domain.integer:
        return {"integer": True, "nonnegative": True} if domain.lower >= 0 else {"integer": True}
    if domain.lower > 0 or (domain.lower == 0 and domain.lower_open):
        return {"positive": True}
    if domain.lower >= 0:
        return {"nonnegative": True}
    return {"real": True}


def check_declaration(cls: type) -> None:
    """Refuse a family whose parameters, raw outputs and target do not have distinct names."""
    names = [cls.target.name]
    for p in cls.parameters:
        names.append(p.name)
        if p.raw is not None and p.raw != p.name:
            names.append(p.raw)
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(
            f"{cls.__name__}: the target, parameters and raw outputs need distinct names; "
            f"{repeated[0]!r} is used twice"
        )


__all__ = [
    "FIXED",
    "Target",
    "Parameter",
    "Choice",
    "check_identifier",
    "check_declaration",
    "domain_assumptions",
]
