"""The high-precision oracle sweep (the library's accuracy audit, see ``derivation/audit.py``):
every family and link, loss and every gradient, over the whole useful float64 range of each
input, within 4 ulps or 1e-13 relative where the true value is a finite float64, or within
what rounding the inputs by 4 ulps would change where the problem itself is that
ill-conditioned; an infinity of the right sign where it overflows; never NaN.

The default run sweeps every family's default model and each parameter through its domain's
default link (log for a scale, logit for a probability) or the identity; with
``DERIVE_FULL_AUDIT=1`` every link that fits (softplus, logit onto a positive parameter...)
and the models known to fail somewhere (:data:`KNOWN_MODELS`, which must still fail)."""

from __future__ import annotations

import itertools
import os

import pytest
from oracle import sweep

import likelihoods as lk

from support import all_variants, model_id

FULL = bool(os.environ.get("DERIVE_FULL_AUDIT"))

# Known and left alone, each with its reason: the full NLL of a Laplace scale predicted
# through the logit link near eta = 0 is log 2 - softplus(-eta), a difference of two numbers
# near 0.69 whose true value is near 0 (the dropped constant cancels the loss).
KNOWN_POINTS = {
    ("Laplace(mu=identity, b=logit)", True, "loss", (2.5, (2.5, 0.001))),
    ("Laplace(mu=identity, b=logit)", True, "loss", (2.5, (2.5, -0.001))),
}

#: Models whose sweep is known to fail somewhere, and why (the rule the engine lacks). Each
#: is an expected failure that must keep failing: a fix shows up as an unexpected pass.
_ASYMMETRICLAPLACE = (
    "a level through the logit past 30: the branches' tau - 1 and the normaliser lose digits "
    "(6e-5 relative at logit 31.6); not yet traced to its rule"
)
_BETA = (
    "a shape taken as it is, at y = 1/2 and a shape near 1: betaln(a, b) and (1 - a) log y "
    "cancel to 3e-4 (5e3 ulps of the NLL); no rule keeps the NLL's value there"
)
_BETAMEAN = (
    "a precision phi predicted: log G(m phi) + log G((1 - m) phi) - log G(phi) cancels for "
    "large phi (m phi + (1 - m) phi is phi only through expit(x) + expit(-x) = 1, which the "
    "beta-function rule does not see)"
)
_GAMMA = (
    "a predicted shape s: log G(s) - s log(rate y) at s = 1e150 cancels (Stirling's remainder "
    "as a named function is lacking)"
)
_GAMMAMEAN = (
    "a predicted shape s: log G(s) - s log s + s (Stirling's remainder) cancels for large s"
)
_MIXTURE_LARGE_TERMS = (
    "a component term of 1e49 (y e^-eta at y = 1e50) added to the logits absorbs them: the "
    "responsibilities of identical components come out 1/3 each where they are the weights "
    "(1, 0, 0); each term of the body shifted by its own largest value is lacking"
)
_GAUSSIANMIXTURE_ROWS = (
    "weights taken as they are: the weight gradient -p_k / p is exp(log N_k - logsumexp) of "
    "two terms near -7e4 at y = 1000, 5e-12 relative (24 of 1960 values); finite where a "
    "weight is 0 (rule responsibility_over_weight)"
)
_HUBER = (
    "a threshold through the log link: the normaliser's derivative is a difference of "
    "e^(-delta^2/2) terms through logaddexp that cancels symbolically, not numerically, "
    "past delta = 20"
)
_NEGATIVEBINOMIAL = (
    "log G(y + 1) - (log G(y + r) - log G(r)) at counts of 1e6 (1e-11 relative; pairing log "
    "G(y + r) with log G(y + 1) instead loses y = 0), the mean's gradient (y + r)/(mu + r) - "
    "y/mu at large means, the dispersion's gradient near the Poisson limit"
)
_STUDENTT = (
    "large degrees of freedom: gammaln_difference(nu/2, 1/2) - log(nu)/2 cancel, and so does "
    "nu log1p(r^2/nu) against r^2 (no rule folds them)"
)
_WEIBULL = (
    "a predicted shape k of 1e3 or e^1000: k log(y / lambda) and (y / lambda)^k at y = 1e-300 "
    "overflow to inf - inf"
)
_ZEROINFLATEDPOISSON = (
    "a zero probability taken as it is: log(pi + (1 - pi) e^-rate) is log_mix only with a "
    "logistic weight; through the identity two terms near log pi cancel at small rates"
)

