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


@dataclass(frozen=True)
class NamedLoss:
    """A textbook loss: its name, its usual library spelling and its expression."""

    name: str
    also: str
    expression: Callable[..., sympy.Expr]  # of (t, u) or (t, u, v)

    @property
    def arity(self) -> int:
        return self.expression.__code__.co_argcount - 1


def _softplus(x):
    return sympy.log(1 + sympy.exp(x))


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
        "Gaussian negative log-likelihood, times 2 (log-scale input)",
        "2 * torch.nn.GaussianNLLLoss with var = exp(2 v)",
        lambda t, u, v: 2 * v + (t - u) ** 2 * sympy.exp(-2 * v),
    ),
    NamedLoss(
        "Gaussian negative log-likelihood, times 2",
        "2 * torch.nn.GaussianNLLLoss with var = v**2",
        lambda t, u, v: 2 * sympy.log(v) + (t - u) ** 2 / v**2,
    ),
)

__all__ = ["NamedLoss", "TEXTBOOK_LOSSES"]
