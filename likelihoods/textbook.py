"""Losses that have a textbook name, as expressions in a generic target ``t`` and raw outputs
``u``, ``v``. The engine names a derived loss by comparing it with these expressions (after
renaming its symbols), never by the family it came from.

>>> [entry.name for entry in TEXTBOOK_LOSSES][:2]
['mean squared error', 'mean absolute error']
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import sympy

from .links import CLASS_INDEX, CLASSES, OTHER_INDEX


@dataclass(frozen=True)
class NamedLoss:
    """A textbook loss: its name, its usual library spelling and its expression."""

    name: str
    also: str
    expression: Callable[..., sympy.Expr]  # of (t, u) or (t, u, v)
    vector: bool = False  # t and u are vectors over classes (sympy IndexedBase)

    @property
    def arity(self) -> int:
        return self.expression.__code__.co_argcount - 1


def _softplus(x):
    return sympy.log(1 + sympy.exp(x))


def _over_classes(f):
    k = CLASS_INDEX
    return sympy.Sum(f(k), (k, 0, CLASSES - 1))


def _logsumexp(u):
    j = OTHER_INDEX
    return sympy.log(sympy.Sum(sympy.exp(u[j]), (j, 0, CLASSES - 1)))


#: Fixed parameters a textbook loss is written with, named as the families name them.
_TAU = sympy.Symbol("tau", positive=True)
_DELTA = sympy.Symbol("delta", positive=True)


def _pinball(t, u):
    return sympy.Piecewise((_TAU * (t - u), t - u >= 0), ((_TAU - 1) * (t - u), True))


def _huber(t, u):
    r = sympy.Abs(t - u)
    return sympy.Piecewise((r**2 / 2, r <= _DELTA), (_DELTA * (r - _DELTA / 2), True))


TEXTBOOK_LOSSES: tuple[NamedLoss, ...] = (
    NamedLoss("mean squared error", "torch.nn.MSELoss", lambda t, u: (t - u) ** 2),
    NamedLoss("mean absolute error", "torch.nn.L1Loss", lambda t, u: sympy.Abs(t - u)),
    NamedLoss(
        "binary cross-entropy with logits",
        "torch.nn.BCEWithLogitsLoss",
        lambda t, u: _softplus(u) - t * u,
    ),
    NamedLoss(
        "binary cross-entropy",
        "torch.nn.BCELoss",
        lambda t, u: -t * sympy.log(u) - (1 - t) * sympy.log(1 - u),
    ),
    NamedLoss(
        "Poisson negative log-likelihood (log input)",
        "torch.nn.PoissonNLLLoss(log_input=True)",
        lambda t, u: sympy.exp(u) - t * u,
    ),
    NamedLoss(
        "Poisson negative log-likelihood",
        "torch.nn.PoissonNLLLoss(log_input=False)",
        lambda t, u: u - t * sympy.log(u),
    ),
    NamedLoss(
        "cross-entropy with logits",
        "torch.nn.CrossEntropyLoss",
        lambda t, u: _logsumexp(u) - _over_classes(lambda k: t[k] * u[k]),
        vector=True,
    ),
    NamedLoss(
        "cross-entropy",
        "torch.nn.NLLLoss on log-probabilities",
        lambda t, u: -_over_classes(lambda k: t[k] * sympy.log(u[k])),
        vector=True,
    ),
    NamedLoss(
        "summed squared error",
        "torch.nn.MSELoss(reduction='sum') over the last axis",
        lambda t, u: _over_classes(lambda k: (t[k] - u[k]) ** 2),
        vector=True,
    ),
    NamedLoss(
        "Gaussian negative log-likelihood per dimension",
        "twice torch.nn.GaussianNLLLoss summed over the last axis, with var = exp(2 v)",
        lambda t, u, v: _over_classes(
            lambda k: 2 * v[k] + (t[k] - u[k]) ** 2 * sympy.exp(-2 * v[k])
        ),
        vector=True,
    ),
    NamedLoss("pinball (quantile) loss at level tau", "quantile regression's check loss", _pinball),
    NamedLoss("Huber loss", "torch.nn.HuberLoss(delta=delta)", _huber),
    NamedLoss(
        "half the gamma deviance, up to terms in the target alone",
        "sklearn.metrics.mean_gamma_deviance / 2, log link",
        lambda t, u: t * sympy.exp(-u) + u,
    ),
    NamedLoss(
        "Gaussian negative log-likelihood",
        "twice torch.nn.GaussianNLLLoss, with var = exp(2 v)",
        lambda t, u, v: 2 * v + (t - u) ** 2 * sympy.exp(-2 * v),
    ),
    NamedLoss(
        "Gaussian negative log-likelihood",
        "twice torch.nn.GaussianNLLLoss, with var = v**2",
        lambda t, u, v: 2 * sympy.log(v) + (t - u) ** 2 / v**2,
    ),
)

__all__ = ["NamedLoss", "TEXTBOOK_LOSSES"]
