"""A malformed declaration is refused where the model is declared or derived, by a TypeError or
ValueError that names the model and what is wrong, never by an error from inside the engine."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special
import sympy

import likelihoods as lk
from derivation import derive
from likelihoods import constraints as c


def _model(body, scale="fixed"):
    class Declared(lk.NoiseModel):
        target = lk.Target("y", c.real)
        parameters = (
            lk.Parameter("mu", c.real, default="identity"),
            lk.Parameter("s", c.positive, default=scale),
        )

        def log_density(self, y, mu, s):
            return body(y, mu, s)

    return Declared()


REFUSED = {
    "zoo": (lambda y, mu, s: sympy.zoo + mu, ValueError, "holds zoo"),
    "nan": (lambda y, mu, s: sympy.nan * mu, ValueError, "holds nan"),
    "infinity": (lambda y, mu, s: sympy.oo - (y - mu) ** 2, ValueError, "holds oo"),
    "imaginary": (lambda y, mu, s: sympy.I * mu - (y - mu) ** 2, ValueError, "holds I"),
    "a float": (lambda y, mu, s: 1.5, TypeError, "got float 1.5"),
    "None": (lambda y, mu, s: None, TypeError, "got NoneType"),
    "a tuple": (lambda y, mu, s: (mu, y), TypeError, "got tuple"),
    "an equation": (lambda y, mu, s: sympy.Eq(y, mu), TypeError, "got Equality"),
    "no parameter": (lambda y, mu, s: -(y**2), ValueError, "does not depend on the predicted"),
    "undefined": (lambda y, mu, s: sympy.Function("f")(y - mu), ValueError, "undefined function"),
    "floor": (lambda y, mu, s: -(sympy.floor(y - mu) ** 2), ValueError, "no derivative in mu"),
    "linear": (lambda y, mu, s: mu * y, ValueError, "unbounded below in mu"),
    "cubic": (lambda y, mu, s: -((y - mu) ** 3), ValueError, "unbounded below in mu"),
}


@pytest.mark.parametrize("scale", ["fixed", "log"])
@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_malformed_log_density_is_refused_when_derived(case, scale):
    body, error, words = REFUSED[case]
    with pytest.raises(error, match="Declared") as raised:
        derive(_model(body, scale))
    assert words in str(raised.value)


def test_a_density_without_its_normaliser_still_compiles():
    # loss (y - mu)^2 e^(-2 eta): its gradient in eta is the loss times -2, one value
    d = derive(_model(lambda y, mu, s: -((y - mu) ** 2) / (2 * s**2), "log"))
    fn = d.compile()
    loss, (g_mu, g_eta) = fn.loss_and_grad(np.array([3.0]), np.array([1.0]), np.array([0.0]))
    assert (float(loss), float(g_mu[0]), float(g_eta[0])) == (4.0, -4.0, -8.0)


def test_arguments_must_match_the_declared_parameters():
    with pytest.raises(TypeError, match="Misnamed.log_density takes no 'mu'"):

        class Misnamed(lk.NoiseModel):
            target = lk.Target("y", c.real)
            parameters = (lk.Parameter("mu", c.real, default="identity"),)

            def log_density(self, y, m):
                return -((y - m) ** 2)


def test_duplicate_parameter_names_are_refused():
    with pytest.raises(ValueError, match="'mu' is used twice"):

        class Twice(lk.NoiseModel):
            target = lk.Target("y", c.real)
            parameters = (
                lk.Parameter("mu", c.real, default="identity"),
                lk.Parameter("mu", c.positive),
            )


def test_an_unknown_prediction_is_refused():
    with pytest.raises(ValueError, match="Average.prediction: expected one of mean"):

        class Average(lk.NoiseModel):
            target = lk.Target("y", c.real)
            parameters = (lk.Parameter("mu", c.real, default="identity"),)
            prediction = "average"


@pytest.mark.parametrize(
    "domain, text",
    [
        (c.Domain("integers", integer=True), "{..., -1, 0, 1, ...}"),
        (c.Domain("up to 3", upper=3, upper_open=False, integer=True), "{..., 1, 2, 3}"),
        (c.Domain("below 3", upper=3, integer=True), "{..., 0, 1, 2}"),
    ],
)
def test_integer_domains_without_bounds_are_described(domain, text):
    assert domain.describe() == text


def _class_model(body):
    class OverClasses(lk.NoiseModel):
        target = lk.Target("y", c.simplex)
        parameters = (lk.Parameter("p", c.simplex, default="softmax", raw="z"),)
        prediction = "mode"

        def log_density(self, y, p):
            return body(y, p, lk.CLASS_INDEX, lk.CLASSES)

    return OverClasses()


def test_a_sum_over_part_of_the_classes_is_refused_by_name():
    partial = _class_model(lambda y, p, k, K: sympy.Sum(y[k] * sympy.log(p[k]), (k, 1, K - 1)))
    with pytest.raises(ValueError, match=r"OverClasses.log_density: the sum .* runs over k from 1"):
        derive(partial)


def test_a_sum_of_a_constant_over_the_classes_is_their_number():
    # log p = sum_k y_k log p_k - log(sum_k 1): the cross-entropy minus log K
    def body(y, p, k, K):
        return sympy.Sum(y[k] * sympy.log(p[k]), (k, 0, K - 1)) - sympy.log(
            sympy.Sum(1, (k, 0, K - 1))
        )

    fn = derive(_class_model(body)).compile(nll=True)
    rng = np.random.default_rng(7)
    for classes in (2, 5):
        z = rng.normal(size=(4, classes))
        labels = rng.integers(0, classes, size=4)
        expected = -scipy.special.log_softmax(z, axis=-1)[np.arange(4), labels] + np.log(classes)
        np.testing.assert_allclose(fn(labels, z, reduction="none"), expected, rtol=1e-14)


def test_the_refused_variants_are_refused_at_derivation():
    from support import REFUSED

    for name in REFUSED:
        family, choice = name.rstrip(")").split("(")
        parameter, link = choice.split("=")
        model = getattr(lk, family)(**{parameter: link})
        with pytest.raises(ValueError, match="through its links the loss holds the sum"):
            derive(model)
