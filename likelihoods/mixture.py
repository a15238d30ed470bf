"""Mixtures of K components of any elementwise family: ``Mixture(component)``.

A mixture of a family with density p(y | theta) puts weight w_k on component k:

.. math:: \\log p(y \\mid w, \\theta) = \\log \\sum_{k=0}^{K-1} w_k\\, p(y \\mid \\theta_k).

What the component predicts becomes a vector over the components (one raw output per
component, through the same link); what it holds fixed stays one value shared by all of
them; the weights come through the softmax of raw ``logits``. K is read off the arrays at
call time. The engine needs nothing of its own for it: the log of the sum becomes a
log-sum-exp over the components of log w_k + log p_k (rule ``log_of_component_sum``), for
any component density.

>>> import numpy as np
>>> from derivation import derive
>>> import likelihoods as lk
>>> model = Mixture(lk.Poisson())
>>> model
MixtureOfPoisson(w='softmax', rate='log')
>>> fn = derive(model).compile(nll=True)
>>> counts, logits, eta = np.array([3.0]), np.log([[0.5, 0.5]]), np.log([[1.0, 5.0]])
>>> expected = -np.log(0.5 * np.exp(-1) / 6 + 0.5 * 125 * np.exp(-5) / 6)
>>> bool(np.isclose(fn(counts, logits, eta), expected, rtol=1e-15))
True
"""

from __future__ import annotations

import dataclasses
import functools

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import Domain, simplex
from .links import CLASS_INDEX, CLASSES


def Mixture(component: NoiseModel | type[NoiseModel], **choices) -> NoiseModel:  # noqa: N802
    """A mixture of K copies of ``component`` (a model, or a family for its defaults); the
    keyword choices are those of the mixture's parameters: ``w`` (the weights, ``"softmax"``
    by default) and the component's own, per component.

    A component must have a scalar target and scalar parameters and point-predict its mean
    (the mixture's point prediction is sum_k w_k mean_k); anything else is a ``TypeError``.
    """
    model = component() if isinstance(component, type) else component
    return _mixture_family(model)(**choices)


@functools.cache
def _mixture_family(component: NoiseModel) -> type[NoiseModel]:
    name = component.name
    if component.target.support.event or any(
        c.parameter.domain.event for c in component.choices.values()
    ):
        raise TypeError(f"Mixture: {name} is not elementwise (a vector target or parameter)")
    if component.prediction != "mean":
        raise TypeError(
            f"Mixture: {name} point-predicts its {component.prediction}, and a mixture's "
            f"{component.prediction} has no closed form; components that predict their mean "
            "give the mixture's mean"
        )
    symbols = {n: component.parameter_symbol(n) for n in component.choices}
    if component.log_density(component.target_symbol(), **symbols).has(*_BY_CASES):
        raise TypeError(
            f"Mixture: {name}'s density is written by cases; a log-sum-exp over components "
            "of a density by cases is not supported"
        )
    parameters = [Parameter("w", simplex, default="softmax", raw="logits", description="weights")]
    for choice in component.choices.values():
        p = choice.parameter
        if choice.predicted:  # one per component, through the same link
            vector = _vector(p.domain)
            parameters.append(dataclasses.replace(p, domain=vector, default=choice.link.name))
        else:  # shared by the components, at the component's value
            parameters.append(dataclasses.replace(p, default=_fixed_default(component, p.name)))

    def log_density(self, y, w, **params):
        k = CLASS_INDEX
        log_p = component.log_density(y, **_entries(params, k))
        return sympy.log(sympy.Sum(w[k] * sympy.exp(log_p), (k, 0, CLASSES - 1)))

    def point_prediction(self, w, **params):
        k = CLASS_INDEX
        mean = component.point_prediction(**_entries(params, k))
        return sympy.Sum(w[k] * mean, (k, 0, CLASSES - 1))

    namespace = {
        "__doc__": f"A mixture of K components {component!r}: see :func:`Mixture`.",
        "__module__": __name__,
        "target": Target(component.target.name, component.target.support),
        "parameters": tuple(parameters),
        "prediction": "mean",
        "scipy_reference": staticmethod(_reference(component)),
        "log_density": log_density,
        "point_prediction": point_prediction,
        "__reduce__": lambda self: (_rebuild, (component, self._spec())),
        "_spec": lambda self: {
            c.parameter.name: c.link.name if c.link else c.value for c in self._choices
        },
    }
    return type(f"MixtureOf{name}", (NoiseModel,), namespace)


#: Functions that write a density by cases.
_BY_CASES = (sympy.Piecewise, sympy.Heaviside, sympy.Min, sympy.Max, sympy.Abs, sympy.sign)


def _vector(domain: Domain) -> Domain:
    """The domain of a vector whose entries each lie in ``domain``."""
    return dataclasses.replace(domain, name=f"{domain.name}_vector", event=True)


def _fixed_default(component: NoiseModel, name: str):
    value = component.choices[name].value
    if value == component.parameter_symbol(name):
        return "fixed"
    return float(value) if value.is_Number else value


def _entries(params: dict, k: sympy.Symbol) -> dict:
    """Entry k of each vector parameter; shared values as they are."""
    return {n: v[k] if isinstance(v, sympy.IndexedBase) else v for n, v in params.items()}


def _rebuild(component: NoiseModel, spec: dict) -> NoiseModel:
    return Mixture(component, **spec)


def _reference(component: NoiseModel):
    """log p of the mixture written out with the component's scipy reference."""
    reference = type(component).scipy_reference

    def mixture_log_density(y, w, **params):
        import numpy as np
        import scipy.stats
        from scipy.special import logsumexp

        y = np.expand_dims(y, -1)
        params = {n: np.expand_dims(v, -1) if np.ndim(v) < np.ndim(w) else v
                  for n, v in params.items()}  # fmt: skip
        if callable(reference):
            log_p = reference(y, **params)
        else:
            distribution_name, arguments = reference
            distribution = getattr(scipy.stats, distribution_name)(**arguments(**params))
            density = getattr(distribution, "logpmf", None) or distribution.logpdf
            log_p = density(y)
        return logsumexp(np.log(w) + log_p, axis=-1)

    return mixture_log_density


__all__ = ["Mixture"]