KNOWN_MODELS: dict[str, str] = {
    "AsymmetricLaplace(mu=identity, b=fixed, tau=logit)-loss": _ASYMMETRICLAPLACE,
    "AsymmetricLaplace(mu=identity, b=fixed, tau=logit)-nll": _ASYMMETRICLAPLACE,
    "Beta(alpha=identity, beta=log)-nll": _BETA,
    "Beta(alpha=log, beta=identity)-nll": _BETA,
    "BetaMean(mean=logit, precision=identity)-loss": _BETAMEAN,
    "BetaMean(mean=logit, precision=identity)-nll": _BETAMEAN,
    "BetaMean(mean=logit, precision=log)-loss": _BETAMEAN,
    "BetaMean(mean=logit, precision=log)-nll": _BETAMEAN,
    "Gamma(shape=identity, rate=log)-loss": _GAMMA,
    "Gamma(shape=identity, rate=log)-nll": _GAMMA,
    "Gamma(shape=log, rate=log)-nll": _GAMMA,
    "GammaMean(mean=log, shape=log)-nll": _GAMMAMEAN,
    "GaussianMixture(w=identity, mu=identity, sigma=log)-loss": _GAUSSIANMIXTURE_ROWS,
    "GaussianMixture(w=identity, mu=identity, sigma=log)-nll": _GAUSSIANMIXTURE_ROWS,
    "Huber(mu=identity, delta=log)-loss": _HUBER,
    "Huber(mu=identity, delta=log)-nll": _HUBER,
    "NegativeBinomial(mean=identity, dispersion=fixed)-loss": _NEGATIVEBINOMIAL,
    "NegativeBinomial(mean=identity, dispersion=fixed)-nll": _NEGATIVEBINOMIAL,
    "NegativeBinomial(mean=log, dispersion=fixed)-nll": _NEGATIVEBINOMIAL,
    "MixtureOfGammaMean(w=softmax, mean=log, shape=fixed)-loss": _MIXTURE_LARGE_TERMS,
    "MixtureOfGammaMean(w=softmax, mean=log, shape=fixed)-nll": _MIXTURE_LARGE_TERMS,
    "NegativeBinomial(mean=log, dispersion=identity)-loss": _NEGATIVEBINOMIAL,
    "NegativeBinomial(mean=log, dispersion=identity)-nll": _NEGATIVEBINOMIAL,
    "NegativeBinomial(mean=log, dispersion=log)-loss": _NEGATIVEBINOMIAL,
    "NegativeBinomial(mean=log, dispersion=log)-nll": _NEGATIVEBINOMIAL,
    "StudentT(mu=identity, sigma=fixed, nu=identity)-loss": _STUDENTT,
    "StudentT(mu=identity, sigma=fixed, nu=identity)-nll": _STUDENTT,
    "StudentT(mu=identity, sigma=fixed, nu=log)-loss": _STUDENTT,
    "StudentT(mu=identity, sigma=fixed, nu=log)-nll": _STUDENTT,
    "Weibull(shape=identity, scale=log)-loss": _WEIBULL,
    "Weibull(shape=identity, scale=log)-nll": _WEIBULL,
    "Weibull(shape=log, scale=log)-loss": _WEIBULL,
    "Weibull(shape=log, scale=log)-nll": _WEIBULL,
    "ZeroInflatedPoisson(rate=log, zero=identity)-loss": _ZEROINFLATEDPOISSON,
    "ZeroInflatedPoisson(rate=log, zero=identity)-nll": _ZEROINFLATEDPOISSON,
}


def _key(model, nll, record):
    target, raw = record.point
    return (model_id(model), nll, record.what, (float(target), tuple(float(r) for r in raw)))


def _default_links(model: lk.NoiseModel) -> bool:
    """Whether every predicted parameter goes through the identity or its domain's default."""
    return all(
        c.link.name in ("identity", lk.DEFAULT_LINK.get(c.parameter.domain.name))
        for c in model.choices.values()
        if c.predicted
    )


#: Mixtures of elementwise families (not in the registry): one in the default run.
MIXTURES = (lk.Mixture(lk.Poisson()), lk.Mixture(lk.GammaMean()))


def _sweepable(model) -> bool:
    support = model.target.support
    matrices = any(c.parameter.domain.matrix for c in model.choices.values())
    return not matrices and not (support.event and not support.sums_to_one)


def _cases():
    for model in [*all_variants(), *MIXTURES]:
        if not (FULL or _default_links(model)) or not _sweepable(model):
            continue
        for nll in (True, False):
            reason = KNOWN_MODELS.get(f"{model_id(model)}-{'nll' if nll else 'loss'}")
            if reason and not FULL:
                continue  # a known failure is swept (and must still fail) in the full run
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(
                model, nll, marks=marks, id=f"{model_id(model)}-{'nll' if nll else 'loss'}"
            )


@pytest.mark.parametrize("model, nll", _cases())
def test_oracle_sweep(model, nll):
    records = sweep(model, nll=nll)
    assert len(records) >= 30
    # Where the formula is undefined but has a limit (0 log 0), the result is that limit,
    # never NaN.
    assert not [r for r in records if r.expected is None and r.got != r.got]
    # the first five failures (a failure's check weighs the inputs' conditioning, slowly)
    failures = itertools.islice(
        (
            (r.what, r.point, r.got, None if r.expected is None else float(r.expected))
            for r in records
            if not r.ok() and _key(model, nll, r) not in KNOWN_POINTS
        ),
        5,
    )
    failures = list(failures)
    assert not failures, failures


def test_a_model_the_grid_cannot_sweep_is_refused_by_name():
    with pytest.raises(ValueError, match="MultivariateNormal has the matrix scale_tril"):
        sweep(lk.MultivariateNormal())
