"""Gibbs' inequality, for every family scipy.stats has: over data drawn from the model at
some parameters, the mean derived loss is smallest at those parameters (moving any raw output
costs more). It holds whatever the point prediction is, where the point prediction need not be
the minimiser of one observation's loss (the beta's mean, the Weibull's median)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st

import likelihoods as lk
from derivation import derive

from support import model_id, sample_inputs

MODELS = [cls() for cls in lk.REGISTRY.values() if isinstance(cls.scipy_reference, tuple)]


@pytest.mark.parametrize("model", [m for m in MODELS if not m.target.support.event], ids=model_id)
def test_the_mean_loss_over_the_models_own_data_is_smallest_at_its_parameters(model):
    rng = np.random.default_rng(7)
    fn = derive(model).compile()
    _, raws, params, constants = sample_inputs(model, rng, (1,))
    name, arguments = type(model).scipy_reference
    distribution = getattr(st, name)(**arguments(**{k: np.asarray(v) for k, v in params.items()}))
    y = np.asarray(distribution.rvs(size=(40_000, 1), random_state=rng), float)
    if model.target.support.lower == 0 and model.target.support.lower_open:
        y = np.maximum(y, np.finfo(float).tiny)  # a draw that rounds to the open end
    if model.target.support.upper == 1 and model.target.support.upper_open:
        y = np.minimum(y, 1 - 2**-53)
    kw = {k: constants[k] for k in fn.constants}
    at_truth = fn(y, *raws, **kw)
    for position in range(len(raws)):
        for shift in (-0.5, 0.5):
            moved = list(raws)
            choice = model.choices[model.predicted[position]]
            # along the raw output, or by a factor for a positive parameter taken as it is
            bounded = choice.link.name == "identity" and np.isfinite(choice.parameter.domain.lower)
            moved[position] = raws[position] * np.exp(shift) if bounded else raws[position] + shift
            assert fn(y, *moved, **kw) > at_truth
