"""Noise models: declare what you believe about your target; :mod:`derivation` does the rest.

>>> import likelihoods as lk
>>> sorted(lk.REGISTRY)[:3]
['Bernoulli', 'Categorical', 'Gaussian']
>>> lk.Gaussian(sigma=2.0)
Gaussian(mu='identity', sigma=2.0)
"""

from . import constraints
from .base import FIXED, REGISTRY, Choice, NoiseModel, Parameter, Target, register
from .bernoulli import Bernoulli
from .categorical import Categorical
from .gaussian import Gaussian
from .heteroscedastic_gaussian import HeteroscedasticGaussian
from .laplace import Laplace
from .links import CLASS_INDEX, CLASSES, COMPONENT, DEFAULT_LINK, LINKS, OTHER_INDEX, Link
from .poisson import Poisson
from .von_mises import VonMises

#: The families the command-line overview walks through first.
TOUR = ("Gaussian", "Bernoulli", "Categorical")

__all__ = [
    "constraints",
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
    "Bernoulli",
    "Categorical",
    "Gaussian",
    "HeteroscedasticGaussian",
    "Laplace",
    "Poisson",
    "VonMises",
    "TOUR",
]
