"""The derived sympy expressions: canonical losses, the constant-dropping rule, caching."""

from __future__ import annotations

import ast
import pathlib
import random
import re

import numpy as np
import pytest
import sympy
from sympy import Abs, cos, exp, log

import likelihoods as lk
from derivation import derive
from derivation.functions import expand_definitions
from derivation.triangular_functions import factor_entry

from support import all_variants, is_elementwise, model_id, sample_inputs

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


EVENT_CLASSES = 3


def _random_point(d, rng: random.Random) -> dict:
    """Values for every symbol of the derivation; a vector gets EVENT_CLASSES of them."""
    point = {}
    target = d.target
    exact = lambda low, high: sympy.Rational(str(round(rng.uniform(low, high), 8)))  # noqa: E731
    if isinstance(target, lk.PermutationBase):
        order = list(range(EVENT_CLASSES))
        rng.shuffle(order)
        point[target] = [sympy.Integer(v) for v in order]
    elif isinstance(target, sympy.IndexedBase):
        hot = rng.randrange(EVENT_CLASSES)
        point[target] = [sympy.Integer(int(k == hot)) for k in range(EVENT_CLASSES)]
    elif target.is_integer:
        point[target] = sympy.Integer(rng.choice([0, 1]))
    else:
        point[target] = exact(0.1, 0.9)
    for symbol in d.outputs:
        if isinstance(symbol, sympy.IndexedBase) and len(symbol.shape) == 2:  # lower-triangular
            point[symbol] = [
                [exact(-0.5, 0.5) if b <= a else sympy.Integer(0) for b in range(EVENT_CLASSES)]
                for a in range(EVENT_CLASSES)
            ]
        elif isinstance(symbol, sympy.IndexedBase):
            values = [exact(0.2, 0.8) for _ in range(EVENT_CLASSES)]
            point[symbol] = [v / sum(values) for v in values]
        else:
            point[symbol] = exact(0.2, 0.8)
    labels = {b.label for b in point if isinstance(b, sympy.IndexedBase)}
    for expr in (d.nll, d.loss, d.scale, d.constant):
        for symbol in expr.free_symbols - set(point) - labels:
            if isinstance(symbol, sympy.Symbol) and not symbol.is_integer:
                point[symbol] = exact(0.5, 2.0)
    return point


def evaluate(
    expr: sympy.Expr, point: dict, component: int | None = None, column: int | None = None
) -> sympy.Float:
    """``expr`` at ``point`` to 30 digits, with K = EVENT_CLASSES and sums written out (and
    the functions whose definitions need a known K written out once it is known)."""
    expr = expand_definitions(expr).xreplace({lk.CLASSES: EVENT_CLASSES, lk.RANKED: EVENT_CLASSES})
    if component is not None:
        expr = expr.xreplace({lk.COMPONENT: component})
    if column is not None:
        expr = expr.xreplace({lk.COLUMN: column})
    vectors = {b.label: v for b, v in point.items() if isinstance(b, sympy.IndexedBase)}

    def entry(e):
        value = vectors[e.base.label]
        for index in e.indices:  # an index may itself be an entry (s[pi[k]])
            index = index.doit()
            value = value[int(index if index.is_Integer else entry(index))]
        return value

    def known(e):
        return (
            isinstance(e, sympy.Indexed)
            and e.base.label in vectors
            and all(i.doit().is_Integer or known(i.doit()) for i in e.indices)
        )

    def unrolled(e):  # a sum over several indices, its outer index written out
        *inner, (k, low, high) = e.limits
        if not (low.is_Integer and high.is_Integer):
            return e
        inner_sum = sympy.Sum(e.function, *inner)
        return sympy.Add(*(inner_sum.xreplace({k: v}) for v in range(int(low), int(high) + 1)))

    for _ in range(6):  # sums written out, entries read, and again for sums they bound
        before = expr
        expr = expr.replace(lambda e: isinstance(e, sympy.Sum) and len(e.limits) > 1, unrolled)
        expr = expand_definitions(expr.doit()).doit()
        expr = expr.replace(lambda e: isinstance(e, sympy.Sum), lambda e: e.doit())  # bounds too
        expr = expr.replace(known, entry)
        if expr == before:
            break
    scalars = {s: v for s, v in point.items() if not isinstance(s, sympy.IndexedBase)}
    return sympy.N(expr.subs(scalars), 30)


