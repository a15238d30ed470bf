"""compile(nll=True) against scipy.stats log-densities, for every family and link."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st

import likelihoods as lk
from derivation import derive

from support import all_variants, model_id, sample_inputs


def scipy_nll(model, y, params):
    """-log p(y) from the ``scipy.stats`` distribution the family declares it is (or from its
    density written out with scipy, for a family scipy does not have)."""
    reference = type(model).scipy_reference
    if callable(reference):
        return -reference(y, **params)
    name, arguments = reference
    distribution = getattr(st, name)(**arguments(**params))
    density = distribution.logpmf if hasattr(distribution, "logpmf") else distribution.logpdf
    return -density(y)


def test_every_registered_family_has_a_reference():
    assert [n for n, cls in lk.REGISTRY.items() if cls.scipy_reference is None] == []


@pytest.mark.parametrize("model", all_variants(), ids=model_id)
def test_nll_matches_scipy(model, rng):
    fn = derive(model).compile(nll=True)
    y, raws, params, constants = sample_inputs(model, rng, (200,))
    expected = scipy_nll(model, y, params)
    got = fn(y, *raws, reduction="none", **constants)
    # (atol: a log-density near 0 is a difference of terms near 1, rounded at 1e-16 each)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    mean = fn(y, *raws, **constants)
    np.testing.assert_allclose(mean, expected.mean(), rtol=1e-12)


@pytest.mark.parametrize("model", all_variants(), ids=model_id)
def test_loss_is_the_nll_up_to_scale_and_constant(model, rng):
    # For samples that share a target, the dropped constant is shared too, so differences of
    # the loss times the documented scale equal differences of the scipy NLL.
    d = derive(model)
    fn = d.compile()
    y, raws, params, constants = sample_inputs(model, rng, (50,))
    y = np.full_like(y, y[0])
    expected = scipy_nll(model, y, params)
    loss = fn(y, *raws, reduction="none", **{k: constants[k] for k in fn.constants})
    scale = float(d.scale.subs({model.parameter_symbol(k): v for k, v in constants.items()}))
    np.testing.assert_allclose(
        scale * (loss - loss[0]), expected - expected[0], rtol=1e-9, atol=1e-9
    )
