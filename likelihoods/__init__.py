"""Noise models: declare what you believe about your target; :mod:`derivation` does the rest.

Every module of this package is imported here, and every :class:`NoiseModel` subclass it
declares is registered under its class name and exported: a new family is one new file.

>>> import likelihoods as lk
>>> "Gaussian" in lk.REGISTRY and lk.REGISTRY["Gaussian"] is lk.Gaussian
True
>>> lk.Gaussian(sigma=2.0)
Gaussian(mu='identity', sigma=2.0)
"""

import importlib as _importlib
import pkgutil as _pkgutil

from . import constraints, sampling
from .base import FIXED, REGISTRY, Choice, NoiseModel, Parameter, Target, register
from .links import (
    CLASS_INDEX,
    CLASSES,
    COLUMN,
    COMPONENT,
    DEFAULT_LINK,
    LINKS,
    OTHER_INDEX,
    RANKED,
    Link,
    PermutationBase,
)

for _info in _pkgutil.iter_modules(__path__):
    _module = _importlib.import_module(f"{__name__}.{_info.name}")
    for _value in list(vars(_module).values()):  # the families the module itself defines
        if (
            isinstance(_value, type)
            and issubclass(_value, NoiseModel)
            and _value is not NoiseModel
            and _value.__module__ == _module.__name__
        ):
            register(_value)
globals().update(REGISTRY)
from .mixture import Mixture  # noqa: E402  (a family of families: not in the registry)

#: The families the command-line overview walks through first.
TOUR = ("Gaussian", "Bernoulli", "Categorical")

__all__ = [
    "constraints",
    "sampling",
    "FIXED",
    "REGISTRY",
    "Choice",
    "NoiseModel",
    "Parameter",
    "Target",
    "register",
    "LINKS",
    "DEFAULT_LINK",
    "Link",
    "CLASSES",
    "CLASS_INDEX",
    "COMPONENT",
    "OTHER_INDEX",
    "COLUMN",
    "PermutationBase",
    "RANKED",
    "TOUR",
    "Mixture",
    *REGISTRY,
]