@pytest.mark.parametrize("model", all_variants(), ids=model_id)
def test_nll_is_scale_times_loss_plus_constant(model):
    d = derive(model)
    assert d.scale.is_positive
    assert not d.scale.has(*d.outputs, d.target)
    assert not d.constant.has(*d.outputs)
    rng = random.Random(7)
    for _ in range(3):
        point = _random_point(d, rng)
        full = evaluate(d.nll, point)
        rebuilt = evaluate(d.scale * d.loss + d.constant, point)
        assert abs(full - rebuilt) < 1e-25 * max(1, abs(full))


@pytest.mark.parametrize("model", all_variants(), ids=model_id)
def test_nll_is_minus_the_declared_log_density_through_the_links(model):
    d = derive(model)
    rng = random.Random(11)
    for _ in range(3):
        point = _random_point(d, rng)
        # The declared log-density, evaluated at the parameter values the links give.
        parameters = {}
        for name, value in d.parameters.items():
            symbol = model.parameter_symbol(name)
            if isinstance(symbol, sympy.IndexedBase) and len(symbol.shape) == 2:
                rows = range(EVENT_CLASSES)
                parameters[symbol] = [
                    [evaluate(factor_entry(value, a, b), point) if b <= a else 0 for b in rows]
                    for a in rows
                ]
            elif isinstance(symbol, sympy.IndexedBase):
                parameters[symbol] = [
                    evaluate(value.xreplace({lk.CLASS_INDEX: k}), point)
                    for k in range(EVENT_CLASSES)
                ]
            else:
                parameters[symbol] = evaluate(value, point)
        expected = -evaluate(
            model.log_density(d.target, **{n: model.parameter_symbol(n) for n in model.choices}),
            {**point, **parameters},
        )
        got = evaluate(d.nll, point)
        assert abs(expected - got) < 1e-25 * max(1, abs(expected))


@pytest.mark.parametrize("model", all_variants(), ids=model_id)
def test_gradient_is_the_derivative_of_the_loss(model):
    # Against sympy's own derivative of the loss written out with K = EVENT_CLASSES.
    d = derive(model)
    assert len(d.gradient) == len(d.outputs) == len(model.predicted)
    point = _random_point(d, random.Random(3))
    for output, g in zip(d.outputs, d.gradient):
        if isinstance(output, sympy.IndexedBase):
            concrete = {lk.CLASSES: EVENT_CLASSES, lk.RANKED: EVENT_CLASSES}  # rankings in full
            loss = expand_definitions(expand_definitions(d.loss).xreplace(concrete).doit())
            rank = len(output.shape)
            for index in np.ndindex((EVENT_CLASSES,) * rank):
                entry = output.xreplace(concrete)[index]
                expected = evaluate(sympy.diff(loss, entry), point)
                got = evaluate(g, point, *index)
                assert abs(got - expected) < 1e-25 * max(1, abs(expected))
        else:
            expected = evaluate(sympy.diff(expand_definitions(d.loss), output), point)
            assert abs(evaluate(g, point) - expected) < 1e-25 * max(1, abs(expected))


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
    with pytest.raises(
        ValueError,
        match=r"softplus. link does not fit p.*\[0, 1\].*links that fit: identity, logit",
    ):
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
            if name.lower() in _SPECIAL_FUNCTIONS:
                continue  # the gamma and beta functions are not the distributions
            assert name.lower() not in words, f"{path.name} names {name}"


#: Names of sympy's special functions, which a family may share (Gamma, Beta).
_SPECIAL_FUNCTIONS = {n for n in dir(sympy.functions) if not n.startswith("_")}


@pytest.mark.parametrize("model", [m for m in all_variants() if is_elementwise(m)], ids=model_id)
def test_the_stabilized_stage_is_the_loss_and_gradient_rewritten(model):
    # What the kernels compute from equals d.loss and d.gradient, identity by identity:
    # compared in mpmath at points inside the declared domains.
    d = derive(model)
    ((loss, gradient),) = d.stabilized().values()
    rng = np.random.default_rng(5)
    y, raws, _, constants = sample_inputs(model, rng, (3,))
    names = [d.target, *d.outputs]
    fixed = {model.parameter_symbol(k): sympy.Float(v, 40) for k, v in constants.items()}
    for row in range(3):
        point = {s: sympy.Float(float(v[row]), 40) for s, v in zip(names, [y, *raws])}
        by_name = {s.name: v for s, v in [*point.items(), *fixed.items()]}
        for stable, plain in zip((loss, *gradient), (d.loss, *d.gradient)):
            renamed = {s: by_name[s.name.rstrip("_")] for s in stable.free_symbols}
            a = expand_definitions(stable).doit().xreplace(renamed)
            b = expand_definitions(plain).xreplace(point).xreplace(fixed)
            assert abs(complex(sympy.N(a - b, 30))) <= 1e-20 * (1 + abs(complex(sympy.N(b, 30))))
