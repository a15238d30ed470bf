"""The derived sympy expressions: canonical losses, the constant-dropping rule, caching."""

from __future__ import annotations

import ast
import pathlib
import random
import re

import pytest
import sympy
from support import all_variants, model_id
from sympy import Abs, cos, exp, log

import likelihoods as lk
from derivation import derive
from derivation.functions import expand_definitions

# The canonical losses of the design table, typed in from the table, in the derivation's
# own symbols (target, then raw outputs in order).
CANONICAL = [
    (lk.Gaussian(), lambda y, mu: (y - mu) ** 2),
    (lk.Gaussian(sigma=2.0), lambda y, mu: (y - mu) ** 2),
    (lk.Laplace(), lambda y, mu: Abs(y - mu)),
    (lk.Bernoulli(), lambda y, z: log(1 + exp(z)) - y * z),
    (lk.Bernoulli(p="identity"), lambda y, p: -y * log(p) - (1 - y) * log(1 - p)),
    (lk.Poisson(), lambda y, eta: exp(eta) - y * eta),
    (lk.Poisson(rate="identity"), lambda y, rate: rate - y * log(rate)),
    (lk.VonMises(), lambda y, mu: -cos(y - mu)),
    # log sigma + (y - mu)^2 / (2 sigma^2) with sigma = exp(s), times the documented factor 2.
    (lk.HeteroscedasticGaussian(), lambda y, mu, s: 2 * (s + (y - mu) ** 2 / (2 * exp(2 * s)))),
]


def _equal(a: sympy.Expr, b: sympy.Expr) -> bool:
    return sympy.simplify(sympy.expand_log(expand_definitions(a) - b, force=True)) == 0


@pytest.mark.parametrize("model, expected", CANONICAL, ids=[model_id(m) for m, _ in CANONICAL])
def test_canonical_loss_is_the_textbook_one(model, expected):
    d = derive(model)
    assert _equal(d.loss, expected(d.target, *d.outputs))


def test_heteroscedastic_loss_is_twice_torch_gaussian_nll():
    # torch.nn.GaussianNLLLoss(full=False): 0.5 * (log(var) + (input - target)**2 / var).
    d = derive(lk.HeteroscedasticGaussian())
    y, (mu, s) = d.target, d.outputs
    var = exp(2 * s)
    assert _equal(d.loss, 2 * sympy.Rational(1, 2) * (log(var) + (mu - y) ** 2 / var))
    assert d.scale == sympy.Rational(1, 2)


def _random_point(d, rng: random.Random) -> dict:
    point = {
        d.target: sympy.Float(rng.choice([0, 1]) if d.target.is_integer else rng.uniform(0.1, 0.9))
    }
    for symbol in d.outputs:
        point[symbol] = sympy.Float(rng.uniform(0.2, 0.8))
    for expr in (d.nll, d.loss):
        for symbol in expr.free_symbols - set(point):
            point[symbol] = sympy.Float(rng.uniform(0.5, 2.0))
    return point


@pytest.mark.parametrize("model", all_variants(), ids=model_id)
def test_nll_is_scale_times_loss_plus_constant(model):
    d = derive(model)
    outputs = set(d.outputs)
    assert d.scale.is_positive
    assert not d.scale.free_symbols & (outputs | {d.target})
    assert not d.constant.free_symbols & outputs
    rng = random.Random(7)
    for _ in range(3):
        point = _random_point(d, rng)
        full = expand_definitions(d.nll).evalf(30, subs=point)
        rebuilt = expand_definitions(d.scale * d.loss + d.constant).evalf(30, subs=point)
        assert abs(full - rebuilt) < 1e-25 * max(1, abs(full))


@pytest.mark.parametrize("model", all_variants(), ids=model_id)
def test_nll_is_minus_the_declared_log_density_through_the_links(model):
    d = derive(model)
    declared = -model.log_density(d.target, **d.parameters)
    rng = random.Random(11)
    for _ in range(3):
        point = _random_point(d, rng)
        expected = declared.evalf(30, subs=point)
        got = expand_definitions(d.nll).evalf(30, subs=point)
        assert abs(expected - got) < 1e-25 * max(1, abs(expected))


@pytest.mark.parametrize("model", all_variants(), ids=model_id)
def test_gradient_is_the_derivative_of_the_loss(model):
    d = derive(model)
    assert len(d.gradient) == len(d.outputs) == len(model.predicted)
    for output, g in zip(d.outputs, d.gradient):
        assert sympy.simplify(expand_definitions(g - sympy.diff(d.loss, output))) == 0


def test_derive_is_cached_for_equal_models():
    assert derive(lk.Gaussian(sigma=2.0)) is derive(lk.Gaussian(sigma=2))
    assert derive(lk.Gaussian()) is not derive(lk.Gaussian(sigma="log"))
    d = derive(lk.Poisson())
    assert d.compile() is d.compile()


def test_parameters_are_chosen_per_keyword():
    assert lk.Gaussian().predicted == ("mu",)
    assert lk.Gaussian(sigma="log").predicted == ("mu", "sigma")
    assert lk.HeteroscedasticGaussian() == lk.HeteroscedasticGaussian(sigma="log")
    assert derive(lk.Gaussian(sigma=2.0)).compile().inputs == ("mu",)
    assert derive(lk.Bernoulli()).compile().inputs == ("z",)
    assert derive(lk.Gaussian(sigma="log")).compile().inputs == ("mu", "eta_sigma")
    with pytest.raises(ValueError, match="no parameter 'scale'"):
        lk.Gaussian(scale=1.0)
    with pytest.raises(ValueError, match="unknown link 'probit'"):
        lk.Bernoulli(p="probit")
    with pytest.raises(ValueError, match=r"softplus.*\[0, 1\]"):
        lk.Bernoulli(p="softplus")
    with pytest.raises(ValueError, match=r"sigma.*\(0, inf\).*got 0"):
        lk.Gaussian(sigma=0.0)
    with pytest.raises(ValueError, match="predicts nothing"):
        lk.Gaussian(mu=0.0)


def _code_words(path: pathlib.Path) -> set[str]:
    """Identifiers and non-docstring string constants of a module (its code, not its prose)."""
    tree = ast.parse(path.read_text())
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    words = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            words.add(node.id.lower())
        elif isinstance(node, ast.Attribute):
            words.add(node.attr.lower())
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                words.update(w.lower() for w in re.findall(r"\w+", node.value))
    return words


def test_the_engine_code_names_no_family():
    engine = pathlib.Path(__file__).parents[1] / "derivation"
    for path in engine.glob("*.py"):
        words = _code_words(path)
        for name in lk.REGISTRY:
            assert name.lower() not in words, f"{path.name} names {name}"
