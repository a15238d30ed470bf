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

import inspect
from dataclasses import dataclass

import sympy

from .constraints import Domain, real
from .links import Link

#: The point predictions a family may declare, and how a derivation words them.
PREDICTIONS = {
    "mean": "the mean",
    "median": "the median",
    "mode": "the mode (the most probable value)",
    "quantile": "the quantile at the model's level",
}

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
    if domain.sums_to_one:
        return {"nonnegative": True}
    if domain.event:
        return domain_assumptions(domain.entries)
    if domain.integer:
        return {"integer": True, "nonnegative": True} if domain.lower >= 0 else {"integer": True}
    if domain.lower > 0 or (domain.lower == 0 and domain.lower_open):
        return {"positive": True}
    if domain.lower >= 0:
        return {"nonnegative": True}
    return {"real": True}


def check_declaration(cls: type) -> None:
    """Refuse a family whose parameters, raw outputs and target do not have distinct names,
    whose ``log_density`` and ``point_prediction`` do not take the declared parameters by
    name, or whose ``prediction`` is not one of :data:`PREDICTIONS`."""
    if not isinstance(cls.target, Target):
        raise TypeError(f"{cls.__name__}.target: expected a Target, got {cls.target!r}")
    for p in cls.parameters:
        if not isinstance(p, Parameter):
            raise TypeError(f"{cls.__name__}.parameters: expected Parameter entries, got {p!r}")
    if cls.prediction not in PREDICTIONS:
        raise ValueError(
            f"{cls.__name__}.prediction: expected one of {', '.join(PREDICTIONS)}, "
            f"got {cls.prediction!r}"
        )
    _check_names(cls)
    for method in ("log_density", "point_prediction"):
        _check_signature(cls, method)


def _check_names(cls: type) -> None:
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


def _check_signature(cls: type, method: str) -> None:
    """``method(self, y, **params)`` must accept every declared parameter by name, and no
    other required argument."""
    function = getattr(cls, method)
    if getattr(function, "__qualname__", "").startswith("NoiseModel."):
        return  # not declared (yet): refused when it is called
    arguments = list(inspect.signature(function).parameters.values())[1:]
    if method == "log_density":
        arguments = arguments[1:]  # the target, under any name
    if any(a.kind is a.VAR_KEYWORD for a in arguments):
        return
    declared = [p.name for p in cls.parameters]
    taken = [a.name for a in arguments if a.kind in (a.POSITIONAL_OR_KEYWORD, a.KEYWORD_ONLY)]
    missing = [n for n in declared if n not in taken]
    extra = [a.name for a in arguments if a.name not in declared and a.default is a.empty]
    if missing or extra:
        what = f"takes no {missing[0]!r}" if missing else f"asks for {extra[0]!r}"
        raise TypeError(
            f"{cls.__name__}.{method} {what}; it must take the target and the declared "
            f"parameters by name: {', '.join(declared)}"
        )


__all__ = [
    "PREDICTIONS",
    "FIXED",
    "Target",
    "Parameter",
    "Choice",
    "check_identifier",
    "check_declaration",
    "domain_assumptions",
]
