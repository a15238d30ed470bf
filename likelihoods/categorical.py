"""Categorical noise on a class label: cross-entropy falls out, for any number of classes."""

from __future__ import annotations

import sympy

from .base import NoiseModel, Parameter, Target
from .constraints import simplex
from .links import CLASS_INDEX, CLASSES


class Categorical(NoiseModel):
    r"""One of K classes, with probabilities p = (p_0, ..., p_{K-1}).

    The target is written as a row y on the simplex (one-hot for a hard label, soft for label
    smoothing or distillation), so that

    .. math:: \log p(y \mid p) = \sum_{k=0}^{K-1} y_k \log p_k ;

    the compiled callables also take integer class indices. K is a symbol: the derivation
    holds for every K, and K is read off the arrays when the callable is called.

    ``p`` is predicted through the softmax link by default (raw outputs ``z``, the logits, on
    the last axis); ``Categorical(p="identity")`` takes probability rows. Point prediction:
    the mode, argmax_k p_k.

    >>> from likelihoods import Categorical
    >>> Categorical(), Categorical(p="identity")
    (Categorical(p='softmax'), Categorical(p='identity'))
    """

    target = Target("y", simplex)
    parameters = (
        Parameter("p", simplex, default="softmax", raw="z", description="class probabilities"),
    )
    prediction = "mode"
    scipy_reference = ("multinomial", lambda p: {"n": 1, "p": p})

    def log_density(self, y, p):
        k = CLASS_INDEX
        return sympy.Sum(y[k] * sympy.log(p[k]), (k, 0, CLASSES - 1))

    def point_prediction(self, p):
        return sympy.Function("argmax")(p)
