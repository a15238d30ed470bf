"""Shared helpers for the tests: model variants read from the registry, and random inputs
drawn from each model's declared domains (never from a hand-kept list of families)."""

from __future__ import annotations

import numpy as np
import scipy.special

import likelihoods as lk

#: Each link's inverse, written independently of the library's sympy declarations.
LINK_INVERSE = {
    "identity": lambda x: x,
    "log": np.exp,
    "logit": scipy.special.expit,
    "softplus": lambda x: np.logaddexp(0.0, x),
    "softmax": lambda x: scipy.special.softmax(x, axis=-1),
    # lower-triangular factors: the raw strictly lower triangle, exp of the raw diagonal
    "log_diagonal": lambda x: (
        np.tril(x, -1) + np.exp(np.diagonal(x, 0, -2, -1))[..., None] * np.eye(x.shape[-1])
    ),
    "diagonal_log": lambda x: np.exp(x)[..., None] * np.eye(x.shape[-1]),
}

#: The number of classes used for vectors over classes in the generic tests.
CLASSES = lk.sampling.CLASSES


#: Variants the engine refuses at derivation, with why (tests/test_declared.py checks that
#: each is refused so): the softplus link makes exp(log(1 + e^x)) = 1 + e^x inside a ranking's
#: suffix sums, which are then no log-sum-exp of exponentials.
REFUSED = {"PlackettLuce(scores=softplus)": "a partial sum over positions"}


def variants(cls: type[lk.NoiseModel]) -> list[lk.NoiseModel]:
    """The default model, and every parameter predicted through every link that fits it (but
    those in :data:`REFUSED`)."""
    out = [cls()]
    for parameter in cls.parameters:
        for name, link in lk.LINKS.items():
            if link.fits(parameter.domain):
                model = cls(**{parameter.name: name})
                if model not in out and model_id(model) not in REFUSED:
                    out.append(model)
    return out


def all_variants() -> list[lk.NoiseModel]:
    return [m for cls in lk.REGISTRY.values() for m in variants(cls)]


def sample_domain(
    domain: lk.constraints.Domain, rng: np.random.Generator, shape, label: bool = False
) -> np.ndarray:
    """Values well inside ``domain`` (see :func:`likelihoods.sampling.inside`)."""
    return lk.sampling.inside(domain, rng, shape, label=label)


def sample_inputs(model: lk.NoiseModel, rng: np.random.Generator, shape=(64,)):
    """``(y, raw_outputs, parameters, constants)`` for ``model``: the target, the positional
    raw outputs, every parameter's numeric value, and the keyword values of fixed symbols."""
    y = sample_domain(model.target.support, rng, shape, label=True)
    raws, params, constants = [], {}, {}
    for name, choice in model.choices.items():
        domain = choice.parameter.domain
        if choice.predicted:
            if choice.link.name == "identity":
                raw = sample_domain(domain, rng, shape)
            elif domain.matrix and not choice.link.raw_vector:
                raw = np.tril(rng.normal(0.0, 0.5, size=(*shape, CLASSES, CLASSES)))
            else:
                raw = rng.normal(0.0, 1.0, size=(*shape, CLASSES) if domain.event else shape)
            raws.append(raw)
            params[name] = LINK_INVERSE[choice.link.name](raw)
        elif choice.value.free_symbols:
            value = float(sample_domain(domain, rng, ()))
            constants[name] = value
            params[name] = value
        else:
            params[name] = float(choice.value)
    return y, raws, params, constants


def loss_shape(model: lk.NoiseModel, y: np.ndarray) -> tuple[int, ...]:
    """The per-sample loss shape for target ``y`` (rows over classes lose their last axis)."""
    return y.shape[:-1] if model.target.support.event else y.shape


def elementwise_domains(model: lk.NoiseModel) -> list[lk.constraints.Domain]:
    """The domains of a model's positional arguments: the target, then each raw output (a
    parameter's own domain under the identity, the real line under any other link)."""
    raws = [
        c.parameter.domain if c.link.name == "identity" else lk.constraints.real
        for c in model.choices.values()
        if c.predicted
    ]
    return [model.target.support, *raws]


def is_elementwise(model: lk.NoiseModel) -> bool:
    """Whether every argument is one number per sample (no vector over a last axis)."""
    domains = [model.target.support, *(c.parameter.domain for c in model.choices.values())]
    return not any(d.event for d in domains)


def model_id(model: lk.NoiseModel) -> str:
    return repr(model).replace("'", "")
