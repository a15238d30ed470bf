"""compile(nll=True) against scipy.stats log-densities, for every family and link."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st

import likelihoods as lk
from derivation import derive

from support import all_variants, model_id, sample_inputs

# One row per family: its log-density in scipy.stats, from the parameter values.
SCIPY_LOG_DENSITY = {
    "Gaussian": lambda y, mu, sigma: st.norm.logpdf(y, loc=mu, scale=sigma),
    "HeteroscedasticGaussian": lambda y, mu, sigma: st.norm.logpdf(y, loc=mu, scale=sigma),
    "Laplace": lambda y, mu, b: st.laplace.logpdf(y, loc=mu, scale=b),
    "Bernoulli": lambda y, p: st.bernoulli.logpmf(y, p),
    "Poisson": lambda y, rate: st.poisson.logpmf(y, rate),
    "VonMises": lambda y, mu, kappa: st.vonmises.logpdf(y, kappa, loc=mu),
    "Categorical": lambda y, p: st.multinomial.logpmf(y, 1, p),
}


def test_every_registered_family_has_a_reference():
    assert set(SCIPY_LOG_DENSITY) == set(lk.REGISTRY)


@pytest.mark.parametrize("model", all_variants(), ids=model_id)
def test_nll_matches_scipy(model, rng):
    fn = derive(model).compile(nll=True)
    y, raws, params, constants = sample_inputs(model, rng, (200,))
    expected = -SCIPY_LOG_DENSITY[type(model).__name__](y, **params)
    got = fn(y, *raws, reduction="none", **constants)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)
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
    expected = -SCIPY_LOG_DENSITY[type(model).__name__](y, **params)
    loss = fn(y, *raws, reduction="none", **{k: constants[k] for k in fn.constants})
    scale = float(d.scale.subs({model.parameter_symbol(k): v for k, v in constants.items()}))
    np.testing.assert_allclose(
        scale * (loss - loss[0]), expected - expected[0], rtol=1e-9, atol=1e-9
    )
