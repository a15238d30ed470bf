"""The declarative base of every noise model (step 1 of the recipe) and the family registry.

A noise model is a small class that states four things and computes nothing:

* ``target``: the name of the observed variable and its support (a :class:`Domain`);
* ``parameters``: each distribution parameter with its domain and its default treatment
  (predicted through a named link, or held fixed);
* ``log_density(y, **params)``: log p(y | params) as a sympy expression, written directly as a
  log-density (never as the log of a computed pdf);
* ``prediction`` and ``point_prediction(**params)``: which summary of the distribution is the
  point prediction (``"mean"``, ``"median"``, ``"mode"``) and its value.

Which parameters the network predicts is chosen per keyword, the same way for every family:
a link name predicts the parameter through that link, a number or a sympy expression fixes
it, the string ``"fixed"`` fixes it to its own symbol, and an omitted keyword takes the
family's default.

Declaring a family of your own takes a log-density and a few lines of metadata:

>>> import sympy
>>> from likelihoods import NoiseModel, Parameter, Target, constraints
>>> class Cauchy(NoiseModel):
...     target = Target("y", constraints.real)
...     parameters = (
...         Parameter("mu", constraints.real, default="identity"),
...         Parameter("gamma", constraints.positive, default="fixed"),
...     )
...     prediction = "median"
...     def log_density(self, y, mu, gamma):
...         return -sympy.log(sympy.pi * gamma * (1 + ((y - mu) / gamma) ** 2))
...     def point_prediction(self, mu, gamma):
...         return mu
>>> Cauchy(gamma=2.0).predicted
('mu',)
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping
from typing import ClassVar

import sympy

from .constraints import Domain
from .declaration import (
    FIXED,
    Choice,
    Parameter,
    Target,
    check_declaration,
    check_identifier,
    domain_assumptions,
)
from .links import CLASSES, DEFAULT_LINK, LINKS, PermutationBase


class NoiseModel:
    """Base class of all noise models; see the module docstring for what a subclass declares.

    Instances are immutable, hashable and compare equal when they are the same family with the
    same choices, so derivations of equal models are shared.
    """

    target: ClassVar[Target] = Target()
    parameters: ClassVar[tuple[Parameter, ...]] = ()
    prediction: ClassVar[str] = "mode"
    #: The ``scipy.stats`` distribution the family is: its name and a function from the
    #: parameter values to its keyword arguments; for a family scipy does not have, a
    #: function ``(y, **params) -> log p`` written with numpy and scipy. The tests compare
    #: with it.
    scipy_reference: ClassVar[tuple[str, Callable[..., dict]] | Callable | None] = None

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        check_declaration(cls)

    def __init__(self, **choices: str | float | sympy.Expr) -> None:
        names = [p.name for p in self.parameters]
        unknown = sorted(set(choices) - set(names))
        if unknown:
            raise ValueError(
                f"{type(self).__name__} has no parameter {unknown[0]!r}; "
                f"its parameters are {', '.join(names)}"
            )
        self._choices = tuple(
            self._resolve(p, choices.get(p.name, p.default)) for p in self.parameters
        )
        if not self.predicted:
            raise ValueError(
                f"{type(self).__name__}: every parameter is fixed, so the model predicts "
                f"nothing; give at least one of {', '.join(names)} a link name"
            )

    # --- to be declared by subclasses -------------------------------------------------
    def log_density(self, y: sympy.Expr, **params: sympy.Expr) -> sympy.Expr:
        """log p(y | params) as a sympy expression."""
        raise NotImplementedError(f"{type(self).__name__} does not declare log_density")

    def point_prediction(self, **params: sympy.Expr) -> sympy.Expr:
        """The point prediction (``self.prediction``) in terms of the parameters."""
        raise NotImplementedError(f"{type(self).__name__} does not declare point_prediction")

    # --- resolved choices ---------------------------------------------------------------
    def _resolve(self, parameter: Parameter, choice: object) -> Choice:
        where = f"{type(self).__name__}({parameter.name}=...)"
        if parameter.domain.matrix and not isinstance(choice, (str, numbers.Real)):
            raise ValueError(
                f"{where}: a matrix parameter is predicted through a link or fixed to a "
                f"number c (the factor c I), got {choice!r}"
            )
        if isinstance(choice, str):
            if choice == FIXED and parameter.domain.matrix:
                raise ValueError(
                    f"{where}: a matrix parameter cannot be left symbolic; fix it to a number c "
                    "(the factor c I) or predict it through a link"
                )
            if choice == FIXED:
                return Choice(parameter, value=self.parameter_symbol(parameter.name))
            if choice == "default":
                choice = DEFAULT_LINK.get(parameter.domain.name, "identity")
            link = LINKS.get(choice)
            if link is None:
                raise ValueError(
                    f"{where}: unknown link {choice!r}; expected one of "
                    f"{', '.join(LINKS)}, 'fixed', or a number"
                )
            if not link.fits(parameter.domain):
                fitting = [n for n, candidate in LINKS.items() if candidate.fits(parameter.domain)]
                raise ValueError(
                    f"{where}: the {choice!r} link does not fit {parameter.name}, whose domain "
                    f"is {parameter.domain.describe()}; links that fit: {', '.join(fitting)}"
                )
            return Choice(parameter, link=link)
        if isinstance(choice, numbers.Real) and not isinstance(choice, bool):
            if not _inside(parameter.domain, float(choice)):
                raise ValueError(
                    f"{where}: expected a value in {parameter.domain.describe()}, got {choice!r}"
                )
            number = float(choice)
            value = sympy.Integer(int(number)) if number.is_integer() else sympy.Float(number)
            return Choice(parameter, value=value)
        if isinstance(choice, sympy.Expr):
            return Choice(parameter, value=choice)
        raise ValueError(
            f"{where}: expected a link name ({', '.join(LINKS)}), 'fixed', a number or a "
            f"sympy expression, got {choice!r}"
        )

    @property
    def choices(self) -> Mapping[str, Choice]:
        """Parameter name -> :class:`Choice`, in declaration order."""
        return {c.parameter.name: c for c in self._choices}

    @property
    def predicted(self) -> tuple[str, ...]:
        """Names of the predicted parameters, in positional order."""
        return tuple(c.parameter.name for c in self._choices if c.predicted)

    @property
    def name(self) -> str:
        return type(self).__name__

    def parameter_symbol(self, name: str) -> sympy.Symbol | sympy.IndexedBase:
        """The symbol of parameter ``name``, with the assumptions of its domain (an
        ``IndexedBase`` of length K for a vector parameter)."""
        parameter = next(p for p in self.parameters if p.name == name)
        return _symbol(name, parameter.domain)

    def target_symbol(self) -> sympy.Symbol | sympy.IndexedBase:
        return _symbol(self.target.name, self.target.support)

    def raw_symbol(self, name: str) -> sympy.Symbol:
        """The raw model output that predicts parameter ``name``.

        Under the identity link the raw output is the parameter itself; under any other link
        it is an unconstrained real symbol named by ``Parameter.raw_name``.
        """
        choice = self.choices[name]
        if choice.link is None:
            raise ValueError(f"{self.name}: parameter {name!r} is fixed, not predicted")
        if choice.link.name == "identity":
            return self.parameter_symbol(name)
        domain, link = choice.parameter.domain, choice.link
        raw_name = link.raw_name or choice.parameter.raw_name
        if domain.matrix and not link.raw_vector:
            return sympy.IndexedBase(raw_name, shape=(CLASSES, CLASSES), real=True)
        if domain.event:
            return sympy.IndexedBase(raw_name, shape=(CLASSES,), real=True)
        return sympy.Symbol(raw_name, real=True)

    # --- identity -----------------------------------------------------------------------
    @property
    def key(self) -> tuple:
        spec = tuple(
            (c.parameter.name, c.link.name if c.link else None, c.value) for c in self._choices
        )
        return (type(self), spec)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, NoiseModel) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        parts = []
        for c in self._choices:
            if c.predicted:
                parts.append(f"{c.parameter.name}={c.link.name!r}")
            elif c.value == self.parameter_symbol(c.parameter.name):
                parts.append(f"{c.parameter.name}={FIXED!r}")
            elif c.value.is_Number:
                parts.append(f"{c.parameter.name}={float(c.value)!r}")
            else:
                parts.append(f"{c.parameter.name}={c.value}")
        return f"{self.name}({', '.join(parts)})"

    def __reduce__(self):
        spec = {}
        for c in self._choices:
            spec[c.parameter.name] = c.link.name if c.link else c.value
        return (_rebuild, (type(self), spec))


def _symbol(name: str, domain: Domain) -> sympy.Symbol | sympy.IndexedBase:
    if domain.permutation:
        return PermutationBase(name, shape=(CLASSES,), integer=True, nonnegative=True)
    if domain.matrix:
        return sympy.IndexedBase(name, shape=(CLASSES, CLASSES), **domain_assumptions(domain))
    if domain.event:
        return sympy.IndexedBase(name, shape=(CLASSES,), **domain_assumptions(domain))
    return sympy.Symbol(name, **domain_assumptions(domain))


def _rebuild(cls: type[NoiseModel], spec: dict) -> NoiseModel:
    return cls(**spec)


def _inside(domain: Domain, value: float) -> bool:
    if value != value:  # NaN
        return False
    if domain.matrix:  # a number c for a matrix stands for c times the identity
        return _inside(domain.diagonal, value)
    above = value > domain.lower or (value == domain.lower and not domain.lower_open)
    below = value < domain.upper or (value == domain.upper and not domain.upper_open)
    return above and below and (not domain.integer or float(value).is_integer())


#: Every built-in family by name (any ``NoiseModel`` subclass declared in a module of this
#: package, found when the package is imported); the CLI, the docs and the tests read it.
REGISTRY: dict[str, type[NoiseModel]] = {}


def register(cls: type[NoiseModel]) -> type[NoiseModel]:
    """Class decorator adding a family to :data:`REGISTRY` under its class name (built-in
    families are registered by being defined in a module of this package, when the package is
    imported; a family of your own may be added with it)."""
    REGISTRY[cls.__name__] = cls
    return cls


__all__ = [
    "FIXED",
    "Target",
    "Parameter",
    "Choice",
    "NoiseModel",
    "REGISTRY",
    "register",
    "domain_assumptions",
    "check_identifier",
]
